"""Which language a request is served in, beside Django's LocaleMiddleware.

Public pages take their language from the URL alone (``/fr/...``; English
without a prefix), so a page is the same for everyone who opens its address
and can be cached and shared. The admin is staff's own: it follows the
language a staff member picked (the ``django_language`` cookie, set by the
admin's language menu) or, until they pick one, their browser's.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import translate_url
from django.utils import translation

ADMIN_PREFIXES = ("/admin/", "/i18n/")


class AdminLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(ADMIN_PREFIXES):
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


def language_direction(code: str) -> str:
    """ "rtl" or "ltr" for a language code of LANGUAGES."""
    return "rtl" if code.split("-")[0] in settings.LANGUAGES_BIDI else "ltr"


@dataclass(frozen=True)
class LanguageVersion:
    """A page's address in one language, for the switcher and hreflang."""

    code: str
    name: str  # in its own language: "Français"
    path: str
    url: str  # absolute, for hreflang
    is_current: bool


def language_versions(request: HttpRequest) -> list[LanguageVersion]:
    """This page in every language, or nothing for a page outside the public,
    language-prefixed URLs (the admin, the health checks)."""
    path = request.path
    current = translation.get_language()
    versions = []
    for code, _name in settings.LANGUAGES:
        other = translate_url(path, code)
        if other == path and code != current:
            return []  # not a language-prefixed page
        versions.append(
            LanguageVersion(
                code=code,
                name=translation.get_language_info(code)["name_local"],
                path=other,
                url=request.build_absolute_uri(other),
                is_current=code == current,
            )
        )
    return versions
