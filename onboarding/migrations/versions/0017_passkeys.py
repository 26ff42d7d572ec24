"""passkeys: WebAuthn credentials of Connect accounts, their challenges, and the `amr` of a code

Revision ID: 0017_passkeys
Revises: 0012_scim
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0017_passkeys"
down_revision: Union[str, Sequence[str], None] = "0016_webhooks_audit"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "connect_passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1400), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("backup_eligible", sa.Boolean(), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("transports", sa.JSON(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connect_accounts.id"],
            name=op.f("fk_connect_passkeys_account_id_connect_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_passkeys")),
        sa.UniqueConstraint("credential_id", name=op.f("uq_connect_passkeys_credential_id")),
    )
    op.create_index(
        op.f("ix_connect_passkeys_account_id"), "connect_passkeys", ["account_id"], unique=False
    )
    op.create_table(
        "connect_passkey_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_hash", sa.String(length=64), nullable=False),
        sa.Column("binding", sa.String(length=64), nullable=False),
        sa.Column("ceremony", sa.String(length=16), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["connect_accounts.id"],
            name=op.f("fk_connect_passkey_challenges_account_id_connect_accounts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connect_passkey_challenges")),
        sa.UniqueConstraint(
            "challenge_hash", name=op.f("uq_connect_passkey_challenges_challenge_hash")
        ),
    )
    op.create_index(
        op.f("ix_connect_passkey_challenges_expires_at"),
        "connect_passkey_challenges",
        ["expires_at"],
        unique=False,
    )
    op.add_column("connect_authorization_codes", sa.Column("amr", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("connect_authorization_codes") as batch_op:
        batch_op.drop_column("amr")
    op.drop_table("connect_passkey_challenges")
    op.drop_table("connect_passkeys")
