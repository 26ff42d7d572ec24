"""The languages spoken, and their translations at run time: every gettext catalog of a
language, merged, read with Babel.

Each area keeps its own catalog (``onboarding/translations/<lang>/LC_MESSAGES/<area>.po``);
they are read from the .po files directly, so no compiled .mo file is ever out of date.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from types import MappingProxyType

import pycountry
from babel import Locale, localedata
from babel.core import get_global
from babel.dates import get_timezone_location
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

TRANSLATIONS_DIR = Path(__file__).parent / "translations"

# Every language of people, accounts, mails and pages: its code and its name in itself. A new
# language is one line here and its catalogs under translations/<code>/LC_MESSAGES/.
LANGUAGES = MappingProxyType({"en": "English", "nl": "Nederlands"})
DEFAULT_LANGUAGE = "en"  # the source text of every message


def supported(language: str | None) -> str:
    """`language` when it is one of LANGUAGES, else the default language."""
    return language if language is not None and language in LANGUAGES else DEFAULT_LANGUAGE


def cldr_locale(language: str) -> str:
    """The locale whose CLDR data writes dates, lists and names for `language`: its own, else
    the default language's (a language of catalogs only, such as a test's pseudo-locale)."""
    return language if localedata.exists(language) else DEFAULT_LANGUAGE


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


@lru_cache(maxsize=16)
def countries(language: str) -> tuple[tuple[str, str], ...]:
    """Every country (ISO 3166 code, name) with its name in `language` (CLDR, through Babel),
    in the order a reader of that language looks for it."""
    names = Locale.parse(cldr_locale(supported(language))).territories
    named = (
        (country.alpha_2, names.get(country.alpha_2, country.name))
        for country in pycountry.countries
    )
    return tuple(sorted(named, key=lambda pair: _sort_key(pair[1])))


def _sort_key(name: str) -> str:
    # Without a collation library: accents after their letter (Å with A, Ö with O), case ignored.
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# The regions of the IANA zone names people choose from (no aliases such as US/Eastern, no
# fixed offsets such as Etc/GMT+5), and the zone every clock can fall back on.
ZONE_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)
UTC_ZONE = "UTC"


@lru_cache(maxsize=1)
def time_zone_names() -> frozenset[str]:
    """Every zone a person may choose: UTC and each current IANA name of a place."""
    aliases = get_global("zone_aliases")
    return frozenset(
        {UTC_ZONE}
        | {
            zone
            for zone in zoneinfo.available_timezones()
            if zone.split("/", 1)[0] in ZONE_REGIONS and zone not in aliases
        }
    )


@lru_cache(maxsize=16)
def time_zones(language: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The zones of each region (ZONE_REGIONS), each as (IANA name, its place written in
    `language`: "Amsterdam (Nederland)"), in the order a reader of that language looks for it."""
    locale = Locale.parse(cldr_locale(language))
    territories = get_global("zone_territories")
    places: dict[str, list[tuple[str, str]]] = {region: [] for region in ZONE_REGIONS}
    for zone in time_zone_names() - {UTC_ZONE}:
        city = get_timezone_location(zone, locale=locale, return_city=True)
        country = locale.territories.get(territories.get(zone, ""))
        place = f"{city} ({country})" if country and country != city else city
        places[zone.split("/", 1)[0]].append((zone, place))
    return tuple(
        (region, tuple(sorted(zones, key=lambda pair: _sort_key(pair[1]))))
        for region, zones in places.items()
    )
