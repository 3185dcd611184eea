"""Every shipped language's catalogue is complete: no entry left empty or
fuzzy (docs/languages.md). Plain Python, so `make test` needs no gettext."""

import ast
from pathlib import Path

import pytest
from django.conf import settings

LOCALE = Path(settings.BASE_DIR) / "locale"


def entries(path: Path) -> list[dict[str, object]]:
    """The entries of a .po file: msgid, its msgstr(s), and whether fuzzy."""
    found: list[dict[str, object]] = []
    entry: dict[str, object] = {}
    key = None
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if not line.strip():
            if entry:
                found.append(entry)
            entry, key = {}, None
        elif line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith("#"):
            continue
        elif line.startswith('"') and key:
            entry[key] = str(entry[key]) + ast.literal_eval(line)
        else:
            key, _, text = line.partition(" ")
            entry[key] = ast.literal_eval(text)
    return found


def shipped() -> list[str]:
    return [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


@pytest.mark.parametrize("code", shipped())
def test_each_language_has_a_compiled_catalogue(code):
    folder = LOCALE / code / "LC_MESSAGES"

    assert (folder / "django.po").exists()
    assert (folder / "django.mo").exists()


@pytest.mark.parametrize("code", shipped())
def test_every_entry_is_translated_and_none_is_fuzzy(code):
    path = LOCALE / code / "LC_MESSAGES" / "django.po"
    messages = [e for e in entries(path) if e.get("msgid")]

    untranslated = [
        e["msgid"]
        for e in messages
        if not all(v for k, v in e.items() if str(k).startswith("msgstr"))
    ]
    fuzzy = [e["msgid"] for e in messages if e.get("fuzzy")]

    assert len(messages) > 900
    assert untranslated == [], f"{code}: {len(untranslated)} untranslated"
    assert fuzzy == [], f"{code}: {len(fuzzy)} fuzzy"
