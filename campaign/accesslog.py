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
# "your-data/sent/" and "your-data/erased/" are pages, not tokens.
AFTER_WORD = re.compile(
    rf"(/(?:confirm|thanks|unsubscribe|your-data|download)/)"
    rf"(?!(?:sent|erased)(?:[{END}]|$))[^{END}]+"
)
# Any segment shaped like django.core.signing's output, "payload:time:sig",
# wherever a future URL puts one. A host and port has one colon only.
SIGNED = re.compile(rf"(?<=/)\.?[\w-]+(?::[\w-]+){{2,}}(?=[{END}]|$)")
QUERY = re.compile(r"\?[^\s\"]*")


def mask(text: str) -> str:
    """The text (a request line, a path, a Referer or Location) with every
    token and every query string replaced by [masked]."""
    text = AFTER_WORD.sub(rf"\g<1>{MASK}", text)
    text = SIGNED.sub(MASK, text)
    return QUERY.sub(f"?{MASK}", text)


class TokenMaskingLogger(Logger):
    """gunicorn's logger, its access log's URLs masked (see mask)."""

    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for name, value in atoms.items():
            if name in {"r", "U", "f"} or name.startswith("{"):  # headers
                if isinstance(value, str):
                    atoms[name] = mask(value)
        if atoms.get("q"):
            atoms["q"] = MASK
        return atoms
