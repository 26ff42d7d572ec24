"""Connect's mail templates: every English text has its Dutch translation in connect.po, and
each renders in both languages with its links."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import onboarding
from onboarding.mail import compose_bytes
from tests.mailbox import parsed

ROOT = Path(onboarding.__file__).parent
TEMPLATES = ROOT / "mail" / "templates"
CATALOG = ROOT / "translations" / "nl" / "LC_MESSAGES" / "connect.po"
NAMES = [
    "activation",
    "account_exists",
    "password_reset",
    "no_account",
    "password_changed",
    "two_factor_changed",
    "log_ins_throttled",
    "passkey_changed",
]


def connect_template_files():
    for name in NAMES:
        yield from sorted((TEMPLATES / name).iterdir())
    yield from sorted(TEMPLATES.glob("_connect_layout.*"))


def test_every_connect_mail_has_subject_text_and_html():
    for name in NAMES:
        assert {p.name for p in (TEMPLATES / name).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }


def test_every_text_of_connects_mails_is_translated_to_dutch():
    with CATALOG.open("rb") as handle:
        translated = {m.id: m.string for m in read_po(handle, locale="nl") if m.id}
    missing = []
    for path in connect_template_files():
        for _, message, _, _ in extract_from_file(
            "jinja2.ext:babel_extract", str(path), options={"extensions": "jinja2.ext.i18n"}
        ):
            key = message if isinstance(message, str) else tuple(message)
            if not translated.get(key) or not all(translated[key]):
                missing.append((path.name, message))
    assert missing == []


CONTEXTS = {
    "activation": {
        "first_name": "Ada",
        "activate_url": "http://connect.test/activate/T",
        "expires_at": "2026-11-26T12:00:00+00:00",
        "valid_for": "1 day",
    },
    "account_exists": {
        "first_name": "Ada",
        "login_url": "http://connect.test/login",
        "reset_url": "http://connect.test/password/forgot",
    },
    "password_reset": {
        "first_name": "Ada",
        "reset_url": "http://connect.test/password/reset/T",
        "expires_at": "2026-11-26T12:00:00+00:00",
        "valid_for": "1 hour",
    },
    "log_ins_throttled": {
        "first_name": "Ada",
        "reset_url": "http://connect.test/password/forgot",
    },
    "no_account": {
        "email": "x@example.com",
        "register_url": "http://connect.test/register?email=x%40example.com",
    },
    "password_changed": {"first_name": "Ada", "reset_url": "http://connect.test/password/forgot"},
    "two_factor_changed": {
        "first_name": "Ada",
        "reset_url": "http://connect.test/password/forgot",
        "enabled": False,
    },
    "passkey_changed": {
        "first_name": "Ada",
        "security_url": "http://connect.test/account/security",
        "reset_url": "http://connect.test/password/forgot",
        "passkey": "Laptop",
        "added": True,
    },
}


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("name", NAMES)
def test_connect_mails_render_with_their_links(name, language, settings):
    message = parsed(compose_bytes(name, language, CONTEXTS[name], settings, to="ada@example.com"))
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = next(v for k, v in CONTEXTS[name].items() if k.endswith("_url"))
    assert link in text and link.replace("&", "&amp;") in html
    if name == "activation":
        expected = {"en": "Welcome to", "nl": "Welkom bij"}[language]
        assert message["Subject"].startswith(expected)
    if name == "two_factor_changed":
        off = {"en": "Two-factor authentication is off", "nl": "Tweestapsverificatie staat uit"}
        assert message["Subject"].startswith(off[language])
    if name == "passkey_changed":
        assert "Laptop" in text and "Laptop" in html
        added = {"en": "A passkey was added", "nl": "Er is een passkey toegevoegd"}
        assert message["Subject"].startswith(added[language])
