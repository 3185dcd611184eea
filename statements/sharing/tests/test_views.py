import io
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image

from actions.counts import add_to_count
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from statements.models import Statement
from statements.sharing import drawing
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]


@pytest.fixture(autouse=True)
def _no_count_cache(settings):
    """Counts are read afresh, so a new signature shows at once."""
    settings.COUNT_CACHE_SECONDS = 0


@pytest.fixture
def draws(monkeypatch) -> list[str]:
    """The titles drawn, in order: a cached image is not drawn again."""
    drawn: list[str] = []
    draw = drawing.draw_share_image

    def counting(**kwargs: object) -> bytes:
        drawn.append(str(kwargs["title"]))
        return draw(**kwargs)

    monkeypatch.setattr(drawing, "draw_share_image", counting)
    return drawn


def _image_url(statement: Statement, language: str = "en") -> str:
    with translation.override(language):
        return reverse("sharing:share_image", kwargs={"slug": statement.slug})


def _translated_statement() -> Statement:
    return make_statement(
        title_en="Cancel the visit",
        title_fr="Annulez la visite",
        title_es="Cancelen la visita",
        title_ar="ألغوا الزيارة",
        title_my="ခရီးစဉ်ကို ဖျက်သိမ်းပါ",
    )


def test_every_language_gets_its_own_1200_by_630_png(client):
    statement = _translated_statement()
    make_petition(statement)

    images = {}
    for language in LANGUAGES:
        response = client.get(_image_url(statement, language))
        assert response.status_code == 200, language
        assert response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert (image.format, image.size) == ("PNG", (1200, 630))
        images[language] = response.content

    assert len(set(images.values())) == len(LANGUAGES)
    assert _image_url(statement, "fr") == f"/fr/statements/{statement.slug}/share.png"


@pytest.mark.parametrize("later", [None, timedelta(days=1)])
def test_an_image_of_a_statement_not_public_is_not_found(client, later):
    if later is None:
        statement = make_statement(state=Statement.State.DRAFT, publish_at=None)
    else:
        statement = make_statement(
            state=Statement.State.SCHEDULED, publish_at=timezone.now() + later
        )

    assert client.get(_image_url(statement)).status_code == 404
    assert client.get(_image_url(statement, "fr")).status_code == 404


def test_an_archived_statement_keeps_its_image_as_its_page(client):
    statement = make_statement(state=Statement.State.ARCHIVED)

    assert client.get(_image_url(statement)).status_code == 200


def test_the_image_is_drawn_once_then_served_from_the_cache(client, draws):
    statement = make_statement(title="Cancel the visit")
    make_petition(statement)

    first = client.get(_image_url(statement))
    second = client.get(_image_url(statement))

    assert draws == ["Cancel the visit"]
    assert first.content == second.content
    assert first["ETag"] == second["ETag"]
    assert "public" in first["Cache-Control"]
    assert "max-age=3600" in first["Cache-Control"]
    assert not first.cookies


def test_a_known_etag_gets_not_modified(client):
    statement = make_statement()
    etag = client.get(_image_url(statement))["ETag"]

    response = client.get(_image_url(statement), headers={"if-none-match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_a_new_signature_under_a_hundred_redraws_the_image(client, draws):
    petition = make_petition(make_statement())
    first = client.get(_image_url(petition.statement))

    confirm_signature(signature=make_signature(petition))
    second = client.get(_image_url(petition.statement))

    assert len(draws) == 2
    assert first["ETag"] != second["ETag"]


def test_a_big_count_redraws_only_when_it_passes_a_step(client, draws):
    petition = make_petition(make_statement())
    add_to_count(petition_id=petition.pk, delta=12_345)
    client.get(_image_url(petition.statement))

    add_to_count(petition_id=petition.pk, delta=600)  # 12,945: still 12,000+
    client.get(_image_url(petition.statement))
    assert len(draws) == 1

    add_to_count(petition_id=petition.pk, delta=100)  # 13,045: 13,000+
    client.get(_image_url(petition.statement))
    assert len(draws) == 2


def test_a_new_title_redraws_the_image(client, draws):
    statement = make_statement(title="Cancel the visit")
    client.get(_image_url(statement))

    statement.title = "Cancel the state visit"
    statement.save()
    client.get(_image_url(statement))

    assert draws == ["Cancel the visit", "Cancel the state visit"]


def _meta(html: str, name: str) -> list[str]:
    pattern = rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">'
    return [unescape(value) for value in re.findall(pattern, html)]


def test_the_statement_page_names_its_image_in_its_language(client):
    statement = _translated_statement()
    with translation.override("fr"):
        html = client.get(statement.get_absolute_url()).text

    image = settings.SITE_URL + f"/fr/statements/{statement.slug}/share.png"
    assert _meta(html, "og:image") == [image]
    assert _meta(html, "twitter:image") == [image]
    assert _meta(html, "og:image:width") == ["1200"]
    assert _meta(html, "og:image:height") == ["630"]
    assert "Annulez la visite" in _meta(html, "og:image:alt")[0]
    assert _meta(html, "twitter:card") == ["summary_large_image"]
    assert _meta(html, "og:locale") == ["fr_FR"]
    assert sorted(_meta(html, "og:locale:alternate")) == [
        "ar_AR",
        "en_GB",
        "es_ES",
        "my_MM",
    ]
    assert client.get(urlsplit(image).path).status_code == 200


def _share_links(html: str) -> dict[str, str]:
    links = re.findall(r'<a class="btn" href="([^"]*)"[^>]*>([^<]*)</a>', html)
    return {label: unescape(href) for href, label in links}


@pytest.mark.parametrize("page", ["statement", "thanks"])
def test_share_links_carry_their_source(client, page):
    petition = make_petition(make_statement(title="Cancel the visit"))
    statement_url = settings.SITE_URL + petition.statement.get_absolute_url()
    url = (
        petition.statement.get_absolute_url()
        if page == "statement"
        else reverse("actions:thanks", args=[petition.slug])
    )

    html = client.get(url).text
    links = _share_links(html)

    expected = {
        "Share on WhatsApp": ("https://wa.me/", "text", "whatsapp"),
        "Share on Telegram": ("https://t.me/share/url", "url", "telegram"),
        "Share on Facebook": (
            "https://www.facebook.com/sharer/sharer.php",
            "u",
            "facebook",
        ),
        "Share on X": ("https://x.com/intent/post", "url", "x"),
        "Share by email": ("mailto:", "body", "email"),
    }
    for label, (start, parameter, network) in expected.items():
        href = links[label]
        assert href.startswith(start), label
        value = parse_qs(urlsplit(href).query)[parameter][0]
        assert f"{statement_url}?source=share-{network}" in value, label
    assert f'data-share-url="{statement_url}?source=share-native"' in html
    assert 'class="share-native" hidden' in html  # until share.js shows it
    assert "js/share.js" in html


def test_share_links_follow_the_page_language(client):
    statement = _translated_statement()

    with translation.override("ar"):
        html = client.get(statement.get_absolute_url()).text

    whatsapp = next(h for h in _share_links(html).values() if "wa.me" in h)
    text = parse_qs(urlsplit(whatsapp).query)["text"][0]
    assert text.startswith("ألغوا الزيارة ")
    assert f"/ar/statements/{statement.slug}/?source=share-whatsapp" in text
