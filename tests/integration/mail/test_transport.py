"""transport.send_all against a real SMTP server, with and without PIPELINING."""

import smtplib

import pytest

from onboarding.mail import compose_bytes
from onboarding.mail.transport import send_all, smtp_connection
from tests.mailbox import Mailbox

CONTEXT = {
    "first_name": "Ada",
    "organization": "Acme",
    "roles": ["viewer"],
    "invited_by": None,
    # A line that starts with a dot must arrive as it was sent (dot-stuffing).
    "accept_url": "http://app.test/invitations/abc\n.hidden",
    "expires_at": "2026-12-25T10:00:00+00:00",
    "trigger": "invite",
}


@pytest.fixture(params=[True, False], ids=["pipelining", "one-by-one"])
def mailbox(request):
    box = Mailbox(pipelining=request.param).start()
    yield box
    box.stop()


def test_send_all_answers_each_mail_in_order_over_one_connection(mailbox, settings):
    recipients = ["ada@example.com", "nobody@example.com", "bob@example.com", "eve@example.com"]
    mails = [
        (n, to, compose_bytes("invitation", "en", CONTEXT, settings, to=to))
        for n, to in enumerate(recipients)
    ]
    refused_body = mails[2][2]
    mails[2] = (2, "bob@example.com", b"X-Refuse: yes\r\n" + refused_body)
    with smtp_connection(mailbox.url) as connection:
        assert connection.has_extn("pipelining") is mailbox.pipelining
        outcomes = list(send_all(connection, "no-reply@example.com", mails))
    assert [key for key, _ in outcomes] == [0, 1, 2, 3]
    refusals = {key: refusal for key, refusal in outcomes if refusal is not None}
    assert isinstance(refusals[1], smtplib.SMTPRecipientsRefused)
    assert refusals[1].recipients["nobody@example.com"][0] == 550
    assert isinstance(refusals[2], smtplib.SMTPDataError) and refusals[2].smtp_code == 554
    assert set(refusals) == {1, 2}
    assert [m["To"] for m in mailbox.messages] == ["ada@example.com", "eve@example.com"]
    for message in mailbox.messages:
        text = message.get_body(("plain",)).get_content()
        assert "\n.hidden" in text.replace("\r\n", "\n")
