"""The `onboarding` command: database, organizations, people, journeys and diagrams."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding import demo, diagrams
from onboarding.db import session_factory, unit_of_work
from onboarding.errors import DomainError
from onboarding.i18n import DEFAULT_LANGUAGE
from onboarding.journeys.machine import JourneyState
from onboarding.journeys.models import Journey
from onboarding.people import directory, roster
from onboarding.people.models import Organization, Person
from onboarding.settings import SettingsError, get_settings

CLI_ACTOR = "cli"
F = TypeVar("F", bound=Callable[..., Any])


def clear_errors(command: F) -> F:
    """Refusals and bad configuration print one line and exit 1, never a traceback."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (DomainError, SettingsError) as error:
            click.echo(f"error: {error}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


@contextmanager
def transaction() -> Iterator[Session]:
    with unit_of_work(session_factory(get_settings())) as session:
        yield session


@click.group()
def main() -> None:
    """Invitations, sign-up and log-in as an explicit workflow."""


@main.group()
def db() -> None:
    """The database schema."""


@db.command("upgrade")
@clear_errors
def db_upgrade() -> None:
    """Create or migrate the schema to the latest version."""
    from onboarding.migrate import upgrade

    engine = session_factory(get_settings()).kw["bind"]
    upgrade(engine)
    click.echo(f"database at {engine.url.render_as_string(hide_password=True)} is up to date")


@main.group()
def org() -> None:
    """Organizations."""


@org.command("create")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True, help="A role name (repeatable).")
@clear_errors
def org_create(name: str, roles: tuple[str, ...]) -> None:
    """Create an organization with its roles."""
    with transaction() as session:
        organization = directory.create_organization(session, name, roles)
        click.echo(f"organization {organization.slug} (id {organization.id}): {', '.join(roles)}")


@main.group("people")
def people_group() -> None:
    """People of an organization."""


@people_group.command("add")
@click.option("--org", "org_ref", required=True, help="Organization id or slug.")
@click.option("--email", required=True)
@click.option("--first-name", required=True)
@click.option("--last-name", default="")
@click.option("--language", default=DEFAULT_LANGUAGE, show_default=True)
@click.option("--role", "roles", multiple=True, help="A role name (repeatable; at least one).")
@click.option("--invite", is_flag=True, help="Send the invitation right away.")
@clear_errors
def people_add(
    org_ref: str,
    email: str,
    first_name: str,
    last_name: str,
    language: str,
    roles: tuple[str, ...],
    invite: bool,
) -> None:
    """Add a person with one or more roles, and optionally invite them."""
    with transaction() as session:
        organization = directory.find_organization(session, org_ref)
        journey = roster.add_person(
            session,
            organization,
            email=email,
            first_name=first_name,
            last_name=last_name,
            roles=roles,
            language=language,
            invite=invite,
            actor=CLI_ACTOR,
        )
        click.echo(f"journey {journey.id}: {journey.person.email} is {journey.state.value}")


@people_group.command("erase")
@click.argument("email")
@click.confirmation_option(prompt="Erase this person's names and address for good?")
@clear_errors
def people_erase(email: str) -> None:
    """Erase a person: names and address replaced by a pseudonym, links and mails cancelled."""
    from onboarding.people import erasure

    with transaction() as session:
        erased = erasure.erase_by_address(session, email, scope=None, actor=CLI_ACTOR)
        click.echo(f"person {erased.id} is erased; now known as {erased.email}")


@main.group("journeys")
def journeys_group() -> None:
    """Journeys (one per person and organization)."""


@journeys_group.command("list")
@click.option("--state", type=click.Choice([s.value for s in JourneyState]))
@click.option("--org", "org_ref", help="Organization id or slug.")
@clear_errors
def journeys_list(state: str | None, org_ref: str | None) -> None:
    """List journeys with their state and expiry."""
    with transaction() as session:
        query = (
            select(Journey.id, Person.email, Organization.slug, Journey.state, Journey.expires_at)
            .join(Person, Journey.person_id == Person.id)
            .join(Organization, Journey.organization_id == Organization.id)
            .order_by(Journey.id)
        )
        if state:
            query = query.where(Journey.state == JourneyState(state))
        if org_ref:
            query = query.where(
                Journey.organization_id == directory.find_organization(session, org_ref).id
            )
        for row in session.execute(query):
            expires = f"{row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "-"
            click.echo(f"{row.id}\t{row.email}\t{row.slug}\t{row.state.value}\t{expires}")


@main.group("connect")
def connect_group() -> None:
    """Connect, the identity provider: accounts and signing keys."""


@connect_group.command("disable")
@click.argument("email")
@clear_errors
def connect_disable(email: str) -> None:
    """Disable an account: no log-in; its sessions and tokens stop working."""
    _change_account("disable", email, "is disabled")


@connect_group.command("enable")
@click.argument("email")
@clear_errors
def connect_enable(email: str) -> None:
    """Let a disabled account log in again."""
    _change_account("enable", email, "is activated")


def _change_account(change: str, email: str, outcome: str) -> None:
    from onboarding.identity import accounts

    with transaction() as session:
        account = {"disable": accounts.disable, "enable": accounts.enable}[change](session, email)
        click.echo(f"{account.email} {outcome}")


@connect_group.command("rotate-key")
@clear_errors
def connect_rotate_key() -> None:
    """Publish a new ID-token signing key now; it signs once its publication lead has passed."""
    from onboarding.clock import utcnow
    from onboarding.identity import keys

    with transaction() as session:
        key = keys.rotate(session, utcnow())
        click.echo(f"key {key.kid} published; signs from {key.active_from.isoformat()}")


@main.command("diagrams")
@click.option("--out", type=click.Path(file_okay=False), default=str(diagrams.DIAGRAM_DIR))
def diagrams_command(out: str) -> None:
    """Regenerate the state diagrams (SVG, Mermaid, Graphviz) from the machine definitions."""
    from pathlib import Path

    for path in diagrams.write_all(Path(out)):
        click.echo(str(path))


@main.command("serve")
@clear_errors
def serve_command() -> None:
    """Run the whole system on this machine (embedded defaults unless configured)."""
    from onboarding import serve
    from onboarding.migrate import upgrade

    settings = get_settings()
    upgrade(session_factory(settings).kw["bind"])
    click.echo(f"app      {settings.app_base_url}")
    click.echo(f"connect  {settings.connect_issuer}")
    if not settings.production:
        with transaction() as session:
            seeded = demo.seed(session, settings.var_dir)
        password = seeded.admin_password or "(as set before; or use Forgot your password)"
        click.echo(f"people   {settings.app_base_url}/settings/people/{seeded.organization_id}")
        click.echo(f"admin    {seeded.admin_email}  password: {password}")
    sys.exit(serve.run(settings))
