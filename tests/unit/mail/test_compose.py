"""compose: the invitation mail in the reader's language, with headers that deliver."""

from pathlib import Path

import dkim
import pytest
from babel.messages.extract import extract_from_dir
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from onboarding import i18n
from onboarding.mail import compose_bytes, render
from onboarding.mail.compose import TEMPLATES_DIR
from tests.mailbox import parsed

INVITATION = {
    "first_name": "Ada",
    "organization": "Acme",
    "roles": ["editor", "viewer"],
    "invited_by": "Bob Smith",
    "accept_url": "http://app.test/invitations/abc123",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "trigger": "invite",
}


def parts(message):
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return text, html


def test_the_invitation_in_english_has_the_link_roles_and_the_expiry_written_out(settings):
    message = parsed(
        compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com", outbox_id=1)
    )
    assert message["Subject"] == "Invitation to join Acme in Measurements"
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    for body in (text, html):
        assert "http://app.test/invitations/abc123" in body
        assert "Bob Smith invited you to join Acme in Measurements as editor and viewer." in body
        assert "Friday, December 25, 2026" in body
        assert "Create your Connect account on the page that opens" in body
        assert "Join Acme" in body
        assert "support@example.com" in body
    assert 'href="http://app.test/invitations/abc123"' in html


def test_the_invitation_in_dutch_is_dutch_down_to_the_date(settings):
    message = parsed(compose_bytes("invitation", "nl", INVITATION, settings, to="ada@example.com"))
    assert message["Subject"] == "Uitnodiging voor Acme in Measurements"
    assert message["Content-Language"] == "nl"
    text, html = parts(message)
    for body in (text, html):
        assert "vrijdag 25 december 2026" in body
        assert "als editor en viewer" in body
        assert "Word lid van Acme" in body
        assert "http://app.test/invitations/abc123" in body
        assert "invited" not in body


def test_an_unknown_language_falls_back_to_english(settings):
    assert (
        render("invitation", "xx", INVITATION, settings).subject
        == "Invitation to join Acme in Measurements"
    )


def test_a_resent_invitation_says_earlier_links_keep_working(settings):
    resent = {**INVITATION, "trigger": "resend"}
    text, _ = parts(parsed(compose_bytes("invitation", "en", resent, settings)))
    assert "links in earlier mails keep working" in text


def test_headers_come_from_settings_and_the_message_id_is_stable_per_outbox_row(settings):
    settings = settings.with_overrides(
        mail_from="Acme Onboarding <hello@acme.test>",
        mail_reply_to="help@acme.test",
        support_email="help@acme.test",
        dkim_domain="acme.test",
    )
    first = parsed(
        compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com", outbox_id=42)
    )
    again = parsed(
        compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com", outbox_id=42)
    )
    other = parsed(
        compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com", outbox_id=43)
    )
    assert first["Message-ID"] == again["Message-ID"] == "<outbox-42@acme.test>"
    assert other["Message-ID"] != first["Message-ID"]
    assert first["From"] == "Acme Onboarding <hello@acme.test>"
    assert first["Reply-To"] == "help@acme.test"
    assert first["Date"].datetime is not None
    assert "help@acme.test" in parts(first)[0]


def test_a_recipient_with_a_line_break_cannot_add_headers(settings):
    with pytest.raises(ValueError):
        compose_bytes(
            "invitation", "en", INVITATION, settings, to="ada@example.com\r\nBcc: eve@evil.test"
        )
    with pytest.raises(ValueError):
        compose_bytes(
            "invitation", "en", INVITATION, settings, to="Eve <eve@evil.test>, ada@example.com"
        )


def test_values_in_the_subject_stay_on_one_line(settings):
    settings = settings.with_overrides(app_name="Acme\r\nBcc: eve@evil.test")
    raw = compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com")
    message = parsed(raw)
    assert message["Bcc"] is None
    assert message["Subject"] == "Invitation to join Acme in Acme Bcc: eve@evil.test"


def test_values_are_escaped_in_html(settings):
    context = {**INVITATION, "invited_by": "<b>Bob</b>"}
    _, html = parts(parsed(compose_bytes("invitation", "en", context, settings)))
    assert "<b>Bob</b>" not in html
    assert "&lt;b&gt;Bob&lt;/b&gt;" in html


def test_a_configured_dkim_key_signs_the_mail_verifiably(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = tmp_path / "dkim.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    settings = settings.with_overrides(
        dkim_key_file=key_file, dkim_selector="s1", dkim_domain="acme.test"
    )
    raw = compose_bytes("invitation", "nl", INVITATION, settings, to="ada@example.com", outbox_id=3)
    assert raw.startswith(b"DKIM-Signature:")

    def dns(name, timeout=5):
        assert name == b"s1._domainkey.acme.test."
        import base64

        return b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    assert dkim.verify(raw, dnsfunc=dns)
    assert not dkim.verify(raw.replace(b"Acme", b"Evil"), dnsfunc=dns)


def test_every_text_of_every_mail_template_has_a_dutch_translation():
    ids = {
        message
        for _, _, message, _, _ in extract_from_dir(
            str(TEMPLATES_DIR),
            method_map=[("**.html", "jinja2"), ("**.txt", "jinja2")],
            options_map={"**": {"trimmed": "true", "extensions": "jinja2.ext.i18n"}},
        )
    }
    dutch = i18n.translations("nl")
    assert ids

    def untranslated(message):
        if isinstance(message, tuple):  # a plural: (singular, plural)
            return dutch.ngettext(*message, 2) == message[1]
        return dutch.gettext(message) == message

    assert sorted(filter(untranslated, ids), key=str) == []


def test_the_catalogs_of_every_area_are_merged(tmp_path, monkeypatch):
    folder = tmp_path / "nl" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "messages.po").write_text('msgid "Hello"\nmsgstr "Hallo"\n')
    (folder / "connect.po").write_text('msgid "Activate"\nmsgstr "Activeren"\n')
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    i18n.translations.cache_clear()
    try:
        merged = i18n.translations("nl")
        assert (merged.gettext("Hello"), merged.gettext("Activate")) == ("Hallo", "Activeren")
    finally:
        i18n.translations.cache_clear()


def test_non_ascii_names_and_texts_survive_the_wire_form(settings):
    settings = settings.with_overrides(app_name="Metingen · Zoë", mail_from="Zoë <zoe@acme.test>")
    context = {**INVITATION, "invited_by": "José = Ünal  ", "first_name": "Ådа " + "x" * 200}
    raw = compose_bytes("invitation", "nl", context, settings, to="ada@example.com")
    assert raw.isascii() and max(len(line) for line in raw.split(b"\r\n")) <= 998
    message = parsed(raw)
    assert message["Subject"] == "Uitnodiging voor Acme in Metingen · Zoë"
    assert (message["From"].addresses[0].display_name, message["From"].addresses[0].addr_spec) == (
        "Zoë",
        "zoe@acme.test",
    )
    expected = render("invitation", "nl", context, settings)
    assert message.get_body(("plain",)).get_content().replace("\r\n", "\n") == expected.text
    assert message.get_body(("html",)).get_content().replace("\r\n", "\n") == expected.html


def test_no_text_is_translated_two_ways_across_the_catalogs_of_a_language():
    from babel.messages.pofile import read_po

    folder = Path(i18n.__file__).parent / "translations" / "nl" / "LC_MESSAGES"
    seen: dict[object, tuple[str, object]] = {}
    clashes = []
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id:
                    continue
                first = seen.setdefault(message.id, (path.name, message.string))
                if first[1] != message.string:
                    clashes.append((message.id, first, (path.name, message.string)))
    assert clashes == []


def test_a_mail_with_an_unsubscribe_address_offers_the_one_click_headers(settings):
    context = {**INVITATION, "unsubscribe_url": "https://app.test/reminders/stop/T"}
    message = parsed(compose_bytes("invitation", "en", context, settings, to="ada@example.com"))
    assert message["List-Unsubscribe"] == "<https://app.test/reminders/stop/T>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = parsed(compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com"))
    assert plain["List-Unsubscribe"] is None


@pytest.mark.parametrize(
    "url",
    ["https://app.test/x>\r\nBcc: eve@evil.example", "mailto:x@example.com", "https://é.test/"],
)
def test_an_unsubscribe_address_that_could_break_the_header_is_refused(settings, url):
    context = {**INVITATION, "unsubscribe_url": url}
    with pytest.raises(ValueError, match="not an unsubscribe address"):
        compose_bytes("invitation", "en", context, settings, to="ada@example.com")
