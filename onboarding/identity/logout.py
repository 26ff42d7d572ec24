"""Log-out between Connect and its clients (OpenID Connect RP-Initiated Logout 1.0 and
Back-Channel Logout 1.0): the ID token a client sends back as a hint, and the logout tokens
Connect sends a client, through the outbox, when sessions it was given a code in end."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.db import settings_of
from onboarding.identity import clients, keys

EVENT = "http://schemas.openid.net/event/backchannel-logout"
# Sent at once and checked on arrival: a short life keeps a captured one from being replayed.
TOKEN_TTL = timedelta(minutes=5)


def logout_token(
    session: Session, client_id: str, subject: str, sid: str | None, now: datetime
) -> str:
    """A signed logout token telling `client_id` that `subject` (in session `sid`, or in
    every session when None) logged out."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = {
        "iss": settings_of(session).connect_issuer,
        "aud": client_id,
        "iat": issued,
        "exp": issued + int(TOKEN_TTL.total_seconds()),
        "jti": uuid.uuid4().hex,
        "sub": subject,
        "events": {EVENT: {}},
    }
    if sid:
        claims["sid"] = sid
    key = keys.signing_key(session, now)
    header = {"alg": keys.ALGORITHM, "kid": key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, keys.private_key(key), algorithms=[keys.ALGORITHM])


def tell_clients(
    session: Session, client_ids: Iterable[str], subject: str, sid: str | None, now: datetime
) -> None:
    """Put a logout token for each of `client_ids` that takes them in the outbox."""
    for client_id in dict.fromkeys(client_ids):
        client = clients.find_client(client_id, settings_of(session))
        if client is None or not client.backchannel_logout_uri:
            continue
        token = logout_token(session, client_id, subject, sid, now)
        outbox.enqueue_form_post(
            session,
            url=client.backchannel_logout_uri,
            form={"logout_token": token},
            dedupe_key=f"logout-token:{uuid.uuid4().hex}",
        )


def read_id_token_hint(session: Session, token: str, now: datetime) -> dict[str, Any] | None:
    """The claims of an ID token Connect signed, expired or not (a hint names who logs out);
    None when it is not one."""
    key_set = KeySet.import_key_set(keys.jwks(session, now))  # type: ignore[arg-type]
    try:
        claims = jwt.decode(token, key_set, algorithms=[keys.ALGORITHM]).claims
    except (JoseError, ValueError):
        return None
    if claims.get("iss") != settings_of(session).connect_issuer or not claims.get("sub"):
        return None
    return claims
