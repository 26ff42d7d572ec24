"""funnel: each journey's furthest step, backfilled from history, in the organization index

Revision ID: 0006_funnel
Revises: 0004_dashboard
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0006_funnel"
down_revision: Union[str, Sequence[str], None] = "0004_dashboard"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

# The funnel's steps in order as they are at this revision (onboarding.funnel_steps.STEPS).
STEPS = ["created", "invited", "registered", "activated", "logged_in", "accepted"]


def upgrade() -> None:
    op.add_column(
        "journeys",
        sa.Column(
            "furthest_state",
            sa.Enum(
                "created",
                "invited",
                "registered",
                "activated",
                "logged_in",
                "accepted",
                "expired",
                "revoked",
                name="journey_state",
                native_enum=False,
                length=16,
            ),
            server_default="created",
            nullable=False,
        ),
    )
    # Every state a journey entered is the to_state of one of its history rows.
    rank = " ".join(f"WHEN '{state}' THEN {index}" for index, state in enumerate(STEPS))
    state_of = " ".join(f"WHEN {index} THEN '{state}'" for index, state in enumerate(STEPS))
    op.execute(
        f"""
        UPDATE journeys SET furthest_state = CASE furthest.rank {state_of} END
        FROM (
            SELECT journey_id, max(CASE to_state {rank} END) AS rank
            FROM journey_events
            WHERE to_state IN ({", ".join(f"'{state}'" for state in STEPS[1:])})
            GROUP BY journey_id
        ) AS furthest
        WHERE furthest.journey_id = journeys.id
        """
    )
    op.drop_index("ix_journeys_organization_id_state", table_name="journeys")
    op.create_index(
        "ix_journeys_organization_id_state_furthest_state",
        "journeys",
        ["organization_id", "state", "furthest_state"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_journeys_organization_id_state_furthest_state", table_name="journeys")
    op.create_index(
        "ix_journeys_organization_id_state",
        "journeys",
        ["organization_id", "state"],
        unique=False,
    )
    op.drop_column("journeys", "furthest_state")
