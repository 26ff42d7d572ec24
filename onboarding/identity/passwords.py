"""Passwords: the policy a new password must meet, and argon2id hashing with rehash.

The policy is offline: zxcvbn's strength estimate and its list of common passwords.
"""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from onboarding.errors import ValidationError
from onboarding.settings import get_settings

MIN_SCORE = 3
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


def rules(min_length: int | None = None) -> list[str]:
    """The policy in words, shown before the user types."""
    length = min_length or get_settings().password_min_length
    return [
        f"At least {length} characters.",
        "Not a common or previously breached password.",
        "Hard to guess: a few unrelated words work well.",
        "Does not contain your email address or your name.",
    ]


@dataclass(frozen=True)
class Person:
    """What a password must not contain."""

    email: str
    first_name: str = ""
    last_name: str = ""


def problems(password: str, person: Person) -> list[str]:
    """Every rule that `password` breaks, as messages for the user; empty when it is fine."""
    found = []
    min_length = get_settings().password_min_length
    if len(password) < min_length:
        found.append(f"Use at least {min_length} characters (you typed {len(password)}).")
    lowered = password.lower()
    if lowered in _COMMON:
        found.append("This is one of the most common passwords; choose another.")
    personal = _personal_parts(person)
    if any(part in lowered for part in personal):
        found.append("Do not use your email address or your name in your password.")
    if len(password) <= 200:
        estimate = zxcvbn(password, user_inputs=sorted(personal))
        if estimate["score"] < MIN_SCORE:
            hint = estimate["feedback"].get("warning") or "It would be easy to guess."
            found.append(f"This password is too weak: {hint} Add more unrelated words.")
    else:
        found.append("Use at most 200 characters.")
    return found


def _personal_parts(person: Person) -> set[str]:
    local, _, domain = person.email.lower().partition("@")
    parts = {local, person.first_name.lower(), person.last_name.lower(), domain.split(".")[0]}
    return {part for part in parts if len(part) >= 3}


def check(password: str, confirmation: str, person: Person) -> None:
    """Raise ValidationError with every broken rule, or when the two entries differ."""
    if password != confirmation:
        raise ValidationError("The two passwords are not the same.", "password")
    found = problems(password, person)
    if found:
        raise ValidationError(" ".join(found), "password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches `stored`, and a new hash when the parameters changed."""
    if not stored:
        # Spend the same time as a real check, so that a missing password does not show.
        _hasher.hash(password)
        return False, None
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, _hasher.hash(password) if _hasher.check_needs_rehash(stored) else None
