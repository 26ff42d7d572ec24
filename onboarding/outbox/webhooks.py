"""Signed webhooks.

Between Connect and the app: HMAC-SHA256 over timestamp and body. The header reads
``t=<unix seconds>,v1=<hex>``; a receiver refuses a bad signature and a timestamp outside the
tolerance (replays).

To an organization's systems: the Standard Webhooks specification (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``), so that any of its libraries verifies them.
During a secret's rotation the message carries one signature per secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import Sequence
from datetime import datetime

from standardwebhooks.webhooks import Webhook

SIGNATURE_HEADER = "Onboarding-Signature"
TOLERANCE_SECONDS = 300


class BadSignature(ValueError):
    pass


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, body: bytes, header: str | None, now: float | None = None) -> None:
    """Raise BadSignature unless `header` signs `body` with `secret` recently enough."""
    try:
        fields = dict(part.split("=", 1) for part in (header or "").split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        raise BadSignature("missing or malformed signature header") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        raise BadSignature("signature timestamp outside the allowed window")
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise BadSignature("signature does not match")


STANDARD_SECRET_PREFIX = "whsec_"  # noqa: S105 (the format's marker)


def new_standard_secret() -> str:
    """A random Standard Webhooks secret (``whsec_`` and 32 bytes in base64)."""
    return STANDARD_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def standard_headers(
    signing_secrets: Sequence[str], message_id: str, body: bytes, at: datetime
) -> dict[str, str]:
    """The Standard Webhooks headers of `body`, signed at `at` with each of `signing_secrets`."""
    signatures = " ".join(Webhook(secret).sign(message_id, at, body) for secret in signing_secrets)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
