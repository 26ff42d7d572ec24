"""/authorize answers a browser that has to log in with the log-in page itself (no redirect to
/login): the form posts to /login, whose answer carries the code back to the client."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from authlib.common.security import generate_token

from tests.helpers import PAGE_ACCEPT, PASSWORD, activated_account, csrf_token, form_next
from tests.integration.identity.test_languages import heading, language_link
from tests.integration.identity.test_login_answers_with_code import (
    authorization_request,
    back_at_the_client,
)

BROWSER = {**PAGE_ACCEPT, "Accept-Language": "en"}


def masked(page: str) -> str:
    """`page` without its CSRF token (in the form and the passkey button: signed with the
    second it was made in) and its language links (this page's own address)."""
    page = re.sub(r'(name="csrf_token" value|data-csrf)="[^"]*"', r"\1", page)
    return re.sub(r'<a href="\?[^"]*"', "<a", page)


def header_names(response) -> list[str]:
    return sorted(name for name, _ in response.headers if name != "Set-Cookie")


def test_authorize_shows_the_log_in_form_whose_post_answers_with_the_code(client, factory):
    activated_account(factory)
    request = authorization_request(generate_token(48), login_hint="ada@example.com")
    shown = client.get(f"{request}&prompt=login&max_age=0", headers=BROWSER)
    page = shown.get_data(as_text=True)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    assert '<form method="post" action="/login">' in page
    assert 'value="ada@example.com"' in page
    # The request resumed: without prompt and max_age, so that the log-in is asked once.
    assert form_next(page) == request
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_token(page),
            "email": "ada@example.com",
            "password": PASSWORD,
            "next": form_next(page),
        },
    )
    assert "code" in back_at_the_client(answer)


def test_the_page_at_authorize_is_the_log_in_page_with_its_headers(client):
    request = authorization_request(generate_token(48))
    at_authorize = client.get(request, headers=BROWSER)
    at_login = client.get(f"/login?{urlencode({'next': request})}", headers=BROWSER)
    assert masked(at_authorize.get_data(as_text=True)) == masked(at_login.get_data(as_text=True))
    assert header_names(at_authorize) == header_names(at_login)
    for name in ("Content-Security-Policy", "Cache-Control", "X-Frame-Options", "Content-Type"):
        assert at_authorize.headers[name] == at_login.headers[name]


def test_a_program_is_still_sent_to_the_log_in_page(client):
    request = authorization_request(generate_token(48), login_hint="ada@example.com")
    answer = client.get(request, headers={"Accept": "application/json"})
    location = urlsplit(answer.headers["Location"])
    assert answer.status_code == 302 and location.path == "/login"
    assert dict(parse_qsl(location.query)) == {"next": request, "login_hint": "ada@example.com"}


def test_registration_first_is_still_a_redirect(client):
    answer = client.get(
        f"{authorization_request(generate_token(48))}&prompt=create", headers=BROWSER
    )
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/register"


def test_the_language_links_at_authorize_keep_the_request_and_ui_locales_still_counts(client):
    request = authorization_request(generate_token(48), ui_locales="nl")
    page = client.get(request, headers=BROWSER).get_data(as_text=True)
    assert heading(page) == "Inloggen"
    link = language_link(page, "en")
    assert link.startswith("?") and parse_qsl(link[1:])[-1] == ("lang", "en")
    english = client.get(f"/authorize{link}", headers=BROWSER).get_data(as_text=True)
    assert heading(english) == "Log in"
    # The language is the session's now; the request goes on without it.
    assert form_next(english) == request


def test_a_posted_request_is_still_sent_to_the_log_in_page(client):
    params = dict(parse_qsl(urlsplit(authorization_request(generate_token(48))).query))
    answer = client.post("/authorize", data=params, headers=BROWSER)
    assert answer.status_code == 302 and urlsplit(answer.headers["Location"]).path == "/login"
