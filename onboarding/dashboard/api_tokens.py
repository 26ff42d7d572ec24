"""Per-organization tokens of the JSON API and of the SCIM service: random, shown once, stored
as SHA-256, revocable. A token serves one purpose; the other refuses it."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import audit
from onboarding.clock import utcnow
from onboarding.dashboard.models import ApiToken
from onboarding.errors import NotFound, ValidationError
from onboarding.journeys.link_tokens import hash_token
from onboarding.people.models import Organization, Role
from onboarding.typed_text import plain_text

PREFIX = "onb_"


class Purpose(StrEnum):
    """What a token opens."""

    api = "api"  # the JSON API under /api
    scim = "scim"  # the SCIM service under /scim/v2, for the organization's directory


def issue(
    session: Session,
    organization: Organization,
    name: str,
    *,
    actor: str,
    purpose: Purpose = Purpose.api,
    default_role: Role | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `organization`; returns the row and the raw token (its only copy).

    A SCIM token names the role that people its directory provisions get first.
    """
    name = plain_text(
        name or "",
        "name",
        100,
        not_allowed="The token's name holds a character that is not allowed.",
        too_long="The token's name is longer than %(limit)d characters.",
    )
    if not name:
        raise ValidationError("Give the token a name, so that you know later what uses it.", "name")
    if purpose is Purpose.scim and (
        default_role is None or default_role.organization_id != organization.id
    ):
        raise ValidationError(
            "Choose the role of %(organization)s that people the directory adds get.",
            "role",
            {"organization": organization.name},
        )
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        organization=organization,
        name=name,
        purpose=purpose,
        default_role=default_role if purpose is Purpose.scim else None,
        token_hash=hash_token(raw),
        created_by=actor,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        organization_id=organization.id,
        actor=actor,
        action="token.issue",
        subject=name,
        detail={"token_id": token.id, "purpose": str(purpose)},
    )
    return token, raw


def authenticate(
    session: Session, raw: str, now: datetime | None = None, purpose: Purpose = Purpose.api
) -> ApiToken | None:
    """The live token of `purpose` for `raw`, or None; records when it was last used."""
    if not raw.startswith(PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None or token.purpose != purpose:
        return None
    token.last_used_at = now or utcnow()
    return token


def for_organizations(session: Session, organization_ids: set[int] | None) -> list[ApiToken]:
    query = select(ApiToken).order_by(ApiToken.id)
    if organization_ids is not None:
        query = query.where(ApiToken.organization_id.in_(organization_ids))
    return list(session.scalars(query))


def revoke(
    session: Session,
    token_id: int,
    organization_ids: set[int] | None,
    *,
    actor: str,
    now: datetime | None = None,
) -> ApiToken:
    """Revoke a token of one of `organization_ids` (None: any)."""
    token = session.get(ApiToken, token_id)
    if token is None or (
        organization_ids is not None and token.organization_id not in organization_ids
    ):
        raise NotFound("No API token %(id)d.", {"id": token_id})
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
        audit.record(
            session,
            organization_id=token.organization_id,
            actor=actor,
            action="token.revoke",
            subject=token.name,
            detail={"token_id": token.id, "purpose": token.purpose},
            now=token.revoked_at,
        )
    return token
