"""Signed values of both applications (session cookies, CSRF tokens), with signers made once.

itsdangerous makes a new signer for every value it signs or reads, and derives its key again
each time; the signers here are made once per serializer and salt, and derive each key once.
The values are itsdangerous' own, but for short ones left uncompressed (see
`KeptSerializer.dump_payload`): Flask and Flask-WTF read them, and they read Flask's.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from flask import Flask, current_app, g, session
from itsdangerous import Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.url_safe import URLSafeSerializerMixin

# Flask-WTF's, so that its checks accept the tokens made here.
CSRF_SALT = "wtf-csrf-token"
# Shorter payloads go uncompressed: see KeptSerializer.dump_payload.
COMPRESS_FROM = 128


class _KeptKeysSigner(TimestampSigner):
    """A timestamp signer that derives each of its keys once rather than at every signature."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._derived: dict[bytes, bytes] = {}

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        source = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        key = self._derived.get(source)
        if key is None:
            key = self._derived[source] = super().derive_key(secret_key)
        return key


class KeptSerializer(URLSafeTimedSerializer):
    """itsdangerous' URL-safe timed serializer, whose signer for a salt is made once."""

    default_signer = _KeptKeysSigner

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._signers: dict[str | bytes | None, Signer] = {}

    def dump_payload(self, obj: Any) -> bytes:
        """itsdangerous' payload (compressed when that makes it shorter), except that one of
        under `COMPRESS_FROM` bytes is not compressed: zlib sets up some 256 kB of state for
        each call, costlier than the rest of signing a CSRF token or a session holding one,
        to save a few bytes at most. Reading takes either form."""
        json = super(URLSafeSerializerMixin, self).dump_payload(obj)
        if len(json) >= COMPRESS_FROM:
            return super().dump_payload(obj)
        return base64_encode(json)

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        salt = self.salt if salt is None else salt
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer


def csrf_token() -> str:
    """Flask-WTF's `generate_csrf()`: this request's CSRF token, signing the session's raw
    token (made on first use), from a serializer kept per application and secret key."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    field = app.config["WTF_CSRF_FIELD_NAME"]
    token: str | None = g.get(field)
    if token is None:
        serializer = _csrf_serializer(app)
        if field not in session:
            session[field] = _raw_token()
        try:
            token = serializer.dumps(session[field])
        except TypeError:  # not a token this serializer can sign: a new one, as Flask-WTF does
            session[field] = _raw_token()
            token = serializer.dumps(session[field])
        setattr(g, field, token)
    return token


def _raw_token() -> str:
    return hashlib.sha1(os.urandom(64)).hexdigest()  # noqa: S324  (Flask-WTF's raw token)


def _csrf_serializer(app: Flask) -> URLSafeTimedSerializer:
    secret = app.config.get("WTF_CSRF_SECRET_KEY", app.secret_key)
    if secret is None:
        raise RuntimeError("A secret key is required to use CSRF.")
    kept: tuple[Any, URLSafeTimedSerializer] | None = app.extensions.get("csrf_serializer")
    if kept is None or kept[0] != secret:
        kept = app.extensions["csrf_serializer"] = (secret, KeptSerializer(secret, salt=CSRF_SALT))
    return kept[1]
