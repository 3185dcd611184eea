"""Every public page, as Chromium gets it from the real stack: the security
headers, a fresh CSP nonce that its scripts carry, no policy violation and no
request to another host; and the admin working under its own policy."""

import re
from functools import partial
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from actions.core.tokens import (
    make_confirmation_token,
    make_data_token,
    make_receipt_token,
    make_thanks_token,
    make_unsubscribe_token,
)
from actions.models import Petition
from actions.tests.factories import make_petition, make_signature
from actions.tests.integration.test_browser import chromium_page
from actions.timeline.tests.factories import make_delivery
from campaign.tests.public_urls import public_url_names
from staff.tests.otp import current_code
from staff.twofactor import enrol_totp_device
from statements.pages.demo import write_demo_pages
from statements.tests.factories import make_quote, make_topic

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NONCE = re.compile(r"script-src 'self' 'nonce-([\w-]+)'")
SCRIPT_NONCES = re.compile(r"<script\b[^>]*\bnonce=\"([^\"]*)\"")
SCRIPTS = re.compile(r"<script\b")
HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


# Not pages a browser shows: a POST-only URL (Chromium shows no page for its
# empty 405) and a download. Their headers are read from a plain request.
NOT_SHOWN = {
    "actions:resend",
    "actions:step",
    "actions:embed_step",
    "actions:your_data_json",
    "actions:receipt_download",
    "actions:receipt_feed",
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

# The signing form that partners' sites may frame (actions.embed).
FRAMED = {"actions:embed", "actions:embed_step", "actions:embed_check_email"}


# Redirects to a static file, which WhiteNoise serves before the page
# headers are added (a static file is no page): their own answer is checked.
REDIRECTS = {"favicon"}


def _public_urls() -> dict[str, str]:
    """One URL of each public page, by URL name (rows made before the browser
    starts); a few pages twice, in another state."""
    petition = make_petition()
    statement = petition.statement
    topic = make_topic()
    statement.topics.add(topic)
    make_quote(statement, is_pull_quote=True)
    signature = make_signature(petition)
    unsubscribe = make_unsubscribe_token(signature.pk)
    data = make_data_token(make_signature(petition).pk)
    receipt = make_receipt_token(signature.pk)
    delivered = make_petition(statement, state=Petition.State.DELIVERED)
    make_delivery(delivered)  # a timeline on the statement, a clock on its page
    write_demo_pages()  # the privacy notice and the about page
    slug = petition.slug
    urls = {
        "healthz": reverse("healthz"),
        "readyz": reverse("readyz"),
        "statements:home": reverse("statements:home"),
        "statements:statement_detail": statement.get_absolute_url(),
        "statements:topic_detail": reverse(
            "statements:topic_detail", args=[topic.slug]
        ),
        "statements:feed": reverse("statements:feed"),
        "statements:topic_feed": reverse("statements:topic_feed", args=[topic.slug]),
        "sitemap": reverse("sitemap"),
        "robots_txt": reverse("robots_txt"),
        # A redirect to the icon, a static file.
        "favicon": reverse("favicon"),
        "api:statement_list": reverse("api:statement_list") + "?lang=ar",
        "api:statement_detail": reverse("api:statement_detail", args=[statement.slug]),
        "api:openapi": reverse("api:openapi"),
        "sharing:share_image": reverse("sharing:share_image", args=[statement.slug]),
        "actions:sign": reverse("actions:sign", args=[slug]),
        "actions:check_email": reverse("actions:check_email", args=[slug]),
        "actions:confirm": reverse(
            "actions:confirm", args=[slug, make_confirmation_token(signature.pk)]
        ),
        # POST only: its 405 must carry the headers too.
        "actions:resend": reverse("actions:resend", args=[slug]),
        "actions:thanks": reverse("actions:thanks", args=[slug]),
        "actions:count": reverse("actions:count", args=[slug]),
        # Framed on partners' sites; this petition lists none, so no site may.
        "actions:embed": reverse("actions:embed", args=[slug]),
        "actions:embed_step": reverse("actions:embed_step", args=[slug]),
        "actions:embed_check_email": reverse("actions:embed_check_email", args=[slug]),
        "actions:unsubscribe": reverse("actions:unsubscribe", args=[unsubscribe]),
        "actions:email_preferences": reverse(
            "actions:email_preferences", args=[unsubscribe]
        ),
        "actions:your_data": reverse("actions:your_data"),
        "actions:your_data_sent": reverse("actions:your_data_sent"),
        "actions:your_data_erased": reverse("actions:your_data_erased"),
        "actions:your_data_copy": reverse("actions:your_data_copy", args=[data]),
        "actions:your_data_json": reverse("actions:your_data_json", args=[data]),
        "actions:open_clocks": reverse("actions:open_clocks"),
        # POST only (the form's next step): its 405 must carry the headers too.
        "actions:step": reverse("actions:step", args=[slug]),
        "actions:receipt_roots": reverse("actions:receipt_roots"),
        "actions:receipt_feed": reverse("actions:receipt_feed"),
        "actions:receipt_check": reverse("actions:receipt_check"),
        "actions:receipt": reverse("actions:receipt", args=[receipt]),
        "actions:receipt_download": reverse("actions:receipt_download", args=[receipt]),
        # No photo here: its 404 must carry the headers too.
        "actions:delivery_photo": reverse("actions:delivery_photo", args=[slug]),
        "pages:privacy": reverse("pages:privacy"),
        "pages:about": reverse("pages:about"),
    }
    assert set(urls) == public_url_names()  # a new public page must be added here
    return urls | {
        "home, page 2": reverse("statements:home") + "?page=2",
        "statement with a source": statement.get_absolute_url() + "?source=mail",
        "confirm, bad link": reverse("actions:confirm", args=[slug, "not-a-token"]),
        "thanks, the signer's": reverse(
            "actions:thanks", args=[slug, make_thanks_token(signature.pk)]
        ),
        "unsubscribe, bad link": reverse("actions:unsubscribe", args=["bad"]),
        "your data, bad link": reverse("actions:your_data_copy", args=["bad"]),
        "not found": "/no-such-page/",
    }


def _off_site(requested: list[str], site: str) -> list[str]:
    return [
        url
        for url in requested
        if re.match(r"[a-z]+:", url)
        and not url.startswith(("data:", "about:"))
        and urlsplit(url).netloc != site
    ]


def test_every_public_page_has_the_headers_and_a_fresh_nonce(stack):
    urls = _public_urls()
    site = urlsplit(stack.url).netloc
    problems: dict[str, list[str]] = {}
    violations: list[str] = []

    with chromium_page() as (page, requested):
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        # Every visit asks the site, not the browser's own cache (public pages
        # may be kept a few seconds there); the site's page cache still serves.
        devtools = page.context.new_cdp_session(page)
        devtools.send("Network.enable")
        devtools.send("Network.setCacheDisabled", {"cacheDisabled": True})
        for name, path in urls.items():
            nonces = []
            fetch = page.request.get if name in NOT_SHOWN else page.goto
            if name in REDIRECTS:  # its own headers, not the static file's
                fetch = partial(page.request.get, max_redirects=0)
            for _ in range(2):  # the second is served from the page cache
                response = fetch(stack.url + path)
                found = _check(response, framed=name in FRAMED)
                if isinstance(found, list):
                    problems.setdefault(name, []).extend(found)
                else:
                    nonces.append(found)
            if len(nonces) == 2 and nonces[0] == nonces[1] and nonces[0]:
                problems.setdefault(name, []).append("the nonce repeated")
        page.goto(stack.url + urls["statements:statement_detail"])
        scripts = page.evaluate("() => document.querySelectorAll('script').length")

    assert problems == {}
    assert violations == []
    assert scripts == 2  # counts.js, share.js; no violation above: allowed
    assert requested and _off_site(requested, site) == []


def _check(response, *, framed: bool = False) -> str | list[str]:
    """The page's nonce, or what is wrong with it. A page partners may frame
    has no X-Frame-Options: its policy's frame-ancestors says who may."""
    headers = response.headers
    expected = HEADERS | ({"x-frame-options": None} if framed else {})
    wrong = [
        f"{header}: {headers.get(header)!r}"
        for header, value in expected.items()
        if headers.get(header) != value
    ]
    policy = headers.get("content-security-policy", "")
    if "frame-ancestors 'none'" not in policy or "unsafe-inline" in policy:
        wrong.append(f"policy: {policy!r}")
    if not headers.get("content-type", "").startswith("text/html"):
        return wrong or ""
    match = NONCE.search(policy)
    if not match:
        return [*wrong, f"no nonce in {policy!r}"]
    body = response.text()
    if len(SCRIPT_NONCES.findall(body)) != len(SCRIPTS.findall(body)):
        wrong.append("a script without a nonce")
    if any(nonce != match.group(1) for nonce in SCRIPT_NONCES.findall(body)):
        wrong.append("a script nonce differs from the header's")
    return wrong or match.group(1)


def test_the_admin_works_in_the_browser_under_its_own_policy(stack):
    petition = make_petition()
    user = get_user_model().objects.create_user(
        "browser-admin", password="a long password", is_staff=True, is_superuser=True
    )
    code = current_code(enrol_totp_device(user=user))
    change_url = stack.url + reverse(
        "admin:statements_statement_change", args=[petition.statement.pk]
    )
    site = urlsplit(stack.url).netloc
    violations: list[str] = []

    with chromium_page() as (page, requested):
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(change_url)  # sent to the login form first
        page.get_by_label("Username").fill("browser-admin")
        page.get_by_label("Password").fill("a long password")
        page.get_by_label("OTP Token").fill(code)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(change_url)
        policy = page.goto(change_url).headers.get("content-security-policy", "")
        # The admin's own scripts run: the inline "add another" links appear.
        add_links = page.locator(".add-row a").count()

    assert "'unsafe-inline'" in policy
    assert violations == []
    assert add_links >= 1
    assert _off_site(requested, site) == []
