"""Registration (with captcha), the Thank-you page, and activation (set password)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from onboarding import errors
from onboarding.clock import utcnow
from onboarding.i18n import DEFAULT_LANGUAGE, countries
from onboarding.identity import accounts, captcha, links
from onboarding.identity.machine import awaits_activation
from onboarding.settings import Settings
from web.connect.i18n import refusal
from web.connect.limits import address_key, configured, limiter
from web.connect.password import set_password_form
from web.db import db_session
from web.extensions import app_settings
from web.i18n import page_language

bp = Blueprint("register", __name__)
RECAPTCHA_ORIGINS = "https://www.google.com https://www.gstatic.com"


def country_options(language: str, selected: str | None) -> Markup:
    """The country list's <option>s in `language`, `selected` chosen if it is a country."""
    codes = {code for code, _ in countries(language)}
    return _options(language, selected if selected in codes else None)


@lru_cache(maxsize=512)
def _options(language: str, selected: str | None) -> Markup:
    # 250 options: rendered once per language and choice, not on every page view.
    return Markup("").join(
        Markup('<option value="{}"{}>{}</option>').format(
            code, Markup(" selected") if code == selected else "", name
        )
        for code, name in countries(language)
    )


def allow_captcha_scripts(app: Flask, settings: Settings) -> None:
    """reCAPTCHA loads Google's script and frame; the proof of work needs nothing external."""
    if settings.captcha != "recaptcha":
        return
    policy = (
        f"default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src 'self' {RECAPTCHA_ORIGINS}; frame-src {RECAPTCHA_ORIGINS}; "
        f"form-action 'self' {settings.app_base_url}; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )

    @app.after_request
    def recaptcha_policy(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        return response


def _form(error: errors.ValidationError | None = None) -> Any:
    values = request.values
    settings = app_settings()
    return render_template(
        "register.html",
        values=values,
        country_options=country_options(page_language(), values.get("country")),
        captcha_kind=settings.captcha,
        recaptcha_site_key=settings.recaptcha_site_key,
        **(refusal(error) if error else {}),
    ), (422 if error else 200)


@bp.get("/register")
def register() -> Any:
    return _form()


@bp.get("/captcha/challenge")
def captcha_challenge() -> Any:
    checker = captcha.from_settings(app_settings())
    if not isinstance(checker, captcha.Altcha):
        return {"error": "not used"}, 404
    return checker.challenge(utcnow())


def _check_captcha() -> None:
    checker = captcha.from_settings(app_settings())
    field = "altcha" if checker.kind == "altcha" else "g-recaptcha-response"
    try:
        solved = checker.verify(request.form.get(field, ""), request.remote_addr, utcnow())
    except captcha.CaptchaFailed as error:
        raise errors.ValidationError(str(error), "captcha") from None
    if not captcha.first_use(solved, app_settings()):
        raise errors.ValidationError("This captcha was already used; solve a new one.", "captcha")


@bp.post("/register")
@limiter.limit(configured("LIMIT_REGISTER"))
# Registering an address that awaits activation mails the activation link again.
@limiter.limit(configured("LIMIT_REGISTER_PER_ADDRESS"), key_func=address_key, scope="register")
def register_post() -> Any:
    form = request.form
    try:
        _check_captcha()
        session = db_session()
        accounts.register(
            session,
            email=form.get("email", ""),
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            language=form.get("language", DEFAULT_LANGUAGE),
            country=form.get("country"),
            journey_ref=form.get("ref") or None,
        )
    except errors.ValidationError as error:
        return _form(error)
    return redirect(url_for("register.thanks"), code=303)


@bp.get("/register/thanks")
def thanks() -> Any:
    return render_template("thanks.html", hours=_activation_hours())


def _activation_hours() -> int:
    return max(1, int(app_settings().activation_ttl.total_seconds() // 3600))


def _link_page(raw: str) -> Any:
    """What an activation link shows when it cannot set a password."""
    session = db_session()
    check = links.check(session, raw, links.ACTIVATION, utcnow())
    if check.status is links.LinkStatus.expired:
        return render_template("activation_expired.html", token=raw), 410
    if check.status is links.LinkStatus.used or (
        check.account and not awaits_activation(check.account)
    ):
        return render_template("activation_done.html", app_login=_app_login()), 410
    return render_template(
        "error.html", status=404, message="This activation link is not valid."
    ), 404


def _app_login() -> str:
    return f"{app_settings().app_base_url}/login"


@bp.get("/activate/<token>")
def activate(token: str) -> Any:
    # GET shows the form and changes nothing: mail scanners open links too.
    try:
        account = accounts.open_link(db_session(), token, links.ACTIVATION)
    except accounts.LinkNotUsable:
        return _link_page(token)
    if not awaits_activation(account):
        return _link_page(token)
    return set_password_form(account, url_for("register.activate_post", token=token))


@bp.post("/activate/<token>")
def activate_post(token: str) -> Any:
    session = db_session()
    try:
        accounts.activate(
            session,
            token,
            request.form.get("password", ""),
            request.form.get("password_confirmation", ""),
        )
    except accounts.LinkNotUsable:
        return _link_page(token)
    except errors.ValidationError as error:
        account = accounts.open_link(session, token, links.ACTIVATION)
        return set_password_form(account, url_for("register.activate_post", token=token), error)
    # Back to the app's log-in page, not logged in: the app's Log in with Connect follows.
    return redirect(_app_login(), code=303)


@bp.post("/activate/<token>/resend")
@limiter.limit(configured("LIMIT_RESEND"))
def resend(token: str) -> Any:
    session = db_session()
    try:
        accounts.resend_activation(session, token)
    except accounts.LinkNotUsable:
        return _link_page(token)
    return render_template("thanks.html", resent=True, hours=_activation_hours())
