"""Hypothesis strategies for the text supporters type and staff export, biased
towards the characters that break things: formula starters, their full-width
forms, white space and control characters, quotes, separators, line breaks,
and letters that change length when case is folded."""

import unicodedata

from hypothesis import strategies as st

FORMULA_STARTERS = "=+-@\uff1d\uff0b\uff0d\uff20"
BLANKS = " \t\r\n\x0b\x0c\x1c\x85\xa0\u1680\u2003\u2028\u2029\u202f\u3000"
INVISIBLE = "\x01\x08\x1b\x7f\u200b\u200e\u202e\ufeff"
SEPARATORS = ",;\"'|<>&\\/:%_"
CASE_FOLDING = "\u00df\u0130\u017f\u212a\ufb00\u1e9e"  # ß İ ſ K ﬀ ẞ
TRICKY = FORMULA_STARTERS + BLANKS + INVISIBLE + SEPARATORS + CASE_FOLDING

# Anything a form field can carry. Lone surrogates cannot be encoded in a
# request at all; NUL is refused by every form field (and PostgreSQL cannot
# store it in text).
any_character = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
character = st.one_of(st.sampled_from(TRICKY), any_character)


def text(*, max_size: int) -> st.SearchStrategy[str]:
    """Arbitrary text, often opening the way a spreadsheet formula does."""
    plain = st.text(character, max_size=max_size)
    opening = st.builds(
        lambda blanks, starter, rest: (blanks + starter + rest)[:max_size],
        st.text(st.sampled_from(BLANKS + INVISIBLE), max_size=2),
        st.sampled_from(FORMULA_STARTERS),
        plain,
    )
    return st.one_of(plain, opening)


def runs_as_formula(cell: str) -> bool:
    """Whether a spreadsheet may run this cell as a formula.

    Excel, LibreOffice Calc and Google Sheets run a cell starting with = + - or
    @; guidance on CSV injection adds their full-width forms and a leading tab
    or carriage return; imports may trim white space first (LibreOffice's
    "Trim spaces") and drop control characters. So white space or a control
    character in front does not make a cell safe.
    """
    return _without_blanks(cell)[:1] in set(FORMULA_STARTERS)


def _without_blanks(cell: str) -> str:
    for index, ch in enumerate(cell):
        if not (ch.isspace() or unicodedata.category(ch) == "Cc"):
            return cell[index:]
    return ""


# Letters outside ASCII that look like, or case-fold to, ASCII ones: long s,
# Kelvin sign, dotted and dotless i, full-width and mathematical letters, à.
CONFUSABLE_LETTERS = "\u017f\u212a\u0130\u0131\uff41\uff53\U0001d41a\u00e0"
FULL_WIDTH_OFFSET = 0xFEE0  # "!".."~" -> U+FF01..U+FF5E, which NFKC folds back
MATH_BOLD_SMALL_A = 0x1D41A  # MATHEMATICAL BOLD SMALL A; NFKC folds it to "a"
DOTS = [".", "\u3002", "\uff0e", "\uff61"]  # IDNA's four label separators


def disguised(domain: str) -> st.SearchStrategy[str]:
    """An ASCII domain with each character as typed, upper-cased, full-width
    or mathematical bold, and each dot as any of IDNA's separators: one
    domain to DNS, a different string to Python."""

    def forms(ch: str) -> list[str]:
        if ch == ".":
            return DOTS
        found = [ch, ch.upper(), chr(ord(ch) + FULL_WIDTH_OFFSET)]
        if "a" <= ch <= "z":
            found.append(chr(MATH_BOLD_SMALL_A + ord(ch) - ord("a")))
        return found

    return st.tuples(*(st.sampled_from(forms(ch)) for ch in domain)).map("".join)
