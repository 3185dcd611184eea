"""The public read-only JSON API, /api/v1/: published statements and their
calls to action with counts, for partners' sites and apps.

Outside the language prefix: the language is the ``lang`` parameter. Every
answer may be read from any site (CORS ``*``, no cookies, nothing personal),
and a good one is kept a few seconds in the page cache per full URL, as
public pages are.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.paginator import EmptyPage
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.csrf import csrf_exempt

from statements.api import services
from statements.api.forms import LanguageParameters, ListParameters
from statements.api.openapi import document

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
View = Callable[..., HttpResponse]


def api_endpoint(view: View) -> View:
    """GET and HEAD through the page cache, an OPTIONS preflight, a JSON 405
    for any other method; CORS on every answer."""
    cached = cache_control(public=True)(
        cache_page(settings.PAGE_CACHE_SECONDS, cache="pages", key_prefix="api")(view)
    )

    # No cookie is read and nothing changes: a POST gets its 405, not a
    # CSRF 403.
    @csrf_exempt
    @wraps(view)
    def endpoint(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if request.method in ("GET", "HEAD"):
            response = cached(request, *args, **kwargs)
        elif request.method == "OPTIONS":
            response = HttpResponse(status=204)
            del response["Content-Type"]
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = "Accept, Accept-Language"
            response["Access-Control-Max-Age"] = "86400"
            response["Allow"] = ALLOWED_METHODS
        else:
            response = _error(_("Only GET, HEAD and OPTIONS are allowed."), 405)
            response["Allow"] = ALLOWED_METHODS
        response["Access-Control-Allow-Origin"] = "*"
        return response

    return endpoint


def _error(message: str, status: int) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


@api_endpoint
def statement_list(request: HttpRequest) -> HttpResponse:
    parameters = ListParameters(request.GET)
    if not parameters.is_valid():
        return _error(parameters.error(), 400)
    given = parameters.cleaned_data
    with translation.override(given["lang"]):
        try:
            page = services.statement_page(
                topic=given["topic"], number=given["page"], size=given["page_size"]
            )
        except EmptyPage:
            return _error(_("There is no such page."), 404)
        results = services.summaries(
            list(page.object_list), absolute=request.build_absolute_uri
        )
    return _answer(
        {
            "language": given["lang"],
            "count": page.paginator.count,
            "page": page.number,
            "pages": page.paginator.num_pages,
            "page_size": given["page_size"],
            "next": _page_link(request, page.next_page_number())
            if page.has_next()
            else None,
            "previous": _page_link(request, page.previous_page_number())
            if page.has_previous()
            else None,
            "results": results,
        }
    )


def _page_link(request: HttpRequest, number: int) -> str:
    query = request.GET.copy()
    query["page"] = str(number)
    return request.build_absolute_uri("?" + query.urlencode())


@api_endpoint
def statement_detail(request: HttpRequest, slug: str) -> HttpResponse:
    parameters = LanguageParameters(request.GET)
    if not parameters.is_valid():
        return _error(parameters.error(), 400)
    language = parameters.cleaned_data["lang"]
    statement = services.visible_statement(slug=slug)
    if statement is None:
        return _error(_("No statement has this slug."), 404)
    with translation.override(language):
        body = services.detail(statement, absolute=request.build_absolute_uri)
    return _answer({"language": language, **body})


def _answer(body: dict) -> JsonResponse:
    """A good answer, which says its language (not the request's: it has no
    prefix)."""
    response = JsonResponse(body)
    response["Content-Language"] = body["language"]
    return response


@api_endpoint
def openapi(request: HttpRequest) -> HttpResponse:
    """The OpenAPI 3.1 description of this API."""
    return JsonResponse(document())
