"""A supporter shares a statement from a real browser: the page names its
image in its language, the image loads, the share links work without
JavaScript and the "Share" button appears only where the browser can share."""

import io
from urllib.parse import urlsplit

import pytest
from PIL import Image

from actions.tests.factories import make_petition
from actions.tests.integration.test_browser import chromium_page, serious_violations
from statements.tests.factories import make_statement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Chromium on Linux has no Web Share API; a page given one (as phones have)
# shows the button and hands it the address to share.
WEB_SHARE = (
    "navigator.share = (data) => { window.shared = data; return Promise.resolve(); };"
)


def test_the_share_image_and_links_in_a_browser(stack):
    statement = make_statement(title_en="Cancel the visit", title_ar="ألغوا الزيارة")
    make_petition(statement)
    page_path = f"/ar/statements/{statement.slug}/"

    with chromium_page() as (page, requested):
        page.goto(stack.url + page_path)
        image_url = page.locator('meta[property="og:image"]').get_attribute("content")
        share = page.locator("button[data-share-url]")  # its name is in Arabic
        button_shown = share.and_(page.get_by_role("button")).count()
        has_web_share = page.evaluate("() => 'share' in navigator")
        links = page.locator(".share-links a").count()
        violations = serious_violations(page)
        image = page.request.get(stack.url + urlsplit(image_url).path)
        png, headers = image.body(), image.headers

        page.add_init_script(WEB_SHARE)
        page.goto(stack.url + page_path)
        share.click()
        shared = page.evaluate("() => window.shared")

    assert urlsplit(image_url).path == f"/ar/statements/{statement.slug}/share.png"
    assert headers["content-type"] == "image/png"
    assert "public" in headers["cache-control"] and headers["etag"]
    assert Image.open(io.BytesIO(png)).size == (1200, 630)
    assert bool(button_shown) == has_web_share
    assert links == 6
    assert violations == []
    assert shared["url"].endswith(f"{page_path}?source=share-native")
    assert shared["text"] == "ألغوا الزيارة"
    assert all(urlsplit(url).netloc == urlsplit(stack.url).netloc for url in requested)
