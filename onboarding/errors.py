"""Domain errors: each carries a message fit to show to the person who caused it."""

from collections.abc import Mapping
from typing import Any


class DomainError(Exception):
    """Base of every refusal that a user or admin can cause.

    `message` may have %(name)s fields filled from `params`, so that a page can translate the
    message first and fill it after; str() is the English text.
    """

    code = "domain_error"

    def __init__(self, message: str = "", params: Mapping[str, Any] | None = None) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = dict(params or {})


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
