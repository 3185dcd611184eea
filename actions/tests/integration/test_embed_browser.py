"""A partner's page, on a site of its own, embeds a call to action with the
snippet the admin shows: a supporter signs inside the frame (taking the one
more step there), confirms by email and counts, recorded as coming through
that partner; the frame fits its content. A site not listed gets no form."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from actions.abuse.models import AbuseSettings
from actions.embed import services as embed
from actions.models import Signature
from actions.tests.factories import make_petition
from actions.tests.integration.stack import confirmation_link
from actions.tests.integration.test_browser import chromium_page

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A partner's page</title></head>
<body><h1>Our partner's campaign page</h1>
{snippet}
<p>After the frame.</p></body></html>"""


@contextmanager
def partner_site(html: str) -> Iterator[str]:
    """A site of its own serving one page: its origin, as http://localhost:N
    (the stack is http://127.0.0.1:M, another site to the browser)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://localhost:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _snippet(stack, petition) -> str:
    with override_settings(SITE_URL=stack.url):
        return embed.snippet(petition)


def _heights(page) -> tuple[float, float]:
    """The frame's height on the partner's page, and its page's own."""
    frame = page.frame_locator("iframe[data-campaign-embed]")
    # Its inner height: the border the browser gives a frame is outside it.
    outer = page.locator("iframe[data-campaign-embed]").evaluate(
        "frame => frame.clientHeight"
    )
    inner = frame.locator("html").evaluate(
        "html => html.getBoundingClientRect().height"
    )
    return outer, inner


def _wait_for_fit(page, timeout: float = 10) -> tuple[float, float]:
    deadline = time.monotonic() + timeout
    outer, inner = _heights(page)
    while abs(outer - inner) > 2 and time.monotonic() < deadline:
        time.sleep(0.2)
        outer, inner = _heights(page)
    return outer, inner


def test_a_supporter_signs_in_a_partners_frame_and_counts(stack, mailbox):
    petition = make_petition(title="Refer the situation to the ICC")
    # Signing sooner than this takes the one more step, inside the frame.
    AbuseSettings.objects.create(petition=petition, min_fill_seconds=30)
    address = "framed.supporter@example.org"
    snippet = _snippet(stack, petition)

    with partner_site(PAGE.format(snippet=snippet)) as partner:
        petition.embed_origins = partner
        petition.save()
        with chromium_page() as (page, requested):
            page.goto(partner + "/campaign/")
            frame = page.frame_locator("iframe[data-campaign-embed]")
            expect(frame.get_by_role("heading", level=1)).to_have_text(petition.title)
            form_fit = _wait_for_fit(page)
            frame.get_by_label("Given name").fill("Dara")
            frame.get_by_label("Family name").fill("Sok")
            frame.get_by_role("textbox", name="Email").fill(address)
            frame.get_by_label("Country").select_option("KH")
            frame.get_by_role("button", name="Sign the petition").click()
            expect(
                frame.get_by_role("heading", name="Check your email")
            ).to_be_visible()
            done_fit = _wait_for_fit(page)
            page_url = page.url
            message = mailbox.wait_for(address, timeout=30)

            page.goto(confirmation_link(message))
            page.get_by_role("button", name="Confirm my signature").click()
            expect(page.get_by_role("heading", level=1)).to_contain_text("Thank you")

    signature = Signature.objects.get(petition=petition)
    assert signature.state == Signature.State.CONFIRMED
    assert signature.source == "embed:localhost"
    assert petition.confirmed_count() == 1
    assert page_url == partner + "/campaign/"  # it all happened in the frame
    assert any(url.endswith("/embed/one-more-step/") for url in requested)
    assert any(url == stack.url + "/static/js/embed.js" for url in requested)
    # The frame was fitted to the form, then to the shorter message.
    assert abs(form_fit[0] - form_fit[1]) <= 2 and form_fit[0] != 720
    assert abs(done_fit[0] - done_fit[1]) <= 2 and done_fit[0] < form_fit[0]


def test_a_site_not_listed_gets_no_form_and_signs_nothing(stack, mailbox):
    petition = make_petition()
    petition.embed_origins = "https://partner.example"
    petition.save()
    snippet = _snippet(stack, petition)
    refused: list[str] = []

    with partner_site(PAGE.format(snippet=snippet)) as other:
        with chromium_page() as (page, _):
            page.on(
                "console",
                lambda message: (
                    refused.append(message.text)
                    if "frame-ancestors" in message.text
                    else None
                ),
            )
            page.goto(other + "/")
            expect(page.get_by_role("heading", level=1)).to_be_visible()
            deadline = time.monotonic() + 10
            while not refused and time.monotonic() < deadline:
                time.sleep(0.2)
            frame = page.frame_locator("iframe[data-campaign-embed]")
            fields = frame.locator("input[name=email]").count()

    assert refused, "Chromium did not report the frame refused"
    assert fields == 0
    assert not Signature.objects.filter(petition=petition).exists()
