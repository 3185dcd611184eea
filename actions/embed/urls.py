"""The framed signing pages; mounted in the actions namespace by actions.urls,
so that they take the language prefix (/fr/petitions/<slug>/embed/)."""

from django.urls import path

from actions.embed import views

urlpatterns = [
    path("petitions/<slug:slug>/embed/", views.embed, name="embed"),
    path(
        "petitions/<slug:slug>/embed/one-more-step/",
        views.embed_step,
        name="embed_step",
    ),
    path(
        "petitions/<slug:slug>/embed/check-email/",
        views.embed_check_email,
        name="embed_check_email",
    ),
]
