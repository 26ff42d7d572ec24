"""Free text from admins and API clients: refused when it could never be stored or matched."""

from __future__ import annotations

import re

from onboarding.errors import ValidationError

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: str, field: str, max_length: int = 200) -> str:
    """`value` stripped; ValidationError if it holds control characters (NUL cannot even be
    stored by PostgreSQL) or is longer than `max_length`."""
    value = value.strip()
    if _CONTROL.search(value):
        raise ValidationError(f"{field} contains control characters.", field)
    if len(value) > max_length:
        raise ValidationError(f"{field} is longer than {max_length} characters.", field)
    return value
