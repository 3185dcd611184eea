"""A campaigner writes a statement with a petition and publishes it, closes
the petition, records its delivery and the target's response in the admin;
the public page shows the timeline and the clock."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from actions.models import Petition
from actions.tests.factories import make_target
from actions.tests.integration.test_browser import chromium_page, serious_violations
from staff.tests.otp import current_code
from staff.twofactor import enrol_totp_device
from statements.models import Statement

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


def _write_and_publish(page: Page, stack: object, target_id: int) -> None:
    """A draft statement with one petition, written in the admin, then
    published with the list's action."""
    page.goto(stack.url + reverse("admin:statements_statement_add"))
    page.locator("#id_title").fill("The minister must answer")
    # The slugs are filled in from the titles by the admin's script.
    page.locator("#id_standfirst").fill("A statement with one demand.")
    page.locator("#id_body").fill("The body of the statement.")
    page.locator("#id_state").select_option("draft")
    page.locator("#petitions-group .add-row a").click()
    page.locator("#id_petitions-0-title").fill("Answer the petition")
    page.evaluate(
        """id => {
            const select = document.querySelector('#id_petitions-0-target');
            select.add(new Option(String(id), String(id), true, true));
        }""",
        target_id,
    )
    page.locator("#id_petitions-0-demand").fill("Answer the people who signed.")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_url(stack.url + reverse("admin:statements_statement_changelist"))
    page.get_by_role("row", name="The minister must answer").get_by_role(
        "checkbox"
    ).check()
    page.locator("select[name=action]").select_option("publish")
    page.get_by_role("button", name="Run").click()


def test_a_campaigner_publishes_closes_delivers_and_records_the_answer(stack):
    target = make_target(name="The Minister")
    user = get_user_model().objects.create_user(
        "campaigner", password="a long password", is_staff=True, is_superuser=True
    )
    code = current_code(enrol_totp_device(user=user))
    now = timezone.now()
    statement_url = stack.url + reverse(
        "statements:statement_detail", args=["the-minister-must-answer"]
    )

    with chromium_page() as (page, _requested):
        page.goto(stack.url + reverse("admin:index"))
        page.get_by_label("Username").fill("campaigner")
        page.get_by_label("Password").fill("a long password")
        page.get_by_label("OTP Token").fill(code)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(stack.url + reverse("admin:index"))
        _write_and_publish(page, stack, target.pk)
        page.wait_for_load_state()
        page.goto(stack.url + reverse("admin:actions_petition_changelist"))
        page.get_by_role("link", name="Answer the petition").click()
        pk = int(page.url.rstrip("/").split("/")[-2])
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

    assert Statement.objects.get(slug="the-minister-must-answer").is_public
    assert clock and waiting and answered
    assert "to her private office, by hand." in text
    assert "no answer yet" not in text
    assert Petition.objects.get(pk=pk).state == Petition.State.DELIVERED
    assert not violations, [violation["id"] for violation in violations]
