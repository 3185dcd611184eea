"""A campaigner closes a petition, records its delivery and the target's
response in the admin; the public page shows the timeline and the clock."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from actions.models import Petition
from actions.tests.factories import make_petition, make_target
from actions.tests.integration.test_browser import chromium_page, serious_violations
from staff.tests.otp import current_code
from staff.twofactor import enrol_totp_device

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _fill_time(page: Page, name: str, when) -> None:
    page.locator(f"#id_{name}_0").fill(when.strftime("%Y-%m-%d"))
    page.locator(f"#id_{name}_1").fill(when.strftime("%H:%M:%S"))


def _pick_petition(page: Page, petition_id: int) -> None:
    # The autocomplete widget's select, set without its JavaScript.
    page.evaluate(
        """id => {
            const select = document.querySelector('#id_petition');
            select.add(new Option(String(id), String(id), true, true));
        }""",
        petition_id,
    )


def _shown(page: Page, url: str, text: str) -> bool:
    """Whether the page shows the text within the page cache's few seconds."""
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.content():
            return True
        time.sleep(1)
    return False


def test_a_campaigner_closes_delivers_and_records_the_answer(stack):
    petition = make_petition(target=make_target(name="The Minister"))
    pk, statement_url = petition.pk, stack.url + petition.statement.get_absolute_url()
    user = get_user_model().objects.create_user(
        "campaigner", password="a long password", is_staff=True, is_superuser=True
    )
    code = current_code(enrol_totp_device(user=user))
    change_url = stack.url + reverse("admin:actions_petition_change", args=[pk])
    now = timezone.now()

    with chromium_page() as (page, _requested):
        page.goto(change_url)
        page.get_by_label("Username").fill("campaigner")
        page.get_by_label("Password").fill("a long password")
        page.get_by_label("OTP Token").fill(code)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(change_url)
        page.get_by_role("link", name="Close", exact=True).click()
        page.get_by_role("button", name="Yes: Close").click()

        page.goto(stack.url + reverse("admin:timeline_delivery_add"))
        _pick_petition(page, pk)
        _fill_time(page, "delivered_at", now - timedelta(days=12))
        page.get_by_label("To whom").fill("her private office")
        page.get_by_label("How").fill("by hand")
        _fill_time(page, "published_at", now)
        page.get_by_role("button", name="Save", exact=True).click()
        clock = _shown(page, statement_url, "12 days since delivery to The Minister")
        waiting = _shown(page, stack.url + reverse("actions:open_clocks"), "12 days")

        page.goto(stack.url + reverse("admin:timeline_response_add"))
        _pick_petition(page, pk)
        _fill_time(page, "received_at", now - timedelta(days=2))
        page.get_by_label("Summary").fill("The visit goes ahead.")
        page.get_by_label("Link to the full text").fill("https://example.org/reply")
        _fill_time(page, "published_at", now)
        page.get_by_role("button", name="Save", exact=True).click()
        answered = _shown(page, statement_url, "10 days after delivery")
        text = page.content()
        violations = serious_violations(page)

    assert clock and waiting and answered
    assert "to her private office, by hand." in text
    assert "no answer yet" not in text
    assert Petition.objects.get(pk=pk).state == Petition.State.DELIVERED
    assert not violations, [violation["id"] for violation in violations]
