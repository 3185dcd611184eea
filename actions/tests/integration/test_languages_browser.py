"""A supporter signs on the French page in a real browser, and the
confirmation that reaches the mail server is in French."""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from actions.models import Signature
from actions.tests.factories import make_petition
from actions.tests.integration.stack import confirmation_link
from actions.tests.integration.test_browser import chromium_page, take_a_persons_time

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

SUBJECT = "Please confirm your signature: %(title)s"


def test_signing_on_the_french_page_brings_a_french_confirmation(stack, mailbox):
    petition = make_petition(title="Cancel the state visit")
    petition.title_fr = "Annulez la visite d'État"
    petition.save()
    slug = petition.slug
    with translation.override("fr"):
        statement_path = petition.statement.get_absolute_url()
        french_subject = translation.gettext(SUBJECT) % {"title": petition.title}
    english_subject = SUBJECT % {"title": "Annulez la visite d'État"}
    assert statement_path.startswith("/fr/statements/")
    address = "francophone@example.org"

    with chromium_page() as (page, _):
        page.goto(stack.url + statement_path)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        # By the fields' names: their labels are in French.
        form = page.locator(f"#petition-{slug} form")
        form.locator('[name="first_name"]').fill("Amina")
        form.locator('[name="last_name"]').fill("Diallo")
        form.locator('[name="email"]').fill(address)
        form.locator('[name="country"]').select_option("SN")
        take_a_persons_time()
        form.locator('button[type="submit"]').click()
        expect(page).to_have_url(re.compile(rf"/fr/petitions/{slug}/check-email/$"))

        message = mailbox.wait_for(address, timeout=30)
        link = confirmation_link(message)
        page.goto(link)
        page.locator('form[method="post"] button[type="submit"]').last.click()
        expect(page).to_have_url(re.compile(rf"/fr/petitions/{slug}/thanks/"))

    signature = Signature.objects.get(petition=petition)
    assert signature.language == "fr"
    assert signature.state == Signature.State.CONFIRMED
    assert link.startswith(f"{stack.url}/fr/petitions/{slug}/confirm/")
    assert "Annulez la visite d'État" in message["Subject"]
    # French puts a no-break space before a colon; a header may carry it as a
    # plain one.
    assert message["Subject"].split() == french_subject.split()
    assert french_subject != english_subject
