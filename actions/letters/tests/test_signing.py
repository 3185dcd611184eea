"""Writing a letter: the statement page's form, the signing path shared with
petitions, confirmation, and the public count."""

import html
import itertools
import re

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from actions.abuse import blocklist, challenge
from actions.abuse.models import BlockListEntry
from actions.letters import services
from actions.letters.models import Letter
from actions.letters.tests.factories import (
    MODEL_LETTER,
    make_letter_action,
    make_recipient,
)
from actions.models import Petition, Signature
from actions.outbox.models import OutboundEmail
from actions.services import confirm_signature
from actions.tests.factories import stamp_for

pytestmark = pytest.mark.django_db


def _url(name: str, action: Petition, **kwargs: str) -> str:
    return reverse(f"actions:{name}", kwargs={"slug": action.slug, **kwargs})


def _letter_data(action: Petition, **fields: str) -> dict[str, str]:
    return {
        "subject": "Refer the situation to the ICC",
        "body": MODEL_LETTER,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "FR",
        "postal_town": "Lyon",
        "website": "",
        "started": stamp_for(action),
    } | fields


def _confirm_from_email(client, mailoutbox) -> None:
    url = re.search(r"https?://\S+/confirm/\S+/", mailoutbox[-1].body).group(0)
    path = url.split("://", 1)[1].partition("/")[2]
    page = client.get("/" + path)
    assert "Confirm your letter" in page.content.decode()
    response = client.post("/" + path)
    assert response.status_code == 302


def test_a_supporter_writes_to_their_countrys_embassy_and_confirms(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    paris, berlin = make_recipient(country="FR"), make_recipient(country="DE")
    action = make_letter_action(by_country={"FR": paris, "DE": berlin})
    page = client.get(action.statement.get_absolute_url()).content.decode()
    assert "Send my letter" in page
    assert "No letters sent yet" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("sign", action), _letter_data(action))

    assert response["Location"] == _url("check_email", action)
    letter = Letter.objects.get()
    assert (letter.recipient, letter.action_id) == (paris, action.pk)
    assert letter.postal_town == "Lyon"
    assert not letter.is_edited
    assert letter.delivery_state == Letter.Delivery.WAITING
    assert "confirm your letter" in client.get(response["Location"]).content.decode()
    assert mailoutbox[0].subject.startswith("Please confirm your letter")

    with django_capture_on_commit_callbacks(execute=True):
        _confirm_from_email(client, mailoutbox)

    letter.refresh_from_db()
    assert letter.delivery_state == Letter.Delivery.SENT  # tasks run in-process
    assert letter.queued_at is not None
    assert mailoutbox[-1].to == [paris.email]
    assert (
        mailoutbox[-1]
        .extra_headers["Reply-To"]
        .endswith(f"<{Signature.objects.get().email}>")
    )
    caches["pages"].clear()  # the statement page is kept a few seconds
    page = client.get(action.statement.get_absolute_url()).content.decode()
    assert re.search(r"1</strong>\s+letter sent\s+to 1 recipient\b", page)


def test_fixed_recipients_get_one_letter_each(client):
    first, second = make_recipient(), make_recipient()
    inactive = make_recipient(is_active=False)
    action = make_letter_action(recipients=[first, second, inactive])

    client.post(_url("sign", action), _letter_data(action, country="KH"))

    letters = Letter.objects.order_by("recipient")
    assert [letter.recipient for letter in letters] == [first, second]
    assert {letter.signature_id for letter in letters} == {Signature.objects.get().pk}


def test_a_country_without_a_recipient_writes_to_the_fallback(client):
    fallback = make_recipient()
    action = make_letter_action(by_country={"FR": make_recipient()}, fallback=fallback)

    client.post(_url("sign", action), _letter_data(action, country="KH"))

    assert Letter.objects.get().recipient == fallback


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 2001, "it can be at most 2000"),
        ("", "This field is required."),
        ("<p> </p>", "Please write your letter."),
        ("https://example.org/read-this", "not only a link"),
        ('<a href="https://example.org/x">https://example.org/x</a> !', "not only a"),
        ("Too short.", "please write at least 20"),
    ],
)
def test_a_bad_letter_is_refused_and_saves_nothing(
    client, mailoutbox, django_capture_on_commit_callbacks, body, message
):
    action = make_letter_action()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url("sign", action), _letter_data(action, body=body))

    assert response.status_code == 200
    content = response.content.decode()
    assert "Please correct the errors below." in content
    assert message in content
    assert Signature.objects.count() == Letter.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_a_country_without_recipient_nor_fallback_is_not_open(client, mailoutbox):
    action = make_letter_action(by_country={"FR": make_recipient()})

    response = client.post(_url("sign", action), _letter_data(action, country="KH"))

    assert "this action is not open to supporters in Cambodia" in (
        response.content.decode()
    )
    assert Signature.objects.count() == Letter.objects.count() == 0
    assert mailoutbox == []


def test_markup_is_stripped_and_links_are_kept_as_text(client):
    action = make_letter_action()
    body = (
        "<p>Dear Ambassador,</p><script>alert(1)</script>"
        '<p>Read <a href="https://example.org/report">the report</a> &amp; act.</p>'
    )

    client.post(_url("sign", action), _letter_data(action, body=body))

    letter = Letter.objects.get()
    assert letter.body == (
        "Dear Ambassador,\n\nRead the report (https://example.org/report) & act."
    )
    assert letter.is_edited


def test_a_letter_that_may_not_be_edited_is_the_model_letter(client):
    action = make_letter_action(is_editable=False)

    client.post(
        _url("sign", action),
        _letter_data(action, subject="Mine", body="Something else entirely, see."),
    )

    letter = Letter.objects.get()
    assert (letter.subject, letter.body) == (
        "Refer the situation to the ICC",
        MODEL_LETTER,
    )
    assert not letter.is_edited


@pytest.mark.parametrize(
    ("body", "held"),
    [
        (MODEL_LETTER + "\nYou are a disgrace.", True),
        (MODEL_LETTER + "\nDisgraceful silence.", False),  # a word, not a part
        (
            MODEL_LETTER + "\nhttps://a.example https://b.example https://c.example",
            True,
        ),
        (MODEL_LETTER + "\nhttps://a.example https://b.example", False),
    ],
)
def test_edited_letters_with_a_moderation_word_or_many_links_are_held(
    client, body, held
):
    action = make_letter_action(moderation_words="DISGRACE\nidiot", max_links=2)

    client.post(_url("sign", action), _letter_data(action, body=body))

    letter = Letter.objects.get()
    assert (letter.moderation_state == Letter.Moderation.HELD) is held
    assert (letter.held_at is not None) is held


def test_the_model_letter_is_never_held(client):
    action = make_letter_action(moderation_words="International")

    client.post(_url("sign", action), _letter_data(action))

    assert Letter.objects.get().moderation_state == Letter.Moderation.NOT_NEEDED


def test_a_held_letter_waits_after_confirmation(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    action = make_letter_action(moderation_words="disgrace")
    data = _letter_data(action, body=MODEL_LETTER + " A disgrace.")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("sign", action), data)
    _confirm_from_email(client, mailoutbox)

    letter = Letter.objects.get()
    assert letter.signature.state == Signature.State.CONFIRMED
    assert letter.delivery_state == Letter.Delivery.WAITING
    page = client.get(action.statement.get_absolute_url()).content.decode()
    assert "No letters sent yet" in page


def test_signing_a_petition_reads_nothing_of_letters(client, petition, sign_data):
    with CaptureQueriesContext(connection) as queries:
        response = client.post(_url("sign", petition), sign_data)

    assert response.status_code == 302
    assert not [q for q in queries if "letters_" in q["sql"]]
    assert Signature.objects.count() == 1


def test_a_clean_writer_takes_over_a_suspect_signature_with_their_own_letter(
    client, django_capture_on_commit_callbacks
):
    """A script on a blocked network writes first with someone's address: the
    owner's own letter replaces the script's; the script's never leaves."""
    BlockListEntry.objects.create(kind="network", value="198.51.100.0/24")
    blocklist.forget()
    action = make_letter_action()
    script = _letter_data(action, body=MODEL_LETTER + " Written by a script.")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("sign", action), script, REMOTE_ADDR="198.51.100.20")
    assert Signature.objects.get().state == Signature.State.SUSPECT
    assert "a script" in Letter.objects.get().body

    own = _letter_data(action, body=MODEL_LETTER + " My own words.")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(_url("sign", action), own, REMOTE_ADDR="203.0.113.50")

    assert Signature.objects.get().state == Signature.State.PENDING
    assert "My own words." in Letter.objects.get().body


def test_a_signature_and_its_letters_are_stored_together_or_not_at_all(
    client, monkeypatch, mailoutbox, django_capture_on_commit_callbacks
):
    """On PostgreSQL the signature, its email and consent go in one statement:
    its letters join that statement's transaction."""
    action = make_letter_action()
    save = services.save_letters

    def save_then_fail(**kwargs: object) -> None:
        save(**kwargs)
        assert Letter.objects.count() == 1  # in the transaction
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "save_letters", save_then_fail)
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
    ):
        client.post(_url("sign", action), _letter_data(action))

    assert Signature.objects.count() == Letter.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_the_count_endpoint_of_a_letter_action_counts_letters(client):
    first, second = make_recipient(), make_recipient()
    action = make_letter_action(recipients=[first, second])
    client.post(_url("sign", action), _letter_data(action))
    signature = Signature.objects.get()
    confirm_signature(signature=signature)

    body = client.get(_url("count", action)).json()

    assert body | {"state": "?"} == {
        "petition": action.slug,
        "count": 1,
        "goal": 100,
        "state": "?",
        "is_open": True,
        "kind": "letter",
        "letters": 2,
        "recipients": 2,
    }


def test_one_more_step_keeps_the_letter(client, settings):
    """A weak signal (the hidden field filled in by a password manager) asks
    one more step; the letter written before it is the one stored."""
    settings.ABUSE_POW_DIFFICULTY = 8
    action = make_letter_action()
    data = _letter_data(action, body=MODEL_LETTER + " Kept across the step.")

    page = client.post(_url("sign", action), data | {"website": "ada"})
    assert b"One more step" in page.content
    fields = dict(re.findall(r'name="(data|challenge)" value="([^"]*)"', page.text))
    fields = {name: html.unescape(value) for name, value in fields.items()}
    bits = challenge.difficulty(fields["challenge"])
    nonce = next(
        str(n)
        for n in itertools.count()
        if challenge.is_solution(fields["challenge"], str(n), bits)
    )
    client.post(_url("step", action), fields | {"nonce": nonce})

    letter = Letter.objects.get()
    assert "Kept across the step." in letter.body
    assert letter.postal_town == "Lyon"
