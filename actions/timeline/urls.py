"""The accountability clock's page; mounted in the actions namespace by
actions.urls."""

from django.urls import path

from actions.timeline import views

urlpatterns = [
    path("no-answer-yet/", views.open_clocks, name="open_clocks"),
    path(
        "petitions/<slug:slug>/delivery-photo/",
        views.delivery_photo,
        name="delivery_photo",
    ),
]
