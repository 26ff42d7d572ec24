"""Domain errors: each carries a message fit to show to the person who caused it."""

from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any


class DomainError(Exception):
    """Base of every refusal that a user or admin can cause.

    `message` is a catalog message that may have %(name)s fields filled from `params`, so that
    a page can translate the message first and fill it after (writing each value for its
    reader); str() is the English text.
    """

    code = "domain_error"

    def __init__(self, message: str = "", params: Mapping[str, Any] | None = None) -> None:
        self.message = message
        self.params = dict(params or {})
        english = {name: _english(value) for name, value in self.params.items()}
        super().__init__(message % english if params else message)


def _english(value: Any) -> Any:
    """A value as the English text writes it: an enum by its value, a day or moment in ISO 8601,
    a list joined with commas; numbers and text as they are."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(_english(item)) for item in value)
    return value


class ValidationError(DomainError):
    code = "invalid"

    def __init__(
        self, message: str, field: str | None = None, params: Mapping[str, Any] | None = None
    ) -> None:
        super().__init__(message, params)
        self.field = field


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    """The action exists, but not for this administrator."""

    code = "forbidden"


class Conflict(DomainError):
    code = "conflict"


class ConcurrentUpdate(Conflict):
    """Someone else changed the journey at the same moment; theirs won."""

    code = "concurrent_update"


class InvitationExpired(DomainError):
    code = "expired"
