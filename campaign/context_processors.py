from functools import partial

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from campaign.locale import language_direction, language_versions


def site(request: HttpRequest) -> dict[str, object]:
    language = translation.get_language()
    return {
        "SITE_NAME": settings.SITE_NAME,
        "SITE_URL": settings.SITE_URL,
        "LANGUAGE_DIRECTION": language_direction(language),
        # A callable: worked out only on the pages that show it.
        "language_versions": partial(language_versions, request),
    }
