from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from statements.models import Statement
from statements.sharing import services

# Networks fetch the image when a link is shared and keep it; an hour lets a
# moving count show without a visit per share reaching the site.
MAX_AGE = 60 * 60


@require_safe
def share_image(request: HttpRequest, slug: str) -> HttpResponse:
    """The statement's share image in the page's language (a 404 unless the
    statement's page can be opened)."""
    statement = get_object_or_404(Statement.objects.visible(), slug=slug)
    image = services.share_image(statement=statement, language=get_language())
    response = HttpResponse(image.png, content_type="image/png")
    response["ETag"] = f'"{image.etag}"'
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    etag = response["ETag"]
    return get_conditional_response(request, etag=etag, response=response) or response
