"""Connect's tables: accounts and their credentials, log-in sessions, mailed link tokens,
recovery codes, passkeys and their challenges, upstream identities, and the OIDC provider's
codes, tokens and signing keys."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from onboarding.clock import utcnow
from onboarding.db import Base, UTCDateTime
from onboarding.identity.machine import AccountState
from onboarding.link_secrets import MailedLink

ACCOUNT_STATE_TYPE = Enum(
    AccountState,
    name="account_state",
    native_enum=False,
    length=32,
    values_callable=lambda states: [s.value for s in states],
    validate_strings=True,
)


class Account(Base):
    __tablename__ = "connect_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The stable, opaque OIDC `sub`; never the email, which may change.
    subject: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="en")
    country: Mapped[str | None] = mapped_column(String(2))
    state: Mapped[AccountState] = mapped_column(ACCOUNT_STATE_TYPE, default=AccountState.registered)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    # The app's signed journey reference, carried opaquely back in identity events.
    journey_ref: Mapped[str | None] = mapped_column(String(200))
    # What proved the address when it was not an activation link: "invitation" (the app's
    # invitation link, vouched for at registration; see onboarding.invitation_proof).
    verified_by: Mapped[str | None] = mapped_column(String(16))
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    activated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class ConnectSession(Base):
    """A log-in at Connect. The cookie carries a token whose SHA-256 is `sid`: ending the row
    ends the session wherever the cookie went."""

    __tablename__ = "connect_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    # The clients given an authorization code in this session: told when it ends.
    client_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class AccountToken(MailedLink, Base):
    """A mailed link (activation, password reset); only its SHA-256 is stored."""

    __tablename__ = "connect_account_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )

    account: Mapped[Account] = relationship()


class RecoveryCode(Base):
    """A one-time second factor, shown once, stored hashed."""

    __tablename__ = "connect_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Passkey(Base):
    """A WebAuthn credential of an account: a discoverable key pair whose private half never
    leaves the authenticator."""

    __tablename__ = "connect_passkeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    # base64url of the authenticator's credential id (at most 1023 bytes).
    credential_id: Mapped[str] = mapped_column(String(1400), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)  # COSE
    sign_count: Mapped[int] = mapped_column(Integer, default=0)
    backup_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    backed_up: Mapped[bool] = mapped_column(Boolean, default=False)
    transports: Mapped[list[str]] = mapped_column(JSON, default=list)
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class PasskeyChallenge(Base):
    """A WebAuthn challenge handed to one browser: good once, for one ceremony, before it
    expires. `binding` is the SHA-256 of a token only that browser's session holds."""

    __tablename__ = "connect_passkey_challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_hash: Mapped[str] = mapped_column(String(64), unique=True)
    binding: Mapped[str] = mapped_column(String(64))
    ceremony: Mapped[str] = mapped_column(String(16))
    # The account a passkey is being created for; None when logging in.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE")
    )
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class UpstreamIdentity(Base):
    """An account's identity at an upstream OIDC provider ("Log in with Google")."""

    __tablename__ = "connect_upstream_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    account: Mapped[Account] = relationship()


class AuthorizationCode(Base):
    """An OAuth authorization code (stored hashed), good for one token request."""

    __tablename__ = "connect_authorization_codes"
    # A nonce is given to a client once: the code that would repeat one is refused as it is
    # stored (codes without a nonce never clash: NULLs are distinct).
    __table_args__ = (
        Index("ix_connect_authorization_codes_client_id_nonce", "client_id", "nonce", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    auth_time: Mapped[int] = mapped_column(Integer)
    # How the person authenticated (RFC 8176 values): the ID token's `amr`.
    amr: Mapped[list[str] | None] = mapped_column(JSON)
    # The Connect session it was issued in: the ID token's `sid`.
    sid: Mapped[str | None] = mapped_column(String(64))
    # The grant the code was exchanged for: a replay of the code revokes its tokens.
    grant_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class AccessToken(Base):
    """A bearer token for userinfo, stored hashed."""

    __tablename__ = "connect_access_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    # Every token issued from one authorization code, refreshes included, shares its grant.
    grant_id: Mapped[str | None] = mapped_column(String(64), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class RefreshToken(Base):
    """A refresh token (stored hashed) of a client allowed `offline_access`. Each is good for
    one refresh, which issues its successor in the same grant; presenting a used one again
    revokes the grant (RFC 9700, section 4.14.2)."""

    __tablename__ = "connect_refresh_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    grant_id: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(100))
    account_id: Mapped[int] = mapped_column(
        ForeignKey("connect_accounts.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    account: Mapped[Account] = relationship()


class SigningKey(Base):
    """A private signing key (JWK). Published from `created_at`, signs from `active_from`."""

    __tablename__ = "connect_signing_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    private_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    active_from: Mapped[datetime] = mapped_column(UTCDateTime)
