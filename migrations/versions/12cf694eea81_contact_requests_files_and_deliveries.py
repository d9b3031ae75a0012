"""Contact requests, their files and their deliveries: the outbox the request sender works from.

Revision ID: 12cf694eea81
Revises: 6e2f4a8b1c9d
Create Date: 2026-12-07 23:39:29.158409

"""
from alembic import op
import sqlalchemy as sa

revision = '12cf694eea81'
down_revision = '6e2f4a8b1c9d'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('contact_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('topic', sa.String(length=100), nullable=False),
    sa.Column('order_number', sa.String(length=40), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('context', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_requests')),
    sa.UniqueConstraint('reference', name=op.f('uq_contact_requests_reference'))
    )
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_requests_created_at'), ['created_at'], unique=False)

    op.create_table('contact_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['contact_requests.id'], name=op.f('fk_contact_attachments_request_id_contact_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attachments'))
    )
    with op.batch_alter_table('contact_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attachments_request_id'), ['request_id'], unique=False)

    op.create_table('contact_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['contact_requests.id'], name=op.f('fk_contact_deliveries_request_id_contact_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_deliveries')),
    sa.UniqueConstraint('request_id', 'channel', name=op.f('uq_contact_deliveries_request_id_channel'))
    )
    with op.batch_alter_table('contact_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_contact_deliveries_status_next_attempt_at', ['status', 'next_attempt_at'], unique=False)



def downgrade():
    with op.batch_alter_table('contact_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_deliveries_status_next_attempt_at')

    op.drop_table('contact_deliveries')
    with op.batch_alter_table('contact_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_attachments_request_id'))

    op.drop_table('contact_attachments')
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_requests_created_at'))

    op.drop_table('contact_requests')
