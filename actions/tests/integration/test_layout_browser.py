"""The layout in every language, in a real browser: right to left in Arabic,
the phone's first screen, the error summary, and axe on every public page in
every language."""

from collections.abc import Callable

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Error, Page, Response, expect

from actions.core.tokens import (
    make_confirmation_token,
    make_data_token,
    make_receipt_token,
    make_thanks_token,
    make_unsubscribe_token,
)
from actions.models import Petition
from actions.tests.factories import make_petition, make_signature
from actions.tests.integration.test_browser import SERIOUS, chromium_page
from actions.timeline.tests.factories import make_delivery
from campaign.tests.public_urls import public_url_names
from statements.pages.models import Page as ContentPage
from statements.tests.factories import make_quote, make_statement, make_topic

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
LANGUAGES = [code for code, _name in settings.LANGUAGES]

# Public URL names that are not pages a person reads: JSON, feeds, downloads,
# health checks, POST-only URLs, an image.
NOT_PAGES = {
    "healthz",
    "readyz",
    "actions:count",
    "actions:resend",
    "actions:step",
    "actions:your_data_json",
    "actions:receipt_download",
    "actions:receipt_feed",
    "actions:delivery_photo",
    "actions:embed_step",  # a POST; the embed's own test opens it in a frame
    # Not HTML pages: feeds, JSON, an image, text and a redirect.
    "statements:feed",
    "statements:topic_feed",
    "sitemap",
    "robots_txt",
    "favicon",
    "api:statement_list",
    "api:statement_detail",
    "api:openapi",
    "sharing:share_image",
}


def _statement() -> tuple[Petition, str]:
    """A statement as campaigners write them (a long title and standfirst),
    with an open petition; its path."""
    statement = make_statement(
        title="Prime minister urged to cancel the state visit while the "
        "killings of civilians go unpunished",
        standfirst="The government must not welcome the head of a state whose "
        "forces are accused of crimes against humanity; the UN Security Council "
        "must refer the situation to the International Criminal Court.",
    )
    make_quote(statement, is_pull_quote=True)
    petition = make_petition(statement, title="Cancel the state visit")
    return petition, statement.get_absolute_url()


def _page_builders() -> dict[str, Callable[[], str]]:
    """One way to reach each public page, by URL name (rows made now); each
    builder reverses in the language that is active when it is called.
    A new public page fails the test until it is added here or to NOT_PAGES."""
    petition, _ = _statement()
    statement = petition.statement
    topic = make_topic()
    statement.topics.add(topic)
    signature = make_signature(petition)
    delivered = make_petition(statement, state=Petition.State.DELIVERED)
    make_delivery(delivered)  # a timeline on the statement, a clock on its page
    slug = petition.slug
    unsubscribe = make_unsubscribe_token(signature.pk)
    data = make_data_token(make_signature(petition).pk)
    tokens = {
        "actions:confirm": [slug, make_confirmation_token(signature.pk)],
        "actions:thanks": [slug, make_thanks_token(signature.pk)],
        "actions:unsubscribe": [unsubscribe],
        "actions:email_preferences": [unsubscribe],
        "actions:your_data_copy": [data],
        "actions:receipt": [make_receipt_token(signature.pk)],
        "statements:statement_detail": [statement.slug],
        "statements:topic_detail": [topic.slug],
        "actions:sign": [slug],
        "actions:check_email": [slug],
        "actions:embed": [slug],
        "actions:embed_check_email": [slug],
    }
    for page_slug in (ContentPage.Slug.PRIVACY, ContentPage.Slug.ABOUT):
        ContentPage.objects.create(
            slug=page_slug, title="What we keep", body="We keep **little**."
        )
    plain = [
        "statements:home",
        "actions:your_data",
        "actions:your_data_sent",
        "actions:your_data_erased",
        "actions:open_clocks",
        "actions:receipt_roots",
        "actions:receipt_check",
        "pages:privacy",
        "pages:about",
    ]
    builders = {name: (lambda name=name: reverse(name)) for name in plain}
    builders |= {
        name: (lambda name=name, args=args: reverse(name, args=args))
        for name, args in tokens.items()
    }
    return builders


def _every_page_in_every_language() -> dict[str, str]:
    builders = _page_builders()
    # A new public page must be added to _page_builders (or NOT_PAGES).
    assert set(builders) | NOT_PAGES == public_url_names()
    urls = {}
    for code in LANGUAGES:
        with translation.override(code):
            urls |= {f"{name} [{code}]": build() for name, build in builders.items()}
    return urls


def _serious(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    found = [v for v in violations if v["impact"] in SERIOUS]
    for violation in found:
        for node in violation["nodes"]:
            print(page.url, violation["id"], node["target"], node["failureSummary"])
    return [violation["id"] for violation in found]


def _size(response: Response) -> int:
    """Bytes of a response's body (none for a redirect)."""
    try:
        return len(response.body())
    except Error:
        return 0


def _scrolls_sideways(page: Page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def _box(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.bounding_box()
    assert box, selector
    return box


def test_arabic_from_the_switcher_is_mirrored_fits_and_has_no_axe_finding(stack):
    _, path = _statement()
    transferred: list[int] = []

    with chromium_page(viewport=PHONE) as (page, _):
        page.on("response", lambda response: transferred.append(_size(response)))
        page.goto(stack.url + path)
        english_link = _box(page, ".act-now a")
        english_main = _box(page, "main")
        page.locator('nav.languages a[hreflang="ar"]').click()
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        expect(page.locator("html")).to_have_attribute("lang", "ar")
        phone_scrolls = _scrolls_sideways(page)
        arabic_link = _box(page, ".act-now a")
        arabic_main = _box(page, "main")
        phone_findings = _serious(page)
        page.set_viewport_size(DESKTOP)
        desktop_scrolls = _scrolls_sideways(page)
        # The label's words, not its box (a block as wide as the form).
        heading = page.evaluate(
            """() => {
                const range = document.createRange();
                const label = document.querySelector(".sign-form .form-label");
                range.selectNodeContents(label);
                const box = range.getBoundingClientRect();
                return {x: box.x, width: box.width};
            }"""
        )
        form = _box(page, ".sign-form")
        desktop_findings = _serious(page)

    assert not phone_scrolls
    assert not desktop_scrolls
    # Mirrored: the link starts at the left in English, at the right in Arabic.
    assert english_link["x"] - english_main["x"] < 20
    main_end = arabic_main["x"] + arabic_main["width"]
    assert main_end - (arabic_link["x"] + arabic_link["width"]) < 20
    assert arabic_link["x"] > arabic_main["x"] + 20
    # The form's first label hugs the form's right-hand (inline-start) edge.
    form_end = form["x"] + form["width"]
    assert form_end - (heading["x"] + heading["width"]) < 40
    assert heading["x"] - form["x"] > form["width"] / 2
    assert phone_findings == []
    assert desktop_findings == []
    print(f"English and Arabic statement pages: {sum(transferred)} bytes")


def test_without_javascript_the_first_screen_of_a_phone_reaches_the_form(stack):
    petition, path = _statement()
    transferred: list[int] = []

    with chromium_page(viewport=PHONE, java_script_enabled=False) as (page, _):
        page.on("response", lambda response: transferred.append(_size(response)))
        page.goto(stack.url + path)
        page.wait_for_load_state("load")
        link = page.locator(".act-now a").first
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        link.click()
        first_field = page.locator(f"#petition-{petition.slug}-form").get_by_label(
            "Given name"
        )
        expect(first_field).to_be_in_viewport()

    assert box["y"] + box["height"] <= PHONE["height"]
    total = sum(transferred)
    print(f"The statement page: {total} bytes in {len(transferred)} responses")
    assert total < 100_000


def test_a_refused_submit_shows_a_focused_summary_with_working_links(stack):
    petition, path = _statement()

    with chromium_page(viewport=PHONE, java_script_enabled=False) as (page, _):
        page.goto(stack.url + path)
        form = page.locator(f"#petition-{petition.slug}-form")
        form.get_by_role("textbox", name="Email").fill("not-an-address")
        form.get_by_role("button", name="Sign the petition").click()
        summary = page.locator(".error-summary")
        expect(summary).to_be_focused()
        expect(summary).to_be_in_viewport()
        expect(summary).to_contain_text("Please correct")
        links = summary.get_by_role("link")
        count = links.count()
        targets = []
        for index in range(count):
            href = links.nth(index).get_attribute("href")
            links.nth(index).click()
            expect(page.locator(href)).to_be_in_viewport()
            targets.append(href)
    # (axe needs JavaScript: the sign page is checked in the test below.)
    assert count >= 2
    assert "#id_email" in targets


def test_every_public_page_in_every_language_has_no_serious_axe_finding(stack):
    urls = _every_page_in_every_language()
    findings: dict[str, list[str]] = {}

    with chromium_page(viewport=PHONE) as (page, _):
        for name, path in urls.items():
            response = page.goto(stack.url + path)
            assert response is not None and response.status < 500, name
            found = _serious(page)
            scrolls = _scrolls_sideways(page)
            if found or scrolls:
                findings[name] = found + (["scrolls sideways"] if scrolls else [])

    assert findings == {}
