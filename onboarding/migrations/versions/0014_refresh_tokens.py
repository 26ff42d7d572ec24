"""refresh tokens: Connect's refresh tokens, and the grant that ties a code to the tokens
issued from it (revoked together when the code is replayed or a refresh token reused)

Revision ID: 0014_refresh_tokens
Revises: 0012_scim
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0014_refresh_tokens"
down_revision: Union[str, Sequence[str], None] = "0013_short_path"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "connect_refresh_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("grant_id", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connect_accounts.id"],
            name=op.f("fk_connect_refresh_tokens_account_id_connect_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_connect_refresh_tokens_token_hash")),
    )
    for column in ("grant_id", "account_id"):
        op.create_index(
            op.f(f"ix_connect_refresh_tokens_{column}"),
            "connect_refresh_tokens",
            [column],
            unique=False,
        )
    op.add_column(
        "connect_authorization_codes", sa.Column("grant_id", sa.String(length=64), nullable=True)
    )
    op.add_column(
        "connect_access_tokens", sa.Column("grant_id", sa.String(length=64), nullable=True)
    )
    op.add_column("connect_access_tokens", sa.Column("revoked_at", sa.DateTime(), nullable=True))
    op.create_index(
        op.f("ix_connect_access_tokens_grant_id"),
        "connect_access_tokens",
        ["grant_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_connect_access_tokens_grant_id"), table_name="connect_access_tokens")
    with op.batch_alter_table("connect_access_tokens") as batch_op:
        batch_op.drop_column("revoked_at")
        batch_op.drop_column("grant_id")
    with op.batch_alter_table("connect_authorization_codes") as batch_op:
        batch_op.drop_column("grant_id")
    op.drop_table("connect_refresh_tokens")
