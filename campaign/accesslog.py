"""gunicorn's access log without the secrets in links.

Confirmation, thanks, unsubscribe, "Your data" and download links carry a
signed token in their path; whoever reads the log could use it (confirm a
signature, read or erase a supporter's data, download an export). The log
keeps the path's shape and drops the token and every query string.
gunicorn.conf.py makes this the logger of every gunicorn the site runs.
"""

import re
from typing import Any

from gunicorn.glogging import Logger

MASK = "[masked]"
END = r"/?#\s\""  # what ends a path segment in a log line
# The segment after a word that introduces a token in the site's URLs
# (actions/urls.py, its features' urls.py, the admin's download views).
# "your-data/sent/", "your-data/erased/", "receipts/check/" and
# "receipts/feed/" are pages, not tokens.
WORDS = (
    "/confirm/",
    "/thanks/",
    "/unsubscribe/",
    "/your-data/",
    "/download/",
    "/receipts/",
)
AFTER_WORD = re.compile(
    rf"(/(?:confirm|thanks|unsubscribe|your-data|download|receipts)/)"
    rf"(?!(?:sent|erased|check|feed)(?:[{END}]|$))[^{END}]+"
)
# Any segment shaped like django.core.signing's output, "payload:time:sig",
# wherever a future URL puts one. A host and port has one colon only.
SIGNED = re.compile(rf"/\.?[\w-]+(?::[\w-]+){{2,}}(?=[{END}]|$)")
QUERY = re.compile(r"\?[^\s\"]*")
# The headers in a log format that may hold one of the site's URLs.
URL_HEADERS = {"{referer}i", "{location}o", "{content-location}o", "{refresh}o"}


def mask(text: str) -> str:
    """The text (a request line, a path, a Referer or Location) with every
    token and every query string replaced by [masked]."""
    # The substring tests spare the regular expressions most lines: this
    # runs for every request.
    if any(word in text for word in WORDS):
        text = AFTER_WORD.sub(rf"\g<1>{MASK}", text)
    if text.count(":") >= 2:
        text = SIGNED.sub(f"/{MASK}", text)
    if "?" in text:
        text = QUERY.sub(f"?{MASK}", text)
    return text


class TokenMaskingLogger(Logger):
    """gunicorn's logger, its access log's URLs masked (see mask)."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", *URL_HEADERS):
            value = atoms.get(name)
            if isinstance(value, str):
                atoms[name] = mask(value)
        if atoms.get("q"):
            atoms["q"] = MASK
        return atoms
