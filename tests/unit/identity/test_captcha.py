"""The self-hosted proof-of-work captcha (ALTCHA format)."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from onboarding.clock import utcnow
from onboarding.identity.captcha import Altcha, CaptchaFailed, solve

ALTCHA = Altcha(secret="s3cret", max_number=300)


def test_a_solved_challenge_verifies():
    now = utcnow()
    answer = solve(ALTCHA.challenge(now))
    assert ALTCHA.verify(answer, None, now).key


def test_a_wrong_number_fails():
    now = utcnow()
    payload = json.loads(base64.b64decode(solve(ALTCHA.challenge(now))))
    payload["number"] += 1
    forged = base64.b64encode(json.dumps(payload).encode()).decode()
    with pytest.raises(CaptchaFailed, match="not valid"):
        ALTCHA.verify(forged, None, now)


def test_a_challenge_signed_with_another_secret_fails():
    now = utcnow()
    answer = solve(Altcha(secret="other", max_number=300).challenge(now))
    with pytest.raises(CaptchaFailed, match="not valid"):
        ALTCHA.verify(answer, None, now)


def test_an_old_challenge_expires():
    now = utcnow()
    answer = solve(ALTCHA.challenge(now))
    with pytest.raises(CaptchaFailed, match="expired"):
        ALTCHA.verify(answer, None, now + timedelta(hours=1))
