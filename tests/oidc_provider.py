"""A small, strict OpenID Connect provider served on loopback, standing for "any provider":
discovery, JWKS, authorization code with PKCE S256 required, token, userinfo. Tests choose who
signs in, and may make it misbehave (wrong nonce, issuer, audience or signing key) to prove
that the relying party checks."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from flask import Flask, abort, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from werkzeug.serving import make_server

# Generated once per test run: RSA key generation is slow.
SIGNING_KEY = RSAKey.generate_key(2048, {"kid": "k1"})
FOREIGN_KEY = RSAKey.generate_key(2048, {"kid": "k1"})


@dataclass
class Provider:
    client_id: str
    client_secret: str
    redirect_uri: str
    issuer: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    # "nonce", "issuer", "audience", "key", "expired", or "hs256" (signed with the client
    # secret instead of the provider's key) or "unsigned" (alg none)
    tamper: str | None = None
    # RFC 9207: whether discovery promises `iss` in authorization responses, and the `iss`
    # sent there ("own": its issuer; None: none).
    promises_iss: bool = False
    iss_parameter: str | None = None
    # Claims given only by the userinfo endpoint, not in the ID token (as some providers do).
    userinfo_only: tuple[str, ...] = ()
    authorize_requests: list[dict[str, str]] = field(default_factory=list)
    _codes: dict[str, dict[str, Any]] = field(default_factory=dict)
    _tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    key: RSAKey = field(default_factory=lambda: SIGNING_KEY)

    def app(self) -> Flask:
        app = Flask("oidc_provider")

        @app.get("/.well-known/openid-configuration")
        def discovery() -> Any:
            return jsonify(
                issuer=self.issuer,
                authorization_endpoint=f"{self.issuer}/authorize",
                token_endpoint=f"{self.issuer}/token",
                userinfo_endpoint=f"{self.issuer}/userinfo",
                jwks_uri=f"{self.issuer}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
                token_endpoint_auth_methods_supported=["client_secret_basic"],
                authorization_response_iss_parameter_supported=self.promises_iss,
            )

        @app.get("/jwks")
        def jwks() -> Any:
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize() -> Any:
            args = request.args.to_dict()
            self.authorize_requests.append(args)
            if (
                args.get("client_id") != self.client_id
                or args.get("redirect_uri") != self.redirect_uri
                or args.get("response_type") != "code"
                or args.get("code_challenge_method") != "S256"
                or not args.get("code_challenge")
                or "openid" not in args.get("scope", "").split()
            ):
                abort(400)
            code = secrets.token_urlsafe(16)
            self._codes[code] = {**args, "user": dict(self.user)}
            response = {"code": code, "state": args.get("state", "")}
            if self.iss_parameter:
                response["iss"] = self.issuer if self.iss_parameter == "own" else self.iss_parameter
            query = urlencode(response)
            return redirect(f"{self.redirect_uri}?{query}")

        @app.post("/token")
        def token() -> Any:
            auth = request.authorization
            if not auth or (auth.username, auth.password) != (self.client_id, self.client_secret):
                return jsonify(error="invalid_client"), 401
            grant = self._codes.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .rstrip(b"=")
                .decode()
            )
            if grant is None or challenge != grant["code_challenge"]:
                return jsonify(error="invalid_grant"), 400
            access_token = secrets.token_urlsafe(16)
            self._tokens[access_token] = grant["user"]
            return jsonify(
                access_token=access_token,
                token_type="Bearer",
                expires_in=300,
                id_token=self._id_token(grant),
            )

        @app.get("/userinfo")
        def userinfo() -> Any:
            header = request.headers.get("Authorization", "")
            user = self._tokens.get(header.removeprefix("Bearer "))
            if user is None:
                return jsonify(error="invalid_token"), 401
            return jsonify(user)

        return app

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": self.client_id,
            "iat": now,
            "exp": now + 300,
            "nonce": grant.get("nonce"),
            **{k: v for k, v in grant["user"].items() if k not in self.userinfo_only},
        }
        key = self.key
        if self.tamper == "nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.tamper == "issuer":
            claims["iss"] = "https://elsewhere.example"
        elif self.tamper == "audience":
            claims["aud"] = "another-client"
        elif self.tamper == "key":
            key = FOREIGN_KEY
        elif self.tamper == "expired":
            claims.update(iat=now - 600, exp=now - 300)
        elif self.tamper == "hs256":
            secret = OctKey.import_key(self.client_secret.encode())
            return jwt.encode({"alg": "HS256", "kid": "k1"}, claims, secret, algorithms=["HS256"])
        elif self.tamper == "unsigned":
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"eyJhbGciOiJub25lIn0.{body}."
        return jwt.encode({"alg": "RS256", "kid": self.key.kid}, claims, key)


@contextmanager
def serve_provider(provider: Provider) -> Iterator[Provider]:
    """Serve `provider` on a free loopback port; its issuer is that address."""
    server = make_server("127.0.0.1", 0, provider.app(), threaded=True)
    provider.issuer = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        server.shutdown()
        thread.join()
