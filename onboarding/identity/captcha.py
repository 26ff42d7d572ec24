"""Captchas for registration, pluggable by CAPTCHA: a self-hosted proof of work in the ALTCHA
format (default; works offline), or Google reCAPTCHA.

ALTCHA: the server picks a random salt and a secret number n, publishes
sha256(salt + n) with an HMAC signature and an expiry; the browser finds n by trying numbers.
The server keeps no state until an answer comes back; `first_use` makes each answer single use,
in the database that every process shares.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from onboarding.rate_limits import DatabaseStorage, database_storage_uri
from onboarding.settings import Settings

CHALLENGE_TTL = timedelta(minutes=20)
RECAPTCHA_VERIFY_URL = "https://www.google.com/recaptcha/api/siteverify"


class CaptchaFailed(ValueError):
    pass


@dataclass(frozen=True)
class Solved:
    """A verified answer; `key` identifies it, to refuse a second use."""

    key: str


def _mac(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Altcha:
    secret: str
    max_number: int
    kind: str = "altcha"

    def challenge(self, now: datetime) -> dict[str, Any]:
        """A fresh signed challenge, in the JSON shape the ALTCHA widget expects."""
        expires = int((now + CHALLENGE_TTL).timestamp())
        salt = f"{secrets.token_hex(12)}?expires={expires}"
        number = secrets.randbelow(self.max_number + 1)
        digest = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        return {
            "algorithm": "SHA-256",
            "challenge": digest,
            "maxnumber": self.max_number,
            "salt": salt,
            "signature": _mac(self.secret, digest),
        }

    def verify(self, answer: str, remote_ip: str | None, now: datetime) -> Solved:
        """Check a base64 JSON answer {algorithm, challenge, number, salt, signature}."""
        try:
            payload = json.loads(base64.b64decode(answer or "", validate=True))
            challenge, salt = str(payload["challenge"]), str(payload["salt"])
            number, signature = int(payload["number"]), str(payload["signature"])
            expires = int(parse_qs(urlsplit(salt).query)["expires"][0])
        except (ValueError, KeyError, TypeError, IndexError):
            raise CaptchaFailed("Solve the captcha first (it needs JavaScript).") from None
        if payload.get("algorithm") != "SHA-256" or not hmac.compare_digest(
            signature, _mac(self.secret, challenge)
        ):
            raise CaptchaFailed("The captcha answer is not valid; try again.")
        if expires < now.timestamp():
            raise CaptchaFailed("The captcha has expired; reload the page and try again.")
        computed = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
        if not hmac.compare_digest(computed, challenge):
            raise CaptchaFailed("The captcha answer is not valid; try again.")
        return Solved(key=challenge)


@dataclass(frozen=True)
class Recaptcha:
    site_key: str
    secret_key: str
    verify_url: str = RECAPTCHA_VERIFY_URL
    kind: str = "recaptcha"

    def verify(self, answer: str, remote_ip: str | None, now: datetime) -> Solved:
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
    for number in range(int(challenge["maxnumber"]) + 1):
        text = f"{challenge['salt']}{number}"
        if hashlib.sha256(text.encode()).hexdigest() == challenge["challenge"]:
            answer = {
                key: challenge[key] for key in ("algorithm", "challenge", "salt", "signature")
            }
            return base64.b64encode(json.dumps({**answer, "number": number}).encode()).decode()
    raise CaptchaFailed("no solution")


def from_settings(settings: Settings) -> Altcha | Recaptcha:
    if settings.captcha == "recaptcha":
        return Recaptcha(settings.recaptcha_site_key, settings.recaptcha_secret_key)
    secret = _mac(settings.secret_key, "altcha")
    return Altcha(secret=secret, max_number=settings.altcha_max_number)
