"""An organization's system on loopback that takes webhooks only when their Standard Webhooks
signature verifies (with the `standardwebhooks` package), and settings that let webhooks go
to loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from onboarding.settings import Settings


@dataclass
class System:
    """What the receiving system knows (its secrets) and what it got."""

    url: str
    secrets: list[str] = field(default_factory=list)
    # Statuses to answer with, in order, before answering 204.
    statuses: list[int] = field(default_factory=list)
    # Every verified message: its body as JSON, its headers, and the secrets that verified it.
    received: list[tuple[dict[str, Any], dict[str, str], list[str]]] = field(default_factory=list)
    refused: int = 0

    def events(self) -> list[dict[str, Any]]:
        return [body for body, _, _ in self.received]


@pytest.fixture
def system() -> Iterator[System]:
    box: list[System] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            target = box[0]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            headers = dict(self.headers)
            verified = [s for s in target.secrets if _verifies(s, body, headers)]
            if not verified:
                target.refused += 1
                self.send_response(401)
            else:
                target.received.append((json.loads(body), headers, verified))
                self.send_response(target.statuses.pop(0) if target.statuses else 204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    box.append(System(url=f"http://127.0.0.1:{server.server_port}/onboarding-events"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield box[0]
    server.shutdown()
    server.server_close()


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


@pytest.fixture
def loopback_allowed(factory: sessionmaker[Session], settings: Settings) -> Settings:
    """Sessions of `factory` allow webhooks to loopback (the receiving system is there)."""
    allowed = settings.with_overrides(webhooks_allow_private_addresses=True)
    factory.configure(info={"settings": allowed})
    return allowed
