"""An admin makes the directory's SCIM token in the dashboard, with the role it gives."""

from __future__ import annotations

import re

from onboarding.db import unit_of_work
from tests import helpers


def test_a_scim_token_made_in_the_dashboard_opens_scim_and_not_the_api(client, factory):
    with unit_of_work(factory) as session:
        acme = helpers.organization(session, "Acme")
        admin = helpers.admin_of(session, acme, "boss@acme.example")
        viewer = next(role.id for role in acme.roles if role.name == "viewer")
    helpers.log_in_to_app(client, admin)
    page = client.get("/admin/onboarding/tokens").get_data(as_text=True)
    assert "/scim/v2" in page
    form = {"csrf_token": helpers.csrf_token(page), "organization": str(acme.id), "name": "okta"}
    refused = client.post("/admin/onboarding/tokens", data={**form, "purpose": "scim"})
    assert refused.status_code == 422  # a SCIM token needs the role it gives
    made = client.post(
        "/admin/onboarding/tokens",
        data={**form, "purpose": "scim", "default_role": str(viewer)},
    ).get_data(as_text=True)
    match = re.search(r'<code class="token">([^<]+)</code>', made)
    assert match is not None
    assert "SCIM, adds people as viewer" in made
    headers = {"Authorization": f"Bearer {match.group(1)}"}
    assert client.get("/scim/v2/Users", headers=headers).status_code == 200
    assert client.get("/api/funnel", headers=headers).status_code == 401
