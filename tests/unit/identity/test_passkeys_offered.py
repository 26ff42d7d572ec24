"""Passkeys are offered only where browsers can use them: Connect at a domain."""

import pytest

from onboarding.identity.passkeys import offered


@pytest.mark.parametrize(
    ("issuer", "usable"),
    [
        ("https://connect.example.com", True),
        ("http://localhost:5001", True),
        ("http://127.0.0.1:5001", False),
        ("http://[::1]:5001", False),
    ],
)
def test_an_ip_address_is_never_a_relying_party(issuer, usable):
    assert offered(issuer) is usable
