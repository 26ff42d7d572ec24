"""activation: account states up to 32 characters, for activation_expired

Revision ID: 0007_activation
Revises: 0006_funnel
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0007_activation"
down_revision: Union[str, Sequence[str], None] = "0006_funnel"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

BEFORE = ["registered", "activated", "disabled"]
AFTER = ["registered", "activated", "activation_expired", "disabled"]


def _state(length: int, states: list[str]) -> sa.Enum:
    return sa.Enum(*states, name="account_state", native_enum=False, length=length)


def upgrade() -> None:
    _resize(_state(16, BEFORE), _state(32, AFTER))


def downgrade() -> None:
    # An account that is activation_expired awaits activation like a registered one.
    op.execute(
        "UPDATE connect_accounts SET state = 'registered' WHERE state = 'activation_expired'"
    )
    _resize(_state(32, AFTER), _state(16, BEFORE))


def _resize(old: sa.Enum, new: sa.Enum) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        op.alter_column(
            "connect_accounts",
            "state",
            existing_type=old,
            type_=new,
            existing_nullable=False,
        )
        return
    # SQLite ignores the length, so only the declared type changes. Rebuilding the table (what
    # batch mode does) would drop connect_accounts, and with foreign keys on that cascades to
    # every token, code and identity of every account. SQLite documents editing the stored
    # definition for changes that leave the stored rows as they are, as this one does.
    schema_version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    declared = f"replace(sql, 'state VARCHAR({old.length})', 'state VARCHAR({new.length})')"
    bind.exec_driver_sql(
        f"UPDATE sqlite_master SET sql = {declared} "
        "WHERE type = 'table' AND name = 'connect_accounts'"
    )
    bind.exec_driver_sql(f"PRAGMA schema_version = {schema_version + 1}")
    bind.exec_driver_sql("PRAGMA writable_schema = OFF")
