"""What the ID token's `amr` says a person logged in with."""

import pytest

from onboarding.provider import PASSKEY, credential_of


@pytest.mark.parametrize(
    ("amr", "credential"),
    [
        (["hwk", "user", "mfa"], PASSKEY),
        (["pwd"], None),
        (["pwd", "otp", "mfa"], None),
        (None, None),
        ("hwk", None),  # not a list: not what RFC 8176 sends
    ],
)
def test_a_hardware_key_in_amr_is_a_passkey(amr, credential):
    assert credential_of(amr) == credential
