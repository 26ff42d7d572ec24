"""Captchas for registration, pluggable by CAPTCHA: a self-hosted proof of work made and checked
by the `altcha` library (default; works offline), or Google reCAPTCHA.

ALTCHA: the server signs a challenge (HMAC, with an expiry) whose answer is a counter below
ALTCHA_MAX_NUMBER; the browser's widget finds the counter by trying them in order. The server
keeps no state until an answer comes back; `first_use` makes each answer single use, in the
database that every process shares.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import struct
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import altcha
import requests

from onboarding.errors import ValidationError
from onboarding.rate_limits import DatabaseStorage, database_storage_uri
from onboarding.settings import Settings

CHALLENGE_TTL = timedelta(minutes=20)
# One SHA-256 per counter tried: the widget's SHA worker, and a quick check on the server.
ALGORITHM, COST = "SHA-256", 1
RECAPTCHA_VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"


class CaptchaFailed(ValidationError):
    """The captcha was not solved, or not here: refused on the form's captcha."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "captcha")


@dataclass(frozen=True)
class Solved:
    """A verified answer; `key` identifies it, to refuse a second use."""

    key: str


@dataclass(frozen=True)
class Altcha:
    secret: str
    max_number: int
    kind: str = "altcha"

    def challenge(self, now: datetime) -> dict[str, Any]:
        """A fresh signed challenge, in the JSON shape the ALTCHA widget expects."""
        made = altcha.create_challenge(
            ALGORITHM,
            COST,
            # The answer is this counter: the widget tries 0, 1, 2 … up to it.
            counter=secrets.randbelow(self.max_number + 1),
            expires_at=now + CHALLENGE_TTL,
            hmac_secret=self.secret,
        )
        return made.to_dict()

    def verify(self, answer: str, remote_ip: str | None) -> Solved:
        """Check the widget's base64 JSON answer {challenge, solution}."""
        result = altcha.verify_solution(answer or "", self.secret)
        if result.error:
            raise CaptchaFailed("Solve the captcha first (it needs JavaScript).")
        if result.expired:
            raise CaptchaFailed("The captcha has expired; reload the page and try again.")
        if not result.verified:
            raise CaptchaFailed("The captcha answer is not valid; try again.")
        return Solved(key=str(altcha.Payload.from_base64(answer).challenge.signature))


@dataclass(frozen=True)
class Recaptcha:
    site_key: str
    secret_key: str
    verify_url: str = RECAPTCHA_VERIFY_URL
    kind: str = "recaptcha"

    def verify(self, answer: str, remote_ip: str | None) -> Solved:
        if not answer:
            raise CaptchaFailed("Tick the captcha first.")
        data = {"secret": self.secret_key, "response": answer}
        if remote_ip:
            data["remoteip"] = remote_ip
        try:
            result = requests.post(self.verify_url, data=data, timeout=10).json()
        except (requests.RequestException, ValueError):
            raise CaptchaFailed("The captcha could not be checked; try again.") from None
        if not result.get("success"):
            raise CaptchaFailed("The captcha was not solved; try again.")
        return Solved(key=hashlib.sha256(answer.encode()).hexdigest())


def first_use(solved: Solved, settings: Settings) -> bool:
    """Whether this is the first time `solved` is presented (it is recorded as used now, in
    the counters every process of `settings` shares)."""
    # Remembered as long as a challenge lives (reCAPTCHA's answers live shorter).
    seconds = int(CHALLENGE_TTL.total_seconds())
    return (
        DatabaseStorage(database_storage_uri(settings)).incr(f"captcha:{solved.key}", seconds) == 1
    )


def solve(challenge: dict[str, Any]) -> str:
    """Find the answer to an ALTCHA challenge, as the browser widget does."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = _solve_sha256(parsed.parameters) or altcha.solve_challenge(parsed)
    if solution is None:
        raise ValueError("no solution")
    return altcha.Payload(parsed, solution).to_base64()


def _solve_sha256(parameters: altcha.ChallengeParameters) -> altcha.Solution | None:
    """altcha.solve_challenge for our own kind of challenge (one SHA-256 of salt, nonce and the
    counter as a big-endian uint32), about three times faster: the simulated browsers of the
    load tests solve thousands. None for any other kind, or when no counter fits."""
    prefix = bytes.fromhex(parameters.key_prefix) if len(parameters.key_prefix) % 2 == 0 else None
    if (
        parameters.algorithm != ALGORITHM
        or parameters.cost != COST
        or prefix is None
        or len(prefix) > parameters.key_length
    ):
        return None
    # salt + nonce are hashed once; each counter only adds its 4 bytes to a copy.
    start = hashlib.sha256(bytes.fromhex(parameters.salt) + bytes.fromhex(parameters.nonce))
    copy, pack, width = start.copy, struct.Struct(">I").pack, len(prefix)
    for counter in range(1 << 32):
        tried = copy()
        tried.update(pack(counter))
        digest = tried.digest()
        if digest[:width] == prefix:
            return altcha.Solution(counter, digest[: parameters.key_length].hex())
    return None


def from_settings(settings: Settings) -> Altcha | Recaptcha:
    if settings.captcha == "recaptcha":
        return Recaptcha(settings.recaptcha_site_key, settings.recaptcha_secret_key)
    secret = hmac.new(settings.secret_key.encode(), b"altcha", hashlib.sha256).hexdigest()
    return Altcha(secret=secret, max_number=settings.altcha_max_number)
