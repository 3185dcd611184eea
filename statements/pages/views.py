from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.views.decorators.http import require_safe

from statements.pages.models import Page
from statements.services import render_markdown
from statements.views import public_headers, public_page


@require_safe
@public_headers
@public_page
def page(request: HttpRequest, slug: str) -> HttpResponse:
    """A standing page in the reader's language, or the English original
    (title and all) with a note saying so; a 404 until it is written."""
    found = get_object_or_404(Page, slug=slug)
    reading = translation.get_language() or settings.LANGUAGE_CODE
    shown = reading if found.is_written_in(reading) else settings.LANGUAGE_CODE
    with translation.override(shown):
        title, body = found.title, render_markdown(found.body)
    fallback = "" if shown == reading else translation.get_language_info(reading)
    context = {"title": title, "body": body, "fallback": fallback, "shown": shown}
    return render(request, "pages/page.html", context)
