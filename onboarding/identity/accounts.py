"""Use cases of Connect accounts: register, activate, resend activation, log in, forgot and
reset password. Each runs in the caller's transaction; mails and identity events are outbox
rows of that same transaction.

No account enumeration: register and forgot-password behave the same, as seen from outside,
whether or not the address has an account, down to their timing. The request checks its input
and writes one outbox row, with the same statements for every address; the outbox worker
answers it (`answer`) and only there looks the address up and chooses the mail.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pycountry
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from onboarding import outbox
from onboarding.clock import utcnow
from onboarding.db import settings_of
from onboarding.email_address import normalise_email
from onboarding.errors import DomainError, NotFound, ValidationError
from onboarding.i18n import DEFAULT_LANGUAGE, LANGUAGES, supported
from onboarding.identity import events, links, mails, passkeys, passwords, sessions
from onboarding.identity.machine import AccountState, awaits_activation, fire
from onboarding.identity.models import Account, AccountToken
from onboarding.invitation_proof import InvitationProof
from onboarding.typed_text import has_control_character

# Account.verified_by of an address the app's invitation link proved.
INVITATION = "invitation"


class AccountExists(DomainError):
    """An invitee registering an address that already has an account: they log in instead."""

    code = "account_exists"


class LinkNotUsable(DomainError):
    """A mailed link that is unknown, used or expired; `status` says which."""

    code = "link_not_usable"

    def __init__(self, status: links.LinkStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


# Built once, as every log-in asks: building the statement costs about as much as running it.
_BY_EMAIL = select(Account).where(Account.email == bindparam("email"))


def find_by_email(session: Session, email: str) -> Account | None:
    return session.scalar(_BY_EMAIL, {"email": email})


def lock(session: Session, account: Account) -> Account:
    """`account` read again under a row lock held until commit: its state is then the latest,
    and the activation sweep (SKIP LOCKED) leaves it alone meanwhile. Call before changing it."""
    session.refresh(account, with_for_update=True)
    return account


def _details(first_name: str, last_name: str, language: str, country: str | None) -> dict:
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if not first_name or len(first_name) > 100:
        raise ValidationError("Enter your first name (at most 100 characters).", "first_name")
    if not last_name or len(last_name) > 100:
        raise ValidationError("Enter your last name (at most 100 characters).", "last_name")
    for field, name, refusal in (
        ("first_name", first_name, "Your first name holds a character that is not allowed."),
        ("last_name", last_name, "Your last name holds a character that is not allowed."),
    ):
        if has_control_character(name):
            raise ValidationError(refusal, field)
    if language not in LANGUAGES:
        raise ValidationError("Choose a language from the list.", "language")
    country = (country or "").strip().upper() or None
    if country is not None and pycountry.countries.get(alpha_2=country) is None:
        raise ValidationError("Choose a country from the list.", "country")
    return {
        "first_name": first_name,
        "last_name": last_name,
        "language": language,
        "country": country,
    }


def new_account(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
    journey_ref: str | None,
    now: datetime,
    verified_by: str | None = None,
    subject: str | None = None,
) -> Account:
    """A registered account row and its account.registered event (no mail): the start of
    every account."""
    account = Account(
        subject=subject or new_subject(),
        email=email,
        journey_ref=(journey_ref or None) and journey_ref[:200],
        verified_by=verified_by,
        state=AccountState.registered,
        created_at=now,
        **_details(first_name, last_name, language, country),
    )
    session.add(account)
    session.flush()
    events.emit(session, account, events.REGISTERED, now)
    return account


def new_subject() -> str:
    """A new account's `sub`: random, never reused, saying nothing about the person."""
    return uuid.uuid4().hex


def register(
    session: Session,
    *,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
    journey_ref: str | None = None,
    now: datetime | None = None,
) -> None:
    """Register `email`: check the details and queue the request; the worker answers it
    (see `answer`). The caller shows the same page in every case."""
    _request(
        session,
        REGISTER,
        now,
        email=normalise_email(email),
        journey_ref=journey_ref,
        **_details(first_name, last_name, language, country),
    )


def register_invited(
    session: Session,
    proof: InvitationProof,
    *,
    password: str,
    confirmation: str,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
    now: datetime | None = None,
) -> Account:
    """Register the invited address of `proof` and activate it at once with `password`: the
    invitation link proved the mailbox, so no activation mail; both account events say so.

    Answered in the request, not queued as `register` is: the proof shows that the caller
    reads the mailbox, so telling them that the address has an account (`AccountExists`)
    reveals nothing they could not learn there.
    """
    now = now or utcnow()
    email, details = _invited(session, proof, first_name, last_name, language, country)
    person = passwords.Person(email, details["first_name"], details["last_name"])
    passwords.check(password, confirmation, person, settings_of(session).password_min_length)
    account = _new_invited(session, proof, email, details, now)
    _set_first_password(session, account, password, now)
    return account


def _invited(
    session: Session,
    proof: InvitationProof,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
) -> tuple[str, dict]:
    """The invited address and the checked details, while the address has no account."""
    email = normalise_email(proof.email)
    details = _details(first_name, last_name, language, country)
    if find_by_email(session, email) is not None:
        raise AccountExists("You already have an account with this address: log in with it.")
    return email, details


def _new_invited(
    session: Session,
    proof: InvitationProof,
    email: str,
    details: dict,
    now: datetime,
    subject: str | None = None,
) -> Account:
    return new_account(
        session,
        email=email,
        journey_ref=proof.journey_ref,
        verified_by=INVITATION,
        now=now,
        subject=subject,
        **details,
    )


def invited_passkey_options(
    session: Session,
    proof: InvitationProof,
    *,
    subject: str,
    binding: str,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
    now: datetime,
) -> str:
    """The options (JSON) for the browser to create the first passkey of the invited address
    of `proof`, for the account `subject` still to be made, once the details pass: the
    registration from an invitation without a password."""
    email, details = _invited(session, proof, first_name, last_name, language, country)
    display_name = f"{details['first_name']} {details['last_name']}"
    return passkeys.signup_options(session, subject, email, display_name, binding, now)


def register_invited_with_passkey(
    session: Session,
    proof: InvitationProof,
    *,
    subject: str,
    credential_json: str,
    binding: str | None,
    first_name: str,
    last_name: str,
    language: str,
    country: str | None,
    now: datetime,
) -> Account:
    """Register the invited address of `proof` as the account `subject` and activate it at
    once with the browser's new passkey (answering `invited_passkey_options`) instead of a
    password; no activation mail, and both account events say the invitation proved the
    address. The passkey is checked before anything is made: a refused one leaves no account.
    """
    email, details = _invited(session, proof, first_name, last_name, language, country)
    new = passkeys.verify_signup(session, credential_json, binding, subject, email, now)
    account = _new_invited(session, proof, email, details, now, subject)
    passkeys.save(session, account, new, now)
    _activated(session, account, now, credential=events.PASSKEY)
    return account


def _set_first_password(session: Session, account: Account, password: str, now: datetime) -> None:
    """registered → activated with `password`, and the account.activated event."""
    account.password_hash = passwords.hash_password(password, settings_of(session))
    _activated(session, account, now)


def _activated(
    session: Session, account: Account, now: datetime, credential: str | None = None
) -> None:
    """registered → activated, and the app told (with the `credential`, when a passkey)."""
    fire("activate", account)
    account.activated_at = now
    events.emit(session, account, events.ACTIVATED, now, credential)
    session.flush()


def _register(session: Session, *, email: str, dedupe: str, now: datetime, **details: Any) -> None:
    """A new account (with `details`, as `new_account` takes them) gets the activation mail
    and an account.registered event; an existing one gets a mail saying so (or, not yet
    activated, whether or not its activation expired, a fresh activation mail)."""
    account = find_by_email(session, email)
    if account is None:
        account = new_account(session, email=email, now=now, **details)
        mails.activation(session, account, now, "activation")
    elif awaits_activation(lock(session, account)):
        fire("resend_activation", account)
        mails.activation(session, account, now, "activation")
    else:
        mails.account_exists(session, account, now, dedupe)


def _usable(session: Session, raw: str, purpose: str, now: datetime) -> AccountToken:
    check = links.check(session, raw, purpose, now)
    if check.status is not links.LinkStatus.valid or check.token is None:
        raise LinkNotUsable(check.status, _LINK_MESSAGES[check.status])
    return check.token


def open_link(session: Session, raw: str, purpose: str, now: datetime | None = None) -> Account:
    """The account of a usable link, without consuming it (GET of a mailed link)."""
    return _usable(session, raw, purpose, now or utcnow()).account


_LINK_MESSAGES = {
    links.LinkStatus.unknown: "This link is not valid. Check that you copied all of it.",
    links.LinkStatus.used: "This link has already been used.",
    links.LinkStatus.expired: "This link has expired.",
    links.LinkStatus.valid: "",
}


def _consume(session: Session, token: AccountToken, now: datetime) -> None:
    if not links.consume(session, token, now):
        raise LinkNotUsable(links.LinkStatus.used, _LINK_MESSAGES[links.LinkStatus.used])


def password_owner(account: Account) -> passwords.Person:
    """Who `account`'s password must not name, for the password policy."""
    return passwords.Person(account.email, account.first_name, account.last_name)


def activate(
    session: Session, raw: str, password: str, confirmation: str, now: datetime | None = None
) -> Account:
    """Set the first password through the activation link: registered → activated, with an
    account.activated event. The link is consumed only when the password is accepted."""
    now = now or utcnow()
    token = _usable(session, raw, links.ACTIVATION, now)
    passwords.check(
        password,
        confirmation,
        password_owner(token.account),
        settings_of(session).password_min_length,
    )
    account = _awaiting_activation(session, token)
    _consume(session, token, now)
    _set_first_password(session, account, password, now)
    return account


def activate_with_passkey(
    session: Session, raw: str, credential_json: str, binding: str | None, now: datetime
) -> Account:
    """Activate through the activation link with a new passkey instead of a password; the
    account.activated event says so. The link is consumed only when the passkey is saved."""
    token = _usable(session, raw, links.ACTIVATION, now)
    account = _awaiting_activation(session, token)
    passkeys.add(session, account, credential_json, binding, now)
    _consume(session, token, now)
    _activated(session, account, now, credential=events.PASSKEY)
    return account


def _awaiting_activation(session: Session, token: AccountToken) -> Account:
    if not awaits_activation(lock(session, token.account)):
        raise LinkNotUsable(links.LinkStatus.used, "This account is already activated.")
    return token.account


def resend_activation(session: Session, raw: str, now: datetime | None = None) -> None:
    """From an expired activation link: mail a fresh one, if the account still needs it."""
    now = now or utcnow()
    check = links.check(session, raw, links.ACTIVATION, now)
    account = check.account
    if check.status is not links.LinkStatus.expired or account is None:
        raise LinkNotUsable(check.status, "This link cannot be used to ask for a new one.")
    if awaits_activation(lock(session, account)):
        fire("resend_activation", account)
        mails.activation(session, account, now, "activation-resend")


def authenticate(
    session: Session, email: str, password: str, now: datetime | None = None
) -> Account | None:
    """The activated account with this email and password, or None (the same for every
    reason, so that a failed log-in tells nothing about the address)."""
    try:
        address = normalise_email(email)
    except ValidationError:
        address = ""
    account = find_by_email(session, address) if address else None
    ok, new_hash = passwords.verify(
        account.password_hash if account else None, password, settings_of(session)
    )
    if not ok or account is None or account.state is not AccountState.activated:
        return None
    if new_hash:
        account.password_hash = new_hash
    return account


def request_password_reset(
    session: Session, email: str, language: str = DEFAULT_LANGUAGE, now: datetime | None = None
) -> None:
    """Forgot password: queue the request; the worker answers it (see `answer`). The caller
    shows the same page in every case."""
    address = normalise_email(email)
    _request(session, FORGOT_PASSWORD, now, email=address, language=supported(language))


def _forgot_password(
    session: Session, *, email: str, language: str, dedupe: str, now: datetime
) -> None:
    """A reset link for a known address, a "no account, create one" mail for an unknown one,
    an activation mail for an account not yet activated (expired or not)."""
    account = find_by_email(session, email)
    if account is None:
        mails.no_account(session, email, language, dedupe)
    elif awaits_activation(lock(session, account)):
        fire("resend_activation", account)
        mails.activation(session, account, now, "activation-forgot")
    elif account.state is AccountState.activated:
        mails.password_reset(session, account, now)
    # A disabled account gets nothing: it cannot log in whatever its password.


REGISTER = "register"
FORGOT_PASSWORD = "forgot_password"  # noqa: S105 (a request name)
_ANSWERS: dict[str, Callable[..., None]] = {REGISTER: _register, FORGOT_PASSWORD: _forgot_password}


def _request(session: Session, name: str, now: datetime | None, **fields: Any) -> None:
    dedupe = uuid.uuid4().hex
    requested_at = (now or utcnow()).isoformat()
    outbox.enqueue(
        session,
        outbox.ACCOUNT_REQUEST,
        {"request": name, "requested_at": requested_at, "dedupe": dedupe, **fields},
        dedupe_key=f"connect:{name}:{dedupe}",
    )


def answer(session: Session, request: dict[str, Any]) -> None:
    """Carry out a queued register or forgot-password `request` (an outbox payload) as of
    the moment it was made: look the address up and write the mail it gets, in the caller's
    transaction."""
    fields = dict(request)
    now = datetime.fromisoformat(fields.pop("requested_at"))
    _ANSWERS[fields.pop("request")](session, now=now, **fields)


def reset_password(
    session: Session, raw: str, password: str, confirmation: str, now: datetime | None = None
) -> Account:
    """Set a new password through a reset link; the link and every other reset link die, and
    so does every session of the account. The owner is told."""
    now = now or utcnow()
    token = _usable(session, raw, links.PASSWORD_RESET, now)
    account = token.account
    passwords.check(
        password, confirmation, password_owner(account), settings_of(session).password_min_length
    )
    account.password_hash = passwords.hash_password(password, settings_of(session))
    _recovered(session, token, now)
    mails.password_changed(session, account)
    return account


def recover_with_passkey(
    session: Session, raw: str, credential_json: str, binding: str | None, now: datetime
) -> Account:
    """Add a new passkey through a reset link (the way back in without a password); the
    links and sessions end as with a new password, and the owner is told of the passkey."""
    token = _usable(session, raw, links.PASSWORD_RESET, now)
    passkeys.add(session, token.account, credential_json, binding, now)
    _recovered(session, token, now)
    return token.account


def _recovered(session: Session, token: AccountToken, now: datetime) -> None:
    """A reset link did its work: it and every other reset link die, and so does every
    session of the account."""
    _consume(session, token, now)
    links.consume_all(session, token.account, links.PASSWORD_RESET, now)
    sessions.end_all(session, token.account, now)
    session.flush()


def _existing(session: Session, email: str) -> Account:
    account = find_by_email(session, normalise_email(email))
    if account is None:
        raise NotFound("No Connect account for %(email)s.", {"email": email})
    return account


def disable(session: Session, email: str) -> Account:
    """Stop an account: no log-in, its sessions (the clients' included) and tokens stop
    working at once."""
    account = _existing(session, email)
    fire("disable", account)
    sessions.end_all(session, account, utcnow())
    session.flush()
    return account


def enable(session: Session, email: str, now: datetime | None = None) -> Account:
    """Let a disabled account log in again."""
    account = _existing(session, email)
    fire("enable", account)
    account.activated_at = account.activated_at or now or utcnow()
    session.flush()
    return account
