"""Page views per article and day, for the editors' insights page.

Revision ID: 5c1e0a7b93f2
Revises: dd4e097700d9
Create Date: 2026-11-24 09:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = "5c1e0a7b93f2"
down_revision = "dd4e097700d9"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "page_views",
        sa.Column("article_slug", sa.String(length=200), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("article_slug", "day", name=op.f("pk_page_views")),
    )
    op.create_index(op.f("ix_page_views_day"), "page_views", ["day"])


def downgrade():
    op.drop_table("page_views")
