from django.http import HttpRequest, HttpResponse
from django.urls import path


def ok(request: HttpRequest) -> HttpResponse:
    """The same answer as the site's /healthz, at the same path."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("healthz", ok)]
