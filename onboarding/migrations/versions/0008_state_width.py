"""state width: journey states up to 32 characters, so that adding a state needs no migration

Revision ID: 0008_state_width
Revises: 0007_activation
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0008_state_width"
down_revision: Union[str, Sequence[str], None] = "0007_activation"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STATES = [
    "created",
    "invited",
    "registered",
    "activated",
    "logged_in",
    "accepted",
    "expired",
    "revoked",
]
# Each table with its journey-state columns and whether they may be empty.
COLUMNS = {
    "journeys": {"state": False, "furthest_state": False},
    "journey_events": {"from_state": True, "to_state": False},
}


def _state(length: int) -> sa.Enum:
    return sa.Enum(*STATES, name="journey_state", native_enum=False, length=length)


def upgrade() -> None:
    _resize(_state(16), _state(32))


def downgrade() -> None:
    _resize(_state(32), _state(16))


def _resize(old: sa.Enum, new: sa.Enum) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        for table, columns in COLUMNS.items():
            for column, nullable in columns.items():
                op.alter_column(
                    table, column, existing_type=old, type_=new, existing_nullable=nullable
                )
        return
    # SQLite ignores the length, so only the declared type changes. Rebuilding the tables (what
    # batch mode does) would drop journeys, and with foreign keys on that cascades to every
    # history row, link token and outbox message. As in 0007, the stored definition is edited
    # instead; "state VARCHAR(n)" ends the name of each of the four columns and no other.
    schema_version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    declared = f"replace(sql, 'state VARCHAR({old.length})', 'state VARCHAR({new.length})')"
    tables = ", ".join(f"'{table}'" for table in COLUMNS)
    bind.exec_driver_sql(
        f"UPDATE sqlite_master SET sql = {declared} WHERE type = 'table' AND name IN ({tables})"
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {schema_version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
