"""The one-statement insert (actions.insert): its "open" condition is the
queryset's, and its plain fallback takes signatures the same way."""

import pytest
from django.db import connection
from django.db.models import Q

from actions.consent.services import updates_wording
from actions.models import Petition, PetitionQuerySet, Signature
from actions.outbox.models import OutboundEmail
from actions.services import PetitionClosed, sign_petition

pytestmark = pytest.mark.django_db


def _sign(petition: Petition, email: str = "ada@example.org") -> Signature:
    return sign_petition(
        petition=petition,
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        country="KH",
        wants_updates=True,
        consent_wording=updates_wording(),
    )


def test_the_database_refuses_what_the_open_queryset_refuses(petition, monkeypatch):
    """A change to PetitionQuerySet.open() reaches the signing SQL by itself."""
    opened = PetitionQuerySet.open

    def open_but_not_for_slugs_with_x(
        self: PetitionQuerySet, *, now: object = None
    ) -> PetitionQuerySet:
        return opened(self, now=now).exclude(Q(slug__contains="x"))

    monkeypatch.setattr(PetitionQuerySet, "open", open_but_not_for_slugs_with_x)
    Petition.objects.filter(pk=petition.pk).update(slug="x-marks-it")
    petition.refresh_from_db()

    with pytest.raises(PetitionClosed):
        _sign(petition)  # its copy says open: the database's check says no

    assert not Signature.objects.exists()


@pytest.mark.parametrize("single", [True, False])
def test_both_paths_take_a_signature_its_email_and_its_consent_once(
    petition,
    settings,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
    single,
):
    settings.SIGNING_SINGLE_STATEMENT = single
    _sign(petition, "grace@example.org")  # the wording's row, made once
    one_statement = single and connection.vendor == "postgresql"

    with django_assert_num_queries(1 if one_statement else 5):
        signature = _sign(petition)
    with django_capture_on_commit_callbacks(execute=True):
        _sign(petition)  # again: the same row, its email after the response

    assert Signature.objects.filter(canonical_email="ada@example.org").count() == 1
    assert signature.consent_records.get().given is True
    assert OutboundEmail.objects.filter(signature=signature).count() == 2
