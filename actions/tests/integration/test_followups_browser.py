"""Unsubscribing from a follow-up in a real browser: Debian's Chromium with a
phone's screen and JavaScript off, against the real stack."""

import re
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from actions.followups.models import FollowUp, Withdrawal
from actions.models import Signature
from actions.tests.factories import make_petition
from actions.tests.integration.stack import text_body
from actions.tests.integration.test_browser import chromium_page, serious_violations

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
UNSUBSCRIBE_LINK = re.compile(r"https?://\S+/unsubscribe/[^\s/]+/")


def test_a_supporter_unsubscribes_on_a_phone_without_javascript(stack, mailbox):
    petition = make_petition(title="Refer the situation to the court")
    address = "browser.reader@example.org"
    Signature.objects.create(
        petition=petition,
        first_name="Sokha",
        last_name="Chan",
        email=address,
        canonical_email=address,
        country="KH",
        state=Signature.State.CONFIRMED,
        confirmed_at=timezone.now(),
        wants_updates=True,
        consent_version="v1",
    )
    FollowUp.objects.create(
        petition=petition,
        subject="We delivered it",
        body="Dear {{ first_name }}, thank you.",
        state=FollowUp.State.SCHEDULED,
        scheduled_at=timezone.now(),
    )
    link = UNSUBSCRIBE_LINK.search(text_body(mailbox.wait_for(address))).group(0)
    preferences = link + "preferences/"
    findings, fits = {}, {}

    # Looking changes nothing; axe-core itself needs JavaScript.
    with chromium_page(**PHONE) as (page, _):
        for name, url in [("unsubscribe", link), ("preferences", preferences)]:
            page.goto(url)
            findings[name] = serious_violations(page)
            fits[name] = page.evaluate(
                "document.documentElement.scrollWidth <= innerWidth"
            )
    with chromium_page(java_script_enabled=False, **PHONE) as (page, requested):
        page.goto(link)
        page.get_by_role("button", name="Stop these updates").click()
        expect(
            page.get_by_text("You get no more updates about this petition.")
        ).to_be_visible()
        page.get_by_role("button", name="Stop all updates").click()
        expect(
            page.get_by_text("You get no updates about any petition you signed so far.")
        ).to_be_visible()

    assert fits == {"unsubscribe": True, "preferences": True}, "scrolls sideways"
    assert findings == {"unsubscribe": [], "preferences": []}, findings
    methods = set(Withdrawal.objects.values_list("petition", "method"))
    assert methods == {
        (petition.pk, Withdrawal.Method.LINK),
        (None, Withdrawal.Method.PREFERENCES),
    }
    site = urlsplit(stack.url).netloc
    assert not [u for u in requested if urlsplit(u).netloc not in {site, ""}]
