"""Security properties of both applications, enumerated over every route rather than sampled:
CSRF on every state-changing route (with an exact list of exemptions), security headers on
every response, hardened session cookies renewed on log-in, redirects that stay on the site,
secrets stored only as hashes, and log-in answers that tell nothing about an address."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pyotp
import pytest
import redis
import requests
from authlib.common.security import generate_token
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.routing import AnyConverter, IntegerConverter, Rule

import onboarding.identity.models  # noqa: F401
from onboarding.clock import utcnow
from onboarding.dashboard import api_tokens
from onboarding.dashboard.models import ApiToken
from onboarding.db import Base, unit_of_work
from onboarding.identity import accounts, two_factor
from onboarding.identity.models import Account
from onboarding.journeys.models import Journey
from onboarding.outbox import delivery
from onboarding.outbox.models import OutboxMessage
from onboarding.people.models import Person
from onboarding.settings import use_settings
from tests.helpers import (
    PASSWORD,
    activated_account,
    admin_of,
    invitation_path,
    invitee,
    last_link,
    link_token,
    log_in_to_app,
    log_in_to_connect,
    organization,
)
from tests.mailbox import Mailbox, free_port
from tests.oidc_provider import Provider, serve_provider
from web import create_app, create_connect_app

REDIS_URL = "redis://127.0.0.1:6379/0"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Plus every /api/ route (bearer tokens, no cookies); logout tokens are signed.
# The one-click unsubscribe of RFC 8058: mail clients POST it; its signed token is the proof.
APP_CSRF_EXEMPT = {"/hooks/identity", "/auth/backchannel-logout", "/reminders/stop/<token>"}
# A client may POST its log-out request, which ends a session only with the owner's ID token,
# and its authorization request, which does no more than the GET it stands for; /token and
# /revoke authenticate the client.
CONNECT_CSRF_EXEMPT = {"/authorize", "/token", "/revoke", "/userinfo", "/end-session"}
EVIL_TARGETS = [
    "//evil.example",
    "///evil.example",
    "https://evil.example",
    "http://evil.example/measurements",
    "https:evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "%2F%2Fevil.example",
    "/%2F/evil.example",
    "/%5Cevil.example",
    "http://app.test@evil.example/",
]


# --- helpers ----------------------------------------------------------------------------


def example_path(rule: Rule) -> str:
    """A concrete path for `rule`: 1 for numbers, an allowed word for `any`, "x" otherwise."""
    values: dict[str, str] = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, IntegerConverter):
            values[name] = "1"
        else:
            values[name] = "x"
    return re.sub(r"<(?:[^>:]+(?:\([^)]*\))?:)?([^>:]+)>", lambda m: values[m.group(1)], rule.rule)


def unsafe_routes(app: Flask) -> Iterator[tuple[str, str]]:
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS):
            yield method, rule.rule


def csrf_refused_and_exempt(app: Flask) -> tuple[set[str], set[str]]:
    """Every state-changing route, sent without a CSRF token: those refused for it, and not."""
    client = app.test_client()
    refused, exempt = set(), set()
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS):
            response = client.open(
                example_path(rule), method=method, headers={"Accept": "application/json"}
            )
            error = (response.get_json(silent=True) or {}).get("error")
            if response.status_code == 400 and isinstance(error, dict) and error["code"] == "csrf":
                refused.add(rule.rule)
            else:
                exempt.add(rule.rule)
    return refused, exempt


def directives(policy: str) -> dict[str, list[str]]:
    found = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            found[words[0].lower()] = words[1:]
    return found


def assert_hardened(path: str, response) -> None:  # type: ignore[no-untyped-def]
    headers = response.headers
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer", "strict-origin"}, path
    policy = directives(headers.get("Content-Security-Policy", ""))
    assert policy, f"{path}: no Content-Security-Policy"
    scripts = policy.get("script-src", policy.get("default-src"))
    assert scripts is not None, path
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, path
    framing = policy.get("frame-ancestors")
    assert framing in (["'none'"], ["'self'"]) or headers.get("X-Frame-Options") in {
        "DENY",
        "SAMEORIGIN",
    }, path
    if response.mimetype == "text/html":
        assert "no-store" in headers.get("Cache-Control", ""), path  # tokens shown once
        html = response.get_data(as_text=True)
        # What the policy blocks must not be needed: no inline scripts or event handlers.
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html, re.I), f"{path}: inline script"
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I), f"{path}: inline handler"


def parameterless_gets(app: Flask) -> list[str]:
    return sorted(
        {
            rule.rule
            for rule in app.url_map.iter_rules()
            if "GET" in (rule.methods or set()) and not rule.arguments
        }
    )


def browser_destination(base: str, location: str) -> str:
    """Where a browser goes with this Location: it trims controls and spaces at the ends,
    drops tabs and newlines, and reads backslashes as slashes."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21)))))
    return urljoin(base, cleaned.replace("\\", "/"))


def assert_stays_on(base: str, response) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code in (301, 302, 303, 307, 308), response.status_code
    target = urlsplit(browser_destination(base + "/somewhere", response.headers["Location"]))
    assert (target.scheme, target.netloc) == tuple(urlsplit(base)[:2]), response.headers["Location"]


def set_cookie(response, name: str) -> str:  # type: ignore[no-untyped-def]
    cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(f"{name}=")]
    assert cookies, f"no {name} cookie set"
    return cookies[-1]


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def app(factory: sessionmaker[Session]) -> Flask:
    return create_app({"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def connect_app(factory: sessionmaker[Session]) -> Flask:
    return create_connect_app({"TESTING": True, "RATELIMIT_ENABLED": False})


@pytest.fixture
def superadmin_client(app: Flask, factory: sessionmaker[Session]) -> tuple[FlaskClient, dict]:
    """The app's client logged in as a superadmin, with an organization and an invitation."""
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        journey = invitee(session, org, email="ann@example.com")
        boss = invitee(session, org, email="boss@example.com").person
        boss.is_superadmin = True
        session.flush()
        ids = {
            "org": org.id,
            "journey": journey.id,
            "invitation": invitation_path(session, journey),
            "boss": boss,
        }
        client = app.test_client()
        log_in_to_app(client, boss)
    return client, ids


# --- 1. CSRF ----------------------------------------------------------------------------


def test_every_state_changing_route_of_the_app_needs_a_csrf_token_but_the_exemptions(app):
    refused, exempt = csrf_refused_and_exempt(app)
    # The bearer-token services: the JSON API and SCIM.
    api = {rule for _, rule in unsafe_routes(app) if rule.startswith(("/api/", "/scim/v2/"))}
    assert api, "the API has state-changing routes"
    assert exempt == APP_CSRF_EXEMPT | api
    assert refused and not refused & exempt


def test_every_state_changing_route_of_connect_needs_a_csrf_token_but_the_exemptions(
    connect_app,
):
    refused, exempt = csrf_refused_and_exempt(connect_app)
    assert exempt == CONNECT_CSRF_EXEMPT
    assert {"/login", "/logout", "/register", "/password/forgot"} <= refused


def test_the_exempt_routes_refuse_requests_without_their_own_credentials(app, connect_app):
    client, connect = app.test_client(), connect_app.test_client()
    assert client.post("/hooks/identity", data=b"{}").status_code == 401
    assert client.post("/auth/backchannel-logout").status_code == 400
    assert client.post("/reminders/stop/forged").status_code == 404
    assert connect.post("/end-session", data={"id_token_hint": "forged"}).status_code == 400
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) & UNSAFE_METHODS):
            if rule.rule.startswith("/api/"):
                response = client.open(
                    example_path(rule), method=method, headers={"Authorization": "Bearer fake"}
                )
                assert response.status_code == 401, rule.rule
    assert connect.post("/token", data={"grant_type": "authorization_code"}).status_code in (
        400,
        401,
    )
    assert connect.post("/userinfo").status_code == 401


# --- 2. headers, cookies, session renewal ----------------------------------------------


def test_every_page_of_the_app_carries_the_security_headers(app, superadmin_client):
    client, ids = superadmin_client
    anonymous = app.test_client()
    paths = parameterless_gets(app) + [
        ids["invitation"],
        "/invitations/not-a-token",
        f"/settings/people/{ids['org']}",
        f"/settings/people/{ids['org']}/journeys/{ids['journey']}",
        f"/admin/onboarding/journeys/{ids['journey']}",
        "/no/such/page",
    ]
    for path in paths:
        for who in (anonymous, client):
            assert_hardened(path, who.get(path))


def test_every_page_of_connect_carries_the_security_headers(connect_app, factory):
    activated_account(factory)
    anonymous, client = connect_app.test_client(), connect_app.test_client()
    assert log_in_to_connect(client).status_code == 302
    paths = parameterless_gets(connect_app) + [
        "/activate/not-a-token",
        "/password/reset/not-a-token",
        "/no/such/page",
    ]
    for path in paths:
        for who in (anonymous, client):
            assert_hardened(path, who.get(path))


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_session_cookies_are_httponly_lax_and_secure_with_hsts_on_https(factory, settings, scheme):
    use_settings(
        settings.with_overrides(
            app_base_url=f"{scheme}://app.test",
            oidc_issuer=f"{scheme}://connect.test",
            connect_issuer=f"{scheme}://connect.test",
        )
    )
    app = create_app({"TESTING": True}).test_client()
    connect = create_connect_app({"TESTING": True}).test_client()
    for response, name in (
        (app.get("/login?next=/settings/people"), "app_session"),
        (connect.get("/login"), "connect_session"),
    ):
        cookie = set_cookie(response, name)
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie.split("; ")) is (scheme == "https"), cookie
        hsts = response.headers.get("Strict-Transport-Security", "")
        assert ("max-age=31536000" in hsts) is (scheme == "https"), hsts


def test_connect_starts_a_new_session_on_log_in(connect_app, factory):
    activated_account(factory)
    client = connect_app.test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        before = session["csrf_token"]
    assert log_in_to_connect(client).status_code == 302
    with client.session_transaction() as session:
        assert "planted" not in session and session.get("csrf_token") != before
        assert session["account_id"]


@pytest.fixture
def provider(factory, settings):
    """An OIDC provider on loopback for the app, and Ann, invited, who logs in there."""
    provider = Provider(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        redirect_uri=f"{settings.app_base_url}/auth/callback",
        user={"sub": "connect-ann", "email": "ann@example.com", "email_verified": True},
    )
    with unit_of_work(factory) as session:
        invitee(session, organization(session), email="ann@example.com")
    with serve_provider(provider):
        use_settings(settings.with_overrides(oidc_issuer=provider.issuer))
        yield provider


def log_in_at_provider(client: FlaskClient):  # type: ignore[no-untyped-def]
    start = client.get("/login/connect")
    at_provider = requests.get(start.headers["Location"], allow_redirects=False, timeout=10)
    return client.get(f"/auth/callback?{urlsplit(at_provider.headers['Location']).query}")


def test_the_app_starts_a_new_session_on_log_in(provider):
    client = create_app({"TESTING": True}).test_client()
    client.get("/login")
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["csrf_token"] = "planted-token"
    assert log_in_at_provider(client).status_code == 302
    with client.session_transaction() as session:
        assert session["person_id"]
        assert "planted" not in session and session.get("csrf_token") != "planted-token"


@pytest.mark.parametrize("tamper", ["expired", "hs256", "unsigned"])
def test_the_app_refuses_an_expired_or_wrongly_signed_id_token(provider, tamper):
    provider.tamper = tamper
    client = create_app({"TESTING": True}).test_client()
    response = log_in_at_provider(client)
    assert response.status_code == 400
    assert "did not complete" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "person_id" not in session


# --- 3. redirects -----------------------------------------------------------------------


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_the_apps_next_never_leaves_the_site(superadmin_client, settings, target):
    client, _ = superadmin_client
    response = client.get("/login?" + urlencode({"next": target}))
    assert_stays_on(settings.app_base_url, response)


def test_the_apps_next_keeps_a_local_path(superadmin_client):
    client, _ = superadmin_client
    response = client.get("/login?" + urlencode({"next": "/admin/onboarding?state=invited"}))
    assert response.headers["Location"] == "/admin/onboarding?state=invited"


@pytest.mark.parametrize("target", EVIL_TARGETS)
def test_connects_next_never_leaves_the_site(connect_app, factory, settings, target):
    activated_account(factory)
    client = connect_app.test_client()
    page = client.get("/login?" + urlencode({"next": target})).get_data(as_text=True)
    hidden = re.search(r'name="next" value="([^"]*)"', page)
    assert hidden
    kept = urlsplit(browser_destination(settings.connect_issuer + "/login", hidden.group(1)))
    assert (kept.scheme, kept.netloc) == tuple(urlsplit(settings.connect_issuer)[:2])
    assert_stays_on(settings.connect_issuer, log_in_to_connect(client, next_url=target))


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://evil.example/auth/callback",
        "//evil.example/auth/callback",
        "http://app.test@evil.example/auth/callback",
        "http://app.test.evil.example/auth/callback",
        "http://app.test/auth/callback/../../evil",
        "http://app.test/auth/callback?next=https://evil.example",
        "http://app.test/auth/callbackx",
        "HTTP://APP.TEST/auth/callback",
        "javascript:alert(1)//http://app.test/auth/callback",
    ],
)
def test_connect_redirects_only_to_a_registered_redirect_uri(connect_app, factory, redirect_uri):
    activated_account(factory)
    client = connect_app.test_client()
    assert log_in_to_connect(client).status_code == 302
    query = {
        "client_id": "app",
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": redirect_uri,
        "state": "s",
        "nonce": "n",
        "code_challenge": create_s256_code_challenge(generate_token(48)),
        "code_challenge_method": "S256",
    }
    response = client.get("/authorize?" + urlencode(query))
    assert response.status_code == 400
    assert "Location" not in response.headers


def test_the_apps_rate_limits_are_kept_in_redis_when_configured(factory, settings):
    prefix = f"test-app-{uuid.uuid4().hex}"
    store = redis.Redis.from_url(REDIS_URL)
    use_settings(settings.with_overrides(redis_url=REDIS_URL))
    try:
        app = create_app(
            {
                "TESTING": True,
                "RATELIMIT_ENABLED": True,  # the limiter is shared: earlier apps turned it off
                "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": prefix},
            }
        )
        response = app.test_client().get("/api/funnel", headers={"Authorization": "Bearer x"})
        assert response.status_code == 401
        # Counted where every process of the app counts, not in this process's memory.
        assert list(store.scan_iter(f"*{prefix}*"))
    finally:
        for key in store.scan_iter(f"*{prefix}*"):
            store.delete(key)


# --- 4. secrets stored as hashes only ---------------------------------------------------


def every_stored_text(session: Session) -> Iterator[tuple[str, str, str]]:
    """(table, column, text) for every value of every row of every table."""
    for table in Base.metadata.sorted_tables:
        for row in session.execute(select(table)).mappings():
            for column, value in row.items():
                if value is not None:
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    yield table.name, column, text


def test_tokens_codes_and_passwords_are_stored_only_as_hashes(connect_app, factory, settings):
    secrets: dict[str, str] = {}
    with unit_of_work(factory) as session:
        journey = invitee(session, organization(session, "Acme"), email="ann@example.com")
        secrets["invitation link"] = invitation_path(session, journey).rsplit("/", 1)[1]
        _, secrets["api token"] = api_tokens.issue(
            session, journey.organization, "ci", actor="admin@example.com"
        )
    activated_account(factory, "ada@example.com")
    secrets["password"] = PASSWORD
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, "ada@example.com")
    secrets["reset link"] = link_token(last_link(factory, "password_reset", "reset_url"))
    with unit_of_work(factory) as session:
        accounts.register(
            session,
            email="new@example.com",
            first_name="N",
            last_name="N",
            language="en",
            country=None,
        )
    secrets["activation link"] = link_token(last_link(factory, "activation", "activate_url"))
    activated_account(factory, "bob@example.com")
    with unit_of_work(factory) as session:
        bob = session.scalar(select(Account).where(Account.email == "bob@example.com"))
        secret = two_factor.start_enrolment(bob)
        codes = two_factor.confirm_enrolment(session, bob, pyotp.TOTP(secret).now(), utcnow())
    for number, code in enumerate(codes):
        secrets[f"recovery code {number}"] = code

    client = connect_app.test_client()
    assert log_in_to_connect(client).status_code == 302
    with client.session_transaction() as cookie:
        secrets["session token"] = cookie["session"]
    verifier = generate_token(48)
    authorize = client.get(
        "/authorize?"
        + urlencode(
            {
                "client_id": settings.oidc_client_id,
                "response_type": "code",
                "scope": "openid email",
                "redirect_uri": f"{settings.app_base_url}/auth/callback",
                "state": "s",
                "nonce": "n",
                "code_challenge": create_s256_code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
    )
    secrets["authorization code"] = parse_qs(urlsplit(authorize.headers["Location"]).query)["code"][
        0
    ]
    token = client.post(
        "/token",
        data={
            "grant_type": "authorization_code",
            "code": secrets["authorization code"],
            "redirect_uri": f"{settings.app_base_url}/auth/callback",
            "code_verifier": verifier,
            "client_id": settings.oidc_client_id,
            "client_secret": settings.oidc_client_secret,
        },
    )
    assert token.status_code == 200, token.get_data(as_text=True)
    secrets["access token"] = token.get_json()["access_token"]

    box = Mailbox().start()
    try:
        factory.configure(info={"settings": settings.with_overrides(smtp_url=box.url)})
        # The links wait only until then; one mail tells Bob of his second factor.
        assert delivery.deliver_due(factory).sent == 6
    finally:
        box.stop()
    with unit_of_work(factory) as session:
        found = {
            (name, table, column)
            for table, column, text in every_stored_text(session)
            for name, raw in secrets.items()
            if raw in text
        }
        assert not found
        sent = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "mail")).all()
        assert {m.status for m in sent} == {"sent"}
        assert all(set(m.payload) == {"template", "to", "language"} for m in sent)
        hashes = [a.password_hash for a in session.scalars(select(Account)) if a.password_hash]
        assert len(hashes) == 2 and all(h.startswith("$argon2id$") for h in hashes)


def test_undeliverable_mails_keep_no_links_either(factory, settings):
    with unit_of_work(factory) as session:
        org = organization(session)
        bounced = invitation_path(session, invitee(session, org, email="nobody@example.com"))
    box = Mailbox().start()
    try:
        factory.configure(info={"settings": settings.with_overrides(smtp_url=box.url)})
        assert delivery.deliver_due(factory).bounced == 1
    finally:
        box.stop()
    with unit_of_work(factory) as session:
        dead = invitation_path(session, invitee(session, org, email="dora@example.com"))
    unreachable = f"smtp://127.0.0.1:{free_port()}"
    factory.configure(
        info={"settings": settings.with_overrides(smtp_url=unreachable, outbox_max_attempts=1)}
    )
    assert delivery.deliver_due(factory).dead == 1
    with unit_of_work(factory) as session:
        stored = [text for _, _, text in every_stored_text(session)]
        mails = session.scalars(select(OutboxMessage)).all()
    assert sorted(m.status for m in mails) == ["bounced", "dead"]
    for path in (bounced, dead):
        assert not any(path.rsplit("/", 1)[1] in text for text in stored)


# --- 5. no enumeration at log-in -------------------------------------------------------


def test_a_failed_log_in_reads_the_same_for_every_reason(connect_app, factory):
    activated_account(factory, "ada@example.com")
    activated_account(factory, "bob@example.com")
    with unit_of_work(factory) as session:
        bob = session.scalar(select(Account).where(Account.email == "bob@example.com"))
        secret = two_factor.start_enrolment(bob)
        two_factor.confirm_enrolment(session, bob, pyotp.TOTP(secret).now(), utcnow())
        accounts.register(
            session,
            email="new@example.com",
            first_name="N",
            last_name="N",
            language="en",
            country=None,
        )

    def answer(email: str, password: str) -> tuple[int, str]:
        response = log_in_to_connect(connect_app.test_client(), email=email, password=password)
        page = response.get_data(as_text=True).replace(email, "EMAIL")
        return response.status_code, re.sub(r'(value|data-csrf)="[^"]{40,}"', r'\1="TOKEN"', page)

    unknown = answer("nobody@example.com", PASSWORD)
    assert answer("ada@example.com", "not the password") == unknown
    assert answer("new@example.com", PASSWORD) == unknown  # registered, never activated
    assert answer("bob@example.com", "not the password") == unknown  # two factors
    assert answer("not an address", PASSWORD) == unknown
    assert unknown[0] == 200 and "The email address or password is not right." in unknown[1]


# --- 6. people pages and dashboard across organizations ---------------------------------


def test_an_admin_of_one_organization_reaches_nothing_of_another(app, factory):
    with unit_of_work(factory) as session:
        acme, globex = organization(session, "Acme"), organization(session, "Globex")
        admin = admin_of(session, acme)
        other = invitee(session, globex, email="gina@globex.example")
        globex_token, _ = api_tokens.issue(session, globex, "ci", actor="boss@globex.example")
        _, acme_raw = api_tokens.issue(session, acme, "ci", actor=admin.email)
        ids = (globex.id, other.id, globex_token.id)
        client = app.test_client()
        log_in_to_app(client, admin)
    org_id, journey_id, token_id = ids
    overview = client.get(f"/admin/onboarding?organization={org_id}")
    assert overview.status_code == 200
    assert "gina@globex.example" not in overview.get_data(as_text=True)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {acme_raw}"}
    assert api.get(f"/api/journeys?organization={org_id}", headers=bearer).json["journeys"] == []
    assert api.get(f"/api/journeys/{journey_id}", headers=bearer).status_code == 404
    assert api.post(f"/api/journeys/{journey_id}/revoke", headers=bearer).status_code == 404
    pages = [
        f"/settings/people/{org_id}",
        f"/settings/people/{org_id}/journeys/{journey_id}",
        f"/admin/onboarding/journeys/{journey_id}",
    ]
    for path in pages:
        assert client.get(path).status_code in (403, 404), path
    app.config["WTF_CSRF_ENABLED"] = False  # the refusal asserted here is the 403/404
    posts = [
        f"/settings/people/{org_id}",
        *(f"/settings/people/{org_id}/journeys/{journey_id}/{a}" for a in ("revoke", "resend")),
        *(f"/admin/onboarding/journeys/{journey_id}/{a}" for a in ("revoke", "resend")),
        f"/measurements/invitations/{journey_id}/accept",
        f"/admin/onboarding/tokens/{token_id}/revoke",
    ]
    for path in posts:
        response = client.post(path, data={"confirmed": "yes", "email": "x@example.com"})
        assert response.status_code in (403, 404), path
    new_token = client.post("/admin/onboarding/tokens", data={"organization": org_id, "name": "x"})
    assert new_token.status_code == 403
    with unit_of_work(factory) as session:
        journey = session.get(Journey, journey_id)
        assert journey.state.value == "invited"
        assert session.get(ApiToken, token_id).revoked_at is None
        assert len(api_tokens.for_organizations(session, {org_id})) == 1
        assert session.scalar(select(Person).where(Person.email == "x@example.com")) is None


def test_a_password_reset_ends_the_connect_sessions_started_before_it(connect_app, factory):
    activated_account(factory)
    earlier = connect_app.test_client()
    assert log_in_to_connect(earlier).status_code == 302
    assert earlier.get("/account/security").status_code == 200
    with unit_of_work(factory) as session:
        accounts.request_password_reset(session, "ada@example.com")
    raw = link_token(last_link(factory, "password_reset", "reset_url"))
    new_password = "copper meadow violin harbour"
    with unit_of_work(factory) as session:
        accounts.reset_password(session, raw, new_password, new_password)
    response = earlier.get("/account/security")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    later = connect_app.test_client()
    assert log_in_to_connect(later, password=new_password).status_code == 302
    assert later.get("/account/security").status_code == 200


# --- 6. Connect's codes belong to one authorization ------------------------------------

OTHER_CLIENT = {
    "client_id": "other",
    "client_secret": "other-client-secret-0123456789",
    "redirect_uris": ["http://other.test/callback"],
}


def authorization_code(client: FlaskClient, settings, nonce: str, verifier: str):  # type: ignore[no-untyped-def]
    query = {
        "client_id": settings.oidc_client_id,
        "response_type": "code",
        "scope": "openid email",
        "redirect_uri": f"{settings.app_base_url}/auth/callback",
        "state": "s",
        "nonce": nonce,
        "code_challenge": create_s256_code_challenge(verifier),
        "code_challenge_method": "S256",
    }
    response = client.get("/authorize?" + urlencode(query))
    assert response.status_code == 302
    return parse_qs(urlsplit(response.headers["Location"]).query)


def test_a_code_is_refused_for_another_client_redirect_or_without_its_verifier(factory, settings):
    use_settings(settings.with_overrides(connect_clients=json.dumps([OTHER_CLIENT])))
    activated_account(factory)
    client = create_connect_app({"TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    assert log_in_to_connect(client).status_code == 302

    def token_request(number: int, **change: str):  # type: ignore[no-untyped-def]
        verifier = generate_token(48)
        code = authorization_code(client, settings, f"n-{number}", verifier)["code"][0]
        right = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": f"{settings.app_base_url}/auth/callback",
            "code_verifier": verifier,
            "client_id": settings.oidc_client_id,
            "client_secret": settings.oidc_client_secret,
        }
        return client.post("/token", data={**right, **change})

    wrong = [
        {"client_id": OTHER_CLIENT["client_id"], "client_secret": OTHER_CLIENT["client_secret"]},
        {"redirect_uri": OTHER_CLIENT["redirect_uris"][0]},
        {"redirect_uri": f"{settings.app_base_url}/auth/callback?x=1"},
        {"code_verifier": ""},
        {"code_verifier": generate_token(48)},
    ]
    for number, change in enumerate(wrong):
        refused = token_request(number, **change)
        assert refused.status_code in (400, 401), change
        assert "access_token" not in (refused.get_json() or {}), change
    assert "access_token" in token_request(len(wrong)).get_json()


def test_connect_forms_may_send_the_browser_on_to_every_client(factory, settings):
    # A browser applies the log-in page's form-action to the redirects that answer its post:
    # the log-in form answers another client's authorization request with a redirect there.
    other = {**OTHER_CLIENT, "post_logout_redirect_uris": ["https://bye.other.test:8443/out"]}
    use_settings(settings.with_overrides(connect_clients=json.dumps([other])))
    activated_account(factory)
    client = create_connect_app({"TESTING": True, "RATELIMIT_ENABLED": False}).test_client()
    authorize = "/authorize?" + urlencode(
        {
            "client_id": other["client_id"],
            "response_type": "code",
            "scope": "openid",
            "redirect_uri": other["redirect_uris"][0],
            "state": "s",
            "nonce": "n",
            "code_challenge": create_s256_code_challenge(generate_token(48)),
            "code_challenge_method": "S256",
        }
    )
    page = client.get("/login")
    allowed = directives(page.headers["Content-Security-Policy"])["form-action"]
    answer = log_in_to_connect(client, next_url=authorize)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("http://other.test/callback?code=")
    assert "http://other.test" in allowed
    assert "https://bye.other.test:8443" in allowed
    assert settings.app_base_url in allowed


def test_a_nonce_is_accepted_once_per_client(connect_app, factory, settings):
    activated_account(factory)
    client = connect_app.test_client()
    assert log_in_to_connect(client).status_code == 302
    assert "code" in authorization_code(client, settings, "once", generate_token(48))
    replay = authorization_code(client, settings, "once", generate_token(48))
    assert "code" not in replay and replay["error"] == ["invalid_request"]
