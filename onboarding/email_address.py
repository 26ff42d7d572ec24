"""Email addresses as people type them, and the one canonical form both systems store."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

from onboarding.errors import ValidationError

# What email_validator says (the start of its English message), and how we say it: a catalog
# message, so that every page writes it in its reader's language.
WHY_NOT = [
    (
        "An email address must have an @-sign",
        "%(address)s is not a valid email address: it has no @.",
    ),
    (
        "There must be something after the @-sign",
        "%(address)s is not a valid email address: nothing follows the @.",
    ),
    (
        "There must be something before the @-sign",
        "%(address)s is not a valid email address: nothing comes before the @.",
    ),
    (
        "The part after the @-sign is not valid. It should have a period",
        "%(address)s is not a valid email address: the part after the @ needs a dot, as in "
        "example.com.",
    ),
    (
        "The email address contains invalid characters before the @-sign",
        "%(address)s is not a valid email address: it has characters an address cannot have.",
    ),
    (
        "The part after the @-sign contains invalid characters",
        "%(address)s is not a valid email address: it has characters an address cannot have.",
    ),
    (
        "Internationalized characters before the @-sign are not supported",
        "%(address)s is not a valid email address here: letters with accents before the @ "
        "cannot be mailed.",
    ),
]
NOT_VALID = "%(address)s is not a valid email address."

# The longest address SMTP carries (RFC 5321's path limit less its angle brackets): every form,
# the API and CSV import refuse longer ones.
EMAIL_LENGTH = 254


def normalise_email(raw: str) -> str:
    """Syntax-checked (no DNS) and lower-cased: the form people and accounts are unique by.

    Addresses that need SMTPUTF8 are refused here, with a clear message, rather than failing
    later when a mail to them cannot be sent.
    """
    if not (raw or "").strip():
        raise ValidationError(
            "An email address is needed: an empty field is not a valid email address.", "email"
        )
    if len((raw or "").strip()) > EMAIL_LENGTH:
        raise ValidationError(
            "An email address has at most %(limit)d characters.", "email", {"limit": EMAIL_LENGTH}
        )
    try:
        result = validate_email(
            (raw or "").strip(), check_deliverability=False, allow_smtputf8=False
        )
    except EmailNotValidError as error:
        for theirs, ours in WHY_NOT:
            if str(error).startswith(theirs):
                raise ValidationError(ours, "email", {"address": raw}) from None
        raise ValidationError(NOT_VALID, "email", {"address": raw}) from None
    return (result.ascii_email or result.normalized).lower()
