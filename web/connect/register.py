"""Registration (with captcha), the Thank-you page, and activation (set password)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import pycountry
from flask import Blueprint, Flask, redirect, render_template, request, session, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from onboarding import errors, invitation_proof
from onboarding.clock import utcnow
from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES, countries
from onboarding.identity import accounts, captcha, clients, links, passwords
from onboarding.identity.machine import awaits_activation
from onboarding.invitation_proof import InvitationProof
from onboarding.settings import Settings
from web import words
from web.connect import auth
from web.connect.i18n import invited_language, refusal
from web.connect.limits import (
    REGISTERED_KEY,
    address_key,
    configured,
    limiter,
    registered_address_key,
)
from web.connect.passkeys import offer
from web.connect.password import set_password_form
from web.connect.provider import after_log_in
from web.db import db_session
from web.extensions import app_settings
from web.i18n import page_language
from web.security import content_security_policy, safe_next

bp = Blueprint("register", __name__)
RECAPTCHA_ORIGINS = "https://www.google.com https://www.gstatic.com"
# The languages the ALTCHA widget has its own file for (static/altcha/<language>.js).
ALTCHA_LANGUAGES = frozenset(LANGUAGES) & {
    path.stem for path in (Path(__file__).parent / "static" / "altcha").glob("*.js")
}


def country_options(language: str, selected: str | None) -> Markup:
    """The country list's <option>s in `language`, `selected` chosen if it is a country."""
    return _options(language, selected if selected in _codes(language) else None)


@lru_cache(maxsize=16)
def _codes(language: str) -> frozenset[str]:
    return frozenset(code for code, _ in countries(language))


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
    destinations = " ".join(clients.destinations(settings))
    policy = content_security_policy(
        destinations, scripts=RECAPTCHA_ORIGINS, frames=RECAPTCHA_ORIGINS
    )

    @app.after_request
    def recaptcha_policy(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = policy
        return response


# The country a language is spoken in, when the browser names none.
_COUNTRY_OF_LANGUAGE = {"nl": "NL"}


def guessed_country(language: str) -> str | None:
    """The browser's country for `language` (en-GB: GB), else the language's own country."""
    for accepted, _quality in request.accept_languages:
        spoken, _, region = accepted.partition("-")
        if spoken.lower() == language and pycountry.countries.get(alpha_2=region.upper()):
            return region.upper()
    return _COUNTRY_OF_LANGUAGE.get(language)


def invitation_of(raw: str | None) -> InvitationProof | None:
    """The invitation the app vouches for in `raw`, when this registration comes from one."""
    proof = invitation_proof.read(raw, app_settings())
    if proof is not None and proof.language in LANGUAGES:
        # The client's ui_locales, sent with the same request, knows the invitee's choice.
        invited_language(proof.language, replace=False)
    return proof


def invitation_required(raw: str | None) -> InvitationProof:
    """The invitation in `raw`, which a registration from an invitation cannot go without."""
    proof = invitation_of(raw)
    if proof is None:
        raise errors.ValidationError(
            "This registration form has expired. Open the invitation link again.", "form"
        )
    return proof


def _prefilled(proof: InvitationProof) -> dict[str, Any]:
    """The form's values from the invitation, and what the invitee already typed."""
    prefill = {
        "first_name": proof.first_name,
        "last_name": proof.last_name,
        "language": proof.language,
        "country": proof.country or guessed_country(proof.language) or "",
    }
    return {**prefill, **request.form.to_dict(), "email": proof.email}


def _form(error: errors.ValidationError | None = None) -> Any:
    settings = app_settings()
    proof = invitation_of(request.values.get("invitation"))
    invited = {}
    if proof is not None:
        invited = {
            "invitation": request.values["invitation"],
            "next": request.values.get("next", ""),
            "rules": passwords.rules(settings.password_min_length),
            "other_address": url_for("register.register", ref=proof.journey_ref),
        }
    values = _prefilled(proof) if proof else request.values
    language = page_language()
    return render_template(
        "register.html",
        values=values,
        country_options=country_options(language, values.get("country")),
        captcha_kind=settings.captcha,
        # Its own words come from the catalog; the file brings the widget's set-up.
        altcha_language=language if language in ALTCHA_LANGUAGES else DEFAULT_LANGUAGE,
        recaptcha_site_key=settings.recaptcha_site_key,
        **invited,
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


def check_captcha(values: Mapping[str, str]) -> None:
    """The captcha answered in the form's `values`, solved and not used before."""
    checker = captcha.from_settings(app_settings())
    field = "altcha" if checker.kind == "altcha" else "g-recaptcha-response"
    solved = checker.verify(values.get(field, ""), request.remote_addr)
    if not captcha.first_use(solved, app_settings()):
        raise errors.ValidationError("This captcha was already used; solve a new one.", "captcha")


@bp.post("/register")
@limiter.limit(configured("LIMIT_REGISTER"))
# Registering an address that awaits activation mails the activation link again.
@limiter.limit(configured("LIMIT_REGISTER_PER_ADDRESS"), key_func=address_key, scope="register")
def register_post() -> Any:
    form = request.form
    if form.get("invitation"):
        return _register_invited()
    details = {
        "email": form.get("email", ""),
        "first_name": form.get("first_name", ""),
        "last_name": form.get("last_name", ""),
        "language": form.get("language", DEFAULT_LANGUAGE),
        "country": form.get("country"),
        "journey_ref": form.get("ref") or None,
    }
    try:
        check_captcha(form)
        accounts.register(db_session(), **details)
    except errors.ValidationError as error:
        return _form(error)
    session[REGISTERED_KEY] = details  # for the Thank-you page: the address, Send it again
    return redirect(url_for("register.thanks"), code=303)


def _register_invited() -> Any:
    """Registration from an invitation, inside the app's authorization request: the account
    is activated at once, signed in, and the request goes on back to the app."""
    form = request.form
    try:
        proof = invitation_required(form.get("invitation"))
        check_captcha(form)
        account = accounts.register_invited(
            db_session(),
            proof,
            password=form.get("password", ""),
            confirmation=form.get("password_confirmation", ""),
            first_name=form.get("first_name", ""),
            last_name=form.get("last_name", ""),
            language=form.get("language", proof.language),
            country=form.get("country"),
        )
    except accounts.AccountExists as exists:
        page = render_template(
            "login.html",
            next=form.get("next", ""),
            settings=app_settings(),
            email=proof.email,
            error=words.refusal(exists),
        )
        return page, 409
    except errors.ValidationError as error:
        return _form(error)
    auth.log_in_account(account)
    return after_log_in(safe_next(form.get("next"), url_for("two_factor.security")), code=303)


@bp.get("/register/thanks")
def thanks() -> Any:
    return _thanks()


@bp.post("/register/again")
@limiter.limit(configured("LIMIT_RESEND"))
@limiter.limit(
    configured("LIMIT_REGISTER_PER_ADDRESS"), key_func=registered_address_key, scope="register"
)
def register_again() -> Any:
    """Send it again: the same registration request once more, answered like the first (a
    new activation mail while the account awaits one)."""
    details = session.get(REGISTERED_KEY)
    if details is None:
        return redirect(url_for("register.register"))
    accounts.register(db_session(), **details)
    return _thanks(again=True)


def _thanks(again: bool = False) -> Any:
    details = session.get(REGISTERED_KEY)
    wrong_address = None
    if details is not None:
        kept = {k: v for k, v in details.items() if v and k not in ("email", "journey_ref")}
        wrong_address = url_for("register.register", ref=details.get("journey_ref"), **kept)
    return render_template(
        "thanks.html",
        hours=_activation_hours(),
        registered=details,
        again=again,
        wrong_address=wrong_address,
    )


def _activation_hours() -> int:
    return max(1, int(app_settings().activation_ttl.total_seconds() // 3600))


def _link_page(raw: str) -> Any:
    """What an activation link shows when it cannot set a password."""
    db = db_session()
    check = links.check(db, raw, links.ACTIVATION, utcnow())
    if check.status is links.LinkStatus.expired:
        return render_template("activation_expired.html", token=raw), 410
    if check.status is links.LinkStatus.used or (
        check.account and not awaits_activation(check.account)
    ):
        return render_template("activation_done.html", app_login=auth.app_login_url()), 410
    return render_template(
        "error.html", status=404, message="This activation link is not valid."
    ), 404


@bp.get("/activate/<token>")
def activate(token: str) -> Any:
    # GET shows the form and changes nothing: mail scanners open links too.
    try:
        account = accounts.open_link(db_session(), token, links.ACTIVATION)
    except accounts.LinkNotUsable:
        return _link_page(token)
    if not awaits_activation(account):
        return _link_page(token)
    return set_password_form(
        account, url_for("register.activate_post", token=token), passkey=offer("activation", token)
    )


@bp.post("/activate/<token>")
def activate_post(token: str) -> Any:
    db = db_session()
    try:
        accounts.activate(
            db,
            token,
            request.form.get("password", ""),
            request.form.get("password_confirmation", ""),
        )
    except accounts.LinkNotUsable:
        return _link_page(token)
    except errors.ValidationError as error:
        account = accounts.open_link(db, token, links.ACTIVATION)
        return set_password_form(
            account,
            url_for("register.activate_post", token=token),
            error,
            passkey=offer("activation", token),
        )
    # Back to the app's log-in page, not logged in: the app's Log in with Connect follows.
    return redirect(auth.app_login_url(), code=303)


@bp.post("/activate/<token>/resend")
@limiter.limit(configured("LIMIT_RESEND"))
def resend(token: str) -> Any:
    db = db_session()
    try:
        accounts.resend_activation(db, token)
    except accounts.LinkNotUsable:
        return _link_page(token)
    return render_template("thanks.html", resent=True, hours=_activation_hours())
