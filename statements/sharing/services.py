"""Sharing a statement: its share image (a PNG drawn on the server, one per
language), the meta tags that name it and the share links with their source."""

import hashlib
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import translation
from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext

from actions.counts import confirmed_counts
from statements.models import Statement
from statements.sharing import drawing

# Open Graph names a language with its country; these are the usual ones.
OG_LOCALES = {
    "en": "en_GB",
    "fr": "fr_FR",
    "es": "es_ES",
    "ar": "ar_AR",
    "my": "my_MM",
}
BURMESE_DIGITS = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")
# A drawn image is kept a day; a new title or count is a new key anyway.
IMAGE_CACHE_SECONDS = 24 * 60 * 60


def rounded_count(count: int) -> int:
    """The count an image shows: exact under 100, else rounded down to two
    significant figures (12,345 -> 12,000), so a viral petition's image is
    redrawn at each step, not at each signature."""
    if count < 100:
        return count
    step = 10 ** (len(str(count)) - 2)
    return count // step * step


def count_text(count: int) -> str:
    """ "12,000+ signatures" in the active language (its digits in Burmese)."""
    shown = rounded_count(count)
    number = number_format(shown, use_l10n=True, force_grouping=True)
    if shown < 100:
        text = ngettext("%(count)s signature", "%(count)s signatures", shown)
    else:
        text = ngettext("%(count)s+ signature", "%(count)s+ signatures", shown)
    if translation.get_language() == "my" and not text.isascii():
        # Burmese digits with Burmese words; with the English words still
        # untranslated, the image's one font must draw both.
        number = number.translate(BURMESE_DIGITS)
    return text % {"count": number}


def statement_count(statement: Statement) -> int:
    """Confirmed signatures of all the statement's calls to action."""
    ids = list(statement.petitions.values_list("pk", flat=True))
    return sum(confirmed_counts(ids).values()) if ids else 0


@dataclass(frozen=True)
class ShareImage:
    png: bytes
    etag: str


def share_image(*, statement: Statement, language: str) -> ShareImage:
    """The statement's share image in a language, from the cache or drawn and
    kept; drawn again when its title changes or its count passes a step."""
    count = rounded_count(statement_count(statement))
    version = f"{statement.pk}:{language}:{statement.updated_at.timestamp()}:{count}"
    etag = hashlib.sha256(version.encode()).hexdigest()[:32]
    key = f"share-image:{etag}"
    png = cache.get(key)
    if png is None:
        with translation.override(language):
            png = drawing.draw_share_image(
                site_name=settings.SITE_NAME,
                title=statement.title,
                count=count_text(count),
                language=language,
                rtl=translation.get_language_bidi(),
            )
        cache.set(key, png, IMAGE_CACHE_SECONDS)
    return ShareImage(png=png, etag=etag)


@dataclass(frozen=True)
class ShareLink:
    network: str
    label: str
    href: str


def share_links(*, url: str, text: str) -> list[ShareLink]:
    """Links that open a network's or the mail app's own share screen, each
    with its ?source= so the signatures it brings can be counted."""

    def tagged(network: str) -> str:
        return f"{url}?source=share-{network}"

    def query(**params: str) -> str:
        return urlencode(params, quote_via=quote)

    return [
        ShareLink(
            "whatsapp",
            gettext("Share on WhatsApp"),
            "https://wa.me/?" + query(text=f"{text} {tagged('whatsapp')}"),
        ),
        ShareLink(
            "telegram",
            gettext("Share on Telegram"),
            "https://t.me/share/url?" + query(url=tagged("telegram"), text=text),
        ),
        ShareLink(
            "facebook",
            gettext("Share on Facebook"),
            "https://www.facebook.com/sharer/sharer.php?" + query(u=tagged("facebook")),
        ),
        ShareLink(
            "x",
            gettext("Share on X"),
            "https://x.com/intent/post?" + query(text=text, url=tagged("x")),
        ),
        ShareLink(
            "bluesky",
            gettext("Share on Bluesky"),
            "https://bsky.app/intent/compose?"
            + query(text=f"{text} {tagged('bluesky')}"),
        ),
        ShareLink(
            "email",
            gettext("Share by email"),
            "mailto:?" + query(subject=text, body=f"{text}\n\n{tagged('email')}"),
        ),
    ]


def share(*, url: str, text: str) -> dict[str, object]:
    """What the share links include needs (templates/statements/_share.html)."""
    return {"url": url, "text": text, "links": share_links(url=url, text=text)}


def page_sharing(*, statement: Statement) -> dict[str, object]:
    """What the statement page needs to be shared, in the active language:
    its address, the image and its size, the Open Graph locales, the links."""
    language = translation.get_language() or settings.LANGUAGE_CODE
    url = settings.SITE_URL + statement.get_absolute_url()
    return share(url=url, text=statement.title) | {
        "image_url": settings.SITE_URL
        + reverse("sharing:share_image", kwargs={"slug": statement.slug}),
        "image_width": drawing.WIDTH,
        "image_height": drawing.HEIGHT,
        "locale": OG_LOCALES.get(language, language),
        "locale_alternates": [
            OG_LOCALES.get(code, code)
            for code, _name in settings.LANGUAGES
            if code != language
        ],
    }
