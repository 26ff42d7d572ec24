"""dashboard: API tokens, and indexes for the journey table and the funnel

Revision ID: 0004_dashboard
Revises: 0003_connect
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_dashboard"
down_revision: Union[str, Sequence[str], None] = "0003_connect"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_api_tokens_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_api_tokens_organization_id"), "api_tokens", ["organization_id"], unique=False
    )
    op.create_index(
        "ix_journeys_state_entered_at_id", "journeys", ["state_entered_at", "id"], unique=False
    )
    op.create_index(
        "ix_journey_events_journey_steps",
        "journey_events",
        ["journey_id", "id", "from_state", "to_state", "at"],
        unique=False,
    )
    op.create_index(
        "ix_journey_events_trigger",
        "journey_events",
        ["trigger", "journey_id", "from_state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_journey_events_trigger", table_name="journey_events")
    op.drop_index("ix_journey_events_journey_steps", table_name="journey_events")
    op.drop_index("ix_journeys_state_entered_at_id", table_name="journeys")
    op.drop_index(op.f("ix_api_tokens_organization_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
