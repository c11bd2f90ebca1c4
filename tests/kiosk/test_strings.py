"""The kiosk's sentences: one table, every key in both languages, no sentence written twice."""

from __future__ import annotations

from kiosk_ui import strings_plain
from kiosk_ui.strings import LANGUAGES, STRINGS


def test_the_plain_sentences_replace_none_silently():
    # A key in both modules would hide one of its sentences: the plain table adds, never shadows.
    import kiosk_ui.strings as module

    source = open(module.__file__, encoding="utf-8").read()
    assert not [k for k in strings_plain.PLAIN_STRINGS if f'    "{k}": ' in source]


def test_every_sentence_in_both_languages():
    missing = [k for k, entry in STRINGS.items() for lang in LANGUAGES if not entry.get(lang)]
    assert missing == []
