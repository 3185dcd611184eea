from django.http import HttpRequest, HttpResponse


def healthz(request: HttpRequest) -> HttpResponse:
    """A liveness probe for load balancers, and the benchmark's baseline view."""
    return HttpResponse("ok", content_type="text/plain")
