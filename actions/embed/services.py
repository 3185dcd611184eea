"""Which sites may frame a call to action's signing form, which partner a
signature came through, and the snippet partners copy."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP
from django.utils.html import format_html

from actions.core.forms import SOURCE_PATTERN
from actions.core.origins import normalise_origin, parse_origins
from actions.models import Petition, Signature

SALT = "actions.embed.source"
FALLBACK_SOURCE = "embed"
PREFIX = "embed:"


def frame_ancestors(petition: Petition) -> list[str]:
    """The sites whose pages may show the form: the listed ones, any (*), or
    none at all."""
    if petition.embed_anywhere:
        return ["*"]
    return parse_origins(petition.embed_origins) or [CSP.NONE]


def content_security_policy(petition: Petition) -> dict[str, list[str]]:
    """The site's policy, with the petition's frame ancestors."""
    return settings.SECURE_CSP | {"frame-ancestors": frame_ancestors(petition)}


def partner_source(petition: Petition, *, referer: str | None) -> str:
    """``embed:<host>`` for a page of an allowed partner site, judged by the
    Referer of the frame's request (a browser sends the embedding page's
    origin across sites); ``embed`` when it is unknown, not allowed or ours."""
    try:
        origin = normalise_origin(referer or "")
    except ValueError:
        return FALLBACK_SOURCE
    allowed = petition.embed_anywhere or origin in parse_origins(petition.embed_origins)
    if not allowed or origin == _own_origin():
        return FALLBACK_SOURCE
    host = SOURCE_PATTERN.sub("", urlsplit(origin).hostname or "")
    limit = Signature._meta.get_field("source").max_length or 60
    return (PREFIX + host)[:limit] if host else FALLBACK_SOURCE


def _own_origin() -> str:
    try:
        return normalise_origin(settings.SITE_URL)
    except ValueError:
        return ""


def sign_source(source: str) -> str:
    """The source, signed, for the form to carry back unchanged."""
    return signing.Signer(salt=SALT).sign(source)


def read_source(value: str | None) -> str:
    """The source a form carried; ``embed`` if it is missing or was altered."""
    try:
        source = signing.Signer(salt=SALT).unsign(value or "")
    except signing.BadSignature:
        return FALLBACK_SOURCE
    if source != FALLBACK_SOURCE and not source.startswith(PREFIX):
        return FALLBACK_SOURCE
    return source


def embed_url(petition: Petition) -> str:
    """The frame's address in the original language, with no prefix."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("actions:embed", kwargs={"slug": petition.slug})
    return settings.SITE_URL + path


def snippet(petition: Petition) -> str:
    """The HTML partners paste into their page: the frame and the script that
    fits its height to the form."""
    static = settings.STATIC_URL or "/static/"
    if not static.startswith(("https://", "http://")):  # not on a CDN
        static = settings.SITE_URL + "/" + static.lstrip("/")
    script = static + "js/embed.js"
    return format_html(
        '<iframe src="{}" title="{}" width="100%" height="720" '
        'data-campaign-embed loading="lazy"></iframe>\n'
        '<script src="{}" async></script>',
        embed_url(petition),
        petition.title,
        script,
    )
