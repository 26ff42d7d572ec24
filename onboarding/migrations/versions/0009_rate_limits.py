"""rate limits: fixed-window counters shared by every process (onboarding.rate_limits)

Revision ID: 0009_rate_limits
Revises: 0008_state_width
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0009_rate_limits"
down_revision: Union[str, Sequence[str], None] = "0008_state_width"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_counters")),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_counters")
