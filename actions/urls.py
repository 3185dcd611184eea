from django.urls import path

from actions import views
from actions.followups import views as followup_views

app_name = "actions"

urlpatterns = [
    path("petitions/<slug:slug>/", views.sign, name="sign"),
    path("petitions/<slug:slug>/check-email/", views.check_email, name="check_email"),
    path("petitions/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("petitions/<slug:slug>/resend/", views.resend, name="resend"),
    path("petitions/<slug:slug>/thanks/", views.thanks, name="thanks"),
    path("petitions/<slug:slug>/count.json", views.petition_count, name="count"),
    path("unsubscribe/<str:token>/", followup_views.unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:token>/preferences/",
        followup_views.email_preferences,
        name="email_preferences",
    ),
]
