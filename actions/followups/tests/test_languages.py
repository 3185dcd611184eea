"""Follow-ups in each signer's language, with the original as the fallback."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.followups import services
from actions.followups.tests.factories import make_follow_up, make_recipient

pytestmark = pytest.mark.django_db

SITE_URL = "https://campaign.example"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE_URL


def _send(follow_up, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        services.schedule(follow_up=follow_up)


def _by_recipient(mailoutbox) -> dict:
    return {message.to[0]: message for message in mailoutbox}


def _links(text: str) -> list[str]:
    return re.findall(rf"{re.escape(SITE_URL)}\S*", text)


def _html(message) -> str:
    [(html, _mimetype)] = message.alternatives
    return html


def test_each_signer_gets_the_follow_up_in_their_language_or_the_original(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    english = make_recipient(petition, language="en")
    french = make_recipient(petition, language="fr")
    arabic = make_recipient(petition, language="ar")
    follow_up = make_follow_up(
        petition,
        subject="News for {{ first_name }}",
        body="We handed it over.",
        subject_fr="Nouvelles pour {{ first_name }}",
        body_fr="Nous l'avons remise.",
    )

    _send(follow_up, django_capture_on_commit_callbacks)

    received = _by_recipient(mailoutbox)
    assert received[french.email].subject == f"Nouvelles pour {french.first_name}"
    assert "Nous l'avons remise." in received[french.email].body
    # Not written in Arabic: the original's text, in the Arabic email.
    assert received[arabic.email].subject == f"News for {arabic.first_name}"
    assert "We handed it over." in received[arabic.email].body
    assert '<html lang="ar" dir="rtl">' in _html(received[arabic.email])
    assert received[english.email].subject == f"News for {english.first_name}"
    for person, prefix in [(french, "/fr/"), (arabic, "/ar/"), (english, "/")]:
        links = _links(received[person.email].body)
        assert len(links) == 4  # the petition, unsubscribe, preferences, your data
        assert all(link.startswith(SITE_URL + prefix) for link in links)
        assert not [link for link in links if "/en/" in link]
    unsubscribe = received[french.email].extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{SITE_URL}/fr/unsubscribe/")


def test_a_subject_written_in_french_without_a_body_goes_in_the_original(
    petition, mailoutbox, django_capture_on_commit_callbacks
):
    french = make_recipient(petition, language="fr")
    follow_up = make_follow_up(
        petition, subject="News", body="In English.", subject_fr="Nouvelles"
    )

    _send(follow_up, django_capture_on_commit_callbacks)

    [message] = mailoutbox
    assert message.to == [french.email]
    assert message.subject == "News"
    assert "In English." in message.body


def _selects_to_send(petition, people: int, capture) -> int:
    for n in range(people):
        make_recipient(petition, language=["en", "fr", "ar"][n % 3])
    follow_up = make_follow_up(petition, subject_fr="Nouvelles", body_fr="Texte.")
    with CaptureQueriesContext(connection) as queries:
        _send(follow_up, capture)
    return sum(q["sql"].startswith("SELECT") for q in queries.captured_queries)


def test_signers_languages_cost_no_query_per_email(
    statement, mailoutbox, django_capture_on_commit_callbacks
):
    from actions.tests.factories import make_petition

    few = _selects_to_send(
        make_petition(statement), 3, django_capture_on_commit_callbacks
    )
    many = _selects_to_send(
        make_petition(statement), 12, django_capture_on_commit_callbacks
    )

    assert len(mailoutbox) == 15
    assert many == few


def test_the_preview_and_the_test_show_each_language(
    admin_client, admin_user, petition, mailoutbox
):
    admin_user.email = "campaigner@example.org"
    admin_user.save()
    follow_up = make_follow_up(
        petition, subject="News", body="In English.", subject_fr="Nouvelles"
    )
    follow_up.body_fr = "En français."
    follow_up.save()
    preview = reverse("admin:followups_followup_preview", args=[follow_up.pk])

    french = admin_client.get(preview, {"language": "fr"}).content.decode()
    arabic = admin_client.get(preview, {"language": "ar"}).content.decode()
    admin_client.post(
        reverse("admin:followups_followup_send_test", args=[follow_up.pk]),
        {"language": "fr"},
    )

    assert "Nouvelles" in french and "En français." in french
    assert f"{SITE_URL}/fr/unsubscribe/preview/" in french
    assert f'href="{preview}?language=ar"' in french
    assert "In English." in arabic
    assert "is not written in this language" in arabic
    [test] = mailoutbox
    assert test.subject == "[Test] Nouvelles"
    assert "En français." in test.body


def test_the_admin_has_the_original_and_a_folded_fieldset_per_language(
    admin_client, petition
):
    follow_up = make_follow_up(petition)
    page = admin_client.get(
        reverse("admin:followups_followup_change", args=[follow_up.pk])
    ).content.decode()

    for code in ["en", "fr", "es", "ar", "my"]:
        assert f'name="subject_{code}"' in page
        assert f'name="body_{code}"' in page
    assert 'name="subject"' not in page
    assert page.count("<details") >= 4  # fr, es, ar, my folded
