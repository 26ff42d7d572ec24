"""Passkeys in Chromium with a virtual authenticator (DevTools' WebAuthn domain: resident keys,
user verification): an invitee joins from the invitation with a passkey and types no password,
logs in with it in a fresh browser, adds a second one and removes one with the keyboard only,
and comes back through a reset link with a new passkey; an account with only a passkey deletes
itself with it. Every page is checked with axe-core and at 320 px.

Connect runs at "localhost" here: a relying party's ID is a domain, never an IP address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import Counted, Effort, Keyboard, Mouse, Steps
from tests.e2e.inbox import Inbox
from tests.e2e.system import System, running_system
from tests.e2e.test_journey import admin_invites, unique_email

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    with running_system(tmp_path_factory.mktemp("e2e-passkeys"), connect_host="localhost") as up:
        yield up


class Authenticator:
    """A virtual platform authenticator of one page, as a phone or laptop with a screen lock."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("WebAuthn.enable", {"enableUI": False})
        self.id = self._add()

    def _add(self) -> str:
        options = {
            "protocol": "ctap2",
            "transport": "internal",
            "hasResidentKey": True,
            "hasUserVerification": True,
            "isUserVerified": True,
            "automaticPresenceSimulation": True,
        }
        found = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
        return str(found["authenticatorId"])

    def switch_device(self) -> None:
        """Another, empty authenticator in place of this one (a second device)."""
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})
        self.id = self._add()

    def credentials(self) -> list[dict[str, Any]]:
        found = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})
        return list(found["credentials"])

    def hold(self, credentials: list[dict[str, Any]]) -> None:
        """Hold the same passkeys as another device (a passkey synced between devices)."""
        for credential in credentials:
            self.cdp.send(
                "WebAuthn.addCredential", {"authenticatorId": self.id, "credential": credential}
            )


def with_authenticator(new_context) -> tuple[Page, Authenticator]:
    context = new_context()
    page = context.new_page()
    return page, Authenticator(context, page)


def join_with_a_passkey(system: System, new_context, steps: Steps, email: str):
    """An invitee follows the invitation, and on the form prefilled from it creates a passkey
    instead of a password: a member at once, typing nothing."""
    admin_page = admin_invites(system, new_context(), steps, email, "Pia")
    page, authenticator = with_authenticator(new_context)
    effort = Effort()
    act = Counted(Mouse(page), effort)
    inbox = Inbox(system, steps)
    inbox.follow(page, act, to=email, subject="Invitation to join", link=re.compile("^Join "))
    act.click(page.get_by_role("button", name="Create your account"))
    expect(page.get_by_label("First name")).to_have_value("Pia")
    create = page.get_by_role("button", name="Create a passkey")
    expect(create).to_be_visible()
    # The proof-of-work captcha is solved by the page's own script, as in any browser.
    expect(page.locator("altcha-widget")).to_contain_text("Verified", timeout=60_000)
    steps.check(page, "register-with-a-passkey")
    for password in ("New password", "The same password again"):
        expect(page.get_by_label(password)).to_have_value("")
    act.click(create)
    # Signed in at Connect by the new passkey, the app's log-in goes on to the app.
    page.wait_for_url(re.compile(r"/measurements"))
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    assert effort.fields_typed == 0, effort
    return admin_page, page, authenticator


def test_an_invitee_joins_with_a_passkey_and_types_no_password(system, new_context) -> None:
    steps = Steps("passkey-", photograph=frozenset({"register-with-a-passkey"}))
    email = unique_email("pia")
    admin_page, page, authenticator = join_with_a_passkey(system, new_context, steps, email)
    assert len(authenticator.credentials()) == 1
    page.get_by_role("button", name="Accept").click()
    expect(page.get_by_role("status")).to_contain_text("You accepted the invitation")

    admin_page.reload()
    admin_page.get_by_role("row").filter(has_text=email).get_by_role("link").first.click()
    history = admin_page.get_by_role("table")
    # The account was set up (activated) with a passkey, and logged in with it.
    for what in ("Activated the account", "Logged in"):
        row = history.get_by_role("row").filter(
            has=admin_page.get_by_role("cell", name=what, exact=True)
        )
        expect(row).to_contain_text("With a passkey.")
    expect(history).to_contain_text("Address verified by the invitation link.")
    steps.check(admin_page, "history-with-a-passkey")


def test_a_passkey_logs_in_a_fresh_browser_and_is_managed_with_the_keyboard(
    system, new_context
) -> None:
    steps = Steps("passkey-manage-", photograph=frozenset({"log-in-with-a-passkey", "security"}))
    email = unique_email("quin")
    _, _, first_device = join_with_a_passkey(system, new_context, steps, email)

    # Another browser, where the same passkey arrives (synced) while the log-in page is open:
    # the button logs in with it, no password, no code.
    page, authenticator = with_authenticator(new_context)
    act = Keyboard(page)
    page.goto(f"{system.app}/login")
    act.click(page.get_by_role("link", name="Log in with Connect"))
    button = page.get_by_role("button", name="Log in with a passkey")
    expect(button).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_attribute(
        "autocomplete", "username webauthn"
    )
    steps.check(page, "log-in-with-a-passkey")
    authenticator.hold(first_device.credentials())
    act.click(button)
    page.wait_for_url(re.compile(r"/measurements"))

    # A browser holding the passkey when the page opens: the address field's autofill
    # (conditional mediation) offers it, and the virtual authenticator picks it at once.
    other, other_authenticator = with_authenticator(new_context)
    # (The copy held last: one with a sign count already used is refused as a clone.)
    other_authenticator.hold(authenticator.credentials())
    other.goto(f"{system.connect}/login")
    other.wait_for_url(f"{system.connect}/account/security")
    expect(other.get_by_text(f"Logged in as {email}.")).to_be_visible()

    # The security page: this device holds the passkey already (and says so); another device
    # adds a second passkey, then the first is removed.
    page.goto(f"{system.connect}/account/security")
    act.click(page.get_by_role("button", name="Add a passkey"))
    expect(page.get_by_role("status").first).to_contain_text("already holds a passkey")
    authenticator.switch_device()
    act.click(page.get_by_role("button", name="Add a passkey"))
    expect(page.get_by_role("status").first).to_contain_text("The passkey is added.")
    expect(page.get_by_text("Passkey 2", exact=True)).to_be_visible()
    steps.check(page, "security")
    assert len(authenticator.credentials()) == 1
    act.click(page.get_by_role("button", name="Remove Passkey 1"))
    expect(page.get_by_role("status").first).to_contain_text("The passkey is removed.")
    expect(page.get_by_text("Passkey 1", exact=True)).to_have_count(0)
    steps.check(page, "removed")
    # The last one stays: it is the only way to log in.
    act.click(page.get_by_role("button", name="Remove Passkey 2"))
    expect(page.get_by_role("status").first).to_contain_text("only way to log in")
    expect(page.get_by_text("Passkey 2", exact=True)).to_be_visible()


def test_a_reset_link_brings_the_owner_back_with_a_new_passkey(system, new_context) -> None:
    steps = Steps("passkey-recovery-", photograph=frozenset({"reset"}))
    email = unique_email("rui")
    join_with_a_passkey(system, new_context, steps, email)

    # The device is lost: a new browser and a new, empty authenticator.
    page, authenticator = with_authenticator(new_context)
    act = Mouse(page)
    page.goto(f"{system.connect}/password/forgot")
    act.fill(page.get_by_label("Email address"), email)
    act.click(page.get_by_role("button", name="Send the link"))
    Inbox(system, steps).follow(page, act, to=email, subject="password", link="Set a new password")
    create = page.get_by_role("button", name="Create a passkey")
    expect(create).to_be_visible()
    steps.check(page, "reset")
    act.click(create)
    # On to the log-in page, whose autofill offers the new passkey, picked at once.
    page.wait_for_url(f"{system.connect}/account/security")
    expect(page.get_by_text(f"Logged in as {email}.")).to_be_visible()
    assert len(authenticator.credentials()) == 1


def register_with_a_passkey(system: System, new_context, steps: Steps, email: str):
    """The long path at Connect, without an invitation: register, then activate with a
    passkey through the mailed link; the account has no password."""
    page, authenticator = with_authenticator(new_context)
    act = Mouse(page)
    page.goto(f"{system.connect}/login")
    act.click(page.get_by_role("link", name="Create an account"))
    act.fill(page.get_by_label("Email address"), email)
    act.fill(page.get_by_label("First name"), "Sol")
    act.fill(page.get_by_label("Last name"), "Example")
    expect(page.locator("altcha-widget")).to_contain_text("Verified", timeout=60_000)
    act.click(page.get_by_role("button", name="Register"))
    Inbox(system, steps).follow(page, act, to=email, subject="activate", link="Activate account")
    act.click(page.get_by_role("button", name="Create a passkey"))
    page.wait_for_url(f"{system.app}/login")
    return page, authenticator


def test_an_account_with_only_a_passkey_deletes_itself_with_it(system, new_context) -> None:
    steps = Steps("passkey-delete-", photograph=frozenset({"delete-with-a-passkey"}))
    email = unique_email("sol")
    page, authenticator = register_with_a_passkey(system, new_context, steps, email)
    act = Keyboard(page)
    page.goto(f"{system.connect}/account/security")
    # No password and no second factor: the passkey is the one confirmation there is.
    expect(page.get_by_label("Your password, to confirm")).to_have_count(0)
    delete = page.get_by_role("button", name="Delete my account with a passkey")
    expect(delete).to_be_visible()
    steps.check(page, "delete-with-a-passkey")
    act.click(delete)
    page.wait_for_url(f"{system.connect}/account/deleted")
    expect(page.get_by_role("heading", name="Your account was deleted")).to_be_visible()
    steps.check(page, "deleted")
    Inbox(system, steps).open_mail(page, act, email, "deleted")
    # Gone: the passkey the device still holds logs in to nothing.
    assert len(authenticator.credentials()) == 1
    page.goto(f"{system.connect}/account/security")
    page.wait_for_url(re.compile(r"/login"))
