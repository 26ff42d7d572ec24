"""The password policy, rule by rule, and argon2id hashing with rehash."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from onboarding.errors import ValidationError
from onboarding.identity import passwords

ADA = passwords.Person("ada.lovelace@example.com", "Ada", "Lovelace")


def test_a_long_unrelated_phrase_passes():
    assert passwords.problems("orbit lantern pebble quiet", ADA, 10) == []


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Xq7#kLp2", "at least 10 characters"),
        ("password1234", "most common passwords"),
        ("lovelace-orbit-pebble", "your email address or your name"),
        ("ada.lovelace 9 river", "your email address or your name"),
        ("aaaaaaaaaaaa", "too weak"),
        ("qwertyuiopasdf", "too weak"),
    ],
)
def test_each_rule_rejects_with_its_message(password, message):
    found = " ".join(map(str, passwords.problems(password, ADA, 10)))
    assert message in found


def test_the_rules_are_stated_before_typing():
    assert str(passwords.rules(10)[0]) == "At least 10 characters."


def test_check_refuses_two_different_entries():
    with pytest.raises(ValidationError, match="not the same"):
        passwords.check("orbit lantern pebble quiet", "orbit lantern pebble", ADA, 10)


def test_hashes_are_argon2id_and_verify():
    stored = passwords.hash_password("orbit lantern pebble quiet")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "orbit lantern pebble quiet") == (True, None)
    assert passwords.verify(stored, "orbit lantern pebble quiet!") == (False, None)
    assert passwords.verify(None, "anything") == (False, None)


def test_a_hash_made_with_old_parameters_is_replaced_on_success():
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    ok, new_hash = passwords.verify(
        weak.hash("orbit lantern pebble quiet"), "orbit lantern pebble quiet"
    )
    assert ok and new_hash is not None and new_hash.startswith("$argon2id$")
    assert passwords.verify(new_hash, "orbit lantern pebble quiet") == (True, None)
