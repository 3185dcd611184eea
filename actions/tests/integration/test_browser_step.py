"""The bot defence in a real browser (Debian's Chromium) against the real
stack: a person who is quick, or whose password manager fills the hidden
field, takes one more step and signs; a script posting at once is held."""

import time

import pytest
from playwright.sync_api import expect

from actions.abuse.models import AbuseSettings
from actions.models import Signature
from actions.tests.factories import make_petition
from actions.tests.integration.test_browser import chromium_page

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _fill(page, slug: str, address: str) -> None:
    form = page.locator(f"#petition-{slug} form")
    form.get_by_label("Given name").fill("Sophal")
    form.get_by_label("Family name").fill("Keo")
    form.get_by_role("textbox", name="Email").fill(address)
    form.get_by_label("Country").select_option("KH")


def test_a_person_who_signs_after_one_second_reaches_the_confirmation_email(
    stack, mailbox
):
    petition = make_petition()
    # A loaded machine may take the site's 3 s just to fill in the form here:
    # a higher minimum makes sure this one-second signing takes the step.
    AbuseSettings.objects.create(petition=petition, min_fill_seconds=30)
    slug = petition.slug
    address = "quick.supporter@example.org"
    times: dict[str, float] = {}

    with chromium_page() as (page, requested):
        page.on(
            "request",
            lambda request: times.setdefault(
                request.url.rstrip("/").rsplit("/", 1)[-1], time.monotonic()
            ),
        )
        page.goto(stack.url + petition.statement.get_absolute_url())
        loaded = time.monotonic()
        _fill(page, slug, address)
        time.sleep(max(0.0, 1 - (time.monotonic() - loaded)))
        sent = time.monotonic()
        page.locator(f"#petition-{slug} form").get_by_role(
            "button", name="Sign the petition"
        ).click()
        # The step page solves its challenge and goes on by itself.
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        took = time.monotonic() - sent
        print(f"From sending the form to 'Check your email': {took:.2f} s")
        solved = times["one-more-step"] - times["step.js"]
        print(f"From loading step.js to sending the solved step: {solved:.2f} s")
        message = mailbox.wait_for(address, timeout=30)

    assert "confirm" in message.as_string().lower()
    assert Signature.objects.get(petition=petition).state == Signature.State.PENDING
    # It went through the step, solved in the browser, not the button's wait.
    assert any(url.endswith(f"/petitions/{slug}/one-more-step/") for url in requested)
    assert any(url.endswith("/static/js/step.js") for url in requested)
    assert solved < 5  # the proof of work, not the no-JavaScript wait


def test_a_script_posting_at_once_without_javascript_is_held(stack, mailbox):
    petition = make_petition()
    slug = petition.slug

    with chromium_page(java_script_enabled=False) as (page, _):
        page.goto(stack.url + petition.statement.get_absolute_url())
        _fill(page, slug, "script@example.org")
        page.locator(f"#petition-{slug} form").get_by_role(
            "button", name="Sign the petition"
        ).click()
        expect(page.get_by_role("heading", name="One more step")).to_be_visible()
        # Pressing at once, as a script would, passes nothing.
        page.get_by_role("button", name="Continue").click()
        expect(page.get_by_role("alert")).to_contain_text("Please wait")
        time.sleep(3)  # long enough for a confirmation email to arrive

    assert not Signature.objects.filter(petition=petition).exists()
    assert not mailbox.messages_to("script@example.org")


def test_a_person_without_javascript_passes_by_waiting_and_pressing(stack, mailbox):
    petition = make_petition()
    slug = petition.slug
    address = "no.script.supporter@example.org"

    with chromium_page(java_script_enabled=False) as (page, _):
        page.goto(stack.url + petition.statement.get_absolute_url())
        _fill(page, slug, address)
        page.locator(f"#petition-{slug} form").get_by_role(
            "button", name="Sign the petition"
        ).click()
        expect(page.get_by_role("heading", name="One more step")).to_be_visible()
        time.sleep(5.5)
        page.get_by_role("button", name="Continue").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        mailbox.wait_for(address, timeout=30)

    assert Signature.objects.get(petition=petition).state == Signature.State.PENDING
