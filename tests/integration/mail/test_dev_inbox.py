"""The development inbox: the SMTP sink keeps mails, /dev/mail shows them with working links."""

import os
import smtplib
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from onboarding.mail import compose_bytes, dev_inbox
from onboarding.serve import services
from tests.mailbox import free_port
from web import create_app

ROOT = Path(__file__).resolve().parents[2]
INVITATION = {
    "first_name": "Ada",
    "organization": "Acme",
    "roles": ["viewer"],
    "invited_by": None,
    "accept_url": "http://app.test/invitations/abc123",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "trigger": "invite",
}


@pytest.fixture
def sink(settings, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ONBOARDING_ENV": "development",
        "ONBOARDING_VAR_DIR": str(settings.var_dir),
        "SECRET_KEY": settings.secret_key,
        "SMTP_URL": f"smtp://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "workers.mail_sink"], env=env, cwd=ROOT, stdout=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            smtplib.SMTP("127.0.0.1", port, timeout=1).quit()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                raise
            time.sleep(0.05)
    yield port
    process.terminate()
    process.wait(10)
    process.stdout.close()


def test_the_sink_keeps_every_mail_it_receives(sink, settings):
    message = compose_bytes(
        "invitation", "en", INVITATION, settings, to="ada@example.com", outbox_id=9
    )
    with smtplib.SMTP("127.0.0.1", sink) as connection:
        connection.sendmail("no-reply@example.com", ["ada@example.com"], message)
    (received,) = dev_inbox.newest(settings)
    assert received.subject == "Invitation to join Acme in Measurements"
    assert received.message["Message-ID"] == "<outbox-9@example.com>"
    assert "http://app.test/invitations/abc123" in received.part("html")


def test_the_inbox_page_lists_mails_and_shows_each_with_its_links(settings):
    mail_id = dev_inbox.store(
        compose_bytes("invitation", "nl", INVITATION, settings, to="ada@example.com"), settings
    )
    client = create_app({"TESTING": True}, settings=settings).test_client()
    listing = client.get("/dev/mail")
    assert listing.status_code == 200
    assert b"Uitnodiging voor Acme in Measurements" in listing.data
    assert f"/dev/mail/{mail_id}".encode() in listing.data
    page = client.get(f"/dev/mail/{mail_id}")
    assert page.status_code == 200
    assert b'href="http://app.test/invitations/abc123"' in page.data
    frame = client.get(f"/dev/mail/{mail_id}/html")
    assert frame.status_code == 200
    assert b'<base target="_top">' in frame.data
    assert b'href="http://app.test/invitations/abc123"' in frame.data
    assert "frame-ancestors 'self'" in frame.headers["Content-Security-Policy"]


def test_unknown_or_malformed_mail_ids_are_not_found():
    client = create_app({"TESTING": True}).test_client()
    assert client.get("/dev/mail/0000000000000000000-00000000").status_code == 404
    assert client.get("/dev/mail/..%2F..%2Fsecret_key").status_code == 404


def test_there_is_no_inbox_in_production(settings):
    production = settings.with_overrides(environment="production")
    client = create_app({"TESTING": True}, settings=production).test_client()
    assert client.get("/dev/mail").status_code == 404


def test_there_is_no_inbox_when_mail_goes_to_a_real_server(settings):
    remote = settings.with_overrides(smtp_url="smtp://mail.example.com:587")
    client = create_app({"TESTING": True}, settings=remote).test_client()
    assert client.get("/dev/mail").status_code == 404


def test_serve_starts_the_sink_only_for_a_local_smtp_server(settings):
    assert "mail" in [s.name for s in services(settings)]
    remote = settings.with_overrides(smtp_url="smtp://mail.example.com:587")
    assert "mail" not in [s.name for s in services(remote)]
    assert "mail" not in [
        s.name for s in services(settings.with_overrides(environment="production"))
    ]


def test_the_inbox_speaks_the_readers_language_and_writes_when_in_their_zone(settings):
    message = compose_bytes("invitation", "en", INVITATION, settings, to="ada@example.com")
    mail_id = dev_inbox.store(message, settings)
    sent_at = dev_inbox.find(mail_id, settings).sent_at
    client = create_app({"TESTING": True}, settings=settings).test_client()
    client.set_cookie("time_zone", "Asia/Tokyo")
    local = sent_at.astimezone(ZoneInfo("Asia/Tokyo"))
    listing = client.get("/dev/mail?lang=nl").get_data(as_text=True)
    shown = client.get(f"/dev/mail/{mail_id}?lang=nl").get_data(as_text=True)
    for page in (listing, shown):
        assert '<html lang="nl">' in page and f"{local:%H:%M}" in page
        assert str(dev_inbox.find(mail_id, settings).message["Date"]) not in page
    assert "<h1>Postvak IN</h1>" in listing and "Mail inbox" not in listing
    assert '<th scope="col">Aan</th>' in listing and "Ontvangen (Asia/Tokyo)" in listing
    assert "<dt>Van</dt>" in shown and "Verstuurd (Asia/Tokyo)" in shown
    assert "Tekstversie" in shown and "Text version" not in shown
