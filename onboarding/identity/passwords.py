"""Passwords: the policy a new password must meet, and argon2id hashing with rehash.

The policy is offline: zxcvbn's strength estimate and its list of common passwords.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from onboarding.errors import ValidationError
from onboarding.settings import Settings

MIN_SCORE = 3
MAX_LENGTH = 200
_COMMON = frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class Rule:
    """One sentence of the policy: an English message with %(name)s fields, so that a page can
    show it in another language."""

    message: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message % self.params if self.params else self.message


class PolicyError(ValidationError):
    """A password refused; `problems` says why, rule by rule."""

    def __init__(self, problems: list[Rule]) -> None:
        super().__init__(" ".join(str(problem) for problem in problems), "password")
        self.problems = problems


def rules(min_length: int) -> list[Rule]:
    """The policy in words (PASSWORD_MIN_LENGTH: `min_length`), shown before the user types."""
    return [
        Rule("At least %(count)s characters.", {"count": min_length}),
        Rule("Not a common or previously breached password."),
        Rule("Hard to guess: a few unrelated words work well."),
        Rule("Does not contain your email address or your name."),
    ]


@dataclass(frozen=True)
class Person:
    """What a password must not contain."""

    email: str
    first_name: str = ""
    last_name: str = ""


def problems(password: str, person: Person, min_length: int) -> list[Rule]:
    """Every rule that `password` breaks; empty when it is fine."""
    found = []
    if len(password) < min_length:
        found.append(Rule("Use at least %(count)s characters.", {"count": min_length}))
    if len(password) > MAX_LENGTH:
        return [*found, Rule("Use at most %(count)s characters.", {"count": MAX_LENGTH})]
    if not password:
        return found  # the length rule refuses it; zxcvbn cannot rate an empty password
    lowered = password.lower()
    if lowered in _COMMON:
        found.append(Rule("This is one of the most common passwords; choose another."))
    personal = _personal_parts(person)
    if any(part in lowered for part in personal):
        found.append(Rule("Do not use your email address or your name in your password."))
    estimate = zxcvbn(password, user_inputs=sorted(personal))
    if estimate["score"] < MIN_SCORE:
        found.append(
            Rule("This password is too weak: it would be easy to guess. Add more unrelated words.")
        )
        if estimate["feedback"].get("warning"):
            # zxcvbn's own hint: one of its fixed English sentences, each in Connect's catalog.
            found.append(Rule(estimate["feedback"]["warning"]))
    return found


def _personal_parts(person: Person) -> set[str]:
    local, _, domain = person.email.lower().partition("@")
    parts = {local, person.first_name.lower(), person.last_name.lower(), domain.split(".")[0]}
    return {part for part in parts if len(part) >= 3}


def check(password: str, confirmation: str, person: Person, min_length: int) -> None:
    """Raise PolicyError with every broken rule, or when the two entries differ."""
    if password != confirmation:
        raise PolicyError([Rule("The two passwords are not the same.")])
    found = problems(password, person, min_length)
    if found:
        raise PolicyError(found)


@lru_cache(maxsize=4)
def _hasher(memory_kib: int, time_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=parallelism)


def hasher(settings: Settings) -> PasswordHasher:
    """argon2id with the PASSWORD_HASH_* parameters."""
    return _hasher(
        settings.password_hash_memory_kib,
        settings.password_hash_time_cost,
        settings.password_hash_parallelism,
    )


def hash_password(password: str, settings: Settings) -> str:
    return hasher(settings).hash(password)


def verify(stored: str | None, password: str, settings: Settings) -> tuple[bool, str | None]:
    """Whether `password` matches `stored`, and a new hash when the parameters changed."""
    argon2 = hasher(settings)
    if not stored:
        # Spend the same time as a real check, so that a missing password does not show.
        argon2.hash(password)
        return False, None
    try:
        argon2.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False, None
    return True, argon2.hash(password) if argon2.check_needs_rehash(stored) else None
