"""time zone: the zone a person reads times in (none: the browser's)

Revision ID: 0020_time_zone
Revises: 0019_join_codes
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0020_time_zone"
down_revision: Union[str, Sequence[str], None] = "0019_join_codes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.add_column(sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("people") as batch:
        batch.drop_column("time_zone")
