"""Both catalogs are complete: every message has a translation that Django will use."""

import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ENTRY = re.compile(r'^msgid "(.*?)"\n((?:".*"\n)*)msgstr "(.*?)"\n((?:".*"\n)*)', re.MULTILINE)


@pytest.mark.parametrize("lang", ["fa", "en"])
def test_every_message_is_translated_and_none_is_fuzzy_or_obsolete(lang):
    text = (LOCALE / lang / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    assert "\n#~ " not in text
    entries = ENTRY.findall(text)
    assert len(entries) > 300
    untranslated = [msgid + more for msgid, more, msgstr, rest in entries[1:] if not (msgstr + rest).strip('"\n')]
    assert untranslated == []


def test_persian_uses_persian_letters_not_arabic_ones():
    text = (LOCALE / "fa" / "LC_MESSAGES" / "django.po").read_text(encoding="utf-8")
    assert "ي" not in text and "ك" not in text
