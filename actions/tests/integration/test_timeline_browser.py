"""A campaigner schedules a statement with a petition in the admin, beat
publishes it, the campaigner closes the petition through its transition,
records its delivery and the target's response; the public page shows the
timeline and the clock."""

import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from actions.models import Petition
from actions.tests.factories import make_target
from actions.tests.integration.stack import Stack
from actions.tests.integration.test_browser import chromium_page, serious_violations
from staff.tests.otp import current_code
from staff.twofactor import enrol_totp_device
from statements.models import Statement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SLUG = "the-minister-must-answer"


def _fill_time(page: Page, name: str, when) -> None:
    local = timezone.localtime(when)
    page.locator(f"#id_{name}_0").fill(local.strftime("%Y-%m-%d"))
    page.locator(f"#id_{name}_1").fill(local.strftime("%H:%M:%S"))


def _pick(page: Page, select_id: str, pk: int) -> None:
    # The autocomplete widget's select, set without its JavaScript.
    page.evaluate(
        """([selector, id]) => {
            const select = document.querySelector(selector);
            select.add(new Option(String(id), String(id), true, true));
        }""",
        [f"#{select_id}", pk],
    )


def _save(page: Page, then: str) -> str:
    """Press Save and wait for the admin's answer, the page `then` with its
    message: leaving the form earlier would abort the POST. On a refusal, the
    form's errors are the failure's message."""
    page.get_by_role("button", name="Save", exact=True).click()
    try:
        page.wait_for_url(then, timeout=60_000)
    except Exception:
        errors = page.locator(".errornote, .errorlist").all_inner_texts()
        shown = page.locator("body").inner_text()[:3000]
        raise AssertionError(f"not saved: {page.url} {errors}\n{shown}") from None
    return page.locator(".messagelist").inner_text()


def _shown(page: Page, url: str, text: str, *, within: float = 15) -> bool:
    """Whether the page shows the text within the page cache's few seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        page.goto(url)
        if text in page.content():
            return True
        time.sleep(1)
    main = page.locator("main").all_inner_texts()
    print(f"Not shown within {within} s: {text!r} at {page.url}: {main}")
    return False


def _schedule_statement(page: Page, stack: object, target_id: int) -> str:
    """A statement with one petition, scheduled a little ahead in the admin."""
    page.goto(stack.url + reverse("admin:statements_statement_add"))
    page.locator("#id_title_en").fill("The minister must answer")
    page.locator("#id_standfirst_en").fill("A statement with one demand.")
    page.locator("#id_body_en").fill("The body of the statement.")
    page.locator("#id_state").select_option("scheduled")
    _fill_time(page, "publish_at", timezone.now() + timedelta(seconds=20))
    page.locator("#petitions-group .add-row a").click()
    page.locator("#id_petitions-0-title_en").fill("Answer the petition")
    _pick(page, "id_petitions-0-target", target_id)
    page.locator("#id_petitions-0-demand_en").fill("Answer the people who signed.")
    # The slugs last: the admin's script fills them from the titles as they
    # are typed, and would change them again.
    page.evaluate(
        """([statement, petition]) => {
            document.querySelector('#id_slug').value = statement;
            document.querySelector('#id_petitions-0-slug').value = petition;
        }""",
        [SLUG, "answer-the-petition"],
    )
    return _save(page, stack.url + reverse("admin:statements_statement_changelist"))


@pytest.fixture(scope="module")
def timeline_stack(real_services, make_stack) -> Stack:
    """A stack of its own, started after the tests before this one flushed
    the database: the shared stack's web processes keep the content types
    they cached (Django caches them per process), and the flush made them
    anew with other ids, so the admin's log entries would fail. Its schedule
    runs every second."""
    return make_stack(
        redis_url=real_services,
        web_workers=2,
        name="timeline",
        env={"PETITION_SCHEDULE_INTERVAL": "1"},
    )


def test_a_campaigner_schedules_closes_delivers_and_records_the_answer(
    run_only, timeline_stack
):
    stack = run_only(timeline_stack)
    target = make_target(name="The Minister")
    user = get_user_model().objects.create_user(
        "campaigner", password="a long password", is_staff=True, is_superuser=True
    )
    code = current_code(enrol_totp_device(user=user))
    statement_url = stack.url + reverse("statements:statement_detail", args=[SLUG])
    now = timezone.now()

    with chromium_page() as (page, _requested):
        page.goto(stack.url + reverse("admin:index"))
        page.get_by_label("Username").fill("campaigner")
        page.get_by_label("Password").fill("a long password")
        page.get_by_label("OTP Token").fill(code)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(stack.url + reverse("admin:index"))
        scheduled = _schedule_statement(page, stack, target.pk)
        not_yet = page.request.get(statement_url).status
        # Beat publishes it at its time (its schedule runs every second here).
        published = _shown(
            page, statement_url, "Answer the people who signed.", within=60
        )

        # (No ORM in here: Playwright's loop runs in this thread.)
        page.goto(stack.url + reverse("admin:actions_petition_changelist"))
        page.get_by_role("link", name="Answer the petition").click()
        page.wait_for_url("**/change/")
        change_url = page.url
        pk = int(change_url.rstrip("/").split("/")[-2])
        page.get_by_role("link", name="Close", exact=True).click()
        page.get_by_role("button", name="Yes: Close").click()
        page.wait_for_url(change_url)

        page.goto(stack.url + reverse("admin:timeline_delivery_add"))
        _pick(page, "id_petition", pk)
        _fill_time(page, "delivered_at", now - timedelta(days=12))
        page.get_by_label("To whom").fill("her private office")
        page.get_by_label("How").fill("by hand")
        _fill_time(page, "published_at", now)
        delivered = _save(
            page, stack.url + reverse("admin:timeline_delivery_changelist")
        )
        clock = _shown(page, statement_url, "12 days since delivery to The Minister")
        waiting = _shown(page, stack.url + reverse("actions:open_clocks"), "12 days")

        page.goto(stack.url + reverse("admin:timeline_response_add"))
        _pick(page, "id_petition", pk)
        _fill_time(page, "received_at", now - timedelta(days=2))
        page.get_by_label("Summary").fill("The visit goes ahead.")
        page.get_by_label("Link to the full text").fill("https://example.org/reply")
        _fill_time(page, "published_at", now)
        answered_saved = _save(
            page, stack.url + reverse("admin:timeline_response_changelist")
        )
        answered = _shown(page, statement_url, "10 days after delivery")
        text = page.content()
        violations = serious_violations(page)

    assert "was added successfully" in scheduled
    assert not_yet == 404
    assert published, list(
        Statement.objects.values("state", "publish_at", "published_at", "slug")
    )
    assert Statement.objects.get(slug=SLUG).published_at is not None
    assert "was added successfully" in delivered
    assert clock and waiting
    assert "was added successfully" in answered_saved
    assert answered
    assert "to her private office, by hand." in text
    assert "no answer yet" not in text
    petition = Petition.objects.get(pk=pk)
    assert petition.state == Petition.State.DELIVERED
    assert petition.closed_at is not None and petition.delivered_at is not None
    assert not violations, [violation["id"] for violation in violations]
