from django.urls import path

from actions import views
from actions.followups import views as followup_views
from actions.privacy import views as privacy_views

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
    path("your-data/", privacy_views.your_data, name="your_data"),
    path("your-data/sent/", privacy_views.your_data_sent, name="your_data_sent"),
    path("your-data/erased/", privacy_views.your_data_erased, name="your_data_erased"),
    path(
        "your-data/<str:token>/",
        privacy_views.your_data_copy,
        name="your_data_copy",
    ),
    path(
        "your-data/<str:token>/data.json",
        privacy_views.your_data_json,
        name="your_data_json",
    ),
]
