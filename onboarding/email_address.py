"""Email addresses as people type them, and the one canonical form both systems store."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from onboarding.errors import ValidationError

# The longest address SMTP carries (RFC 5321's path limit less its angle brackets): every form,
# the API and CSV import refuse longer ones.
EMAIL_LENGTH = 254


def normalise_email(raw: str) -> str:
    """Syntax-checked (no DNS) and lower-cased: the form people and accounts are unique by.

    Addresses that need SMTPUTF8 are refused here, with a clear message, rather than failing
    later when a mail to them cannot be sent.
    """
    if len((raw or "").strip()) > EMAIL_LENGTH:
        raise ValidationError(
            "An email address has at most %(limit)d characters.", "email", {"limit": EMAIL_LENGTH}
        )
    try:
        result = validate_email(
            (raw or "").strip(), check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        raise ValidationError(
            "%(address)s is not a valid email address: %(reason)s",
            "email",
            {"address": raw, "reason": str(error)},
        ) from None
    return (result.ascii_email or result.normalized).lower()
