from django.urls import path

from statements import views

app_name = "statements"

urlpatterns = [
    path("", views.home, name="home"),
    path("statements/<slug:slug>/", views.statement_detail, name="statement_detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic_detail"),
    path("feeds/statements.atom", views.statement_feed, name="feed"),
    path("topics/<slug:slug>/feed.atom", views.topic_feed, name="topic_feed"),
]
