"""sessions: server-side log-in sessions of the app and of Connect, and the Connect session
an authorization code was issued in

Revision ID: 0011_sessions
Revises: 0010_journey_names
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0011_sessions"
down_revision: Union[str, Sequence[str], None] = "0010_journey_names"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "connect_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("client_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connect_accounts.id"],
            name=op.f("fk_connect_sessions_account_id_connect_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_sessions")),
        sa.UniqueConstraint("sid", name=op.f("uq_connect_sessions_sid")),
    )
    op.create_index(
        op.f("ix_connect_sessions_account_id"), "connect_sessions", ["account_id"], unique=False
    )
    op.create_table(
        "app_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=True),
        sa.Column("provider_sid", sa.String(length=255), nullable=True),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["people.id"],
            name=op.f("fk_app_sessions_person_id_people"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_sessions")),
        sa.UniqueConstraint("sid", name=op.f("uq_app_sessions_sid")),
    )
    for column in ("person_id", "subject", "provider_sid"):
        op.create_index(op.f(f"ix_app_sessions_{column}"), "app_sessions", [column], unique=False)
    op.add_column(
        "connect_authorization_codes", sa.Column("sid", sa.String(length=64), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("connect_authorization_codes") as batch_op:
        batch_op.drop_column("sid")
    op.drop_table("app_sessions")
    op.drop_table("connect_sessions")
