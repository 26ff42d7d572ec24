"""scim2-tester's checks against the app served on loopback."""

from __future__ import annotations

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.helpers import serve

FAILING = {Status.ERROR, Status.CRITICAL}


def test_scim2_tester_finds_no_error(app, acme):
    with (
        serve(app) as base_url,
        Client(base_url=f"{base_url}/scim/v2", headers=acme["headers"], timeout=30) as http,
    ):
        results = check_server(SyncSCIMClient(http))
    failures = [
        f"{r.title} ({r.resource_type}): {r.reason}" for r in results if r.status in FAILING
    ]
    assert failures == [], "\n".join(failures)
    assert any(r.status is Status.SUCCESS and r.resource_type == "User" for r in results)
