"""Who is logged in to Connect (its own session cookie)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from onboarding.clock import utcnow
from onboarding.identity import oidc
from onboarding.identity.models import Account
from web.connect.oauth import AUTH_TIME_KEY
from web.db import db_session

F = TypeVar("F", bound=Callable[..., Any])
ACCOUNT_KEY = "account_id"
PENDING_KEY = "pending_account_id"  # password (or upstream) accepted, second factor due
NEXT_KEY = "next"
CREDENTIAL_KEY = "credential_fingerprint"  # a new password ends the sessions started before it


def current_account() -> Account | None:
    if "account" not in g:
        account_id = session.get(ACCOUNT_KEY)
        account = db_session().get(Account, account_id) if account_id else None
        current = oidc.active_account(account) and session.get(CREDENTIAL_KEY) == _fingerprint(
            account
        )
        g.account = account if current else None
    return g.account


def _fingerprint(account: Account | None) -> str:
    """Changes whenever the password hash does (a reset, a new password)."""
    password_hash = account.password_hash if account else None
    return hashlib.sha256((password_hash or "").encode()).hexdigest()[:16]


def log_in_account(account: Account) -> None:
    session.clear()  # a new session on log-in: no fixation
    session[ACCOUNT_KEY] = account.id
    session[CREDENTIAL_KEY] = _fingerprint(account)
    session[AUTH_TIME_KEY] = int(utcnow().timestamp())
    g.account = account


def start_second_factor(account: Account, next_url: str) -> None:
    session.clear()
    session[PENDING_KEY] = account.id
    session[NEXT_KEY] = next_url


def pending_account() -> Account | None:
    account_id = session.get(PENDING_KEY)
    account = db_session().get(Account, account_id) if account_id else None
    return account if oidc.active_account(account) else None


def login_required(view: F) -> F:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_account() is None:
            return redirect(url_for("login.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def pending_account_id() -> int | None:
    return session.get(PENDING_KEY)


def pending_next() -> str | None:
    return session.get(NEXT_KEY)


def log_out() -> None:
    session.clear()
    g.pop("account", None)
