"""Log in through an upstream OpenID Connect provider ("Log in with Google").

The first log-in creates an activated account (the upstream vouches for the address) or links
the existing account with that verified address; later log-ins find it by the upstream's
(issuer, subject). A federated account has no password until its owner sets one through
Forgot your password, which also makes two-factor authentication possible.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.errors import DomainError
from onboarding.i18n import DEFAULT_LANGUAGE, supported
from onboarding.identity import accounts, events
from onboarding.identity.machine import AccountState, awaits_activation, fire
from onboarding.identity.models import Account, UpstreamIdentity


class UpstreamRefused(DomainError):
    code = "upstream_refused"


def log_in_upstream(
    session: Session, issuer: str, claims: dict[str, Any], now: datetime
) -> Account:
    """The account for the upstream identity in `claims` (a verified ID token's claims)."""
    subject = str(claims.get("sub") or "")
    if not subject:
        raise UpstreamRefused("The other provider did not say who you are.")
    link = session.scalar(
        select(UpstreamIdentity).where(
            UpstreamIdentity.issuer == issuer, UpstreamIdentity.subject == subject
        )
    )
    if link is not None:
        account = session.get(Account, link.account_id)
        assert account is not None
    else:
        if not claims.get("email") or claims.get("email_verified") is not True:
            raise UpstreamRefused("The other provider has not verified your email address.")
        email = accounts.normalise_email(str(claims["email"]))
        account = accounts.find_by_email(session, email) or _new_account(
            session, email, claims, now
        )
        session.add(
            UpstreamIdentity(account=account, issuer=issuer, subject=subject, created_at=now)
        )
    if awaits_activation(accounts.lock(session, account)):
        # The upstream has verified the address, as an activation link would have.
        fire("activate", account)
        account.activated_at = now
        events.emit(session, account, events.ACTIVATED, now)
    if account.state is not AccountState.activated:
        raise UpstreamRefused("This account is disabled.")
    session.flush()
    return account


def _new_account(session: Session, email: str, claims: dict[str, Any], now: datetime) -> Account:
    language = str(claims.get("locale") or DEFAULT_LANGUAGE)[:2].lower()
    return accounts.new_account(
        session,
        email=email,
        first_name=str(claims.get("given_name") or email.split("@")[0])[:100],
        last_name=str(claims.get("family_name") or "-")[:100],
        language=supported(language),
        country=None,
        journey_ref=None,
        now=now,
    )
