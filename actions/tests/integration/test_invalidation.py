"""Invalidating by filter on PostgreSQL, as a campaigner does it in the admin,
with the public count cached in Redis."""

import json
import re
import time

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import timezone

from actions.counts import add_to_count
from actions.models import Signature
from actions.tests.factories import make_petition, make_staff
from staff.tests.otp import log_in_verified

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

INVALIDATE = reverse("admin:actions_signature_invalidate")
SIGNATURES, BOTS = 10_000, 2_000


def _public_count(client, petition) -> int:
    caches["pages"].clear()  # each process keeps the JSON a few seconds
    url = reverse("actions:count", kwargs={"slug": petition.slug})
    return json.loads(client.get(url).content)["count"]


def _confirmed_signatures(petition) -> None:
    now = timezone.now()
    Signature.objects.bulk_create(
        (
            Signature(
                petition=petition,
                first_name="Ada",
                last_name=f"Signer {n}",
                email=email,
                canonical_email=email,
                country="KH",
                state=Signature.State.CONFIRMED,
                confirmed_at=now,
            )
            for n in range(SIGNATURES)
            for email in [
                f"bot{n}@bots.example" if n % 5 == 0 else f"person{n}@example.org"
            ]
        ),
        batch_size=2000,
    )
    add_to_count(petition_id=petition.pk, delta=SIGNATURES)


def test_invalidating_a_domain_with_2000_of_10000_signatures_drops_the_count_by_2000(
    client, django_capture_on_commit_callbacks
):
    petition = make_petition(goal=20_000)
    _confirmed_signatures(petition)
    log_in_verified(client, make_staff("campaigner", roles=("Campaigners",)))
    before = _public_count(client, petition)  # now cached in Redis too

    preview = client.get(
        INVALIDATE, {"petition": petition.pk, "email_domain": "bots.example"}
    )
    html = preview.content.decode()
    fields = dict(
        re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    )
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(INVALIDATE, fields)
    took = time.monotonic() - started

    assert re.search(r'data-matching="(\d+)"', html)[1] == "2000"
    assert "2,000 of the 10,000 signatures" in html
    assert confirmed.status_code == 302
    assert before == 10_000
    assert _public_count(client, petition) == 8_000
    assert petition.confirmed_count() == 8_000
    assert Signature.objects.filter(state="invalidated").count() == 2_000
    assert not Signature.objects.filter(
        state="invalidated", canonical_email__endswith="@example.org"
    ).exists()
    print(
        f"Preview 2,000 of 10,000; invalidated in {took:.2f} s; count 10,000 -> 8,000"
    )
