"""Text a person or a client types that is kept as it is (a name, a token's name, a URL, a
filter): refused when it holds a control character, which no such one-line value needs and
PostgreSQL cannot even store (NUL)."""

from __future__ import annotations

import re

from onboarding.errors import ValidationError

# Unicode's control characters (category Cc: C0, DEL and C1), as a regular expression's range.
CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{CONTROL_CHARACTERS}]")


def has_control_character(value: str) -> bool:
    """Whether `value` holds a control character (a tab, a line break, NUL)."""
    return _CONTROL.search(value) is not None


def one_line(value: str) -> str:
    """`value` as a label on one line: each control character and each run of white space
    made one space, none at the ends."""
    return " ".join(_CONTROL.sub(" ", value).split())


def plain_text(value: str, field: str, max_length: int, *, not_allowed: str, too_long: str) -> str:
    """`value` stripped; refused on `field` with the catalog message `not_allowed` if it holds a
    control character, with `too_long` (its %(limit)d filled) if longer than `max_length`."""
    value = value.strip()
    if has_control_character(value):
        raise ValidationError(not_allowed, field)
    if len(value) > max_length:
        raise ValidationError(too_long, field, {"limit": max_length})
    return value
