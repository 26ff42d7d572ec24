"""mime: the wire form of a two-part mail, as any mail parser reads it back."""

import pytest

from onboarding.mail.mime import two_part
from tests.mailbox import parsed

HEADERS = [("From", "a@example.com"), ("To", "b@example.com"), ("Subject", "Hi")]


def sent(text, html):
    message = parsed(two_part(HEADERS, text, html))
    return [
        (part["Content-Transfer-Encoding"], part.get_content().replace("\r\n", "\n"))
        for part in (message.get_body(("plain",)), message.get_body(("html",)))
    ]


def test_plain_ascii_in_short_lines_goes_as_it_is():
    text, html = "Hello Ada,\n\nJoin Acme:\nhttp://app.test/x\n", "<p>Hello = Ada</p>\n"
    raw = two_part(HEADERS, text, html)
    assert b"Hello Ada,\r\n\r\nJoin Acme:\r\nhttp://app.test/x\r\n" in raw
    assert sent(text, html) == [("7bit", text), ("7bit", html)]


@pytest.mark.parametrize(
    "text",
    [
        "Hallo Zoë,\n",  # not ASCII
        "x" * 999 + "\n",  # longer than a line may be
        "a\n--=_0123456789abcdef01234567\nb\n",  # could be taken for a boundary
        "--=_0123456789abcdef01234567--\n",
        "a\rb\n",  # a bare carriage return
        "a\0b\n",
    ],
)
def test_anything_else_is_quoted_printable_and_reads_back_the_same(text):
    assert sent(text, "<p>ok</p>\n") == [("quoted-printable", text), ("7bit", "<p>ok</p>\n")]
