"""authlib's authorization server wired to Connect's records: authorization code with PKCE
(S256, always required) and OpenID Connect, refresh tokens for the clients allowed
`offline_access`, revocation (RFC 7009), bearer tokens for userinfo (RFC 6750)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer, ResourceProtector
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import grants as oauth_grants
from authlib.oauth2.rfc6749.errors import (
    InvalidRequestError,
    MissingAuthorizationError,
    UnsupportedTokenTypeError,
)
from authlib.oauth2.rfc6750 import BearerTokenValidator
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import OpenIDCode, UserInfo
from authlib.oidc.core import UserInfoEndpoint as BaseUserInfoEndpoint
from authlib.oidc.core.errors import RequestNotSupportedError, RequestURINotSupportedError
from flask import Flask, Request, current_app, g, session
from flask import request as flask_request

from onboarding.clock import utcnow
from onboarding.identity import clients, grants, keys, oidc, sessions
from onboarding.identity.models import AccessToken, Account, AuthorizationCode, RefreshToken
from web.db import db_session
from web.extensions import app_settings

_SIGNER = "connect_signer"
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


def _redirect_for_errors(server: AuthorizationServer, request: Any) -> str | None:
    """Where an error about this authorization request goes: the client's redirect_uri once
    the client and that redirect_uri are known to match, else nowhere (RFC 6749 4.1.2.1)."""
    client = server.query_client(request.payload.client_id)
    redirect_uri = request.payload.redirect_uri
    if client is None or not redirect_uri or not client.check_redirect_uri(redirect_uri):
        return None
    return str(redirect_uri)


class ConnectAuthorizationServer(AuthorizationServer):
    """authlib's server, with what Connect checks of every request before any grant."""

    def get_authorization_grant(self, request: Any) -> Any:
        data = request.payload.data
        redirect_uri = _redirect_for_errors(self, request)
        # Request objects are not supported: say so rather than ignore what they hold (a
        # request object may carry the other parameters, so this comes first).
        if "request" in data:
            raise RequestNotSupportedError(redirect_uri=redirect_uri)
        if "request_uri" in data:
            raise RequestURINotSupportedError(redirect_uri=redirect_uri)
        if not data.get("response_type"):
            raise InvalidRequestError("Missing 'response_type'.", redirect_uri=redirect_uri)
        if data.get("response_mode", "query") != "query":
            raise InvalidRequestError(
                "Only 'response_mode=query' is supported.", redirect_uri=redirect_uri
            )
        return super().get_authorization_grant(request)

    def create_oauth2_request(self, request: Request | None) -> FlaskOAuth2Request:
        # `request`, when given, is not the one being answered: the authorization request that
        # a log-in goes on with (web.connect.provider.after_log_in).
        return FlaskOAuth2Request(request if request is not None else flask_request)

    def issue_code(self, grant: Any, user: Account) -> Any:
        """The response to an authorization request that `get_consent_grant` validated, for
        `user`: authlib's `create_authorization_response`, without validating it again."""
        try:
            answer = grant.create_authorization_response(grant.redirect_uri, user)
            response = self.handle_response(*answer)
        except OAuth2Error as error:
            error.state = grant.request.payload.state
            response = self.handle_error_response(grant.request, error)
        grant.execute_hook("after_authorization_response", response)
        return response

    def authenticate_client(self, request: Any, methods: Any, endpoint: str = "token") -> Any:
        # RFC 6749 section 2.3: one authentication method per request, never Basic and the
        # body together.
        if request.headers.get("Authorization") and "client_secret" in request.form:
            raise InvalidRequestError("The client used more than one authentication method.")
        return super().authenticate_client(request, methods, endpoint)


class CodeGrant(oauth_grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def generate_token(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # A refresh token only when the client asked for offline access (and may have it).
        scope = kwargs.get("scope") or ""
        kwargs["include_refresh_token"] = (
            kwargs.get("include_refresh_token", False) and "offline_access" in scope.split()
        )
        token: dict[str, Any] = super().generate_token(*args, **kwargs)
        return token

    def generate_authorization_code(self) -> str:
        # 48 characters like authlib's, without a system call for each.
        return secrets.token_urlsafe(36)

    def save_authorization_code(self, code: str, request: Any) -> None:
        from web.connect.auth import current_session  # it imports this module (session keys)

        data = request.payload.data
        client_id = request.client.client_id
        connect_session = current_session()
        stored = oidc.save_code(
            db_session(),
            code=code,
            client_id=client_id,
            account_id=request.user.id,
            redirect_uri=request.payload.redirect_uri,
            scope=request.scope,
            nonce=data.get("nonce"),
            code_challenge=data["code_challenge"],
            code_challenge_method=data.get("code_challenge_method", "S256"),
            auth_time=session.get(AUTH_TIME_KEY) or int(utcnow().timestamp()),
            amr=session.get(AMR_KEY),
            sid=connect_session.sid if connect_session else None,
            now=utcnow(),
        )
        if not stored:  # authlib's words for a nonce given before (see exists_nonce)
            raise InvalidRequestError("Replay attack", redirect_uri=self.redirect_uri)
        sessions.note_client(db_session(), connect_session, client_id)

    def query_authorization_code(self, code: str, client: clients.Client) -> IssuedCode | None:
        row = oidc.claim_code(db_session(), code, client.client_id, utcnow())
        if row is None:
            grants.revoke_replayed_code(db_session(), code, client.client_id, utcnow())
            return None
        return IssuedCode(row)

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


@dataclass
class IssuedRefreshToken:
    """authlib's view of a claimed refresh token."""

    row: RefreshToken

    def get_scope(self) -> str:
        return self.row.scope

    def check_client(self, client: clients.Client) -> bool:
        return self.row.client_id == client.client_id


class RefreshGrant(oauth_grants.RefreshTokenGrant):
    """Refresh tokens rotate: each refresh spends the token and issues the next one."""

    TOKEN_ENDPOINT_AUTH_METHODS = list(clients.AUTH_METHODS)
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> IssuedRefreshToken | None:
        client = self.request.client
        row = grants.claim_refresh_token(db_session(), refresh_token, client.client_id, utcnow())
        return IssuedRefreshToken(row) if row else None

    def authenticate_user(self, refresh_token: IssuedRefreshToken) -> Account | None:
        account = refresh_token.row.account
        return account if oidc.active_account(account) else None

    def revoke_old_credential(self, refresh_token: IssuedRefreshToken) -> None:
        """Nothing to do: the token was marked used when it was claimed."""


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
        # Checked as the code is stored, by the same statement (CodeGrant.save_authorization_code).
        return False

    def resolve_client_private_key(self, client: clients.Client) -> Any:
        return keys.private_key(_signing_key())

    def get_encode_header(self, client: clients.Client) -> dict[str, str]:
        return {"alg": keys.ALGORITHM, "kid": _signing_key().kid}

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


def _signing_key() -> keys.Signer:
    """The key that signs this request's ID token (one for its header and its signature): the
    one this application read last while it still signs (`keys.signer`), saving a query on
    every token request."""
    if "signer" not in g:
        held: keys.Signer | None = current_app.extensions.get(_SIGNER)
        now = utcnow()
        if held is None or not held.signs_at(now):
            held = current_app.extensions[_SIGNER] = keys.signer(db_session(), now)
        g.signer = held
    signer: keys.Signer = g.signer
    return signer


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
        return self.row.revoked_at is not None or not oidc.active_account(self.row.account)

    def get_user(self) -> Account:
        return self.row.account

    def get_client(self) -> clients.Client | None:
        return clients.find_client(self.row.client_id, app_settings())

    def check_client(self, client: clients.Client) -> bool:
        return self.row.client_id == client.client_id


class NoBearerToken(OAuth2Error):  # type: ignore[misc]
    """A request that holds no bearer token: 401 and a challenge, with no error code
    (RFC 6750 section 3.1)."""

    status_code = 401

    def get_body(self) -> list[tuple[str, str]]:
        return []

    def get_headers(self) -> list[tuple[str, str]]:
        return [("WWW-Authenticate", "Bearer"), ("Content-Type", "application/json")]


class BearerProtector(ResourceProtector):
    """Bearer tokens in the Authorization header or in a form body (RFC 6750 section 2)."""

    def parse_request_authorization(self, request: Any) -> Any:
        in_body = flask_request.mimetype == "application/x-www-form-urlencoded" and (
            "access_token" in flask_request.form
        )
        if not in_body:
            try:
                return super().parse_request_authorization(request)
            except (MissingAuthorizationError, UnsupportedTokenTypeError):
                raise NoBearerToken() from None
        if request.headers.get("Authorization"):
            raise InvalidRequestError("The token was sent in more than one way.")
        return self.get_token_validator("bearer"), flask_request.form["access_token"]


class TokenRevocation(RevocationEndpoint):
    """RFC 7009: a client revokes its access or refresh token; unknown tokens are no error."""

    CLIENT_AUTH_METHODS = list(clients.AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> Any:
        session = db_session()
        access = oidc.find_access_token(session, token_string)
        if access is not None:
            return BearerToken(access)
        refresh = grants.find_refresh_token(session, token_string)
        return IssuedRefreshToken(refresh) if refresh else None

    def revoke_token(self, token: BearerToken | IssuedRefreshToken, request: Any) -> None:
        grants.revoke_token(db_session(), token.row, utcnow())


class UserInfoEndpoint(BaseUserInfoEndpoint):
    def generate_user_info(self, user: Account, scope: str) -> UserInfo:
        return UserInfo(oidc.user_claims(user, scope))

    def get_issuer(self) -> str:
        return app_settings().connect_issuer


def _save_token(token: dict[str, Any], request: Any) -> None:
    """Store the tokens of a code exchange or a refresh, in the grant they belong to."""
    session, now = db_session(), utcnow()
    if request.refresh_token is not None:
        grant_id, granted_scope = (
            request.refresh_token.row.grant_id,
            request.refresh_token.row.scope,
        )
    else:
        grant_id, granted_scope = request.authorization_code.row.grant_id, token["scope"]
    common = {"client_id": request.client.client_id, "account_id": request.user.id, "now": now}
    oidc.save_access_token(
        session, token=token["access_token"], grant_id=grant_id, scope=token["scope"], **common
    )
    if "refresh_token" in token:
        grants.save_refresh_token(
            session, token=token["refresh_token"], grant_id=grant_id, scope=granted_scope, **common
        )


def _new_token(*_: Any, **__: Any) -> str:
    """An access or refresh token: 256 random bits (authlib's own draws each character with a
    system call)."""
    return secrets.token_urlsafe(32)


def init_oauth(app: Flask) -> None:
    """One authorization server per application (see `oauth_server`)."""
    app.config.setdefault(
        "OAUTH2_TOKEN_EXPIRES_IN", {"authorization_code": 3600, "refresh_token": 3600}
    )
    app.config.setdefault("OAUTH2_ACCESS_TOKEN_GENERATOR", _new_token)
    # Made only for the grants that ask for one (CodeGrant.generate_token).
    app.config.setdefault("OAUTH2_REFRESH_TOKEN_GENERATOR", _new_token)
    server = ConnectAuthorizationServer(
        app,
        query_client=lambda client_id: clients.find_client(client_id, app_settings()),
        save_token=_save_token,
    )
    # The nonce is optional in the code flow (OpenID Connect Core 3.1.2.1): PKCE binds the
    # code to the client's request. A nonce given is still checked against replays.
    server.register_grant(CodeGrant, [RequiredS256(required=True), ConnectOpenIDCode(False)])
    server.register_grant(RefreshGrant)
    server.register_endpoint(TokenRevocation)
    protector = BearerProtector()
    protector.register_token_validator(TokenValidator())
    server.register_endpoint(UserInfoEndpoint(resource_protector=protector))
    app.extensions["connect_oauth"] = server


def oauth_server() -> AuthorizationServer:
    return current_app.extensions["connect_oauth"]
