import pytest
from django.urls import reverse

from actions.followups import audience
from actions.followups.tests.factories import make_follow_up, make_recipient
from actions.revisions.services import publish_revision

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_versions(petition):
    signers = []
    for demand in ["One.", "Two.", "Three."]:
        petition.demand = demand
        petition.save()
        revision = publish_revision(petition=petition)
        signers.append(make_recipient(petition, revision=revision))
    return signers


def test_a_follow_up_can_go_to_signers_of_a_version_or_earlier(
    petition, three_versions
):
    follow_up = make_follow_up(petition, signed_version_at_most=2)

    assert set(audience.recipients(follow_up)) == set(three_versions[:2])
    assert audience.reach(follow_up).people == 2


def test_a_statements_follow_up_filters_by_version_too(petition, three_versions):
    follow_up = make_follow_up(statement=petition.statement, signed_version_at_most=1)

    assert list(audience.recipients(follow_up)) == three_versions[:1]


def test_without_a_version_a_follow_up_goes_to_every_signer(petition, three_versions):
    follow_up = make_follow_up(petition)

    assert set(audience.recipients(follow_up)) == set(three_versions)


def test_the_follow_up_form_asks_for_the_version(admin_client):
    page = admin_client.get(reverse("admin:followups_followup_add")).text

    assert 'name="signed_version_at_most"' in page
