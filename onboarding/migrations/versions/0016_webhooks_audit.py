"""webhooks_audit: organizations' webhook endpoints and their delivery log, the audit log

Revision ID: 0016_webhooks_audit
Revises: 0012_scim
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0016_webhooks_audit"
down_revision: Union[str, Sequence[str], None] = "0014_refresh_tokens"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("previous_secret", sa.String(length=100), nullable=True),
        sa.Column("previous_secret_until", sa.DateTime(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_endpoints_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_endpoints")),
    )
    op.create_index(
        op.f("ix_webhook_endpoints_organization_id"),
        "webhook_endpoints",
        ["organization_id"],
        unique=False,
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.add_column(sa.Column("webhook_endpoint_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("response_code", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_outbox_messages_webhook_endpoint_id_webhook_endpoints"),
            "webhook_endpoints",
            ["webhook_endpoint_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(
            op.f("ix_outbox_messages_webhook_endpoint_id"), ["webhook_endpoint_id"], unique=False
        )
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=2000), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_audit_entries_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index(
        "ix_audit_entries_organization_id_at",
        "audit_entries",
        ["organization_id", "at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_entries_organization_id_at", table_name="audit_entries")
    op.drop_table("audit_entries")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_index(op.f("ix_outbox_messages_webhook_endpoint_id"))
        batch.drop_constraint(
            op.f("fk_outbox_messages_webhook_endpoint_id_webhook_endpoints"), type_="foreignkey"
        )
        batch.drop_column("response_code")
        batch.drop_column("webhook_endpoint_id")
    op.drop_index(op.f("ix_webhook_endpoints_organization_id"), table_name="webhook_endpoints")
    op.drop_table("webhook_endpoints")
