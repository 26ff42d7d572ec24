"""The OpenID Connect endpoints: discovery, JWKS, authorize, token, userinfo, and log-out
(RP-Initiated Logout 1.0; the clients hear of it through Back-Channel Logout 1.0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import werkzeug
from authlib.common.urls import add_params_to_uri
from authlib.oauth2 import OAuth2Error
from authlib.oidc.core.errors import LoginRequiredError
from flask import (
    Blueprint,
    Request,
    Response,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from onboarding.clock import utcnow
from onboarding.i18n import LANGUAGES
from onboarding.identity import clients, keys, logout
from web.connect import auth
from web.connect.auth import current_account
from web.connect.i18n import choose_language
from web.connect.login_page import login_page
from web.connect.oauth import AUTH_TIME_KEY, oauth_server
from web.db import db_session, keep_changes_of_refusal
from web.extensions import app_settings, csrf
from web.i18n import N_

bp = Blueprint("provider", __name__)
UNKNOWN_CLIENT = N_(
    "This log-in request is not valid: the application that sent you here is unknown, or sent "
    "you from an address it did not register. Go back to the application and log in from there."
)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    issuer = app_settings().connect_issuer
    response = jsonify(
        {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "revocation_endpoint": f"{issuer}/revoke",
            "end_session_endpoint": f"{issuer}/end-session",
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "request_parameter_supported": False,
            "request_uri_parameter_supported": False,
            "claims_parameter_supported": False,
            "authorization_response_iss_parameter_supported": True,
            "ui_locales_supported": list(LANGUAGES),
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": [keys.ALGORITHM],
            "scopes_supported": list(clients.SCOPES),
            "token_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
            "revocation_endpoint_auth_methods_supported": list(clients.AUTH_METHODS),
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "amr",
                "nonce",
                "sid",
                "email",
                "email_verified",
                "given_name",
                "family_name",
                "name",
                "locale",
            ],
        }
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/jwks")
def jwks_creating_keys_when_due() -> Response:
    # A GET that writes: the first signing key, and the next one when rotation is due, are
    # created by the first request that needs the keys, this one or a signature.
    response = jsonify(keys.jwks(db_session(), utcnow()))
    # Short enough that a key published ahead of use is seen before it signs.
    response.headers["Cache-Control"] = "public, max-age=600"
    return response


@bp.route("/authorize", methods=["GET", "POST"])
@csrf.exempt  # a client's form post, no different from the GET it stands for
def authorize_and_issue_code() -> Any:
    # A GET that writes, as OAuth defines it: the authorization code is stored before the
    # redirect that carries it, and the client exchanges it at once.
    # The request itself, not Flask's proxy to it: authlib reads its values a few dozen times.
    return _authorization_answer(request._get_current_object())  # type: ignore[attr-defined]


def after_log_in(next_url: str, code: int = 302) -> werkzeug.Response:
    """The redirect (of status `code`) that takes the browser on once logged in for
    `next_url`. When that is an authorization request that /authorize would now answer by
    sending the browser back to the client (with the code, or an error), it is that answer,
    one hop sooner; otherwise (another page, or one /authorize would show) it goes to
    `next_url`."""
    if urlsplit(next_url).path == url_for("provider.authorize_and_issue_code"):
        answer = _authorization_answer(_get(next_url))
        if _to_the_client(answer):
            answer.status_code = code
            return answer
    return redirect(next_url, code)


def _get(path: str) -> Request:
    """The GET of `path` (a path at Connect) that this browser would send next."""
    target = urlsplit(path)
    environ = {
        key: value
        for key, value in request.environ.items()
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH")
    }
    environ.update(REQUEST_METHOD="GET", PATH_INFO=target.path, QUERY_STRING=target.query)
    return Request(environ)


def _authorization_answer(authorize: Request) -> Any:
    """/authorize's answer to the authorization request `authorize`."""
    if not all(_oauth_text(k) and _oauth_text(v) for k, v in authorize.values.items(multi=True)):
        # OAuth's parameters are printable ASCII; authlib cannot even describe other ones.
        message = "This log-in request is not valid: it holds characters OAuth does not allow."
        return render_template("error.html", status=400, message=message), 400
    choose_language(authorize.values.get("ui_locales", ""))
    return _with_issuer(_authorization_response(authorize))


def _authorization_response(authorize: Request) -> Any:
    values = authorize.values
    server = oauth_server()
    account = current_account()
    try:
        # Validate before asking anyone to log in: a bad client or redirect_uri stops here,
        # and prompt=none without a session goes back to the client with login_required.
        grant = server.get_consent_grant(authorize, end_user=account)
    except OAuth2Error as error:
        if error.redirect_uri or not _a_person_reads(authorize):
            return server.handle_error_response(None, error)
        # Nowhere to send the error back to: the person who followed the link reads why.
        return render_template("error.html", status=400, message=UNKNOWN_CLIENT), 400
    if account is not None and not _fresh_enough(values.get("max_age")):
        if "none" in values.get("prompt", "").split():
            error = LoginRequiredError(redirect_uri=grant.redirect_uri)
            error.state = values.get("state")
            return server.handle_error_response(None, error)
        account = None
    # prompt=login: the client asks for a fresh log-in (e.g. to switch account). The request
    # continues without it (and without max_age) afterwards, so that the log-in is asked once.
    prompts = values.get("prompt", "").split()
    if "create" in prompts and account is None:
        # OpenID Connect Prompt Create 1.0: registration first, then on with the request;
        # from an invitation (the app's `invitation`), the new account is signed in at once.
        return redirect(
            url_for(
                "register.register",
                invitation=values.get("invitation") or None,
                next=_resumed_authorize_path(authorize),
            )
        )
    fresh_login = "login" in prompts
    if account is None or fresh_login:
        resumed = _resumed_authorize_path(authorize)
        login_hint = values.get("login_hint")
        if authorize.method == "GET" and _a_person_reads(authorize):
            # The log-in page at once, as /login shows it: its form posts to /login, whose
            # answer carries the code (see after_log_in). Not for a POST: the page's language
            # links (and a reload) need the request in its address.
            return login_page(resumed, login_hint or "")
        return redirect(url_for("login.login", next=resumed, login_hint=login_hint))
    return server.issue_code(grant, account)


def _a_person_reads(authorize: Request) -> bool:
    """A browser, which prefers a page; a program gets OAuth's JSON."""
    return authorize.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html"


def _fresh_enough(max_age: str | None) -> bool:
    """Whether this session's log-in is recent enough for `max_age` (seconds); OpenID Connect
    Core 3.1.2.1: an older one MUST log in again."""
    if max_age is None or not max_age.isdigit():
        return True
    logged_in_at = session.get(AUTH_TIME_KEY) or 0
    return utcnow().timestamp() - logged_in_at <= int(max_age)


def _with_issuer(response: Any) -> Any:
    """RFC 9207: every authorization response sent back to a client, errors included, names
    Connect as its issuer. Redirects within Connect (to its log-in page) stay as they are."""
    if _to_the_client(response):
        response.location = add_params_to_uri(
            response.location, {"iss": app_settings().connect_issuer}
        )
    return response


def _to_the_client(response: Any) -> bool:
    """Whether `response` sends the browser away from Connect (back to the client)."""
    issuer = app_settings().connect_issuer
    location = getattr(response, "location", None) or ""
    within_connect = location.startswith("/") or location.startswith(f"{issuer}/")
    return getattr(response, "status_code", None) == 302 and bool(location) and not within_connect


def _oauth_text(value: str) -> bool:
    return value.isascii() and value.isprintable()


# What the request as it arrived asks for once (a fresh log-in, not older than max_age) or
# only for the log-in page (its language, which the session keeps): the request resumed
# after the log-in goes without them.
_ASKED_ONCE = ("prompt", "max_age", "lang")


def _resumed_authorize_path(authorize: Request) -> str:
    args = [(k, v) for k, v in authorize.values.items(multi=True) if k not in _ASKED_ONCE]
    return f"{authorize.path}?{urlencode(args)}"


@bp.post("/token")
@csrf.exempt
def token() -> Any:
    # A refused exchange keeps the code spent: a code is claimed once, whatever follows.
    keep_changes_of_refusal()
    return oauth_server().create_token_response()


@bp.post("/revoke")
@csrf.exempt
def revoke() -> Any:
    return oauth_server().create_endpoint_response("revocation")


@bp.route("/userinfo", methods=["GET", "POST"])
@csrf.exempt
def userinfo() -> Any:
    return oauth_server().create_endpoint_response("userinfo")


END_SESSION_PARAMS = ("id_token_hint", "client_id", "post_logout_redirect_uri", "state")


@dataclass(frozen=True)
class LogoutRequest:
    """A client's request to end the Connect session, checked."""

    params: dict[str, str]  # as received, to carry through the confirmation
    subject: str | None  # whom the ID token hint names
    redirect_to: str | None  # the registered post_logout_redirect_uri, with the state


def _logout_request(values: Any) -> LogoutRequest | None:
    """The request in `values`, or None when its hint, client or redirect is not valid."""
    params = {name: values[name] for name in END_SESSION_PARAMS if values.get(name)}
    claims = None
    if "id_token_hint" in params:
        claims = logout.read_id_token_hint(db_session(), params["id_token_hint"], utcnow())
        if claims is None:
            return None
    audience = claims.get("aud", []) if claims else []
    audience = [audience] if isinstance(audience, str) else list(audience)
    client_id = params.get("client_id") or next(iter(audience), None)
    if claims and client_id not in audience:
        return None
    redirect_to = params.get("post_logout_redirect_uri")
    if redirect_to:
        client = clients.find_client(client_id, app_settings())
        if client is None or redirect_to not in client.post_logout_redirect_uris:
            return None
        if "state" in params:
            separator = "&" if "?" in redirect_to else "?"
            redirect_to += separator + urlencode({"state": params["state"]})
    return LogoutRequest(params, claims["sub"] if claims else None, redirect_to)


def _logged_out(logout_request: LogoutRequest) -> Any:
    auth.log_out()
    if logout_request.redirect_to:
        return redirect(logout_request.redirect_to)
    return render_template("end_session.html", account=None)


def _invalid_logout() -> Any:
    message = "This log-out request is not valid."
    return render_template("error.html", status=400, message=message), 400


@bp.route("/end-session", methods=["GET", "POST"])
@csrf.exempt
def end_session() -> Any:
    """A client sends the browser here to end its Connect session. With an ID token of the
    logged-in account as the hint the session ends at once; otherwise its owner confirms, so
    that a link on any page cannot log anyone out."""
    logout_request = _logout_request(request.values)
    if logout_request is None:
        return _invalid_logout()
    account = current_account()
    if account is None or logout_request.subject == account.subject:
        return _logged_out(logout_request)
    return render_template("end_session.html", account=account, params=logout_request.params)


@bp.post("/end-session/confirm")
def end_session_confirmed() -> Any:
    logout_request = _logout_request(request.form)
    if logout_request is None:
        return _invalid_logout()
    return _logged_out(logout_request)
