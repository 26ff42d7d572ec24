"""code nonce once: a nonce is given to a client once, refused by a unique index as the code
that would repeat it is stored

Revision ID: 0021_code_nonce_once
Revises: 0020_time_zone
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0021_code_nonce_once"
down_revision: Union[str, Sequence[str], None] = "0020_time_zone"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A nonce repeated before (two requests racing past the former check) stays with its first
    # code only: the later code was a replay.
    op.execute(
        sa.text(
            "UPDATE connect_authorization_codes SET nonce = NULL"
            " WHERE nonce IS NOT NULL AND id NOT IN ("
            "SELECT MIN(id) FROM connect_authorization_codes"
            " WHERE nonce IS NOT NULL GROUP BY client_id, nonce)"
        )
    )
    with op.batch_alter_table("connect_authorization_codes") as batch:
        batch.drop_index("ix_connect_authorization_codes_nonce")
        batch.create_index(
            "ix_connect_authorization_codes_client_id_nonce", ["client_id", "nonce"], unique=True
        )


def downgrade() -> None:
    with op.batch_alter_table("connect_authorization_codes") as batch:
        batch.drop_index("ix_connect_authorization_codes_client_id_nonce")
        batch.create_index("ix_connect_authorization_codes_nonce", ["nonce"], unique=False)
