"""The password policy, rule by rule, and argon2id hashing with rehash."""

from __future__ import annotations

from dataclasses import replace

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


def test_hashes_are_argon2id_at_owasps_parameters_by_default(settings):
    stored = passwords.hash_password("orbit lantern pebble quiet", settings)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify(stored, "orbit lantern pebble quiet", settings) == (True, None)
    assert passwords.verify(stored, "orbit lantern pebble quiet!", settings) == (False, None)
    assert passwords.verify(None, "anything", settings) == (False, None)


def test_the_hash_parameters_are_settings(settings):
    stronger = replace(
        settings,
        password_hash_memory_kib=65536,
        password_hash_time_cost=3,
        password_hash_parallelism=4,
    )
    stored = passwords.hash_password("orbit lantern pebble quiet", stronger)
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_a_hash_made_with_other_parameters_is_replaced_on_success(settings):
    library_default = PasswordHasher()  # m=64 MiB, t=3, p=4: what earlier hashes used
    ok, new_hash = passwords.verify(
        library_default.hash("orbit lantern pebble quiet"), "orbit lantern pebble quiet", settings
    )
    assert ok and new_hash is not None and new_hash.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert passwords.verify(new_hash, "orbit lantern pebble quiet", settings) == (True, None)
