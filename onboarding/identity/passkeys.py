"""Passkeys: WebAuthn credentials (py_webauthn) that log in without a password.

Connect is the relying party: its ID is the host of CONNECT_ISSUER and the only origin it
accepts is the issuer's. Credentials are discoverable (the browser offers them without an
address typed), attestation is `none`, and user verification (a PIN, a fingerprint, a face)
is required, so a passkey is two factors at once: no TOTP code is asked on top. Every
challenge is single-use and bound to the browser it was handed to (onboarding.identity.challenges).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import (
    base64url_to_bytes,
    bytes_to_base64url,
    parse_authentication_credential_json,
    parse_client_data_json,
    parse_registration_credential_json,
)
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    RegistrationCredential,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)
from webauthn.registration.verify_registration_response import VerifiedRegistration

from onboarding.db import settings_of
from onboarding.errors import NotFound, ValidationError
from onboarding.identity import challenges, mails
from onboarding.identity.challenges import AUTHENTICATION, CONFIRMATION, REGISTRATION, SIGNUP
from onboarding.identity.machine import AccountState
from onboarding.identity.models import Account, Passkey, UpstreamIdentity
from onboarding.typed_text import one_line

# The ID token's `amr` for a passkey log-in (RFC 8176): a hardware-held key, with the user
# verified on the authenticator, which makes it multi-factor.
AMR = ["hwk", "user", "mfa"]
NAME_LENGTH = 100
_EXPIRED = "This request expired or was already used. Please try again."
_UNKNOWN = "This passkey is not known here. Log in another way, or use another passkey."
_NOT_THIS_ACCOUNTS = "This is not a passkey of this account. Use one of its passkeys."
_BROKEN = "The passkey's answer could not be checked. Please try again."

T = TypeVar("T")


class PasskeyRefused(ValidationError):
    """A passkey ceremony that did not prove what it should; the message is fit to show."""


@dataclass(frozen=True)
class RelyingParty:
    id: str
    name: str
    origin: str


@lru_cache(maxsize=8)  # asked by every page Connect shows
def offered(connect_issuer: str) -> bool:
    """Whether browsers can use passkeys with Connect at `connect_issuer`: an RP ID is a
    domain (`localhost` included), never an IP address."""
    host = urlsplit(connect_issuer).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return bool(host)
    return False


def relying_party(session: Session) -> RelyingParty:
    """Connect as a WebAuthn relying party: the host and origin of its issuer."""
    settings = settings_of(session)
    issuer = urlsplit(settings.connect_issuer)
    return RelyingParty(
        id=issuer.hostname or "",
        name=settings.idp_name,
        origin=f"{issuer.scheme}://{issuer.netloc}",
    )


def of(session: Session, account: Account) -> list[Passkey]:
    """The account's passkeys, oldest first."""
    return list(
        session.scalars(
            select(Passkey).where(Passkey.account_id == account.id).order_by(Passkey.id)
        )
    )


def registration_options(session: Session, account: Account, binding: str, now: datetime) -> str:
    """The options (JSON) for the browser to create a passkey of `account`."""
    return _creation_options(
        session,
        user_id=account.subject,
        email=account.email,
        display_name=f"{account.first_name} {account.last_name}".strip(),
        challenge=challenges.issue(session, binding, REGISTRATION, account.id, now),
        exclude=[_descriptor(passkey) for passkey in of(session, account)],
    )


def signup_options(
    session: Session, subject: str, email: str, display_name: str, binding: str, now: datetime
) -> str:
    """The options (JSON) for the browser to create the first passkey of an account that
    does not exist yet: `subject` and `email` are the account's to be, and the challenge is
    good only for them (see `verify_signup`)."""
    signup = _signup_binding(binding, subject, email)
    return _creation_options(
        session,
        user_id=subject,
        email=email,
        display_name=display_name,
        challenge=challenges.issue(session, signup, SIGNUP, None, now),
        exclude=[],
    )


def _signup_binding(binding: str, subject: str, email: str) -> str:
    # The challenge row keeps a digest of this: answering it for another subject or address
    # finds no challenge.
    return f"{binding}\n{subject}\n{email}"


def _creation_options(
    session: Session,
    *,
    user_id: str,
    email: str,
    display_name: str,
    challenge: bytes,
    exclude: list[PublicKeyCredentialDescriptor],
) -> str:
    rp = relying_party(session)
    options = generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_id=user_id.encode(),
        user_name=email,
        user_display_name=display_name,
        challenge=challenge,
        attestation=AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=exclude,
    )
    return options_to_json(options)


def _descriptor(passkey: Passkey) -> PublicKeyCredentialDescriptor:
    return PublicKeyCredentialDescriptor(id=base64url_to_bytes(passkey.credential_id))


def _parsed(parse: Callable[[str], T], credential_json: str) -> T:
    try:
        return parse(credential_json)
    except (WebAuthnException, ValueError, TypeError, RecursionError):
        raise PasskeyRefused(_BROKEN) from None


def _claimed_challenge(
    session: Session,
    client_data_json: bytes,
    binding: str | None,
    ceremony: str,
    account_id: int | None,
    now: datetime,
) -> bytes:
    """The challenge the browser signed, claimed (once) for this ceremony and browser."""
    try:
        challenge = parse_client_data_json(client_data_json).challenge
    except (WebAuthnException, ValueError, TypeError, KeyError):
        raise PasskeyRefused(_BROKEN) from None
    if not challenges.claim(session, challenge, binding, ceremony, account_id, now):
        raise PasskeyRefused(_EXPIRED)
    return challenge


@dataclass(frozen=True)
class NewCredential:
    """A browser's new credential, checked against the challenge it answered, not yet saved."""

    credential: RegistrationCredential
    verified: VerifiedRegistration


def add(
    session: Session,
    account: Account,
    credential_json: str,
    binding: str | None,
    now: datetime,
    name: str = "",
) -> Passkey:
    """Check the browser's new credential against the challenge handed to it for `account`
    and save it as a passkey of the account; its owner is told by mail."""
    new = _verified_creation(session, credential_json, binding, REGISTRATION, account.id, now)
    return save(session, account, new, now, name)


def verify_signup(
    session: Session,
    credential_json: str,
    binding: str | None,
    subject: str,
    email: str,
    now: datetime,
) -> NewCredential:
    """Check the browser's new credential against the challenge of `signup_options` handed
    to this browser for `subject` and `email`; nothing is saved (the account comes next)."""
    signup = _signup_binding(binding, subject, email) if binding else None
    return _verified_creation(session, credential_json, signup, SIGNUP, None, now)


def _verified_creation(
    session: Session,
    credential_json: str,
    binding: str | None,
    ceremony: str,
    account_id: int | None,
    now: datetime,
) -> NewCredential:
    rp = relying_party(session)
    credential = _parsed(parse_registration_credential_json, credential_json)
    challenge = _claimed_challenge(
        session, credential.response.client_data_json, binding, ceremony, account_id, now
    )
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError):
        raise PasskeyRefused(_BROKEN) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    if session.scalar(select(Passkey.id).where(Passkey.credential_id == credential_id)):
        raise PasskeyRefused("This passkey is already saved.")
    return NewCredential(credential, verified)


def save(
    session: Session, account: Account, new: NewCredential, now: datetime, name: str = ""
) -> Passkey:
    """Save a checked credential as a passkey of `account`; its owner is told by mail."""
    verified = new.verified
    passkey = Passkey(
        account_id=account.id,
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        backup_eligible=verified.credential_device_type == "multi_device",
        backed_up=verified.credential_backed_up,
        transports=[t.value for t in new.credential.response.transports or []],
        name=_name(name) or _default_name(session, account),
        created_at=now,
    )
    session.add(passkey)
    session.flush()
    mails.passkey_changed(session, account, passkey.name, added=True)
    return passkey


def _default_name(session: Session, account: Account) -> str:
    count = session.scalar(select(func.count(Passkey.id)).where(Passkey.account_id == account.id))
    return f"Passkey {(count or 0) + 1}"


def _name(name: str) -> str:
    return one_line(name or "")[:NAME_LENGTH]


def authentication_options(session: Session, binding: str, now: datetime) -> str:
    """The options (JSON) for the browser to log in with any passkey it holds for Connect."""
    options = generate_authentication_options(
        rp_id=relying_party(session).id,
        challenge=challenges.issue(session, binding, AUTHENTICATION, None, now),
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def authenticate(
    session: Session, credential_json: str, binding: str | None, now: datetime
) -> Account:
    """The account whose passkey signed the challenge handed to this browser; the passkey's
    sign count, backup state and last use are updated."""
    return _signed(session, credential_json, binding, AUTHENTICATION, None, now).account


def confirmation_options(session: Session, account: Account, binding: str, now: datetime) -> str:
    """The options (JSON) for the browser to confirm with one of `account`'s passkeys that
    its owner is there, before a grave step such as deleting the account."""
    options = generate_authentication_options(
        rp_id=relying_party(session).id,
        challenge=challenges.issue(session, binding, CONFIRMATION, account.id, now),
        allow_credentials=[_descriptor(passkey) for passkey in of(session, account)],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def confirm(
    session: Session, account: Account, credential_json: str, binding: str | None, now: datetime
) -> None:
    """Check that one of `account`'s own passkeys signed the confirmation challenge handed to
    this browser for `account`; PasskeyRefused otherwise."""
    _signed(session, credential_json, binding, CONFIRMATION, account, now)


def _signed(
    session: Session,
    credential_json: str,
    binding: str | None,
    ceremony: str,
    account: Account | None,
    now: datetime,
) -> Passkey:
    """The passkey that signed the challenge handed to this browser for `ceremony` (and, if
    given, for `account`, whose passkey it must be); its sign count, backup state and last
    use are updated."""
    rp = relying_party(session)
    credential = _parsed(parse_authentication_credential_json, credential_json)
    challenge = _claimed_challenge(
        session,
        credential.response.client_data_json,
        binding,
        ceremony,
        account.id if account else None,
        now,
    )
    passkey = session.scalar(
        select(Passkey).where(Passkey.credential_id == bytes_to_base64url(credential.raw_id))
    )
    if passkey is None or passkey.account.state is not AccountState.activated:
        raise PasskeyRefused(_UNKNOWN)
    if account is not None and passkey.account_id != account.id:
        raise PasskeyRefused(_NOT_THIS_ACCOUNTS)
    handle = credential.response.user_handle
    if handle is not None and handle != passkey.account.subject.encode():
        raise PasskeyRefused(_UNKNOWN)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=passkey.public_key,
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError):
        raise PasskeyRefused(_BROKEN) from None
    passkey.sign_count = verified.new_sign_count
    passkey.backed_up = verified.credential_backed_up
    passkey.last_used_at = now
    return passkey


def _owned(session: Session, account: Account, passkey_id: int) -> Passkey:
    passkey = session.get(Passkey, passkey_id)
    if passkey is None or passkey.account_id != account.id:
        raise NotFound("This passkey does not exist (any more).")
    return passkey


def rename(session: Session, account: Account, passkey_id: int, name: str) -> Passkey:
    """Give one of the account's passkeys another name."""
    passkey = _owned(session, account, passkey_id)
    if not _name(name):
        raise ValidationError("Enter a name for the passkey (at most 100 characters).", "name")
    passkey.name = _name(name)
    return passkey


def remove(session: Session, account: Account, passkey_id: int) -> None:
    """Remove one of the account's passkeys, unless it is the last way to log in; its owner
    is told by mail."""
    passkey = _owned(session, account, passkey_id)
    if not other_ways_to_log_in(session, account, passkey):
        raise ValidationError(
            "This passkey is your only way to log in. Add another passkey or set a password "
            "before you remove it."
        )
    session.delete(passkey)
    session.flush()
    mails.passkey_changed(session, account, passkey.name, added=False)


def other_ways_to_log_in(session: Session, account: Account, passkey: Passkey) -> bool:
    """Whether `account` can still log in without `passkey`: a password, another passkey,
    or an upstream provider."""
    if account.password_hash:
        return True
    others = select(Passkey.id).where(Passkey.account_id == account.id, Passkey.id != passkey.id)
    upstream = select(UpstreamIdentity.id).where(UpstreamIdentity.account_id == account.id)
    return bool(session.scalar(others.limit(1)) or session.scalar(upstream.limit(1)))
