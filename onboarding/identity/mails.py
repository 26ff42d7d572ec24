"""The mails Connect sends, as outbox rows with absolute links. Never a password."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_timedelta
from sqlalchemy.orm import Session

from onboarding import link_secrets, outbox
from onboarding.db import settings_of
from onboarding.identity import links
from onboarding.identity.models import Account, AccountToken


def _duration(ttl: timedelta, language: str) -> str:
    """'1 day', '1 dag': the mail is rendered later, but its language is known now."""
    return format_timedelta(ttl, threshold=2, locale=language)


def _url(session: Session, path: str) -> str:
    return f"{settings_of(session).connect_issuer}{path}"


def activation(session: Session, account: Account, now: datetime, reason: str) -> None:
    """Mail a fresh activation link valid ACTIVATION_TTL."""
    _link_mail(
        session,
        account,
        now,
        purpose=links.ACTIVATION,
        ttl=settings_of(session).activation_ttl,
        link=("activate_url", "/activate"),
        dedupe=reason,
    )


def password_reset(session: Session, account: Account, now: datetime) -> None:
    """Mail a single-use reset link valid PASSWORD_RESET_TTL."""
    _link_mail(
        session,
        account,
        now,
        purpose=links.PASSWORD_RESET,
        ttl=settings_of(session).password_reset_ttl,
        link=("reset_url", "/password/reset"),
        dedupe="password_reset",
    )


def _link_mail(
    session: Session,
    account: Account,
    now: datetime,
    *,
    purpose: str,
    ttl: timedelta,
    link: tuple[str, str],
    dedupe: str,
) -> None:
    """A mail (template named after `purpose`) carrying a fresh link of `purpose`."""
    expires_at = now + ttl
    raw = link_secrets.issue(session, AccountToken, purpose, expires_at, now, account=account)
    url_key, path = link
    context = {
        url_key: _url(session, f"{path}/{raw}"),
        "expires_at": expires_at.isoformat(),
        "valid_for": _duration(ttl, account.language),
    }
    _to_owner(session, account, purpose, context, f"{dedupe}:{links.digest(raw)}")


def account_exists(session: Session, account: Account, now: datetime, dedupe: str) -> None:
    """Tell the owner of an existing account that someone registered with its address."""
    context = {"login_url": _url(session, "/login"), "reset_url": _forgot(session)}
    _to_owner(session, account, "account_exists", context, f"account_exists:{dedupe}")


def no_account(session: Session, email: str, language: str, dedupe: str) -> None:
    """Tell an address without an account that it has none, and how to create one."""
    outbox.enqueue_mail(
        session,
        template="no_account",
        to=email,
        language=language,
        context={
            "register_url": _url(session, "/register?" + urlencode({"email": email})),
            "email": email,
        },
        dedupe_key=f"connect:no_account:{dedupe}",
    )


def log_ins_throttled(session: Session, account: Account, dedupe: str) -> None:
    """Tell the owner that wrong passwords paused log-ins from unknown browsers for a while."""
    context = {"reset_url": _forgot(session)}
    _to_owner(session, account, "log_ins_throttled", context, f"log_ins_throttled:{dedupe}")


def password_changed(session: Session, account: Account) -> None:
    """Tell the owner that the account's password changed (and how to take it back)."""
    _security_mail(session, account, "password_changed", {})


def two_factor_changed(session: Session, account: Account) -> None:
    """Tell the owner that two-factor authentication was turned on or off."""
    context = {"enabled": account.totp_enabled}
    _security_mail(session, account, "two_factor_changed", context)


def account_deleted(session: Session, account: Account) -> None:
    """Tell the former owner that the account was deleted, as they asked."""
    _to_owner(session, account, "account_deleted", {}, f"account_deleted:{account.subject}")


def passkey_changed(session: Session, account: Account, name: str, *, added: bool) -> None:
    """Tell the owner that a passkey was added to the account or removed from it."""
    context = {"added": added, "passkey": name, "security_url": _url(session, "/account/security")}
    _security_mail(session, account, "passkey_changed", context)


def _security_mail(
    session: Session, account: Account, template: str, context: dict[str, Any]
) -> None:
    """A change to the account's credentials, each one told (never deduplicated)."""
    context_with_reset = {"reset_url": _forgot(session), **context}
    _to_owner(session, account, template, context_with_reset, f"{template}:{uuid.uuid4().hex}")


def _to_owner(
    session: Session, account: Account, template: str, context: dict[str, Any], dedupe: str
) -> None:
    """The mail `template` to the account's owner, in the owner's language, greeting them."""
    outbox.enqueue_mail(
        session,
        template=template,
        to=account.email,
        language=account.language,
        context={"first_name": account.first_name, **context},
        dedupe_key=f"connect:{dedupe}",
    )


def _forgot(session: Session) -> str:
    return _url(session, "/password/forgot")
