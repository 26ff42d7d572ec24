"""The self-hosted proof-of-work captcha (ALTCHA, through the `altcha` library)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import altcha
import pytest

from onboarding.clock import utcnow
from onboarding.identity.captcha import Altcha, CaptchaFailed, solve

ALTCHA = Altcha(secret="s3cret", max_number=300)


def _edited(answer: str, edit) -> str:
    payload = json.loads(base64.b64decode(answer))
    edit(payload)
    return base64.b64encode(json.dumps(payload).encode()).decode()


def test_a_solved_challenge_verifies_and_is_known_by_its_signature():
    challenge = ALTCHA.challenge(utcnow())
    assert ALTCHA.verify(solve(challenge), None).key == challenge["signature"]


def test_solve_finds_the_counter_the_altcha_library_finds_and_it_verifies():
    for _ in range(5):
        challenge = Altcha(secret="s3cret", max_number=5000).challenge(utcnow())
        answer = solve(challenge)
        expected = altcha.solve_challenge(altcha.Challenge.from_dict(challenge))
        assert expected is not None
        assert json.loads(base64.b64decode(answer))["solution"]["counter"] == expected.counter
        assert ALTCHA.verify(answer, None).key == challenge["signature"]


@pytest.mark.parametrize("algorithm, cost", [("SHA-512", 1), ("SHA-256", 2), ("PBKDF2/SHA-256", 2)])
def test_solve_answers_other_kinds_of_challenge_too(algorithm, cost):
    challenge = altcha.create_challenge(algorithm, cost, counter=150, hmac_secret="s3cret")
    answer = solve(challenge.to_dict())
    assert json.loads(base64.b64decode(answer))["solution"]["counter"] == 150
    assert ALTCHA.verify(answer, None).key == challenge.signature


def test_a_wrong_counter_fails():
    answer = solve(ALTCHA.challenge(utcnow()))
    forged = _edited(answer, lambda p: p["solution"].update(counter=p["solution"]["counter"] + 1))
    with pytest.raises(CaptchaFailed, match="not valid"):
        ALTCHA.verify(forged, None)


def test_an_easier_challenge_than_the_one_signed_fails():
    answer = solve(ALTCHA.challenge(utcnow()))
    forged = _edited(answer, lambda p: p["challenge"]["parameters"].update(keyPrefix="0"))
    with pytest.raises(CaptchaFailed, match="not valid"):
        ALTCHA.verify(forged, None)


def test_a_challenge_signed_with_another_secret_fails():
    answer = solve(Altcha(secret="other", max_number=300).challenge(utcnow()))
    with pytest.raises(CaptchaFailed, match="not valid"):
        ALTCHA.verify(answer, None)


def test_an_old_challenge_expires():
    answer = solve(ALTCHA.challenge(utcnow() - timedelta(hours=1)))
    with pytest.raises(CaptchaFailed, match="expired"):
        ALTCHA.verify(answer, None)


@pytest.mark.parametrize("answer", ["", "not base64!", base64.b64encode(b"[1, 2]").decode()])
def test_a_missing_or_malformed_answer_asks_for_the_captcha(answer):
    with pytest.raises(CaptchaFailed, match="Solve the captcha first"):
        ALTCHA.verify(answer, None)
