"""request ids: the request that wrote each outbox row

Revision ID: 0018_request_ids
Revises: 0012_scim
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0018_request_ids"
down_revision: Union[str, Sequence[str], None] = "0017_passkeys"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("request_id")
