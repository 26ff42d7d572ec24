"""SCIM Groups: the roles of one organization; membership gives or takes the role.

A journey keeps at least one role: taking its last one leaves it the directory token's default
role. Every change of a journey's roles is a fact in its history, with the directory as actor.
"""

from __future__ import annotations

from datetime import datetime

from scim2_models import Group, GroupMember, Meta
from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import audit
from onboarding.dashboard.models import ApiToken
from onboarding.errors import Conflict, NotFound, ValidationError
from onboarding.journeys import history
from onboarding.journeys.models import Journey, journey_roles
from onboarding.people.models import Role
from onboarding.scim import users
from onboarding.scim.models import ScimGroup, ScimUser


def listed(session: Session, organization_id: int) -> list[Role]:
    """The organization's roles, oldest first."""
    return list(
        session.scalars(
            select(Role).where(Role.organization_id == organization_id).order_by(Role.id)
        )
    )


def find(session: Session, organization_id: int, group_id: str) -> Role:
    """The role behind a SCIM group id of the organization; NotFound otherwise."""
    role = session.get(Role, int(group_id)) if group_id.isdigit() else None
    if role is None or role.organization_id != organization_id:
        raise NotFound("No group %(id)s.", {"id": group_id})
    return role


def members(session: Session, role: Role) -> list[Journey]:
    """The journeys holding `role` that the directory sees."""
    return list(
        session.scalars(
            select(Journey)
            .join(journey_roles, journey_roles.c.journey_id == Journey.id)
            .outerjoin(ScimUser, ScimUser.journey_id == Journey.id)
            .where(journey_roles.c.role_id == role.id, ScimUser.removed_at.is_(None))
            .order_by(Journey.id)
        )
    )


def resource(session: Session, role: Role, base_url: str) -> Group:
    """The SCIM representation of a role."""
    link = session.get(ScimGroup, role.id)
    return Group(
        id=str(role.id),
        external_id=link.external_id if link else None,
        display_name=role.name,
        members=[
            GroupMember.model_validate(
                {"value": str(journey.id), "$ref": f"{base_url}/Users/{journey.id}", "type": "User"}
            )
            for journey in members(session, role)
        ],
        meta=Meta(resource_type="Group", location=f"{base_url}/Groups/{role.id}"),
    )


def create(session: Session, token: ApiToken, group: Group, now: datetime) -> Role:
    """A new role of the organization, given to the group's members."""
    name = (group.display_name or "").strip()
    if not name:
        raise ValidationError("displayName is required.", "displayName")
    if session.scalar(
        select(Role.id).where(Role.organization_id == token.organization_id, Role.name == name)
    ):
        raise Conflict("A group named '%(name)s' exists already.", {"name": name})
    role = Role(organization_id=token.organization_id, name=name)
    session.add(role)
    session.flush()
    _make(session, token, role, group, now)
    _audit(session, token, "scim.group.create", role, now)
    return role


def replace(session: Session, token: ApiToken, role: Role, group: Group, now: datetime) -> None:
    """Make the role what `group` says: its name and who holds it."""
    _make(session, token, role, group, now)
    _audit(session, token, "scim.group.update", role, now)


def _make(session: Session, token: ApiToken, role: Role, group: Group, now: datetime) -> None:
    name = (group.display_name or "").strip()
    if not name:
        raise ValidationError("displayName is required.", "displayName")
    if name != role.name and session.scalar(
        select(Role.id).where(Role.organization_id == role.organization_id, Role.name == name)
    ):
        raise Conflict("A group named '%(name)s' exists already.", {"name": name})
    role.name = name
    link = session.get(ScimGroup, role.id)
    if link is None:
        link = ScimGroup(role_id=role.id)
        session.add(link)
    link.external_id = group.external_id
    wanted = {member.value for member in group.members or [] if member.value}
    current = {str(journey.id): journey for journey in members(session, role)}
    for user_id in sorted(wanted - current.keys()):
        journey, _ = users.find(session, role.organization_id, user_id)
        _set_roles(session, token, journey, [*journey.roles, role], now)
    for user_id in sorted(current.keys() - wanted):
        journey = current[user_id]
        _set_roles(session, token, journey, [r for r in journey.roles if r.id != role.id], now)
    session.flush()


def remove(session: Session, token: ApiToken, role: Role, now: datetime) -> None:
    """Delete the role, taken from everyone holding it first; a directory's default role stays."""
    if session.scalar(
        select(ApiToken.id).where(
            ApiToken.default_role_id == role.id, ApiToken.revoked_at.is_(None)
        )
    ):
        raise Conflict(
            "The role '%(role)s' is what a directory gives everyone it adds; it stays.",
            {"role": role.name},
        )
    for journey in members(session, role):
        _set_roles(session, token, journey, [r for r in journey.roles if r.id != role.id], now)
    session.flush()
    if session.scalar(select(journey_roles.c.journey_id).where(journey_roles.c.role_id == role.id)):
        raise Conflict(
            "People the directory does not see hold the role '%(role)s'; it stays.",
            {"role": role.name},
        )
    _audit(session, token, "scim.group.delete", role, now)
    session.delete(role)
    session.flush()


def _audit(session: Session, token: ApiToken, action: str, role: Role, now: datetime) -> None:
    """The directory's change in the organization's audit log."""
    audit.record(
        session,
        organization_id=token.organization_id,
        actor=users.actor_of(token),
        action=action,
        subject=role.name,
        detail={"role_id": role.id},
        now=now,
    )


def _set_roles(
    session: Session, token: ApiToken, journey: Journey, roles: list[Role], now: datetime
) -> None:
    if not roles:
        if token.default_role is None:
            raise ValidationError("A person keeps at least one role.", "members")
        roles = [token.default_role]
    before = sorted(role.name for role in journey.roles)
    journey.roles = sorted(roles, key=lambda role: role.name)
    after = sorted(role.name for role in journey.roles)
    if before != after:
        history.note(
            session,
            journey,
            history.Fact.roles_changed,
            actor=users.actor_of(token),
            now=now,
            detail={"roles": after, "before": before},
        )
