"""join codes: the short code of an invitation link, stored as its HMAC

Revision ID: 0019_join_codes
Revises: 0018_request_ids
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0019_join_codes"
down_revision: Union[str, Sequence[str], None] = "0018_request_ids"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("link_tokens") as batch:
        batch.add_column(sa.Column("code_hash", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_link_tokens_code_hash", ["code_hash"])


def downgrade() -> None:
    with op.batch_alter_table("link_tokens") as batch:
        batch.drop_constraint("uq_link_tokens_code_hash", type_="unique")
        batch.drop_column("code_hash")
