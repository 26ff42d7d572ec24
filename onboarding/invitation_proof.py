"""The invitation an app vouches for when it sends an invitee to register at its identity
provider: the invited address, the names, language and country the administrator entered, and the
app's signed journey reference, signed with the secret the app and Connect share
(WEBHOOK_SECRET).

Whoever holds it followed the mailed invitation link, so it proves the invited mailbox as an
activation link would; it is worth as long as one (ACTIVATION_TTL).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from itsdangerous import BadData, URLSafeTimedSerializer

from onboarding.settings import Settings

_SALT = "invitation-proof"
# Longer than any proof the app makes (names of at most 100 characters each).
MAX_LENGTH = 1500


@dataclass(frozen=True)
class InvitationProof:
    email: str
    first_name: str
    last_name: str
    language: str
    country: str  # "" when the administrator gave none
    journey_ref: str


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.webhook_secret, salt=_SALT)


def sign(proof: InvitationProof, settings: Settings) -> str:
    return _serializer(settings).dumps(asdict(proof))


def read(token: str | None, settings: Settings) -> InvitationProof | None:
    """The proof, or None for a missing, forged, malformed or expired one."""
    if not token or len(token) > MAX_LENGTH:
        return None
    try:
        value = _serializer(settings).loads(
            token, max_age=int(settings.activation_ttl.total_seconds())
        )
        return InvitationProof(**{k: str(value[k]) for k in InvitationProof.__dataclass_fields__})
    except (BadData, KeyError, TypeError):
        return None
