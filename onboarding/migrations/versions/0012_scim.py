"""scim: tokens with a purpose and a default role, the directory's view of journeys and roles

Revision ID: 0012_scim
Revises: 0011_sessions
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0012_scim"
down_revision: Union[str, Sequence[str], None] = "0011_sessions"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(
            sa.Column("purpose", sa.String(length=8), server_default="api", nullable=False)
        )
        batch.add_column(sa.Column("default_role_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_api_tokens_default_role_id_roles"),
            "roles",
            ["default_role_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.create_table(
        "scim_users",
        sa.Column("journey_id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(length=320), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.Column("emails", sa.JSON(), nullable=False),
        sa.Column("removed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["journey_id"],
            ["journeys.id"],
            name=op.f("fk_scim_users_journey_id_journeys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("journey_id", name=op.f("pk_scim_users")),
    )
    op.create_table(
        "scim_groups",
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_scim_groups_role_id_roles"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("role_id", name=op.f("pk_scim_groups")),
    )


def downgrade() -> None:
    op.drop_table("scim_groups")
    op.drop_table("scim_users")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_constraint(op.f("fk_api_tokens_default_role_id_roles"), type_="foreignkey")
        batch.drop_column("default_role_id")
        batch.drop_column("purpose")
