from django.urls import path

from statements.pages import views
from statements.pages.models import Page

app_name = "pages"

urlpatterns = [
    path("privacy/", views.page, {"slug": Page.Slug.PRIVACY}, name="privacy"),
    path("about/", views.page, {"slug": Page.Slug.ABOUT}, name="about"),
]
