"""Text a person types that is kept as it is, such as a name."""

from __future__ import annotations

import re

# Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_character(value: str) -> bool:
    """Whether `value` holds a control character (a tab, a line break, NUL): none belongs in a
    name, and PostgreSQL stores no NUL in text."""
    return _CONTROL.search(value) is not None
