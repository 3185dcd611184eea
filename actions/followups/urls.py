"""Unsubscribing; mounted in the actions namespace by actions.urls."""

from django.urls import path

from actions.followups import views

urlpatterns = [
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path(
        "unsubscribe/<str:token>/preferences/",
        views.email_preferences,
        name="email_preferences",
    ),
]
