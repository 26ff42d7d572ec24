"""reCAPTCHA by configuration: the answer is checked with the verification service (here a
stand-in on loopback, since Google is outside the machine)."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread
from urllib.parse import parse_qs

import pytest

from onboarding.identity.captcha import CaptchaFailed, Recaptcha, from_settings
from onboarding.settings import Settings


class SiteVerify(BaseHTTPRequestHandler):
    """Answers like Google's siteverify: success only for the token "good" and our secret."""

    def do_POST(self):  # noqa: N802
        form = parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
        self.server.seen.append(form)
        ok = form.get("secret") == ["s3cret"] and form.get("response") == ["good"]
        body = json.dumps({"success": ok}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def siteverify():
    server = ThreadingHTTPServer(("127.0.0.1", 0), SiteVerify)
    server.seen = []
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def checker(server):
    return Recaptcha("site", "s3cret", verify_url=f"http://127.0.0.1:{server.server_port}/")


def test_a_good_answer_passes_and_sends_secret_and_ip(siteverify):
    assert checker(siteverify).verify("good", "10.0.0.7").key
    assert siteverify.seen[0]["remoteip"] == ["10.0.0.7"]


@pytest.mark.parametrize("answer", ["bad", ""])
def test_a_bad_or_missing_answer_fails(siteverify, answer):
    with pytest.raises(CaptchaFailed):
        checker(siteverify).verify(answer, None)


def test_an_unreachable_service_fails_clearly():
    with pytest.raises(CaptchaFailed, match="could not be checked"):
        Recaptcha("site", "s3cret", verify_url="http://127.0.0.1:9/").verify("x", None)


def test_configuration_chooses_the_captcha(tmp_path):
    base = {"ONBOARDING_VAR_DIR": str(tmp_path), "SECRET_KEY": "k" * 20}
    assert from_settings(Settings.from_env(base)).kind == "altcha"
    chosen = Settings.from_env(
        {**base, "CAPTCHA": "recaptcha", "RECAPTCHA_SITE_KEY": "a", "RECAPTCHA_SECRET_KEY": "b"}
    )
    assert from_settings(chosen).kind == "recaptcha"


def test_the_recaptcha_page_loads_googles_widget_under_its_policy(factory, settings):
    from onboarding.settings import use_settings
    from web import create_connect_app

    use_settings(
        settings.with_overrides(
            captcha="recaptcha", recaptcha_site_key="site-key", recaptcha_secret_key="s3cret"
        )
    )
    page = create_connect_app().test_client().get("/register")
    html = page.get_data(as_text=True)
    assert 'data-sitekey="site-key"' in html
    assert "https://www.google.com" in page.headers["Content-Security-Policy"]


def test_the_recaptcha_policy_is_connects_own_with_googles_scripts_and_frames(factory, settings):
    from onboarding.settings import use_settings
    from web import create_connect_app

    use_settings(settings)
    usual = policy_of(create_connect_app().test_client().get("/register"))
    use_settings(
        settings.with_overrides(
            captcha="recaptcha", recaptcha_site_key="site-key", recaptcha_secret_key="s3cret"
        )
    )
    relaxed = policy_of(create_connect_app().test_client().get("/register"))

    google = ["https://www.google.com", "https://www.gstatic.com"]
    assert relaxed.pop("script-src") == usual.pop("script-src") + google
    assert relaxed.pop("frame-src") == google
    assert relaxed == usual  # every other directive, form-action's clients included


def policy_of(page) -> dict[str, list[str]]:
    directives = (part.split() for part in page.headers["Content-Security-Policy"].split(";"))
    return {words[0]: words[1:] for words in directives if words}
