"""The public API's URLs, mounted at /api/v1/ outside the language prefix."""

from django.urls import path

from statements.api import views

app_name = "api"

urlpatterns = [
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<str:slug>/", views.statement_detail, name="statement_detail"),
    path("openapi.json", views.openapi, name="openapi"),
]
