from django.urls import path

from statements.sharing import views

app_name = "sharing"

urlpatterns = [
    path("statements/<slug:slug>/share.png", views.share_image, name="share_image"),
]
