from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_safe

from actions.timeline import services


@require_safe
@cache_control(public=True)
@cache_page(settings.PAGE_CACHE_SECONDS, cache="pages")
def open_clocks(request: HttpRequest) -> HttpResponse:
    """The targets who have not answered, longest waiting first."""
    clocks = services.open_clocks()
    return render(request, "timeline/open_clocks.html", {"clocks": clocks})


@require_safe
@cache_control(public=True, max_age=3600)
def delivery_photo(request: HttpRequest, slug: str) -> FileResponse:
    """A published delivery's photo; MEDIA_ROOT itself is never served."""
    delivery = services.published_photo(slug=slug)
    return FileResponse(delivery.photo.open("rb"))
