from django.contrib import admin
from django.urls import include, path

from campaign import views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", views.healthz, name="healthz"),
    path("", include("actions.urls")),
    path("", include("statements.urls")),
]
