"""Domain errors: each carries a message fit to show to the person who caused it."""


class DomainError(Exception):
    """Base of every refusal that a user or admin can cause."""

    code = "domain_error"


class ValidationError(DomainError):
    code = "invalid"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
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
