"""Votes keep nothing about the address they came from.

The address hash let a vote from a visitor without our cookie take over the
latest vote from the same address, so shoppers sharing an address (an
office, a phone network, nodes behind a balancer) replaced each other's
votes. A vote is now found by its visitor id only; the hash and its index
go. Downgrading brings the column back empty (no address can be recovered).

Revision ID: 3b7d2e91c4a6
Revises: 8f3a61c2d4b7
Create Date: 2026-12-07 23:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = "3b7d2e91c4a6"
down_revision = "8f3a61c2d4b7"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("votes") as batch:
        batch.drop_index("ix_votes_article_slug_address_hash")
        batch.drop_column("address_hash")


def downgrade():
    with op.batch_alter_table("votes") as batch:
        batch.add_column(sa.Column("address_hash", sa.String(length=64), server_default="", nullable=False))
        batch.create_index("ix_votes_article_slug_address_hash", ["article_slug", "address_hash"])
