"""The interface speaks French first: every catalogue is complete, and compiled."""

import ast
import gettext
import re
from pathlib import Path

import pytest

import comptoir

CATALOGUES = sorted(Path(comptoir.__file__).parent.glob("**/locale/fr/LC_MESSAGES/django.po"))
# An entry whose msgstr is empty: the msgid then shows in English.
EMPTY = re.compile(r'^msgid "(.+)"\nmsgstr ""\n\n', re.MULTILINE)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_catalogue_has_no_untranslated_or_fuzzy_entry(po: Path):
    text = po.read_text(encoding="utf-8")
    live = text.split("\n#~ ")[0]  # obsolete entries are not used
    assert not EMPTY.findall(live)
    assert "#, fuzzy" not in live.replace("#, fuzzy\nmsgid \"\"", "")


# One-line entries, with their context when they have one.
ENTRY = re.compile(r'^(?:msgctxt "(.*)"\n)?msgid "(.+)"\nmsgstr "(.+)"\n', re.MULTILINE)


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.parent.parent.parent.parent.name))
def test_compiled_catalogue_says_what_the_catalogue_says(po: Path):
    """A .mo left behind after a .po changed would show old or English text."""
    with po.with_suffix(".mo").open("rb") as compiled:
        translations = gettext.GNUTranslations(compiled)
    live = po.read_text(encoding="utf-8").split("\n#~ ")[0]
    stale = []
    for context, msgid, msgstr in ENTRY.findall(live):
        msgid, msgstr = ast.literal_eval(f'"{msgid}"'), ast.literal_eval(f'"{msgstr}"')
        got = translations.pgettext(context, msgid) if context else translations.gettext(msgid)
        if got != msgstr:
            stale.append(msgid)
    assert not stale
