"""Editors' logins on the server: the session generation that logging out moves on, and wrong passwords counted.

A signed session cookie could not be taken back: a copy saved before
logging out still opened insights. Wrong passwords are counted per address
and for the account, so guesses spread over many addresses wait too.

Revision ID: 6e2f4a8b1c9d
Revises: 3b7d2e91c4a6
Create Date: 2026-12-07 23:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "6e2f4a8b1c9d"
down_revision = "3b7d2e91c4a6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "editor_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_generation")),
    )
    op.create_table(
        "login_failures",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_login_failures")),
    )
    op.create_index(op.f("ix_login_failures_last_failed_at"), "login_failures", ["last_failed_at"])


def downgrade():
    op.drop_index(op.f("ix_login_failures_last_failed_at"), table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("editor_generation")
