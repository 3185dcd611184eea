"""The receipt pages; mounted in the actions namespace by actions.urls."""

from django.urls import path

from actions.receipts import views
from actions.receipts.feeds import DailyRootFeed

urlpatterns = [
    path("receipts/", views.receipt_roots, name="receipt_roots"),
    path("receipts/feed/", DailyRootFeed(), name="receipt_feed"),
    path("receipts/check/", views.receipt_check, name="receipt_check"),
    path("receipts/<str:token>/", views.receipt, name="receipt"),
    path(
        "receipts/<str:token>/receipt.json",
        views.receipt_download,
        name="receipt_download",
    ),
]
