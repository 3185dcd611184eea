"""Writing to one's country's embassy in a real browser: Debian's Chromium,
driven by Playwright, against the real stack; the letter reaches the test's
SMTP server from the site's address, the writer in Reply-To."""

import time
from email.utils import getaddresses, parseaddr

import pytest
from django.conf import settings
from playwright.sync_api import expect

from actions.letters import demo
from actions.letters.models import Letter
from actions.letters.tests.factories import make_letter_action, make_recipient
from actions.models import Signature
from actions.tests.integration.stack import confirmation_link, text_body, wait_until
from actions.tests.integration.test_browser import (
    chromium_page,
    serious_violations,
    take_a_persons_time,
)
from statements.tests.factories import make_statement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

EMBASSY = "embassy-paris@example.org"
OWN_LINE = "I write to you from Lyon, where many of us follow the trials."


def _demo_like_action():
    """The demo's statement and letter, by country: a supporter in France
    writes to the embassy in Paris, one in Germany to the one in Berlin."""
    statement = make_statement(
        title="Myanmar: refer the situation to the International Criminal Court"
    )
    paris = make_recipient(
        name="Ambassador (example)",
        organisation="Embassy in Paris (example)",
        country="FR",
        email=EMBASSY,
    )
    berlin = make_recipient(country="DE", email="embassy-berlin@example.org")
    return make_letter_action(
        statement,
        by_country={"FR": paris, "DE": berlin},
        subject=demo.SUBJECT,
        body=demo.BODY,
        min_length=100,
        max_length=3000,
    )


def test_a_supporter_writes_to_their_countrys_embassy_and_it_is_delivered(
    stack, mailbox
):
    action = _demo_like_action()
    slug = action.slug
    statement_url = stack.url + action.statement.get_absolute_url()
    address = "letter.writer@example.org"
    findings: dict[str, list[str]] = {}

    with chromium_page() as (page, _):
        page.goto(statement_url)
        form = page.locator(f"#petition-{slug} form")
        expect(form.get_by_label("Subject")).to_have_value(demo.SUBJECT)
        letter = form.get_by_label("Your letter")
        letter.fill(letter.input_value() + "\n\n" + OWN_LINE)
        form.get_by_label("Given name").fill("Camille")
        form.get_by_label("Family name").fill("Durand")
        form.get_by_role("textbox", name="Email").fill(address)
        form.get_by_label("Country").select_option("FR")
        form.get_by_label("Your town (optional)").fill("Lyon")
        findings["letter form"] = _ids(serious_violations(page))
        take_a_persons_time()
        form.get_by_role("button", name="Send my letter").click()
        expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
        findings["check your email"] = _ids(serious_violations(page))

        email = mailbox.wait_for(address, timeout=30)
        page.goto(confirmation_link(email))
        findings["confirm"] = _ids(serious_violations(page))
        page.get_by_role("button", name="Confirm my letter").click()
        confirmed_at = time.monotonic()
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            "your letter is on its way"
        )
        expect(page.locator("p.lead")).to_contain_text("1 letter sent to 1 recipient")
        findings["thank you"] = _ids(serious_violations(page))

    assert email["Subject"].startswith("Please confirm your letter")
    assert findings == dict.fromkeys(findings, []), findings
    signature = Signature.objects.get(petition=action)
    assert signature.state == Signature.State.CONFIRMED
    letter = Letter.objects.select_related("recipient").get(signature=signature)
    assert letter.recipient.email == EMBASSY
    assert (letter.subject, letter.postal_town) == (demo.SUBJECT, "Lyon")
    assert letter.body.endswith(OWN_LINE)
    assert letter.is_edited
    assert letter.moderation_state == Letter.Moderation.NOT_NEEDED
    assert letter.queued_at is not None  # confirmation queued it

    # The bulk worker delivers it: from the site, the writer in Reply-To.
    delivered = mailbox.wait_for(EMBASSY, timeout=30)
    print(f"The letter arrived {time.monotonic() - confirmed_at:.1f} s after")
    sent_from = parseaddr(delivered["From"])[1]
    assert sent_from == parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    assert address not in delivered["From"].lower()
    assert address not in (delivered["Sender"] or "")
    assert [a for _, a in getaddresses(delivered.get_all("Reply-To"))] == [address]
    assert "Camille Durand" in delivered["Reply-To"]
    assert [a for _, a in getaddresses(delivered.get_all("To"))] == [EMBASSY]
    assert delivered["Subject"] == demo.SUBJECT
    body = text_body(delivered)
    assert OWN_LINE in body
    assert "Camille Durand" in body and "Lyon" in body
    wait_until(
        lambda: Letter.objects.get(pk=letter.pk).delivery_state == Letter.Delivery.SENT,
        timeout=10,
        message="the letter marked sent",
    )
    assert len(mailbox.messages_to(EMBASSY)) == 1
    assert mailbox.messages_to("embassy-berlin@example.org") == []


def _ids(violations: list[dict]) -> list[str]:
    return [violation["id"] for violation in violations]
