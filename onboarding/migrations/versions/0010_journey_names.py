"""journey names: each organization keeps the names it typed for a person on its journey

Revision ID: 0010_journey_names
Revises: 0009_rate_limits
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0010_journey_names"
down_revision: Union[str, Sequence[str], None] = "0009_rate_limits"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

NAMES = ("first_name", "last_name")


def upgrade() -> None:
    for name in NAMES:
        op.add_column(
            "journeys",
            sa.Column(name, sa.String(length=100), server_default="", nullable=False),
        )
    # Until now only the person's shared names were kept; each journey starts from them.
    op.execute(
        "UPDATE journeys SET "
        + ", ".join(
            f"{name} = (SELECT people.{name} FROM people WHERE people.id = journeys.person_id)"
            for name in NAMES
        )
    )


def downgrade() -> None:
    for name in NAMES:
        op.drop_column("journeys", name)
