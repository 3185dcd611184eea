import pytest
from django.urls import reverse

from actions.dashboard.services import petition_dashboard
from actions.models import Signature
from actions.revisions.services import publish_revision
from actions.tests.factories import make_signature

pytestmark = pytest.mark.django_db
CONFIRMED = Signature.State.CONFIRMED


def test_the_dashboard_counts_confirmed_signatures_per_version(petition):
    make_signature(petition, state=CONFIRMED)  # before versions were kept
    first = publish_revision(petition=petition)
    for _ in range(3):
        make_signature(petition, revision=first, state=CONFIRMED)
    make_signature(petition, revision=first)  # pending: not counted
    petition.demand = "Cancel the visit now."
    petition.save()
    second = publish_revision(petition=petition)
    make_signature(petition, revision=second, state=CONFIRMED)

    dashboard = petition_dashboard(petition=petition)

    assert dashboard.by_version == [(None, 1), (1, 3), (2, 1)]
    assert dashboard.pending == 1


def test_the_dashboard_page_shows_the_versions(admin_client, petition):
    first = publish_revision(petition=petition)
    make_signature(petition, revision=first, state=CONFIRMED)

    url = reverse("admin:actions_petition_dashboard", args=[petition.pk])
    page = admin_client.get(url).text

    assert "Confirmed signatures by version of the text" in page
    assert "Version 1" in page
