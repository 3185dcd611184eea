import pytest
from django.core.exceptions import ValidationError

from actions.core.origins import parse_origins, validate_origins
from actions.embed import services
from actions.tests.factories import make_petition

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "line",
    [
        "partner.example",
        "ftp://partner.example",
        "https://partner.example/page",
        "https://*.partner.example",
        "https://user@partner.example",
        "https://partner.example?x=1",
        "https://partner.example:99999",
    ],
)
def test_a_line_that_is_not_a_site_is_refused(line):
    petition = make_petition(embed_origins=f"https://ok.example\n{line}")

    with pytest.raises(ValidationError) as error:
        petition.full_clean()

    assert line in str(error.value)


def test_listed_sites_are_kept_as_browsers_send_them():
    text = (
        " HTTPS://Partner.Example/ \n\nhttps://partner.example:443\nhttp://[::1]:8080"
    )

    validate_origins(text)

    assert parse_origins(text) == ["https://partner.example", "http://[::1]:8080"]


@pytest.mark.parametrize(
    ("referer", "source"),
    [
        ("https://partner.example/campaigns/page?x=1", "embed:partner.example"),
        ("https://partner.example:8443/", "embed"),  # another origin
        ("http://partner.example/", "embed"),
        ("https://other.example/", "embed"),
        ("", "embed"),
        (None, "embed"),
        ("not a url", "embed"),
    ],
)
def test_the_partner_is_the_listed_site_the_frame_was_opened_on(referer, source):
    petition = make_petition(embed_origins="https://partner.example")

    assert services.partner_source(petition, referer=referer) == source


def test_any_site_is_recorded_when_any_may_embed_but_the_site_itself(settings):
    settings.SITE_URL = "https://campaign.example"
    petition = make_petition(embed_anywhere=True)

    assert services.partner_source(petition, referer="https://blog.example/") == (
        "embed:blog.example"
    )
    assert services.partner_source(petition, referer="https://campaign.example/x/") == (
        "embed"
    )


def test_a_long_host_fits_the_source_column():
    host = "a" * 60 + ".example"
    petition = make_petition(embed_anywhere=True)

    source = services.partner_source(petition, referer=f"https://{host}/")

    assert source.startswith("embed:aaa") and len(source) == 60


def test_the_snippet_names_the_language_neutral_frame_and_the_script(settings):
    settings.SITE_URL = "https://campaign.example"
    petition = make_petition(slug="refer-it", title='Refer "it"')

    snippet = services.snippet(petition)

    assert 'src="https://campaign.example/petitions/refer-it/embed/"' in snippet
    assert 'title="Refer &quot;it&quot;"' in snippet
    assert '<script src="https://campaign.example/static/js/embed.js"' in snippet
