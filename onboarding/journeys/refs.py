"""The signed journey reference that travels from the app, through Connect's registration,
and back in Connect's `account.registered` event, so that a registration made with another
address than the invited one still advances the right journey."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

from onboarding.settings import Settings

_SALT = "journey-ref"


def _serializer(settings: Settings) -> URLSafeSerializer:
    return URLSafeSerializer(settings.secret_key, salt=_SALT)


def make_ref(journey_id: int, settings: Settings) -> str:
    return _serializer(settings).dumps(journey_id)


def read_ref(ref: str | None, settings: Settings) -> int | None:
    """The journey id, or None for a missing, forged or malformed reference."""
    if not ref or len(ref) > 200:
        return None
    try:
        value = _serializer(settings).loads(ref)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
