"""One more step for a weak signal: the proof of work, the no-JavaScript
button, and that the form's data is never lost."""

import html
import itertools
import re
import time

import pytest
from django.urls import reverse

from actions.abuse import blocklist, challenge
from actions.abuse.models import BlockListEntry
from actions.models import Signature

pytestmark = pytest.mark.django_db

FIELD = re.compile(r'name="(data|challenge)" value="([^"]*)"')


@pytest.fixture(autouse=True)
def _quick_proof(settings):
    settings.ABUSE_POW_DIFFICULTY = 8  # a few hundred hashes in a test


def _url(name, petition):
    return reverse(f"actions:{name}", kwargs={"slug": petition.slug})


def _step_page(client, petition, sign_data):
    """Sign with the honeypot filled (a password manager did it): the step page."""
    response = client.post(_url("sign", petition), sign_data | {"website": "ada"})
    assert response.status_code == 200
    assert b"One more step" in response.content
    return {k: html.unescape(v) for k, v in FIELD.findall(response.content.decode())}


def _solve(token: str) -> str:
    bits = challenge.difficulty(token)
    return next(
        str(n) for n in itertools.count() if challenge.is_solution(token, str(n), bits)
    )


def test_the_step_solved_in_the_browser_signs_with_the_form_data(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    fields = _step_page(client, petition, sign_data | {"wants_updates": "on"})
    assert not Signature.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            _url("step", petition), fields | {"nonce": _solve(fields["challenge"])}
        )

    assert response.status_code == 302
    assert response["Location"] == _url("check_email", petition)
    signature = Signature.objects.get()
    assert signature.state == Signature.State.PENDING
    assert (signature.first_name, signature.country, signature.wants_updates) == (
        "Ada",
        "KH",
        True,
    )
    assert [m.to for m in mailoutbox] == [["ada@example.org"]]


def test_without_javascript_the_button_passes_after_the_wait(
    client,
    petition,
    sign_data,
    mailoutbox,
    settings,
    django_capture_on_commit_callbacks,
):
    fields = _step_page(client, petition, sign_data)

    early = client.post(_url("step", petition), fields | {"nonce": ""})
    assert early.status_code == 200
    assert b"Please wait" in early.content
    assert not Signature.objects.exists()

    settings.ABUSE_STEP_WAIT_SECONDS = 0  # as if five seconds went by
    with django_capture_on_commit_callbacks(execute=True):
        later = client.post(_url("step", petition), fields | {"nonce": ""})

    assert later.status_code == 302
    assert Signature.objects.get().state == Signature.State.PENDING
    assert len(mailoutbox) == 1


def test_a_solved_challenge_is_single_use(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    fields = _step_page(client, petition, sign_data)
    answer = fields | {"nonce": _solve(fields["challenge"])}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(_url("step", petition), answer)
        replay = client.post(_url("step", petition), answer)

    assert first["Location"] == replay["Location"] == _url("check_email", petition)
    assert Signature.objects.get().emails_queued == 1
    assert len(mailoutbox) == 1


def test_a_challenge_is_bound_to_its_form_data_and_petition(
    client, petition, sign_data, mailoutbox
):
    fields = _step_page(client, petition, sign_data)
    other_data = challenge.carry(
        {
            "first_name": "Eve",
            "last_name": "X",
            "email": "eve@example.org",
            "country": "FR",
            "wants_updates": False,
            "source": "",
        }
    )
    nonce = _solve(fields["challenge"])

    response = client.post(
        _url("step", petition), fields | {"data": other_data, "nonce": nonce}
    )

    assert response.status_code == 302
    assert not Signature.objects.exists()
    assert (
        challenge.check(
            challenge=fields["challenge"],
            petition_id=petition.pk + 1,
            carried=fields["data"],
            nonce=nonce,
        )
        == challenge.Outcome.INVALID
    )


def test_an_expired_challenge_gives_a_fresh_step_keeping_the_data(
    client, petition, sign_data, settings
):
    fields = _step_page(client, petition, sign_data)
    old = challenge.issue(
        petition_id=petition.pk, carried=fields["data"], at=time.time() - 3600
    )

    response = client.post(
        _url("step", petition), fields | {"challenge": old, "nonce": _solve(old)}
    )

    assert response.status_code == 200
    again = {k: html.unescape(v) for k, v in FIELD.findall(response.content.decode())}
    assert again["data"] == fields["data"]
    assert again["challenge"] != old
    assert not Signature.objects.exists()


def test_tampered_data_starts_again_at_the_form(client, petition, sign_data):
    fields = _step_page(client, petition, sign_data)

    response = client.post(
        _url("step", petition), fields | {"data": "x" + fields["data"]}
    )

    assert response["Location"] == _url("sign", petition)
    assert not Signature.objects.exists()


def test_a_strong_signal_at_the_step_is_still_held(
    client, petition, sign_data, mailoutbox, django_capture_on_commit_callbacks
):
    fields = _step_page(client, petition, sign_data)
    BlockListEntry.objects.create(kind="email", value="ada@example.org")
    blocklist.forget()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            _url("step", petition), fields | {"nonce": _solve(fields["challenge"])}
        )

    assert Signature.objects.get().state == Signature.State.SUSPECT
    assert mailoutbox == []


def test_a_wrong_nonce_counts_as_no_proof(petition):
    carried = challenge.carry({})
    token = challenge.issue(petition_id=petition.pk, carried=carried)
    wrong = next(
        str(n)
        for n in itertools.count()
        if not challenge.is_solution(token, str(n), challenge.difficulty(token))
    )

    for nonce in (wrong, "", "-1", "1" * 50, "１"):
        outcome = challenge.check(
            challenge=token, petition_id=petition.pk, carried=carried, nonce=nonce
        )
        assert outcome == challenge.Outcome.TOO_EARLY


def test_the_step_page_works_without_javascript_and_loads_only_our_script(
    client, petition, sign_data
):
    response = client.post(_url("sign", petition), sign_data | {"website": "ada"})
    content = response.content.decode()

    assert '<form method="post" action="/' in content
    assert 'type="submit"' in content
    assert "<script>" not in content  # no inline script: the CSP allows none
    scripts = re.findall(r'<script src="([^"]+)"', content)
    assert scripts == ["/static/js/step.js"]
    assert 'role="status"' in content
