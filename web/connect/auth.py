"""Who is logged in to Connect: its own session cookie names a server-side session
(onboarding.identity.sessions), which a log-out, a new password or a change of second factor
ends."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import g, redirect, request, session, url_for

from onboarding.clock import utcnow
from onboarding.identity import oidc, sessions
from onboarding.identity.models import Account, ConnectSession
from web import i18n
from web.connect.i18n import INVITED_KEY
from web.connect.metrics import LOG_INS
from web.connect.oauth import AMR_KEY, AUTH_TIME_KEY, SESSION_ID_KEY
from web.db import db_session
from web.extensions import app_settings, once_per_request

F = TypeVar("F", bound=Callable[..., Any])
ACCOUNT_KEY = "account_id"
PENDING_KEY = "pending_account_id"  # password (or upstream) accepted, second factor due
NEXT_KEY = "next"
PENDING_AMR_KEY = "pending_amr"  # how the first factor was given


def current_session() -> ConnectSession | None:
    """This browser's live session at Connect, of an active account."""
    return once_per_request("connect_session", _live_session)


def _live_session() -> ConnectSession | None:
    token = session.get(SESSION_ID_KEY)
    # No session cookie, no database: most pages are first seen logged out.
    row = sessions.live(db_session(), token) if token else None
    mine = row is not None and row.account_id == session.get(ACCOUNT_KEY)
    return row if mine and oidc.active_account(row.account) else None


def current_account() -> Account | None:
    row = current_session()
    return row.account if row else None


def new_session() -> None:
    """A new session on log-in and log-out, against fixation; the languages remembered for
    this browser stay."""
    languages = {key: session[key] for key in (i18n.SESSION_KEY, INVITED_KEY) if key in session}
    session.clear()
    session.update(languages)


def log_in_account(account: Account, amr: list[str] | None = None) -> None:
    """Start a new session of `account`, authenticated by the methods `amr` (RFC 8176; what
    ID tokens of this session say) (the caller commits)."""
    now = utcnow()
    new_session()
    session[ACCOUNT_KEY] = account.id
    session[SESSION_ID_KEY], g.connect_session = sessions.start(db_session(), account, now)
    session[AUTH_TIME_KEY] = int(now.timestamp())
    if amr:
        session[AMR_KEY] = amr
    LOG_INS.inc()


def start_second_factor(account: Account, next_url: str, amr: list[str] | None) -> None:
    new_session()
    session[PENDING_KEY] = account.id
    session[NEXT_KEY] = next_url
    session[PENDING_AMR_KEY] = amr or []


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


def pending_amr() -> list[str]:
    return list(session.get(PENDING_AMR_KEY) or [])


def log_out() -> None:
    """End this browser's session, telling the clients it logged in to (the caller commits)."""
    sessions.end(db_session(), session.get(SESSION_ID_KEY), utcnow())
    new_session()
    _forget_session()


def log_out_everywhere(account: Account) -> None:
    """End every session of `account`, this browser's included (the caller commits)."""
    sessions.end_all(db_session(), account, utcnow())
    new_session()
    _forget_session()


def _forget_session() -> None:
    g.pop("connect_session", None)


def app_login_url() -> str:
    """The app's log-in page, where an activated account goes on."""
    return f"{app_settings().app_base_url}/login"
