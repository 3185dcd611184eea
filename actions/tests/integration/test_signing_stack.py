"""Signing and confirming through the real stack: gunicorn, a Celery worker,
PostgreSQL, Redis and an SMTP server."""

import json
import re
import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from actions.models import PetitionCounter, Signature
from actions.tests.factories import make_petition, stamp_for
from actions.tests.integration.stack import (
    COUNT_ON_PAGE,
    confirmation_link,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def counts_shown(stack, petition) -> tuple[int, int]:
    """The count in the JSON endpoint and on the statement page."""
    count_path = reverse("actions:count", kwargs={"slug": petition.slug})
    from_json = json.loads(stack.get(count_path).text)["count"]
    page = stack.get(petition.statement.get_absolute_url()).text
    on_page = int(COUNT_ON_PAGE.search(page).group(1).replace(",", ""))
    return from_json, on_page


def test_signature_confirmed_through_the_emailed_link_is_counted(
    stack, mailbox, sign_data
):
    petition = make_petition()
    assert counts_shown(stack, petition) == (0, 0)

    signed = stack.post(
        reverse("actions:sign", kwargs={"slug": petition.slug}),
        sign_data | {"started": stamp_for(petition), "email": "Ada.Stack@example.org"},
    )

    assert signed.status == 302
    assert signed.location == reverse(
        "actions:check_email", kwargs={"slug": petition.slug}
    )
    message = mailbox.wait_for("Ada.Stack@example.org", timeout=30)
    assert message["Subject"] == f"Please confirm your signature: {petition.title}"
    link = confirmation_link(message)
    assert link.startswith(stack.url + "/")
    confirm_path = urlsplit(link).path

    button_page = stack.get(confirm_path)
    assert button_page.status == 200
    assert "Confirm my signature" in button_page.text
    assert re.search(r'<form method="post"', button_page.text)
    signature = Signature.objects.get(petition=petition)
    assert signature.state == Signature.State.PENDING
    assert not PetitionCounter.objects.filter(petition=petition).exists()

    confirmed = stack.post(confirm_path)
    confirmed_at = time.monotonic()

    assert confirmed.status == 302
    assert confirmed.location.startswith(
        reverse("actions:thanks", kwargs={"slug": petition.slug})
    )
    signature.refresh_from_db()
    assert signature.state == Signature.State.CONFIRMED
    wait_until(
        lambda: counts_shown(stack, petition) == (1, 1),
        timeout=10 - (time.monotonic() - confirmed_at),
        interval=0.5,
        message=lambda: f"a count of 1, shown: {counts_shown(stack, petition)}",
    )


def test_opening_the_link_twice_and_confirming_twice_counts_once(
    stack, mailbox, sign_data
):
    petition = make_petition()
    stack.post(
        reverse("actions:sign", kwargs={"slug": petition.slug}),
        sign_data
        | {"started": stamp_for(petition), "email": "twice.stack@example.org"},
    )
    confirm_path = urlsplit(
        confirmation_link(mailbox.wait_for("twice.stack@example.org"))
    ).path

    responses = [stack.get(confirm_path), stack.get(confirm_path)]
    responses += [stack.post(confirm_path), stack.post(confirm_path)]

    assert [r.status for r in responses] == [200, 200, 302, 302]
    assert petition.confirmed_count() == 1
