"""The dashboard in a real browser (Debian's Chromium): overview, journey detail with an
action, the live state diagram and the CSV dry run; each page checked with axe-core and at
320 px, and photographed for docs/screenshots/."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from onboarding import journeys
from onboarding.clock import utcnow
from onboarding.db import unit_of_work
from tests import helpers
from tests.e2e.browser import Steps
from tests.helpers import admin_of, app_session, organization
from web import create_app
from web.auth import SESSION_ID_KEY, SESSION_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(factory: sessionmaker[Session]) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port with some journeys; yields (base URL, session cookie)."""
    now = utcnow()
    with unit_of_work(factory) as session:
        acme = organization(session, "Acme")
        admin = admin_of(session, acme, "boss@acme.example")
        for index, trail in enumerate(
            [[], ["register"], ["register", "activate"], ["log_in"], ["log_in", "accept"], []]
        ):
            journey = helpers.journey(
                session, acme, email=f"person{index}@acme.example", now=now - timedelta(days=9)
            )
            journeys.invite(session, journey.id, actor=admin.email, now=now - timedelta(days=9))
            for step, trigger in enumerate(trail, start=1):
                at = now - timedelta(days=9 - 2 * step)
                if trigger == "register":
                    journeys.register(session, journey.id, email=journey.person.email, now=at)
                elif trigger == "activate":
                    journeys.activate(session, journey.id, now=at)
                else:
                    getattr(journeys, trigger)(
                        session, journey.id, actor=journey.person.email, now=at
                    )
        admin_id = admin.id
    app = create_app({"RATELIMIT_ENABLED": False})
    cookie = app.session_interface.get_signing_serializer(app).dumps(
        {
            SESSION_KEY: admin_id,
            SESSION_ID_KEY: app_session(admin_id, factory=app.extensions["session_factory"]),
        }
    )
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}", cookie
    http.shutdown()


@pytest.fixture
def page(server: tuple[str, str], browser: Browser) -> Iterator[Page]:
    base, cookie = server
    context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "app_session", "value": cookie, "url": base}])
    yield context.new_page()
    context.close()


def test_an_admin_works_with_the_dashboard_in_a_browser(page: Page, factory) -> None:
    steps = Steps(prefix="dashboard-")
    page.goto("/admin/onboarding")
    expect(page.get_by_role("heading", name="Funnel")).to_be_visible()
    expect(page.locator("svg.funnel rect").first).to_be_visible()
    expect(page.get_by_role("cell", name="person0@acme.example")).to_be_visible()
    steps.check(page, "overview")

    page.get_by_role("row").filter(has_text="person0@acme.example").get_by_role("link").click()
    expect(page.get_by_text("Suggested:").first).to_be_visible()
    page.get_by_role("button", name="Extend expiry").click()
    expect(page.get_by_text("Extend the invitation's expiry?")).to_be_visible()
    page.get_by_role("button", name="Yes: Extend expiry").click()
    expect(page.get_by_role("status")).to_contain_text("now expires on")
    expect(page.get_by_role("cell", name="Expiry extended", exact=True)).to_be_visible()
    steps.check(page, "journey")

    page.get_by_role("link", name="State diagram").click()
    expect(page.locator("figure.diagram svg")).to_be_visible()
    expect(page.locator("figure.diagram")).to_contain_text("2 now")  # invited: person0, person5
    steps.check(page, "diagram")

    page.get_by_role("link", name="Invite from CSV").click()
    csv = (
        "first_name,last_name,email,language,roles\n"
        "Ann,Able,ann@acme.example,en,viewer\n"
        "Bob,Bad,bob@,en,viewer\n"
        "Cy,Cee,cy@acme.example,nl,pilot\n"
    )
    page.get_by_label("CSV file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.get_by_role("button", name="Check (dry run)").click()
    expect(page.get_by_text("refused: bad email")).to_be_visible()
    expect(page.get_by_text("refused: unknown role 'pilot'")).to_be_visible()
    steps.check(page, "csv-dry-run")
    page.get_by_role("button", name="Invite 1 person").click()
    expect(page.get_by_role("status")).to_contain_text("1 person invited to Acme")


def test_an_admin_registers_a_webhook_and_reads_the_audit_log_in_a_browser(page: Page) -> None:
    steps = Steps(prefix="dashboard-webhooks-")
    page.goto("/admin/onboarding")
    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL").fill("https://93.184.215.14/onboarding-events")
    page.get_by_label("journey.accepted").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("shown only now")
    expect(page.locator("code.token")).to_contain_text("whsec_")
    steps.check(page, "registered")

    page.get_by_role("link", name="https://93.184.215.14/onboarding-events").click()
    expect(page.get_by_text("Nothing sent to this endpoint yet.")).to_be_visible()
    steps.check(page, "deliveries")

    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("cell", name="webhook.register")).to_be_visible()
    page.get_by_label("What").select_option("webhook.register")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_role("cell", name="boss@acme.example").first).to_be_visible()
    steps.check(page, "audit")

    page.goto("/admin/onboarding/audit?lang=nl")
    expect(page.get_by_role("heading", name="Auditlog")).to_be_visible()
    steps.check(page, "audit-nl")
