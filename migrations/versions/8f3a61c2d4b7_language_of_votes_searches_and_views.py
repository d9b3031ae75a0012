"""The language of each vote, search and page view, for insights per language.

Rows from before are English: it was the only language the help center
served. A page view's language joins its key, because a translation may
share its original's slug and both are counted apart.

Revision ID: 8f3a61c2d4b7
Revises: 5c1e0a7b93f2
Create Date: 2026-11-24 12:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = "8f3a61c2d4b7"
down_revision = "5c1e0a7b93f2"
branch_labels = None
depends_on = None

LANGUAGE = sa.String(length=16)


def upgrade():
    with op.batch_alter_table("votes") as batch:
        batch.add_column(sa.Column("language", LANGUAGE, server_default="en", nullable=False))
    with op.batch_alter_table("search_log") as batch:
        batch.add_column(sa.Column("language", LANGUAGE, server_default="en", nullable=False))
    with op.batch_alter_table("page_views") as batch:
        batch.add_column(sa.Column("language", LANGUAGE, server_default="en", nullable=False))
        batch.drop_constraint("pk_page_views", type_="primary")
        batch.create_primary_key("pk_page_views", ["article_slug", "language", "day"])


def downgrade():
    # Views of one article in several languages become one row per day again.
    op.execute("DELETE FROM page_views WHERE language <> 'en'")
    with op.batch_alter_table("page_views") as batch:
        batch.drop_constraint("pk_page_views", type_="primary")
        batch.create_primary_key("pk_page_views", ["article_slug", "day"])
        batch.drop_column("language")
    with op.batch_alter_table("search_log") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("votes") as batch:
        batch.drop_column("language")
