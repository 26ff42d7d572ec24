"""The privacy pages in a real browser (Debian's Chromium): an admin erases a person from
Settings > People with the keyboard only, an invitee stops the reminders in Dutch, and an owner
deletes their account at Connect; each page checked with axe-core and at 320 px."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from onboarding.db import settings_of, unit_of_work
from onboarding.journeys import reminders
from onboarding.settings import use_settings
from tests import helpers
from tests.e2e.browser import Keyboard, Steps
from tests.helpers import (
    PASSWORD,
    activated_account,
    admin_of,
    app_session,
    invitee,
    organization,
    serve,
)
from web import create_app
from web.auth import SESSION_ID_KEY, SESSION_KEY

pytestmark = pytest.mark.e2e


@pytest.fixture
def server(factory: sessionmaker[Session]) -> Iterator[dict[str, object]]:
    """The app on a free loopback port, an admin's session cookie and an invitee's paths."""
    with unit_of_work(factory) as session:
        acme = organization(session, "Acme")
        admin_id = admin_of(session, acme, "boss@acme.example").id
        journey = invitee(session, acme, email="ann@acme.example")
        dutch = helpers.journey(session, acme, email="jan@acme.example", language="nl")
        helpers.fire(session, dutch.id, "invite")
        stop = reminders.stop_url(dutch.id, settings_of(session))
        people = f"/settings/people/{acme.id}/journeys/{journey.id}"
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
    base = f"http://127.0.0.1:{http.server_port}"
    yield {"base": base, "cookie": cookie, "person": people, "stop": stop.split("/reminders", 1)[1]}
    http.shutdown()


@pytest.fixture
def page(server: dict[str, object], browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        base_url=str(server["base"]), viewport={"width": 1280, "height": 900}
    )
    context.add_cookies(
        [{"name": "app_session", "value": str(server["cookie"]), "url": str(server["base"])}]
    )
    yield context.new_page()
    context.close()


def test_an_admin_erases_a_person_with_the_keyboard(page: Page, server) -> None:
    steps = Steps(prefix="privacy-", photograph=frozenset())
    keyboard = Keyboard(page)
    page.goto(str(server["person"]))
    steps.check(page, "person")
    keyboard.check(page.get_by_label("Erase ann@acme.example for good"))
    keyboard.click(page.get_by_role("button", name="Erase", exact=True))
    expect(page.get_by_text("The person was erased")).to_be_visible()
    steps.check(page, "erased")
    expect(page.get_by_text("ann@acme.example")).to_have_count(0)


def test_an_invitee_stops_the_reminders_in_dutch(page: Page, server) -> None:
    steps = Steps(prefix="privacy-", photograph=frozenset())
    page.context.clear_cookies()  # the invitee, not the admin
    page.goto(f"/reminders{server['stop']}")
    expect(page.get_by_role("heading", name="De herinneringen stoppen?")).to_be_visible()
    steps.check(page, "stop-reminders")
    Keyboard(page).click(page.get_by_role("button", name="Stop deze herinneringen"))
    expect(page.get_by_role("heading", name="Je krijgt geen herinneringen meer")).to_be_visible()
    steps.check(page, "reminders-stopped")


@pytest.fixture
def connect(factory, settings):
    from web import create_connect_app

    use_settings(settings)
    activated_account(factory)
    with serve(create_connect_app()) as url:
        yield url


def test_an_owner_deletes_the_account_at_connect_in_a_browser(connect, browser: Browser) -> None:
    steps = Steps(prefix="privacy-connect-", photograph=frozenset())
    context = browser.new_context(base_url=connect, viewport={"width": 1024, "height": 800})
    try:
        page = context.new_page()
        page.goto("/login?next=/account/security")
        page.fill("#email", "ada@example.com")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Log in", exact=True).click()
        expect(page.get_by_role("heading", name="Delete your account")).to_be_visible()
        steps.check(page, "security")
        keyboard = Keyboard(page)
        keyboard.fill(page.get_by_label("Your password, to confirm"), "not it")
        keyboard.click(page.get_by_role("button", name="Delete my account"))
        expect(page.get_by_role("alert")).to_contain_text("That is not right.")
        steps.check(page, "refused")
        keyboard.fill(page.get_by_label("Your password, to confirm"), PASSWORD)
        keyboard.click(page.get_by_role("button", name="Delete my account"))
        expect(page.get_by_role("heading", name="Your account was deleted")).to_be_visible()
        steps.check(page, "deleted")
    finally:
        context.close()
