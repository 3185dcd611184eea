import pytest
from django.db import connection
from django.utils import translation

from actions.consent.services import updates_wording
from actions.models import Petition, Signature
from actions.revisions.models import Revision
from actions.revisions.services import (
    NothingChanged,
    latest_changes,
    publish_revision,
)
from actions.services import sign_petition
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db


def _sign(petition: Petition, email: str = "ada@example.org") -> Signature:
    # The petition as the signing view keeps it: one row, loaded once.
    petition = Petition.objects.select_related("statement", "abuse_settings").get(
        pk=petition.pk
    )
    return sign_petition(
        petition=petition,
        first_name="Ada",
        last_name="Lovelace",
        email=email,
        country="KH",
        wants_updates=True,
        consent_wording=updates_wording(),
    )


def _change_demand(petition: Petition, demand: str) -> None:
    petition.demand = demand
    petition.save(update_fields=["demand"])


def test_the_first_version_keeps_the_statement_and_petition_text(petition):
    revision = publish_revision(petition=petition)

    petition.refresh_from_db()
    assert petition.current_revision == revision
    assert revision.number == 1
    assert revision.demand == "Cancel the visit."
    assert revision.body == petition.statement.body
    assert revision.target_name == petition.target.name


def test_a_revision_with_no_change_is_refused(petition):
    publish_revision(petition=petition)

    with pytest.raises(NothingChanged, match="Nothing in the signed text changed"):
        publish_revision(petition=petition)

    assert Revision.objects.count() == 1


def test_a_change_before_anyone_signed_corrects_the_version_in_place(petition):
    first = publish_revision(petition=petition)
    _change_demand(petition, "Cancel the visit now.")

    again = publish_revision(petition=petition)

    assert again.pk == first.pk
    assert Revision.objects.get().demand == "Cancel the visit now."


def test_a_change_after_signatures_publishes_a_new_version(petition):
    first = publish_revision(petition=petition)
    make_signature(petition, revision=first)
    _change_demand(petition, "Cancel the visit now.")

    second = publish_revision(petition=petition)

    petition.refresh_from_db()
    assert second.number == 2
    assert petition.current_revision == second
    assert Revision.objects.get(pk=first.pk).demand == "Cancel the visit."


def test_a_minor_change_is_kept_without_a_changed_note(petition):
    first = publish_revision(petition=petition)
    make_signature(petition, revision=first)
    _change_demand(petition, "Cancel the vist.")

    minor = publish_revision(petition=petition, is_minor=True)

    assert (minor.number, minor.is_minor) == (2, True)
    assert latest_changes([petition]) == {}


def test_the_change_is_a_diff_from_the_version_before_it(petition):
    first = publish_revision(petition=petition)
    make_signature(petition, revision=first)
    _change_demand(petition, "Cancel the visit and apologise.")
    second = publish_revision(petition=petition)

    change = latest_changes([petition])[petition.pk]

    assert change.changed_at == second.created_at
    assert change.since_number == 1
    assert [(line.kind, line.text) for line in change.lines] == [
        ("removed", "Cancel the visit."),
        ("added", "Cancel the visit and apologise."),
    ]


@pytest.mark.parametrize("single", [True, False])
def test_a_signature_records_the_version_it_was_given_on(petition, settings, single):
    settings.SIGNING_SINGLE_STATEMENT = single
    first = publish_revision(petition=petition)
    early = _sign(petition, "early@example.org")
    _change_demand(petition, "Cancel the visit now.")
    second = publish_revision(petition=petition)

    late = _sign(petition, "late@example.org")

    assert Signature.objects.get(pk=early.pk).revision == first
    assert Signature.objects.get(pk=late.pk).revision == second


def test_signing_a_versioned_petition_still_takes_one_statement_on_postgresql(
    petition, django_assert_num_queries
):
    publish_revision(petition=petition)
    _sign(petition, "grace@example.org")  # the wording's row, made once
    loaded = Petition.objects.select_related("statement", "abuse_settings").get(
        pk=petition.pk
    )

    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 5):
        signature = sign_petition(
            petition=loaded,
            first_name="Ada",
            last_name="Lovelace",
            email="ada@example.org",
            country="KH",
            wants_updates=True,
            consent_wording=updates_wording(),
        )

    assert Signature.objects.get(pk=signature.pk).revision_id == (
        loaded.current_revision_id
    )


def test_a_version_keeps_the_original_text_whatever_language_is_active(petition):
    statement = petition.statement
    statement.body_fr, petition.demand_fr = "Le texte.", "Annulez la visite."
    statement.save()
    petition.save()

    with translation.override("fr"):
        revision = publish_revision(petition=petition)

    assert revision.body == statement.body_en
    assert revision.demand == petition.demand_en
