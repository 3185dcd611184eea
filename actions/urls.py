"""The public URLs of calls to action, with those of the features that
supporters reach from their emails, in one namespace ("actions:")."""

from django.urls import path

from actions import views
from actions.embed import urls as embed
from actions.followups import urls as followups
from actions.privacy import urls as privacy
from actions.receipts import urls as receipts
from actions.timeline import urls as timeline

app_name = "actions"

urlpatterns = [
    path("petitions/<slug:slug>/", views.sign, name="sign"),
    path("petitions/<slug:slug>/one-more-step/", views.step, name="step"),
    path("petitions/<slug:slug>/check-email/", views.check_email, name="check_email"),
    path("petitions/<slug:slug>/confirm/<str:token>/", views.confirm, name="confirm"),
    path("petitions/<slug:slug>/resend/", views.resend, name="resend"),
    path("petitions/<slug:slug>/thanks/", views.thanks, name="thanks"),
    # The same page, with "you among them": where confirming leads.
    path("petitions/<slug:slug>/thanks/<str:token>/", views.thanks, name="thanks"),
    path("petitions/<slug:slug>/count.json", views.petition_count, name="count"),
    *followups.urlpatterns,
    *privacy.urlpatterns,
    *timeline.urlpatterns,
    *receipts.urlpatterns,
    *embed.urlpatterns,
]
