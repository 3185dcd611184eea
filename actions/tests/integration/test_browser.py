"""A supporter's whole journey in a real browser: Debian's Chromium, driven by
Playwright, against the real stack."""

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from playwright.sync_api import Page, expect, sync_playwright

from actions.models import Signature
from actions.tests.factories import make_petition
from actions.tests.integration.stack import confirmation_link

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERIOUS = {"serious", "critical"}


@contextmanager
def chromium_page(**options: object) -> Iterator[tuple[Page, list[str]]]:
    """A fresh headless Chromium page (Playwright's new_page options, e.g. a
    phone's viewport), and every URL it asks for.

    No database query may run inside: while Playwright's event loop lives,
    Django gives the ORM a separate connection that is never closed.
    """
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(**options)
            page.set_default_timeout(15_000)
            page.on("request", lambda request: requested.append(request.url))
            yield page, requested
        finally:
            browser.close()


def take_a_persons_time() -> None:
    """Wait as long as a person takes to fill in the form at the least: a
    form sent sooner is kept as suspect (actions.abuse)."""
    time.sleep(settings.ABUSE_MIN_FILL_SECONDS)


def shown_count(page: Page, slug: str) -> int:
    number = page.locator(f"#petition-{slug} [data-count]")
    return int(number.inner_text().replace(",", ""))


def serious_violations(page: Page) -> list[dict]:
    """axe-core's serious and critical findings on the page, printed."""
    results = Axe().run(page)
    print("axe-core:", results.generate_snapshot() or "no violations")
    violations = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    for violation in violations:
        print(violation["id"], violation["impact"], violation["help"])
        for node in violation["nodes"]:
            print("   ", node["target"], node["failureSummary"])
    return violations


def test_supporter_signs_confirms_and_sees_the_count_grow(stack, mailbox):
    petition = make_petition(title="Cancel the state visit")
    slug, title = petition.slug, petition.statement.title
    statement_url = stack.url + petition.statement.get_absolute_url()
    address = "browser.supporter@example.org"

    with chromium_page() as (page, requested):
        page.goto(stack.url + "/")
        page.get_by_role("link", name=title, exact=True).click()
        expect(page).to_have_url(statement_url)
        before = shown_count(page, slug)
        form = page.locator(f"#petition-{slug} form")
        form.get_by_label("Given name").fill("Sokha")
        form.get_by_label("Family name").fill("Chan")
        form.get_by_role("textbox", name="Email").fill(address)
        form.get_by_label("Country").select_option("KH")
        take_a_persons_time()
        form.get_by_role("button", name="Sign the petition").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

        page.goto(confirmation_link(mailbox.wait_for(address, timeout=30)))
        page.get_by_role("button", name="Confirm my signature").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
        page.goto(statement_url)
        confirmed_at = time.monotonic()
        deadline = confirmed_at + 12
        while shown_count(page, slug) <= before and time.monotonic() < deadline:
            time.sleep(1)
            page.reload()
        after = shown_count(page, slug)
        print(f"The count went up {time.monotonic() - confirmed_at:.1f} s after")
        violations = serious_violations(page)

    assert after == before + 1
    assert Signature.objects.get(petition=petition).state == Signature.State.CONFIRMED
    assert not violations, [violation["id"] for violation in violations]
    site = urlsplit(stack.url).netloc
    assert requested
    assert not [
        url
        for url in requested
        if re.match(r"https?:", url) and urlsplit(url).netloc != site
    ]


def test_every_page_of_the_journey_has_no_axe_finding_and_works_by_keyboard(
    stack, mailbox
):
    petition = make_petition()
    slug = petition.slug
    statement_url = stack.url + petition.statement.get_absolute_url()
    address = "keyboard.supporter@example.org"
    findings: dict[str, list[str]] = {}

    def check(name: str) -> None:
        serious_violations(page)  # prints the details of anything found
        violations = Axe().run(page).response["violations"]
        findings[name] = [violation["id"] for violation in violations]

    with chromium_page() as (page, _):
        page.goto(stack.url + "/")
        check("home")
        page.goto(statement_url)
        form = page.locator(f"#petition-{slug} form")
        form.get_by_label("Given name").focus()
        page.keyboard.press("Enter")  # an empty form, sent from the keyboard
        expect(page.get_by_role("alert")).to_contain_text("Please correct")
        check("form with errors")
        form = page.locator(f"#petition-{slug} form")
        form.get_by_label("Given name").fill("Dara")
        page.keyboard.press("Tab")
        page.keyboard.type("Sok")
        page.keyboard.press("Tab")
        page.keyboard.type(address)
        form.get_by_label("Country").select_option("KH")
        take_a_persons_time()
        form.get_by_role("button", name="Sign the petition").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        check("check your email")
        page.goto(confirmation_link(mailbox.wait_for(address, timeout=30)))
        check("confirm")
        page.get_by_role("button", name="Confirm my signature").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")
        check("thank you")

    assert Signature.objects.get(petition=petition).last_name == "Sok"
    assert findings == dict.fromkeys(findings, []), findings
