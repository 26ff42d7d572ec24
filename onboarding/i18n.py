"""Translations at run time: every gettext catalog of a language, merged, read with Babel.

Each area keeps its own catalog (``onboarding/translations/<lang>/LC_MESSAGES/<area>.po``);
they are read from the .po files directly, so no compiled .mo file is ever out of date.
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
DEFAULT_LANGUAGE = "en"


def catalog_files(language: str) -> list[Path]:
    return sorted((TRANSLATIONS_DIR / language / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=16)
def translations(language: str) -> NullTranslations:
    """Every message of `language`; English (the source text) for a language without catalogs."""
    files = catalog_files(language)
    if not files:
        return NullTranslations()
    merged = Catalog(locale=language)
    for path in files:
        with path.open("rb") as handle:
            for message in read_po(handle, locale=language):
                # Fuzzy entries are unreviewed guesses; the source text is better than a guess.
                if message.id and message.string and not message.fuzzy:
                    merged[message.id] = message
    buffer = BytesIO()
    write_mo(buffer, merged)
    buffer.seek(0)
    return Translations(buffer)
