"""The public count endpoint answers for every kind of action alike."""

import pytest
from django.urls import reverse

from actions.letters.tests.factories import (
    make_letter_action,
    make_letters,
    make_recipient,
)
from actions.models import Petition
from actions.services import confirm_signature
from actions.tests.factories import make_petition, make_signature
from statements.models import Statement
from statements.tests.factories import make_statement

pytestmark = pytest.mark.django_db

KEYS = {"petition", "kind", "count", "goal", "state", "is_open"}


def _count(client, action: Petition):
    return client.get(reverse("actions:count", kwargs={"slug": action.slug}))


def _writer(action: Petition, recipients) -> None:
    letters = make_letters(action, recipients)
    confirm_signature(signature=letters[0].signature)


def test_a_petition_and_a_letter_action_answer_alike(client):
    petition = make_petition()
    confirm_signature(signature=make_signature(petition))
    paris, berlin = make_recipient(), make_recipient()
    action = make_letter_action(recipients=[paris, berlin])
    _writer(action, [paris, berlin])
    _writer(action, [paris])
    make_signature(action)  # not confirmed: neither a writer nor letters counted

    answers = {kind: _count(client, a) for kind, a in [("p", petition), ("l", action)]}

    for response in answers.values():
        assert response.status_code == 200
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "public" in response["Cache-Control"]
    by_petition, by_letter = answers["p"].json(), answers["l"].json()
    assert set(by_petition) == KEYS
    assert set(by_letter) == KEYS | {"letters", "recipients"}
    assert (by_petition["kind"], by_petition["count"]) == ("petition", 1)
    assert by_letter == {
        "petition": action.slug,
        "kind": "letter",
        "count": 2,
        "goal": 100,
        "state": by_letter["state"],
        "is_open": True,
        "letters": 3,
        "recipients": 2,
    }


def test_a_closed_letter_action_says_so(client):
    action = make_letter_action()
    Petition.objects.filter(pk=action.pk).update(state=Petition.State.CLOSED)

    body = _count(client, action).json()

    assert (body["kind"], body["state"], body["is_open"]) == ("letter", "closed", False)
    assert (body["letters"], body["recipients"]) == (0, 0)


def test_a_letter_action_of_a_draft_statement_is_not_found(client):
    draft = make_statement(state=Statement.State.DRAFT, publish_at=None)
    action = make_letter_action(draft)

    assert _count(client, action).status_code == 404
