"""The "Your data" pages; mounted in the actions namespace by actions.urls."""

from django.urls import path

from actions.privacy import views

urlpatterns = [
    path("your-data/", views.your_data, name="your_data"),
    path("your-data/sent/", views.your_data_sent, name="your_data_sent"),
    path("your-data/erased/", views.your_data_erased, name="your_data_erased"),
    path("your-data/<str:token>/", views.your_data_copy, name="your_data_copy"),
    path(
        "your-data/<str:token>/data.json", views.your_data_json, name="your_data_json"
    ),
]
