"""Connect against the OpenID Foundation's Basic OP and Config OP test modules, and those of
RP-Initiated and Back-Channel Logout, played by openid-client (npm, a certified relying
party) in tests/conformance/run.mjs. Connect runs on a loopback port with its own SQLite
database, an activated account and a conformance client; a stand-in of the client's back
channel receives its logout tokens, which a thread delivers from the outbox as the worker
would. Each module is its own case; docs/conformance.md is the table of results."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, jsonify, request

from onboarding.db import engine_for, make_session_factory
from onboarding.migrate import upgrade
from onboarding.outbox import delivery
from tests.conftest import test_settings as settings_for
from tests.helpers import PASSWORD, Deferred, activated_account, serve

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "tests" / "conformance" / "run.mjs"
CLIENT_ID = "conformance-rp"
CLIENT_SECRET = "conformance-rp-secret-0123456789"
REDIRECT_URI = "https://rp.example/callback"
POST_LOGOUT_REDIRECT_URI = "https://rp.example/logged-out"
EMAIL = "conformance@example.com"

# The modules, named as in the OpenID Foundation's plans.
BASIC_OP = [
    "oidcc-server",
    "oidcc-response-type-missing",
    "oidcc-userinfo-get",
    "oidcc-userinfo-post-header",
    "oidcc-userinfo-post-body",
    "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
    "oidcc-scope-profile",
    "oidcc-scope-email",
    "oidcc-scope-all",
    "oidcc-ensure-other-scope-order-succeeds",
    "oidcc-display-page",
    "oidcc-display-popup",
    "oidcc-prompt-login",
    "oidcc-prompt-none-not-logged-in",
    "oidcc-prompt-none-logged-in",
    "oidcc-max-age-1",
    "oidcc-max-age-10000",
    "oidcc-ensure-request-with-unknown-parameter-succeeds",
    "oidcc-id-token-hint",
    "oidcc-login-hint",
    "oidcc-ui-locales",
    "oidcc-claims-locales",
    "oidcc-ensure-request-with-acr-values-succeeds",
    "oidcc-codereuse",
    "oidcc-codereuse-30seconds",
    "oidcc-ensure-registered-redirect-uri",
    "oidcc-server-client-secret-post",
    "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
    "oidcc-claims-essential",
    "oidcc-ensure-request-object-with-redirect-uri",
    "oidcc-refresh-token",
    "oidcc-ensure-post-request-succeeds",
]
CONFIG_OP = ["oidcc-discovery-endpoint-verification", "oidcc-config-jwks"]
RP_INITIATED_LOGOUT = [
    "oidcc-rp-initiated-logout",
    "oidcc-rp-initiated-logout-no-state",
    "oidcc-rp-initiated-logout-no-params",
    "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-modified-id-token-hint",
]
BACK_CHANNEL_LOGOUT = ["oidcc-backchannel-rp-initiated-logout"]
MODULES = BASIC_OP + CONFIG_OP + RP_INITIATED_LOGOUT + BACK_CHANNEL_LOGOUT


def back_channel(received: list[str]) -> Flask:
    """The client's back-channel logout URI, keeping what arrives for the script to read."""
    app = Flask("back_channel")

    @app.post("/backchannel")
    def logout_token() -> Any:
        received.append(request.form["logout_token"])
        return "", 200

    @app.get("/logout-tokens")
    def logout_tokens() -> Any:
        return jsonify(received)

    return app


class OutboxDelivery(threading.Thread):
    """Delivers Connect's outbox (the logout tokens) until stopped, as the worker would."""

    def __init__(self, factory: Any) -> None:
        super().__init__(daemon=True)
        self.factory, self.stopped = factory, threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(0.2):
            delivery.deliver_due(self.factory)


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, str]]]:
    """Each module's result, from one run of the script against a served Connect."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "openid-client").is_dir():
        pytest.fail("node and openid-client are needed: run `make test-install`")
    var_dir = tmp_path_factory.mktemp("conformance")
    engine = engine_for(f"sqlite:///{var_dir / 'connect.sqlite3'}")
    upgrade(engine)
    received: list[str] = []
    connect = Deferred()
    with serve(back_channel(received)) as rp_url, serve(connect) as issuer:
        client = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": [REDIRECT_URI],
            "post_logout_redirect_uris": [POST_LOGOUT_REDIRECT_URI],
            "backchannel_logout_uri": f"{rp_url}/backchannel",
            "offline_access": True,
        }
        settings = settings_for(
            var_dir,
            DATABASE_URL=str(engine.url),
            CONNECT_ISSUER=issuer,
            CONNECT_CLIENTS=json.dumps([client]),
        )
        factory = make_session_factory(engine, settings)
        activated_account(factory, email=EMAIL)
        from web import create_connect_app

        connect.app = create_connect_app({"RATELIMIT_ENABLED": False}, settings=settings)
        outbox = OutboxDelivery(factory)
        outbox.start()
        try:
            run = subprocess.run(
                [node, str(SCRIPT)],
                env={
                    "PATH": str(Path(node).parent),
                    "CONNECT_ISSUER": issuer,
                    "CLIENT_ID": CLIENT_ID,
                    "CLIENT_SECRET": CLIENT_SECRET,
                    "REDIRECT_URI": REDIRECT_URI,
                    "POST_LOGOUT_REDIRECT_URI": POST_LOGOUT_REDIRECT_URI,
                    "RP_URL": rp_url,
                    "EMAIL": EMAIL,
                    "PASSWORD": PASSWORD,
                },
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=600,
            )
        finally:
            outbox.stopped.set()
            outbox.join()
    engine.dispose()
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    found = {line["module"]: line for line in lines}
    if not found:
        pytest.fail(f"the conformance script reported nothing:\n{run.stderr[-3000:]}")
    yield found


@pytest.mark.parametrize("module", MODULES)
def test_module(results: dict[str, dict[str, str]], module: str) -> None:
    outcome = results.get(module)
    assert outcome is not None, f"{module} was not run"
    assert outcome["result"] in ("passed", "not_applicable"), outcome["detail"]
    if outcome["result"] == "not_applicable":
        print(f"{module}: not applicable: {outcome['detail']}")
