import itertools

import pytest
from django.urls import reverse
from django.utils import translation

from actions.abuse import challenge
from actions.abuse.models import BlockListEntry
from actions.embed import services
from actions.models import Signature
from actions.tests.factories import make_petition

pytestmark = pytest.mark.django_db

PARTNER = "https://partner.example"


def _embed_url(petition, name="embed", language="en") -> str:
    with translation.override(language):
        return reverse(f"actions:{name}", args=[petition.slug])


def _policy(response) -> dict[str, str]:
    directives = response["Content-Security-Policy"].split(";")
    return dict(part.strip().partition(" ")[::2] for part in directives)


def _post(client, petition, data, **headers):
    headers = {"Origin": "http://testserver"} | headers
    return client.post(_embed_url(petition), data, headers=headers)


@pytest.fixture
def partnered(petition):
    petition.embed_origins = f"{PARTNER}\nhttp://localhost:8123"
    petition.save()
    return petition


def test_the_embed_shows_the_title_count_and_form_without_the_site_header(
    client, partnered
):
    response = client.get(_embed_url(partnered), headers={"Referer": PARTNER + "/"})

    content = response.content.decode()
    assert response.status_code == 200
    assert partnered.title in content
    assert "people have signed" in content
    assert 'name="email"' in content and 'name="website"' in content
    assert "site-header" not in content
    assert "js/embed-frame.js" in content


def test_the_embed_is_served_in_each_language(client, partnered):
    response = client.get(_embed_url(partnered, language="fr"))

    assert response.status_code == 200
    assert response.request["PATH_INFO"].startswith("/fr/petitions/")
    assert '<html lang="fr"' in response.content.decode()


def test_listed_sites_may_frame_the_embed_and_no_other(client, partnered):
    response = client.get(_embed_url(partnered))

    assert _policy(response)["frame-ancestors"] == (
        "https://partner.example http://localhost:8123"
    )
    assert "X-Frame-Options" not in response
    assert "'nonce-" in _policy(response)["script-src"]


def test_an_embed_any_site_may_frame(client, petition):
    petition.embed_anywhere = True
    petition.save()

    response = client.get(_embed_url(petition))

    assert _policy(response)["frame-ancestors"] == "*"


def test_an_embed_allowed_nowhere_may_be_framed_by_no_site(client, petition):
    response = client.get(_embed_url(petition))

    assert _policy(response)["frame-ancestors"] == "'none'"


def test_other_pages_still_refuse_every_frame(client, partnered):
    response = client.get(reverse("actions:sign", args=[partnered.slug]))

    assert _policy(response)["frame-ancestors"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"


def test_the_embed_sets_no_cookie(client, partnered, sign_data):
    pages = [
        client.get(_embed_url(partnered), headers={"Referer": PARTNER + "/"}),
        _post(client, partnered, sign_data | {"email": "x"}),
        _post(client, partnered, sign_data),
        client.get(_embed_url(partnered, "embed_check_email")),
    ]

    assert [list(page.cookies) for page in pages] == [[], [], [], []]
    assert not client.cookies


def test_signing_in_the_frame_records_the_partner_and_shows_check_your_email(
    client, partnered, sign_data, django_capture_on_commit_callbacks
):
    page = client.get(_embed_url(partnered), headers={"Referer": PARTNER + "/page"})
    partner = page.context["partner"]

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, partnered, sign_data | {"partner": partner})
    landing = client.get(response["Location"])

    assert response["Location"] == _embed_url(partnered, "embed_check_email")
    assert "Check your email" in landing.content.decode()
    assert _policy(landing)["frame-ancestors"] == (
        "https://partner.example http://localhost:8123"
    )
    assert Signature.objects.get().source == "embed:partner.example"


def test_a_site_not_listed_is_not_recorded_as_the_partner(client, partnered):
    page = client.get(
        _embed_url(partnered), headers={"Referer": "https://other.example/"}
    )

    assert services.read_source(page.context["partner"]) == "embed"


@pytest.mark.parametrize(
    "partner",
    [
        "embed:evil.example",  # unsigned
        services.sign_source("embed:partner.example")[:-1] + "x",  # altered
        services.sign_source("newsletter"),  # signed, but not an embed's
        "",
    ],
)
def test_a_forged_partner_is_recorded_as_embed(client, partnered, sign_data, partner):
    response = _post(client, partnered, sign_data | {"partner": partner})

    assert response.status_code == 302
    assert Signature.objects.get().source == "embed"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://partner.example"},
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://partner.example"},
    ],
)
def test_a_post_from_another_site_is_refused_and_creates_nothing(
    client, partnered, sign_data, headers
):
    response = client.post(_embed_url(partnered), sign_data, headers=headers)
    step = client.post(
        _embed_url(partnered, "embed_step"), {"data": "x"}, headers=headers
    )

    assert (response.status_code, step.status_code) == (403, 403)
    assert Signature.objects.count() == 0


def test_a_quick_post_gets_the_one_more_step_in_the_frame(client, partnered, sign_data):
    response = _post(client, partnered, sign_data | {"started": ""})

    content = response.content.decode()
    assert response.status_code == 200
    assert "One more step" in content
    assert _embed_url(partnered, "embed_step") in content
    assert "site-header" not in content
    assert "X-Frame-Options" not in response
    assert Signature.objects.count() == 0


@pytest.mark.parametrize("field", [{"website": "spam"}, {"started": ""}])
def test_the_honeypot_and_the_time_stamp_ask_for_one_more_step(
    client, partnered, sign_data, field
):
    response = _post(client, partnered, sign_data | field)

    assert "One more step" in response.content.decode()
    assert Signature.objects.count() == 0


def test_a_blocked_address_is_held_silently_in_the_frame(
    client, partnered, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    BlockListEntry.objects.create(kind="domain", value="spam.example")

    with django_capture_on_commit_callbacks(execute=True):
        response = _post(client, partnered, sign_data | {"email": "a@spam.example"})

    assert response.status_code == 302
    assert Signature.objects.get().state == Signature.State.SUSPECT
    assert mailoutbox == []


def test_a_closed_petition_takes_no_signature_in_the_frame(client, sign_data):
    petition = make_petition(state="closed", embed_anywhere=True)

    response = client.get(_embed_url(petition))

    assert "no longer takes signatures" in response.content.decode()
    assert 'name="email"' not in response.content.decode()


def test_the_step_in_the_frame_signs_with_the_partner_recorded(
    client, partnered, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(_embed_url(partnered), headers={"Referer": PARTNER + "/"})
    step = _post(
        client,
        partnered,
        sign_data | {"website": "filled", "partner": page.context["partner"]},
    )
    fields = {"data": step.context["carried"], "challenge": step.context["challenge"]}
    fields["nonce"] = _solve(fields["challenge"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _embed_url(partnered, "embed_step"),
            fields,
            headers={"Origin": "http://testserver"},
        )

    assert response["Location"] == _embed_url(partnered, "embed_check_email")
    assert Signature.objects.get().source == "embed:partner.example"
    assert len(mailoutbox) == 1


def _solve(token: str) -> str:
    bits = challenge.difficulty(token)
    return next(
        str(n) for n in itertools.count() if challenge.is_solution(token, str(n), bits)
    )


def test_a_signature_in_a_french_frame_is_french_and_so_is_its_email(
    client, partnered, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    url = _embed_url(partnered, language="fr")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, sign_data, headers={"Origin": "http://testserver"})

    assert response["Location"] == _embed_url(partnered, "embed_check_email", "fr")
    assert Signature.objects.get().language == "fr"
    [message] = mailoutbox
    assert "/fr/petitions/" in message.body


def test_the_step_in_a_french_frame_signs_in_french(
    client, partnered, sign_data, django_capture_on_commit_callbacks
):
    url = _embed_url(partnered, language="fr")
    step = client.post(
        url, sign_data | {"website": "filled"}, headers={"Origin": "http://testserver"}
    )
    fields = {"data": step.context["carried"], "challenge": step.context["challenge"]}
    fields["nonce"] = _solve(fields["challenge"])

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _embed_url(partnered, "embed_step", "fr"),
            fields,
            headers={"Origin": "http://testserver"},
        )

    assert Signature.objects.get().language == "fr"
