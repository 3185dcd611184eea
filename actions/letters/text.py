"""Plain text from what a supporter typed or pasted: markup stripped, links
kept as text. Pure functions; the form and signing use them."""

import re
import unicodedata
from html.parser import HTMLParser

URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_HIDDEN = {"script", "style", "head", "title", "template"}


class _Stripper(HTMLParser):
    """Collects text; a link keeps its text, and its address when it differs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.href: list[str] = []
        self.link_start = 0
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS:
            self.parts.append("\n")
        elif tag == "a":
            self.href.append(dict(attrs).get("href") or "")
            self.link_start = len(self.parts)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in {"p", "div", "li", "tr"}:
            self.parts.append("\n")
        elif tag == "a" and self.href:
            href = self.href.pop().strip()
            text = "".join(self.parts[self.link_start :]).strip()
            if href and href != text and not href.lower().startswith("javascript:"):
                self.parts.append(f" ({href})" if text else href)

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def plain_text(value: str) -> str:
    """``value`` as plain text: tags and comments gone, entities decoded,
    link addresses kept as text, control characters dropped, line ends
    normalised and at most one blank line in a row."""
    stripper = _Stripper()
    stripper.feed(value.replace("\r\n", "\n").replace("\r", "\n"))
    stripper.close()
    text = "".join(stripper.parts)
    kept = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch)[0] != "C"
    )
    lines = [line.rstrip() for line in kept.replace("\t", " ").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def one_line(value: str) -> str:
    """A subject: plain text on one line."""
    return " ".join(plain_text(value).split())


def link_count(text: str) -> int:
    return len(URL.findall(text))


def is_only_links(text: str) -> bool:
    """Whether nothing but links (and punctuation) is left of the text."""
    rest = URL.sub("", text)
    return link_count(text) > 0 and not any(ch.isalnum() for ch in rest)


def matched_word(text: str, words: list[str]) -> str:
    """The first of ``words`` (casefolded) found in the text as a word; ''."""
    folded = text.casefold()
    for word in words:
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded):
            return word
    return ""
