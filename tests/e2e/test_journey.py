"""The whole journey in a real browser against the running system: an administrator invites,
the invitee reads the mail in the dev inbox, creates a Connect account from the invitation and
accepts, counting the page loads, mails and clicks; then the existing-account path, an
expired link, and Accept in a fresh browser. Every page is checked with axe-core and at
320 px, and photographed for docs/screenshots/."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.browser import Counted, Effort, Keyboard, Mouse, Steps
from tests.e2e.inbox import Inbox
from tests.e2e.system import System, admin_login, expire_journey_of

PASSWORD = "Correct-Horse-Battery-Staple-42"
# The invitation path at its longest (issue: from invitation to member).
MOST_PAGE_LOADS, MOST_CLICKS = 4, 6


def unique_email(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def fill_connect_login(
    page: Page, act: Keyboard | Mouse, steps: Steps, email: str, password: str
) -> None:
    """Connect's log-in form, then back in the app."""
    expect(page.get_by_label("Password")).to_be_visible()
    steps.check(page, "connect-login")
    act.fill(page.get_by_label("Email address"), email)
    act.fill(page.get_by_label("Password"), password)
    act.click(page.get_by_role("button", name="Log in", exact=True))
    page.wait_for_url(re.compile(r"/measurements"))


def log_in_at_connect(page: Page, act: Keyboard | Mouse, steps: Steps, email: str, password: str):
    """From the app's login page: Log in with Connect, fill Connect's form, back in the app."""
    act.click(page.get_by_role("link", name="Log in with Connect"))
    fill_connect_login(page, act, steps, email, password)


def admin_invites(
    system: System,
    context: BrowserContext,
    steps: Steps,
    email: str,
    first_name: str,
    way: str = "mouse",
) -> Page:
    """The administrator logs in and creates a person with a role, inviting them."""
    page = context.new_page()
    act = Keyboard(page) if way == "keyboard" else Mouse(page)
    page.goto(f"{system.app}/login")
    steps.check(page, "admin-login")
    log_in_at_connect(page, act, steps, *admin_login(system))
    act.click(page.get_by_role("link", name="Settings > People"))
    expect(page.get_by_role("heading", name=re.compile("Add a person"))).to_be_visible()
    steps.check(page, "people")
    act.fill(page.get_by_label("First name"), first_name)
    act.fill(page.get_by_label("Last name"), "Example")
    act.fill(page.get_by_label("Email"), email)
    act.check(page.get_by_label("viewer"))
    act.click(page.get_by_role("button", name="Create and invite"))
    expect(page.get_by_role("status")).to_contain_text(f"({email}) was added")
    steps.check(page, "person-invited")
    return page


def register_and_activate(
    system: System, page: Page, act: Keyboard | Mouse, steps: Steps, email: str, inbox: Inbox
) -> None:
    """The long path, without an invitation: from the app's login page, Create account,
    register, activate with the mailed link, set the password."""
    act.click(page.get_by_role("link", name="Create account"))
    act.fill(page.get_by_label("Email address"), email)
    steps.check(page, "connect-register")
    act.fill(page.get_by_label("First name"), "Bob")
    act.fill(page.get_by_label("Last name"), "Example")
    act.select(page.get_by_label("Country"), "Netherlands")
    # The ALTCHA widget solves its proof of work by itself, as in any browser.
    expect(page.locator("altcha-widget")).to_contain_text("Verified", timeout=60_000)
    act.click(page.get_by_role("button", name="Register"))
    expect(
        page.get_by_role("heading", name=re.compile("Thank you for registering"))
    ).to_be_visible()
    steps.check(page, "connect-thanks")
    inbox.follow(page, act, to=email, subject="activate", link="Activate account")
    expect(page.get_by_label("New password")).to_be_visible()
    steps.check(page, "connect-set-password")
    act.fill(page.get_by_label("New password"), PASSWORD)
    act.fill(page.get_by_label("The same password again"), PASSWORD)
    act.click(page.get_by_role("button", name="Set password"))
    page.wait_for_url(f"{system.app}/login")
    steps.check(page, "back-at-login")


@pytest.mark.parametrize("way", ["mouse", "keyboard"])
def test_an_invitee_goes_from_the_mail_to_member_in_four_pages_one_mail_and_six_clicks(
    system: System, new_context, way: str
) -> None:
    steps = Steps("") if way == "mouse" else Steps("keyboard-", photograph=frozenset())
    email = unique_email("ann")
    admin_page = admin_invites(system, new_context(), steps, email, "Ann", way)

    page = new_context().new_page()
    effort = Effort()
    effort.watch(page)
    act = Counted(Keyboard(page) if way == "keyboard" else Mouse(page), effort)
    inbox = Inbox(system, steps)
    inbox.follow(page, act, to=email, subject="Invitation to join", link=re.compile("^Join "))
    expect(page.get_by_role("heading", name=re.compile("^Join "))).to_be_visible()
    steps.check(page, "invitation")
    act.click(page.get_by_role("button", name="Create your account"))
    # At Connect, inside the app's log-in: everything but the password comes from the invitation.
    expect(page.get_by_label("New password")).to_be_visible()
    expect(page.get_by_label("Email address")).to_have_value(email)
    expect(page.get_by_label("First name")).to_have_value("Ann")
    expect(page.get_by_label("Last name")).to_have_value("Example")
    steps.check(page, "connect-register")
    act.fill(page.get_by_label("New password"), PASSWORD)
    act.fill(page.get_by_label("The same password again"), PASSWORD)
    # The proof-of-work captcha is solved by the page's own script, as in any browser.
    expect(page.locator("altcha-widget")).to_contain_text("Verified", timeout=60_000)
    act.click(page.get_by_role("button", name="Register"))
    page.wait_for_url(re.compile(r"/measurements"))
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    steps.check(page, "measurements-invitation")
    act.click(page.get_by_role("button", name="Accept"))
    expect(page.get_by_role("status")).to_contain_text("You accepted the invitation")
    steps.check(page, "accepted")

    assert (effort.page_loads, effort.fields_typed) == (MOST_PAGE_LOADS, 2), effort
    assert effort.clicks <= MOST_CLICKS, effort
    assert inbox.count(page, email) == 1  # the invitation: no activation mail

    admin_page.reload()
    row = admin_page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Accepted")
    steps.check(admin_page, "admin-sees-accepted")
    row.get_by_role("link").first.click()
    history = admin_page.get_by_role("table")
    for what in (
        "Added",
        "Invited",
        "Opened the invitation",
        "Created an account",
        "Activated the account",
        "Logged in",
        "Accepted",
    ):
        expect(history.get_by_role("cell", name=what, exact=True).first).to_be_visible()
    expect(history).to_contain_text("Address verified by: invitation link")
    steps.check(admin_page, "admin-sees-history")
    admin_page.get_by_role("link", name="Onboarding dashboard").click()
    expect(admin_page.get_by_role("heading", name="Onboarding", exact=True)).to_be_visible()
    steps.check(admin_page, "dashboard")


def test_an_existing_account_skips_registration_and_accept_appears_in_a_fresh_browser(
    system: System, new_context
) -> None:
    steps = Steps("existing-", photograph=frozenset({"fresh-browser-accept", "admin-sees-history"}))
    email = unique_email("bob")
    inbox = Inbox(system, steps)
    # Bob has a Connect account before anyone invites him.
    page = new_context().new_page()
    act = Mouse(page)
    page.goto(f"{system.app}/login")
    register_and_activate(system, page, act, steps, email, inbox)

    admin_page = admin_invites(system, new_context(), steps, email, "Bob")
    inbox.follow(page, act, to=email, subject="Invitation to join", link=re.compile("^Join "))
    act.click(page.get_by_role("button", name="I already have an account"))
    fill_connect_login(page, act, steps, email, PASSWORD)
    expect(page.get_by_role("button", name="Accept")).to_be_visible()

    # Another browser, without the mail link: the Accept button is there after log-in.
    fresh = new_context().new_page()
    fresh.goto(f"{system.app}/measurements")
    log_in_at_connect(fresh, Mouse(fresh), steps, email, PASSWORD)
    expect(fresh.get_by_role("button", name="Accept")).to_be_visible()
    steps.check(fresh, "fresh-browser-accept")
    fresh.get_by_role("button", name="Accept").click()
    expect(fresh.get_by_role("status")).to_contain_text("You accepted the invitation")

    admin_page.reload()
    row = admin_page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text("Accepted")
    row.get_by_role("link").first.click()
    history = admin_page.get_by_role("table")
    expect(history.get_by_role("cell", name="Invited → Logged in")).to_be_visible()
    expect(history.get_by_role("cell", name="Created an account", exact=True)).to_have_count(0)
    steps.check(admin_page, "admin-sees-history")


def test_an_expired_link_says_so_and_what_to_do(system: System, new_context) -> None:
    steps = Steps("expired-", photograph=frozenset({"link"}))
    email = unique_email("cleo")
    admin_invites(system, new_context(), steps, email, "Cleo")
    inbox = Inbox(system, steps)
    page = new_context().new_page()
    link = inbox.href(page, to=email, subject="Invitation to join", link=re.compile("^Join "))
    expire_journey_of(system, email)
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading")).to_contain_text("This invitation has expired")
    expect(page.get_by_text("Ask the administrator who invited you")).to_be_visible()
    steps.check(page, "link")
    # The next step in one click: the administrator who invited hears of it.
    page.get_by_role("button", name=re.compile("Ask .+ for a new invitation")).click()
    expect(page.get_by_role("status")).to_contain_text("for a new invitation on")
    steps.check(page, "asked")
