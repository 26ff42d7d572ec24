"""The pages of the app and of Connect in a real browser (Debian's Chromium), in words a person
would write: in English and Dutch no ISO timestamp, Python value, `None` or snake_case word is
visible; with a test-only pseudo-locale (`xx`: every catalog message wrapped in ⟦…⟧) every
visible text of the pages and of every mail comes from the catalog, but for numbers, names and
addresses. The admin pages in Dutch are photographed for docs/screenshots/."""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from types import MappingProxyType
from urllib.parse import urlencode

import pyotp
import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import make_server

from onboarding import i18n, invitation_proof, journeys
from onboarding.clock import utcnow
from onboarding.dashboard.link_hits import record_fetch
from onboarding.db import unit_of_work
from onboarding.identity import accounts
from onboarding.identity.models import Account, Passkey
from onboarding.journeys.expiry import extend_expiry
from onboarding.journeys.models import Journey
from onboarding.mail import compose_bytes, dev_inbox, render
from onboarding.people import directory
from onboarding.people.models import NAME_LENGTH
from onboarding.settings import Settings
from tests import helpers
from tests.e2e.browser import SCREENSHOTS, accessibility_problems, overflow_at_320
from tests.helpers import (
    PASSWORD,
    Deferred,
    activated_account,
    admin_of,
    answer_requests,
    app_session,
    invitation_path,
    last_link,
    link_token,
    organization,
)
from tests.unit.test_i18n import CONTEXT, MAIL_TEMPLATES
from web import create_app, create_connect_app
from web import i18n as web_i18n
from web.auth import SESSION_ID_KEY, SESSION_KEY

pytestmark = pytest.mark.e2e

ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\d{4}-\d{2}-\d{2}\b")
PYTHON_VALUE = re.compile(r"\['|\{'|\bNone\b|\bTrue\b|\bFalse\b")
SNAKE_CASE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
# The visible text of a page: <code> shows what an admin types as it is (the CSV's columns),
# and the live diagram is drawn from the machine's own names; neither is prose.
VISIBLE_TEXT = """() => {
  const body = document.body.cloneNode(true);
  body.querySelectorAll("code, script, style, svg, figure.diagram").forEach((e) => e.remove());
  document.documentElement.appendChild(body);
  const text = body.innerText;
  body.remove();
  return text;
}"""
# The admin pages photographed in Dutch for docs/screenshots/ (nl-<name>.png).
PHOTOGRAPHED = {"people", "history-invited", "dashboard", "journey-invited", "csv", "tokens"}
PSEUDO = "xx"
WIDTH = 1280
OPEN, CLOSE = "⟦", "⟧"
PEOPLE = ["Ada", "Lovelace", "Acme", "admin", "editor", "viewer", "W" * 100, "X" * 100]
# Names that are no catalog's: the app, the provider, languages (CLDR's names, or their own).
NAMES = ["Measurements", "Connect", "English", "Dutch", "Nederlands", "Pseudo", *PEOPLE]
# CLDR's words in dates (the pseudo-locale writes dates as the default language does).
DATE_WORDS = re.compile(
    r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|January|February|March|April|June|"
    r"July|August|September|October|November|December|Monday|Tuesday|Wednesday|Thursday|"
    r"Friday|Saturday|Sunday|AM|PM|UTC|days?|hours?|minutes?|seconds?|weeks?|months?)\b"
)


@pytest.fixture
def world(factory: sessionmaker[Session]) -> dict[str, object]:
    """Acme with an administrator and a journey in each state, with history worth reading."""
    now = utcnow()
    start = now - timedelta(days=9)
    with unit_of_work(factory) as session:
        acme = organization(session, "Acme")
        admin = admin_of(session, acme, "boss@acme.example")
        ids = {}
        for name, trail in {
            "created": None,
            "invited": [],
            "registered": ["register"],
            "activated": ["register", "activate"],
            "logged_in": ["log_in"],
            "accepted": ["log_in", "accept"],
            "revoked": ["revoke"],
            "expired": ["expire"],
        }.items():
            email = f"{name.replace('_', '-')}@acme.example"
            journey = helpers.journey(session, acme, email=email, now=start)
            ids[name] = journey.id
            if trail is None:
                continue
            journeys.invite(session, journey.id, actor=admin.email, now=start)
            for step, trigger in enumerate(trail, start=1):
                at = start + timedelta(days=step)
                if trigger == "register":
                    journeys.register(session, journey.id, email=journey.person.email, now=at)
                elif trigger in ("activate", "expire"):
                    getattr(journeys, trigger)(session, journey.id, now=at)
                else:
                    getattr(journeys, trigger)(session, journey.id, actor=admin.email, now=at)
        extend_expiry(session, ids["invited"], days=30, actor=admin.email)
        longest = directory.create_person(  # names and addresses as long as the forms allow
            session,
            acme,
            email=f"{'l' * 64}@{'o' * 60}.example",
            first_name="W" * NAME_LENGTH,
            last_name="X" * NAME_LENGTH,
            roles=["viewer"],
            actor=admin.email,
        )
        ids["longest"] = longest.id
        invited = session.get_one(Journey, ids["invited"])
        invitation = invitation_path(session, invited)
        record_fetch(session, invited, method="GET", user_agent="Mozilla/5.0", now=utcnow())
        return {"organization": acme.id, "admin": admin.id, "ids": ids, "invitation": invitation}


@pytest.fixture
def serve(factory: sessionmaker[Session], world: dict[str, object]) -> Iterator[tuple[str, str]]:
    """The app on a free loopback port; yields (base URL, the admin's session cookie)."""
    app = create_app({"RATELIMIT_ENABLED": False})
    admin_id = world["admin"]
    cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
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
def browser_page(serve: tuple[str, str], browser: Browser) -> Iterator[Page]:
    base, cookie = serve
    context = browser.new_context(
        base_url=base, viewport={"width": WIDTH, "height": 900}, timezone_id="Europe/Amsterdam"
    )
    context.add_cookies([{"name": "app_session", "value": cookie, "url": base}])
    page = context.new_page()
    # The first page tells the server the browser's zone and loads once more in it.
    page.goto("/measurements")
    page.wait_for_function(
        "document.body.dataset.timeZone === Intl.DateTimeFormat().resolvedOptions().timeZone"
    )
    yield page
    context.close()


def admin_pages(world: dict[str, object]) -> list[tuple[str, str]]:
    """(name, path) of every admin page, with a person's page for each state."""
    org, ids = world["organization"], world["ids"]
    assert isinstance(ids, dict)
    pages = [
        ("people", f"/settings/people/{org}"),
        ("dashboard", "/admin/onboarding"),
        ("csv", "/admin/onboarding/invite"),
        ("tokens", "/admin/onboarding/tokens"),
    ]
    for state, journey_id in ids.items():
        pages.append((f"history-{state}", f"/settings/people/{org}/journeys/{journey_id}"))
        pages.append((f"journey-{state}", f"/admin/onboarding/journeys/{journey_id}"))
    return pages


def every_page(world: dict[str, object]) -> list[tuple[str, str]]:
    return [
        *admin_pages(world),
        ("measurements", "/measurements"),
        ("not-found", "/no/such/page"),
        ("invitation", str(world["invitation"])),
    ]


def visible_text(page: Page, path: str, language: str) -> str:
    page.goto(f"{path}?lang={language}")
    return shown(page)


def shown(page: Page) -> str:
    page.wait_for_load_state("load")
    return str(page.evaluate(VISIBLE_TEXT))


def pages_after_actions(page: Page, world: dict[str, object], language: str) -> Iterator[tuple]:
    """(name, visible text) of the pages an admin meets while acting, found by their markup
    (whatever the language): Revoke's question and its result in Settings > People, Extend
    expiry's question and its result on the dashboard, a CSV dry run with refused rows."""
    org, ids = world["organization"], world["ids"]
    assert isinstance(ids, dict)
    visible_text(page, f"/settings/people/{org}", language)
    page.locator("tr", has_text="registered@acme.example").locator("button.secondary").click()
    yield "people-revoke-question", shown(page)
    page.locator("form:has(input[name=confirmed]) button").click()
    yield "people-revoked", shown(page)
    visible_text(page, f"/admin/onboarding/journeys/{ids['activated']}", language)
    page.locator("form:has(input[name=days]) button").click()
    yield "dashboard-extend-question", shown(page)
    page.locator("form:has(input[name=confirmed]) button").click()
    yield "dashboard-extended", shown(page)
    visible_text(page, "/admin/onboarding/invite", language)
    csv = (
        "first_name,last_name,email,language,roles\n"
        "Ada,Lovelace,new@acme.example,en,viewer\n"
        "Ada,Lovelace,bad@,en,viewer\n"
        "Ada,Lovelace,invited@acme.example,nl,viewer\n"
        "Ada,Lovelace,other@acme.example,en,pilot\n"
    )
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": csv.encode()}]
    )
    page.locator("button[value=dry_run]").click()
    yield "csv-dry-run", shown(page)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_is_written_in_words(browser_page: Page, world, language) -> None:
    problems = []
    for name, path in every_page(world):
        text = visible_text(browser_page, path, language)
        if name.startswith(("history-", "journey-")):
            assert "(Europe/Amsterdam)" in text, name  # the browser's zone
        width = browser_page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{name} is {width} px wide"
        for kind, pattern in (("ISO", ISO_TIME), ("Python", PYTHON_VALUE), ("code", SNAKE_CASE)):
            problems += [f"{name}: {kind} {found!r}" for found in pattern.findall(text)]
        if language == "nl" and name in PHOTOGRAPHED:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser_page.screenshot(path=str(SCREENSHOTS / f"nl-{name}.png"), full_page=True)
    for name, text in pages_after_actions(browser_page, world, language):
        for kind, pattern in (("ISO", ISO_TIME), ("Python", PYTHON_VALUE), ("code", SNAKE_CASE)):
            problems += [f"{name}: {kind} {found!r}" for found in pattern.findall(text)]
    assert not problems, "\n".join(problems)


@pytest.fixture
def pseudo_locale(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The language `xx`: every message of every catalog, its translation wrapped in ⟦…⟧."""
    folder = tmp_path / "translations"
    catalog = Catalog(locale="en")
    for language in i18n.LANGUAGES:
        if language != i18n.DEFAULT_LANGUAGE:
            shutil.copytree(i18n.TRANSLATIONS_DIR / language, folder / language)
            for path in i18n.catalog_files(language):
                with path.open("rb") as handle:
                    for message in read_po(handle, locale=language):
                        if message.id:
                            catalog.add(message.id, _wrapped(message.id))
    (folder / PSEUDO / "LC_MESSAGES").mkdir(parents=True)
    with (folder / PSEUDO / "LC_MESSAGES" / "pseudo.po").open("wb") as handle:
        write_po(handle, catalog)
    languages = MappingProxyType({**i18n.LANGUAGES, PSEUDO: "Pseudo"})
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", folder)
    monkeypatch.setattr(i18n, "LANGUAGES", languages)
    monkeypatch.setattr(web_i18n, "LANGUAGES", languages)
    i18n.translations.cache_clear()
    yield
    i18n.translations.cache_clear()


def _wrapped(message: str | tuple[str, ...]) -> str | tuple[str, ...]:
    if isinstance(message, tuple):
        return tuple(f"{OPEN}{form}{CLOSE}" for form in message)
    return f"{OPEN}{message}{CLOSE}"


def unmarked(text: str, names: list[str]) -> str:
    """What is left of `text` outside the markers, numbers, names, addresses and dates."""
    while True:
        inner = re.sub(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
        if inner == text:
            break
        text = inner
    text = re.sub(r"https?://\S+|\S+@\S*|/\S*", " ", text)
    for name in sorted(names, key=len, reverse=True):
        text = text.replace(name, " ")
    text = DATE_WORDS.sub(" ", text)
    return " ".join(re.findall(r"[^\W\d_]{2,}", text))


def test_with_a_pseudo_locale_every_visible_text_of_the_pages_comes_from_the_catalog(
    pseudo_locale, browser_page: Page, world
) -> None:
    texts = [(name, visible_text(browser_page, path, PSEUDO)) for name, path in every_page(world)]
    texts += list(pages_after_actions(browser_page, world, PSEUDO))
    leftovers = {name: left for name, text in texts if (left := unmarked(text, NAMES))}
    assert not leftovers, leftovers


@pytest.mark.parametrize("template", MAIL_TEMPLATES)
def test_with_a_pseudo_locale_every_text_of_every_mail_comes_from_the_catalog(
    pseudo_locale, template, settings
) -> None:
    mail = render(template, PSEUDO, CONTEXT, settings)
    html_text = re.sub(r"<style\b.*?</style>|<[^>]+>", " ", mail.html, flags=re.S)
    names = [*NAMES, "Bob Smith", settings.app_name, settings.support_email]
    for part in (mail.subject, mail.text, html_text):
        assert not unmarked(part, names), (template, unmarked(part, names))


# The reader's own settings and the development inbox, walked on their own: the zone list
# names places as CLDR writes them, and the inbox shows mails as they were sent.
OWN_PAGES_PHOTOGRAPHED = {"settings"}


@pytest.fixture
def inbox(settings: Settings) -> Callable[[str], list[tuple[str, str]]]:
    """Puts an invitation in `language` in the development inbox; returns (name, path) of the
    reader's settings and of the inbox's pages."""

    def deliver(language: str) -> list[tuple[str, str]]:
        mail = compose_bytes("invitation", language, CONTEXT, settings, to="ada@example.com")
        mail_id = dev_inbox.store(mail, settings)
        return [
            ("settings", "/settings/account"),
            ("inbox", "/dev/mail"),
            ("inbox-mail", f"/dev/mail/{mail_id}"),
        ]

    return deliver


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_settings_and_the_inbox_are_written_in_words(
    browser_page: Page, inbox, language
) -> None:
    problems = []
    for name, path in inbox(language):
        text = visible_text(browser_page, path, language)
        if name.startswith("inbox"):
            assert "(Europe/Amsterdam)" in text, name  # when a mail came, in the browser's zone
        for kind, pattern in (("ISO", ISO_TIME), ("Python", PYTHON_VALUE), ("code", SNAKE_CASE)):
            problems += [f"{name}: {kind} {found!r}" for found in pattern.findall(text)]
        if language == "nl" and name in OWN_PAGES_PHOTOGRAPHED:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            browser_page.screenshot(path=str(SCREENSHOTS / f"nl-{name}.png"), full_page=True)
    assert not problems, "\n".join(problems)


def test_with_a_pseudo_locale_the_settings_and_the_inbox_come_from_the_catalog(
    pseudo_locale, browser_page: Page, inbox, settings
) -> None:
    # Places first, whole: "Svalbard & Jan Mayen" is no month.
    places = sorted(
        (place for _, zones in i18n.time_zones(PSEUDO) for _, place in zones), key=len, reverse=True
    )
    names = [*NAMES, "Bob Smith", settings.app_name, settings.support_email]
    leftovers = {}
    for name, path in inbox(PSEUDO):
        text = visible_text(browser_page, path, PSEUDO)
        for place in places:
            text = text.replace(place, " ")
        if left := unmarked(text, names):
            leftovers[name] = left
    assert not leftovers, leftovers


def test_a_zone_chosen_in_the_settings_outranks_the_browsers(browser_page: Page, world) -> None:
    history = f"/settings/people/{world['organization']}/journeys/{world['ids']['invited']}"
    assert "(Europe/Amsterdam)" in visible_text(browser_page, history, "en")
    browser_page.goto("/settings/account")
    assert not accessibility_problems(browser_page)
    assert not overflow_at_320(browser_page)
    browser_page.locator("#time_zone").select_option("Asia/Tokyo")
    browser_page.locator("form[action='/settings/account'] button").click()
    assert "Your settings are saved." in shown(browser_page)
    assert "(Asia/Tokyo)" in visible_text(browser_page, history, "en")
    browser_page.goto("/settings/account")
    browser_page.locator("#time_zone").select_option("")
    browser_page.locator("form[action='/settings/account'] button").click()
    assert "(Europe/Amsterdam)" in visible_text(browser_page, history, "en")


# Connect, as configured for its walk: a second request for one address's reset link is refused.
CONNECT_LIMITS = {"LIMIT_FORGOT_PER_ADDRESS": "1 per hour"}
WRONG_CODE = "000000"


@pytest.fixture
def connect_world(factory: sessionmaker[Session], settings) -> dict[str, str]:
    """Links to every page of Connect: Ada's account (activated, with a passkey), the link that
    activated it and one to reset her password; Bea awaiting activation, Cas whose link expired,
    and an invitation the app vouches for."""
    activated_account(factory)
    used = link_token(last_link(factory, "activation", "activate_url"))
    for email, now in (
        ("bea@example.com", utcnow()),
        ("cas@example.com", utcnow() - 2 * settings.activation_ttl),
    ):
        with unit_of_work(factory) as session:
            accounts.register(
                session,
                email=email,
                first_name="Ada",
                last_name="Lovelace",
                language="en",
                country="GB",
                now=now,
            )
            answer_requests(session)
    with unit_of_work(factory) as session:
        waiting, expired = (
            link_token(mail["context"]["activate_url"])
            for mail in helpers.mails(session, "activation")[1:]
        )
        accounts.request_password_reset(session, "ada@example.com")
        answer_requests(session)
        ada = session.query(Account).filter_by(email="ada@example.com").one()
        session.add(
            Passkey(
                account=ada,
                credential_id="credential",
                public_key=b"key",
                name="Laptop",
                created_at=utcnow() - timedelta(days=3),
                last_used_at=utcnow(),
            )
        )
    proof = invitation_proof.InvitationProof(
        "ann@example.com", "Ann", "Lovelace", "nl", "NL", "signed-journey-ref"
    )
    return {
        "used": used,
        "waiting": waiting,
        "expired": expired,
        "reset": link_token(last_link(factory, "password_reset", "reset_url")),
        "invitation": invitation_proof.sign(proof, settings),
    }


@pytest.fixture
def connect_page(factory, settings, browser: Browser) -> Iterator[Page]:
    """A page of a browser at Connect, served on a free loopback port (its issuer)."""
    app = Deferred()
    with helpers.serve(app) as url:
        app.app = create_connect_app(
            CONNECT_LIMITS,
            settings=settings.with_overrides(connect_issuer=url, altcha_max_number=500),
        )
        context = browser.new_context(base_url=url, viewport={"width": WIDTH, "height": 900})
        context.set_default_timeout(20_000)
        yield context.new_page()
        context.close()


def connect_pages(page: Page, world: dict[str, str], language: str) -> Iterator[tuple[str, str]]:
    """(name, visible text) of every page of Connect a person can see, and of its refusals,
    found by their markup (whatever the language)."""
    page.goto(f"/login?lang={language}")
    yield "connect-login", shown(page)
    log_in(page, "wrong password")
    yield "connect-login-refused", shown(page)

    page.goto("/register")
    yield "connect-register", shown(page)
    page.fill("#first_name", "Ada")
    page.fill("#last_name", "Lovelace")
    page.fill("#email", "new@example.com")
    page.select_option("#language", "en")
    page.evaluate("document.querySelector('altcha-widget').remove()")
    page.click("#register button[type=submit]")
    yield "connect-register-without-captcha", shown(page)
    for email, name in (("not-an-email@", "bad-address"), ("new@example.com", "thanks")):
        page.wait_for_selector("altcha-widget .altcha[data-state=verified]")
        page.eval_on_selector("#register", "form => { form.noValidate = true; }")
        page.fill("#email", email)
        page.click("#register button[type=submit]")
        yield f"connect-register-{name}", shown(page)
    assert page.url.endswith("/register/thanks")
    page.goto(f"/register?{urlencode({'invitation': world['invitation']})}")
    yield "connect-register-invited", shown(page)

    page.goto(f"/activate/{world['waiting']}")
    yield "connect-set-password", shown(page)
    page.fill("#password", "aaaaaaaaaaaa")
    page.fill("#password_confirmation", "aaaaaaaaaaaa")
    page.click("form[method=post] button[type=submit]")
    yield "connect-set-password-refused", shown(page)
    for link, name in (("expired", "expired"), ("used", "done"), ("unknown", "unknown")):
        page.goto(f"/activate/{world.get(link, 'no-such-link')}")
        yield f"connect-activation-{name}", shown(page)

    for name in ("connect-forgot-sent", "connect-rate-limited"):
        page.goto("/password/forgot")
        page.fill("#email", f"nobody-{language}@example.com")
        page.click("form[method=post] button[type=submit]")
        yield name, shown(page)
    page.goto("/password/forgot")
    yield "connect-forgot", shown(page)
    page.fill("#email", "ada@example.com")
    page.eval_on_selector("input[name=csrf_token]", "input => { input.value = 'stale'; }")
    page.click("form[method=post] button[type=submit]")
    yield "connect-form-expired", shown(page)
    for link, name in (("reset", "reset"), ("unknown", "reset-unknown")):
        page.goto(f"/password/reset/{world.get(link, 'no-such-link')}")
        yield f"connect-{name}", shown(page)

    page.goto("/no/such/page")
    yield "connect-not-found", shown(page)
    page.goto("/authorize?client_id=%C3%A9")
    yield "connect-bad-request", shown(page)
    page.goto("/authorize?client_id=nobody&response_type=code&redirect_uri=http://elsewhere/")
    yield "connect-unknown-client", shown(page)

    page.goto("/login")
    log_in(page, PASSWORD)
    yield "connect-security", shown(page)
    page.click("form[action$='/account/security/totp'] button")
    yield "connect-totp-enrol", shown(page)
    secret = page.inner_text("#secret")
    page.fill("#code", WRONG_CODE)
    page.click("form[method=post] button[type=submit]")
    yield "connect-totp-refused", shown(page)
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("form[method=post] button[type=submit]")
    yield "connect-recovery-codes", shown(page)
    codes = page.locator("ul.codes li").all_inner_texts()

    page.goto("/end-session")
    yield "connect-log-out-question", shown(page)
    page.click("form[method=post] button[type=submit]")
    yield "connect-logged-out", shown(page)
    page.goto("/login")
    log_in(page, PASSWORD)
    yield "connect-second-factor", shown(page)
    for code, name in ((WRONG_CODE, "second-factor-refused"), (codes[0], "security-again")):
        page.fill("#code", code)
        page.click("form[method=post] button[type=submit]")
        yield f"connect-{name}", shown(page)
    page.click("form[action$='/sign-out-everywhere'] button")
    yield "connect-signed-out-everywhere", shown(page)
    log_in(page, PASSWORD)
    page.fill("#code", codes[1])
    page.click("form[method=post] button[type=submit]")
    page.fill("#delete-password", "wrong password")
    page.click("form[action$='/account/delete'] button")
    yield "connect-delete-refused", shown(page)
    page.fill("#delete-password", PASSWORD)
    page.click("form[action$='/account/delete'] button")
    yield "connect-account-deleted", shown(page)


def log_in(page: Page, password: str) -> None:
    page.fill("#email", "ada@example.com")
    page.fill("#password", password)
    page.click("form[action$='/login'] button[type=submit]")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_page_of_connect_is_written_in_words(connect_page: Page, connect_world, language):
    problems = []
    for name, text in connect_pages(connect_page, connect_world, language):
        for kind, pattern in (("ISO", ISO_TIME), ("Python", PYTHON_VALUE), ("code", SNAKE_CASE)):
            problems += [f"{name}: {kind} {found!r}" for found in pattern.findall(text)]
    assert not problems, "\n".join(problems)


def test_with_a_pseudo_locale_every_visible_text_of_connect_comes_from_the_catalog(
    pseudo_locale, connect_page: Page, connect_world, settings
) -> None:
    texts = list(connect_pages(connect_page, connect_world, PSEUDO))
    # The provider's name (in capitals on its pages), the people's, and countries' (CLDR's).
    countries = [name for _, name in i18n.countries(PSEUDO)]
    names = [*NAMES, settings.idp_name.upper(), "Ann", "Laptop", "Lovelace", *countries]
    leftovers = {name: left for name, text in texts if (left := unmarked(text, names))}
    assert not leftovers, leftovers
