import pytest
from django.urls import reverse
from django.utils import timezone

from actions.models import Petition
from actions.revisions.models import Revision
from actions.revisions.services import publish_revision
from actions.tests.factories import make_signature, petition_change_data
from statements.models import Statement

pytestmark = pytest.mark.django_db


def _statement_form(statement: Statement, **fields: object) -> dict:
    publish_at = timezone.localtime(statement.publish_at)
    data = {
        "title_en": statement.title,
        "slug": statement.slug,
        "standfirst_en": statement.standfirst,
        "body_en": statement.body,
        "background_en": statement.background,
        "state": statement.state,
        "publish_at_0": publish_at.strftime("%Y-%m-%d"),
        "publish_at_1": publish_at.strftime("%H:%M:%S"),
        "quotes-TOTAL_FORMS": 0,
        "quotes-INITIAL_FORMS": 0,
        "petitions-TOTAL_FORMS": 0,
        "petitions-INITIAL_FORMS": 0,
    }
    return data | fields


def _signed(petition: Petition) -> Revision:
    revision = publish_revision(petition=petition)
    make_signature(petition, revision=revision)
    return revision


def _save(admin_client, statement: Statement, **fields: object):
    url = reverse("admin:statements_statement_change", args=[statement.pk])
    return admin_client.post(url, _statement_form(statement, **fields), follow=True)


def test_saving_a_statement_keeps_a_first_version_of_its_petitions(
    admin_client, petition
):
    response = _save(admin_client, petition.statement)

    petition.refresh_from_db()
    assert response.status_code == 200
    assert petition.current_revision is not None
    assert petition.current_revision.number == 1


def test_a_change_to_a_signed_statement_publishes_a_new_version(admin_client, petition):
    _signed(petition)

    response = _save(admin_client, petition.statement, body_en="A **new** body.")

    petition.refresh_from_db()
    assert petition.current_revision.number == 2
    assert petition.current_revision.body == "A **new** body."
    assert not petition.current_revision.is_minor
    assert "A new version of the signed text was kept for 1 petition." in (
        response.text
    )


def test_a_typo_fix_marked_minor_is_kept_as_a_minor_version(admin_client, petition):
    _signed(petition)

    _save(admin_client, petition.statement, body_en="Fixed.", is_minor_change="on")

    petition.refresh_from_db()
    assert (petition.current_revision.number, petition.current_revision.is_minor) == (
        2,
        True,
    )


def test_saving_a_statement_with_nothing_changed_makes_no_version(
    admin_client, petition
):
    _signed(petition)

    response = _save(admin_client, petition.statement)

    assert Revision.objects.count() == 1
    assert "A new version" not in response.text


def test_publishing_a_new_version_with_no_change_says_so(admin_client, petition):
    _signed(petition)

    response = admin_client.post(
        reverse("admin:statements_statement_changelist"),
        {"action": "publish_new_version", "_selected_action": [petition.statement.pk]},
        follow=True,
    )

    assert Revision.objects.count() == 1
    assert "Nothing in the signed text changed since version 1." in response.text


def test_a_change_to_a_signed_petitions_demand_publishes_a_new_version(
    admin_client, petition
):
    _signed(petition)
    url = reverse("admin:actions_petition_change", args=[petition.pk])

    admin_client.post(url, petition_change_data(petition, demand_en="Stop the visit."))

    petition.refresh_from_db()
    assert petition.current_revision.number == 2
    assert petition.current_revision.demand == "Stop the visit."
