"""The XSS corpus in a real browser: Chromium opens statements made of it and
submits the signing form with it, and nothing runs (no dialog, no error, no
policy violation), and the DOM Chromium built holds nothing executable."""

import pytest
from playwright.sync_api import Page, expect

from actions.tests.integration.test_browser import chromium_page
from campaign.tests.xss import PAYLOADS, make_corpus_statement
from statements.tests.factories import make_statement

pytestmark = [
    pytest.mark.integration,
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# What the DOM holds that could run, as Chromium parsed the page: the same
# rules as campaign.tests.xss, applied after the browser's own parsing.
FIND_EXECUTABLE = """() => {
  const found = [];
  const schemes = ["javascript:", "vbscript:", "data:"];
  const urlAttributes = ["href", "src", "action", "formaction", "xlink:href",
                         "data", "poster", "background", "srcset", "ping"];
  const forbidden = ["APPLET", "BASE", "EMBED", "FRAME", "FRAMESET", "OBJECT",
                     "NOSCRIPT", "MATH", "XMP", "PORTAL"];
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toUpperCase();
    if (forbidden.includes(tag)) found.push("element " + tag);
    if (tag === "SCRIPT") {
      const src = el.getAttribute("src") || "";
      if (!src.startsWith("/static/") || el.textContent.trim()) {
        found.push("script " + el.outerHTML.slice(0, 80));
      }
    }
    if (tag === "IFRAME") found.push("iframe " + el.outerHTML.slice(0, 80));
    if (tag === "META" && el.hasAttribute("http-equiv")) found.push("meta refresh");
    for (const attribute of el.attributes) {
      const name = attribute.name.toLowerCase();
      const value = attribute.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (name.startsWith("on")) found.push(name + " on " + tag);
      if (urlAttributes.includes(name) && schemes.some(s => value.startsWith(s))) {
        found.push(name + "=" + value.slice(0, 40) + " on " + tag);
      }
      if (name === "style" && /url\\(|expression\\(|javascript:/.test(value)) {
        found.push("style on " + tag);
      }
    }
  }
  return found;
}"""


def _watch(page: Page) -> list[str]:
    """Everything that would show a script ran or was stopped."""
    events: list[str] = []
    page.on(
        "dialog",
        lambda dialog: (events.append(f"dialog: {dialog.message}"), dialog.dismiss()),
    )
    page.on("pageerror", lambda error: events.append(f"error: {error}"))
    page.on(
        "console",
        lambda message: (
            events.append(f"console: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )
    return events


def test_pages_made_of_the_corpus_run_nothing_in_chromium(stack):
    corpus = make_corpus_statement()
    petition = corpus.petitions.get()
    one_each = [
        make_statement(
            title=payload, standfirst=payload, body=payload, background=payload
        )
        for payload in PAYLOADS
    ]
    urls = [corpus.get_absolute_url(), "/"] + [s.get_absolute_url() for s in one_each]
    found: dict[str, list[str]] = {}

    with chromium_page() as (page, _):
        # The check itself finds what it looks for.
        page.set_content('<img src="x" onerror="void 0"><a href=" javascript:0">')
        noticed = page.evaluate(FIND_EXECUTABLE)
        events = _watch(page)
        for url in urls:
            page.goto(stack.url + url)
            page.wait_for_load_state("load")
            if executable := page.evaluate(FIND_EXECUTABLE):
                found[url] = executable
        for payload in PAYLOADS:
            page.goto(f"{stack.url}{petition.get_absolute_url()}?source=x")
            form = page.locator(f"#petition-{petition.slug} form")
            form.get_by_label("Given name").fill(payload)
            form.get_by_label("Family name").fill(payload)
            form.get_by_role("textbox", name="Email").fill(payload)
            form.get_by_role("button", name="Sign the petition").click()
            expect(page.get_by_role("alert")).to_contain_text("Please correct")
            if executable := page.evaluate(FIND_EXECUTABLE):
                found[f"form with {payload!r}"] = executable
            value = form.get_by_label("Given name").input_value()
            if value.split() != payload.split():  # a text box holds no line break
                found[f"form with {payload!r}"] = [f"shows {value!r}"]
        page.wait_for_timeout(500)  # handlers that would fire late (focus, load)

    assert len(noticed) == 2
    assert found == {}
    assert events == []
