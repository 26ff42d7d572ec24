"""The `onboarding` command against a real database."""

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from onboarding.audit.models import AuditEntry
from onboarding.cli import main


@pytest.fixture
def run(factory):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_create_an_organization_add_and_invite_a_person_and_list_journeys(run, factory):
    assert run("org", "create", "Acme Labs", "--role", "viewer", "--role", "admin").exit_code == 0
    added = run(
        "people",
        "add",
        "--org",
        "acme-labs",
        "--email",
        "Ann@Example.com",
        "--first-name",
        "Ann",
        "--role",
        "viewer",
        "--invite",
    )
    assert added.exit_code == 0, added.output
    assert "ann@example.com is invited" in added.output
    listed = run("journeys", "list", "--state", "invited")
    assert "ann@example.com\tacme-labs\tinvited" in listed.output
    assert run("journeys", "list", "--state", "accepted").output == ""
    with factory() as session:
        logged = session.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.address))
        assert logged.all() == [("cli", "person.create", None), ("cli", "journey.invite", None)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("people", "add", "--org", "acme", "--email", "a@b.c", "--first-name", "A"),
            "at least one role",
        ),
        (
            (
                "people",
                "add",
                "--org",
                "nope",
                "--email",
                "a@b.c",
                "--first-name",
                "A",
                "--role",
                "viewer",
            ),
            "No organization 'nope'",
        ),
        (
            (
                "people",
                "add",
                "--org",
                "acme",
                "--email",
                "not-mail",
                "--first-name",
                "A",
                "--role",
                "viewer",
            ),
            "not a valid email",
        ),
        (("org", "create", "Acme", "--role", "viewer"), "already exists"),
    ],
)
def test_errors_print_one_clear_line_and_exit_non_zero(run, args, message):
    run("org", "create", "Acme", "--role", "viewer")
    result = run(*args)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]


def test_erase_replaces_the_persons_address_and_a_second_erase_finds_nobody(run):
    run("org", "create", "Acme", "--role", "viewer")
    run(
        "people",
        "add",
        "--org",
        "acme",
        "--email",
        "ann@example.com",
        "--first-name",
        "Ann",
        "--role",
        "viewer",
        "--invite",
    )
    erased = run("people", "erase", "Ann@Example.com", "--yes")
    assert erased.exit_code == 0, erased.output
    assert "@erased.invalid" in erased.output
    assert "ann@example.com" not in run("journeys", "list").output
    again = run("people", "erase", "ann@example.com", "--yes")
    assert again.exit_code == 1
    assert again.output.startswith("error: No person with the address ann@example.com")
