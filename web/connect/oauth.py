"""authlib's authorization server wired to Connect's records: authorization code with PKCE
(S256, always required) and OpenID Connect (nonce required), bearer tokens for userinfo."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from authlib.oidc.core import UserInfoEndpoint as BaseUserInfoEndpoint
from flask import Flask, current_app, session

from onboarding.clock import utcnow
from onboarding.identity import clients, keys, oidc, sessions
from onboarding.identity.models import AccessToken, Account, AuthorizationCode
from web.db import db_session
from web.extensions import app_settings

AUTH_TIME_KEY = "auth_time"
AMR_KEY = "amr"  # how this browser's session was authenticated (RFC 8176 values)
SESSION_ID_KEY = "session"  # the server-side session's token (onboarding.identity.sessions)


@dataclass
class IssuedCode:
    """authlib's view of a claimed authorization code."""

    row: AuthorizationCode

    @property
    def code_challenge(self) -> str:
        return self.row.code_challenge

    @property
    def code_challenge_method(self) -> str:
        return self.row.code_challenge_method

    def get_redirect_uri(self) -> str:
        return self.row.redirect_uri

    def get_scope(self) -> str:
        return self.row.scope

    def get_nonce(self) -> str | None:
        return self.row.nonce

    def get_auth_time(self) -> int:
        return self.row.auth_time

    def get_sid(self) -> str | None:
        return self.row.sid

    def get_acr(self) -> None:
        return None

    def get_amr(self) -> list[str] | None:
        return self.row.amr


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def save_authorization_code(self, code: str, request: Any) -> AuthorizationCode:
        data = request.payload.data
        sid = sessions.note_client(
            db_session(), session.get(SESSION_ID_KEY), request.client.client_id
        )
        return oidc.save_code(
            db_session(),
            code=code,
            client_id=request.client.client_id,
            account=request.user,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method", "S256"),
            auth_time=session.get(AUTH_TIME_KEY) or int(utcnow().timestamp()),
            amr=session.get(AMR_KEY),
            sid=sid,
            now=utcnow(),
        )

    def query_authorization_code(self, code: str, client: clients.Client) -> IssuedCode | None:
        row = oidc.claim_code(db_session(), code, client.client_id, utcnow())
        return IssuedCode(row) if row else None

    def delete_authorization_code(self, authorization_code: IssuedCode) -> None:
        """Nothing to do: the code was marked used when it was claimed."""

    def authenticate_user(self, authorization_code: IssuedCode) -> Account | None:
        account = authorization_code.row.account
        return account if oidc.active_account(account) else None


class RequiredS256(CodeChallenge):
    """PKCE for every client, S256 only."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("Missing 'code_challenge': PKCE (S256) is required.")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("'code_challenge_method' must be S256.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'.")
        super().validate_code_verifier(grant, result)


class ConnectOpenIDCode(OpenIDCode):
    def validate_openid_authorization_request(self, grant: Any, redirect_uri: str) -> None:
        nonce = grant.request.payload.data.get("nonce") or ""
        longest = AuthorizationCode.__table__.c.nonce.type.length
        if len(nonce) > longest:
            raise InvalidRequestError(f"'nonce' is longer than {longest} characters.")
        super().validate_openid_authorization_request(grant, redirect_uri)

    def get_authorization_code_claims(self, authorization_code: IssuedCode) -> dict[str, Any]:
        """authlib's claims, and `sid`: the Connect session a logout token will name."""
        claims: dict[str, Any] = super().get_authorization_code_claims(authorization_code)
        if sid := authorization_code.get_sid():
            claims["sid"] = sid
        return claims

    def exists_nonce(self, nonce: str, request: Any) -> bool:
        return oidc.nonce_used(db_session(), request.payload.client_id, nonce)

    def resolve_client_private_key(self, client: clients.Client) -> Any:
        return keys.private_key(keys.signing_key(db_session(), utcnow()))

    def get_encode_header(self, client: clients.Client) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "kid": keys.signing_key(db_session(), utcnow()).kid}

    def get_client_algorithm(self, client: clients.Client) -> str:
        return keys.ALGORITHM

    def get_client_claims(self, client: clients.Client) -> dict[str, Any]:
        now = int(utcnow().timestamp())
        return {
            "iss": app_settings().connect_issuer,
            "aud": [client.client_id],
            "iat": now,
            "exp": now + int(keys.TOKEN_TTL.total_seconds()),
        }

    def generate_user_info(self, user: Account, scope: str) -> UserInfo:
        return UserInfo(oidc.user_claims(user, scope))


class TokenValidator(BearerTokenValidator):
    def authenticate_token(self, token_string: str) -> BearerToken | None:
        row = oidc.find_access_token(db_session(), token_string)
        return BearerToken(row) if row else None


@dataclass
class BearerToken:
    """authlib's view of a stored access token."""

    row: AccessToken

    @property
    def scope(self) -> str:
        return self.row.scope

    def get_scope(self) -> str:
        return self.row.scope

    def is_expired(self) -> bool:
        return self.row.expires_at <= utcnow()

    def is_revoked(self) -> bool:
        return not oidc.active_account(self.row.account)

    def get_user(self) -> Account:
        return self.row.account

    def get_client(self) -> clients.Client | None:
        return clients.find_client(self.row.client_id, app_settings())


class UserInfoEndpoint(BaseUserInfoEndpoint):
    def generate_user_info(self, user: Account, scope: str) -> UserInfo:
        return UserInfo(oidc.user_claims(user, scope))

    def get_issuer(self) -> str:
        return app_settings().connect_issuer


def _save_token(token: dict[str, Any], request: Any) -> None:
    oidc.save_access_token(
        db_session(),
        token=token["access_token"],
        client_id=request.client.client_id,
        account=request.user,
        scope=token.get("scope", ""),
        now=utcnow(),
    )


def init_oauth(app: Flask) -> None:
    """One authorization server per application (see `oauth_server`)."""
    app.config.setdefault("OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": 3600})
    server = AuthorizationServer(
        app,
        query_client=lambda client_id: clients.find_client(client_id, app_settings()),
        save_token=_save_token,
    )
    server.register_grant(CodeGrant, [RequiredS256(required=True), ConnectOpenIDCode(True)])
    protector = ResourceProtector()
    protector.register_token_validator(TokenValidator())
    server.register_endpoint(UserInfoEndpoint(resource_protector=protector))
    app.extensions["connect_oauth"] = server


def oauth_server() -> AuthorizationServer:
    return current_app.extensions["connect_oauth"]
