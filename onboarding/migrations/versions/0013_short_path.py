"""short path: what proved an account's address when it was not an activation link

Revision ID: 0013_short_path
Revises: 0012_scim
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0013_short_path"
down_revision: Union[str, Sequence[str], None] = "0012_scim"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("connect_accounts") as batch:
        batch.add_column(sa.Column("verified_by", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connect_accounts") as batch:
        batch.drop_column("verified_by")
