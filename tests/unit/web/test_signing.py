"""Session cookies and CSRF tokens signed with kept signers read as Flask's and Flask-WTF's own,
and the other way round; a short payload goes uncompressed, a long one as itsdangerous writes
it."""

import pytest
from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import validate_csrf
from itsdangerous import URLSafeTimedSerializer

from web.security import CookieSessions
from web.signing import KeptSerializer, csrf_token


def application(sessions) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="a secret key for the tests", WTF_CSRF_FIELD_NAME="csrf_token")
    app.session_interface = sessions
    return app


def test_a_csrf_token_made_here_passes_flask_wtfs_check():
    app = application(CookieSessions())
    with app.test_request_context():
        token = csrf_token()
        validate_csrf(token)  # raises ValidationError when refused
        assert csrf_token() == token  # one per request


def test_a_csrf_token_of_another_session_is_refused():
    app = application(CookieSessions())
    with app.test_request_context():
        token = csrf_token()
    with app.test_request_context(), pytest.raises(Exception, match="do not match"):
        csrf_token()
        validate_csrf(token)


@pytest.mark.parametrize(
    ("writes", "reads"),
    [
        (CookieSessions(), SecureCookieSessionInterface()),
        (SecureCookieSessionInterface(), CookieSessions()),
    ],
)
def test_a_session_cookie_reads_the_same_with_flasks_own_sessions(writes, reads):
    values = {"csrf_token": "0f" * 20, "lang": "nl", "invitations": [3, 1, 2], "long": "x" * 400}
    app = application(writes)

    @app.get("/")
    def set_values() -> str:
        session.update(values)
        return ""

    cookie = app.test_client().get("/").headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    app.session_interface = reads
    with app.test_request_context(headers={"Cookie": f"session={cookie}"}):
        assert dict(session) == values


# A CSRF token and a session holding one, which zlib would shorten by a few bytes; and payloads
# it shortens by far.
SHORT = ["0f" * 20, {"csrf_token": "ab" * 20, "lang": "nl"}]
LONG = [{"names": ["Ada"] * 40}, "z" * 300]


@pytest.mark.parametrize("value", SHORT + LONG)
def test_a_short_payload_goes_uncompressed_and_a_long_one_as_itsdangerous_writes_it(value):
    ours = KeptSerializer("key", salt="salt")
    theirs = URLSafeTimedSerializer("key", salt="salt")
    assert theirs.loads(ours.dumps(value)) == value and ours.loads(theirs.dumps(value)) == value
    if value in SHORT:
        assert theirs.dump_payload(value).startswith(b".")  # compressed by itsdangerous
        assert not ours.dump_payload(value).startswith(b".")
    else:
        assert ours.dump_payload(value) == theirs.dump_payload(value)
