"""A person's own choices: the language of their pages and mails, and the time zone they read
times in."""

from __future__ import annotations

from onboarding.errors import ValidationError
from onboarding.i18n import LANGUAGES, time_zone_names
from onboarding.people.models import Person


def choose(person: Person, *, language: str, time_zone: str) -> None:
    """Keep `person`'s language and time zone (empty: their browser's); the caller commits."""
    if language not in LANGUAGES:
        raise ValidationError("Choose one of the languages in the list.", field="language")
    if time_zone and time_zone not in time_zone_names():
        raise ValidationError(
            "There is no time zone called %(zone)s. Choose one from the list.",
            field="time_zone",
            params={"zone": time_zone[:64]},
        )
    person.language = language
    person.time_zone = time_zone or None
