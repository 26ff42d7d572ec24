"""No input a person can send makes the app answer with a server error: every route of
`app.url_map`, every method, as a visitor, an invitee, an admin and a superadmin, with junk in
the path, the query, the form, the body and the headers (see tests.hostile_requests)."""

from __future__ import annotations

import json
import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient

from onboarding.dashboard import api_tokens
from onboarding.dashboard.bulk_invite import COLUMNS
from onboarding.db import unit_of_work
from onboarding.journeys import refs
from onboarding.mail import dev_inbox
from onboarding.outbox import webhooks
from onboarding.people.models import Person
from onboarding.settings import Settings, use_settings
from tests.helpers import admin_of, invitation_path, invitee, log_in_to_app, organization
from tests.hostile_requests import Seed, Sweep
from tests.oidc_provider import Provider, serve_provider
from web import create_app
from web.auth import INVITATIONS_KEY
from web.extensions import csrf

CONFIG = {"TESTING": True, "RATELIMIT_ENABLED": False}
HOSTILE_CSV = "\n".join(
    [
        ",".join(COLUMNS),
        "Ada,Lovelace,ada@example.com,en,viewer",
        "\x00,\x01,not-an-address,xx,nosuchrole",
        f"{'x' * 10_000},,{'a' * 300}@example.com,nl,admin;admin;;",
        '"unterminated,quote',
        ",,,,",
        "a,b,c,d,e,f,g,h",
        "Zoë,✓,zoë@bücher.example,en,viewer",
    ]
).encode()


@pytest.fixture
def provider(settings):
    """Connect's stand-in on loopback, so that "Log in" reaches a provider."""
    provider = Provider(
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        redirect_uri=f"{settings.app_base_url}/auth/callback",
        user={"sub": "s-1", "email": "ann@example.com", "email_verified": True},
    )
    with serve_provider(provider):
        use_settings(settings.with_overrides(oidc_issuer=provider.issuer))
        yield provider


@pytest.fixture
def world(factory):
    """An organization with an admin, an invitee, API tokens, a superadmin and a mail."""
    with unit_of_work(factory) as session:
        org = organization(session, "Acme")
        admin = admin_of(session, org, "admin@example.com")
        journey = invitee(session, org, email="ivy@example.com", invited_by=admin)
        root = Person(email="root@example.com", first_name="Root", last_name="", is_superadmin=True)
        session.add(root)
        _, bearer = api_tokens.issue(session, org, "sweep", actor=admin.email)
        spare, _ = api_tokens.issue(session, org, "spare", actor=admin.email)
        session.flush()
        return {
            "org": org.id,
            "admin": admin,
            "root": root,
            "invitee": journey.person,
            "journey": journey.id,
            "token_path": invitation_path(session, journey),
            "bearer": bearer,
            "spare_token": spare.id,
        }


def signed(settings):
    return lambda body: {webhooks.SIGNATURE_HEADER: webhooks.sign(settings.webhook_secret, body)}


def identity_event(journey_id: int, settings: Settings) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "type": "account.registered",
        "occurred_at": "2026-11-25T12:00:00+00:00",
        "data": {
            "subject": "s-1",
            "email": "ivy@example.com",
            "journey_ref": refs.make_ref(journey_id, settings),
        },
    }


def test_no_route_of_the_app_answers_a_server_error(factory, provider, world, settings):
    app = create_app({**CONFIG, "WTF_CSRF_ENABLED": False})
    mail_id = dev_inbox.store(b"Subject: Hi\r\nTo: ivy@example.com\r\n\r\nHello\r\n", settings)
    sweep = Sweep(
        app,
        real={
            "organization_id": str(world["org"]),
            "journey_id": str(world["journey"]),
            "token_id": str(world["spare_token"]),
            "token": world["token_path"].rsplit("/", 1)[1],
            "action": "resend",
            "mail_id": mail_id,
            "filename": "app.css",
        },
        seeds={
            "hooks.identity": Seed(json=identity_event(world["journey"], settings)),
            "api.extend_journey": Seed(json={"days": 3}),
            "api.list_journeys": Seed(query={"limit": "5", "state": "invited"}),
        },
        body_headers=signed(settings),
        extra_bodies={"CSV with hostile rows": (HOSTILE_CSV, "text/csv")},
    )
    roles = {
        "superadmin": (world["root"], {}),
        "admin": (world["admin"], {"Authorization": f"Bearer {world['bearer']}"}),
        "invitee": (world["invitee"], {}),
        "visitor": (None, {}),
    }
    for role, (person, headers) in roles.items():
        client = app.test_client()
        client.environ_base.update(
            {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        )
        sweep.run_as(role, client, _becoming(client, person, world["journey"]))
    assert not sweep.failures, f"{len(sweep.failures)} of {sweep.sent}:\n" + "\n".join(
        sweep.failures
    )


def _becoming(client: FlaskClient, person: Person | None, journey_id: int):
    def become() -> None:
        if person is None:
            client.delete_cookie("app_session")
            return
        log_in_to_app(client, person)
        with client.session_transaction() as session:
            session[INVITATIONS_KEY] = [journey_id]

    return become


def test_a_post_without_a_valid_csrf_token_is_refused_with_400(factory, world):
    app = create_app(CONFIG)
    client = app.test_client()
    log_in_to_app(client, world["admin"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if "POST" not in (rule.methods or ()) or _exempt(app, rule):
            continue
        path = Sweep(app, real={}).path(rule)
        for data in ({}, {"csrf_token": "junk"}, {"csrf_token": "x" * 10_000}):
            response = client.post(path, data=data)
            assert response.status_code == 400, (path, data, response.status_code)
            assert "This form has expired" in response.get_data(as_text=True)
            checked += 1
    assert checked >= 3 * 10


def _exempt(app: Flask, rule) -> bool:
    with app.test_request_context(Sweep(app, real={}).path(rule), method="POST"):
        from flask import request

        request.url_rule = rule
        return csrf._is_exempt()  # type: ignore[attr-defined]


def test_the_sweep_reaches_the_views_it_means_to(factory, provider, world, settings):
    """The baseline requests are valid: a sweep that only met refusals would prove little."""
    app = create_app({**CONFIG, "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    log_in_to_app(client, world["admin"])
    body = json.dumps(identity_event(world["journey"], settings)).encode()
    hook = client.post(
        "/hooks/identity",
        data=body,
        headers={**signed(settings)(body), "Content-Type": "application/json"},
    )
    assert hook.status_code == 200, hook.get_data(as_text=True)
    page = client.get(f"/settings/people/{world['org']}")
    assert page.status_code == 200 and "ivy@example.com" in page.get_data(as_text=True)
