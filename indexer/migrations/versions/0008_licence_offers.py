"""licence offers: offers, licences (with their holders) and works' derivative policies

An index built before this revision has its checkpoint past LicenseOffers' deployment: reindex it
into an empty database to pick up the offers' earlier history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 10:50:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('licence_offers',
    sa.Column('offer_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('work_id', sa.BigInteger(), nullable=False),
    sa.Column('seller', sa.String(length=42), nullable=False),
    sa.Column('rights', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=42), nullable=False),
    sa.Column('price', sa.String(length=78), nullable=False),
    sa.Column('duration', sa.BigInteger(), nullable=False),
    sa.Column('supply_cap', sa.BigInteger(), nullable=False),
    sa.Column('sold', sa.BigInteger(), nullable=False),
    sa.Column('transferable', sa.Boolean(), nullable=False),
    sa.Column('paused', sa.Boolean(), nullable=False),
    sa.Column('terms_cid', sa.Text(), nullable=False),
    sa.Column('created_event_id', sa.BigInteger(), nullable=False),
    sa.Column('created_block', sa.BigInteger(), nullable=False),
    sa.Column('created_tx', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('offer_id'),
    sa.UniqueConstraint('created_event_id')
    )
    with op.batch_alter_table('licence_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_offers_seller'), ['seller'], unique=False)
        batch_op.create_index(batch_op.f('ix_licence_offers_work_id'), ['work_id'], unique=False)

    op.create_table('licences',
    sa.Column('licence_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('offer_id', sa.BigInteger(), nullable=False),
    sa.Column('work_id', sa.BigInteger(), nullable=False),
    sa.Column('holder', sa.String(length=42), nullable=False),
    sa.Column('buyer', sa.String(length=42), nullable=False),
    sa.Column('token', sa.String(length=42), nullable=False),
    sa.Column('price', sa.String(length=78), nullable=False),
    sa.Column('platform_fee', sa.String(length=78), nullable=False),
    sa.Column('valid_from', sa.BigInteger(), nullable=True),
    sa.Column('valid_until', sa.BigInteger(), nullable=False),
    sa.Column('transfers', sa.BigInteger(), nullable=False),
    sa.Column('bought_event_id', sa.BigInteger(), nullable=False),
    sa.Column('bought_block', sa.BigInteger(), nullable=False),
    sa.Column('bought_tx', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('licence_id'),
    sa.UniqueConstraint('bought_event_id')
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_licences_work_id'), ['work_id'], unique=False)

    op.create_table('derivative_policies',
    sa.Column('work_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('licence_required', sa.Boolean(), nullable=False),
    sa.Column('changed_block', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('work_id')
    )


def downgrade() -> None:
    op.drop_table('derivative_policies')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_work_id'))
        batch_op.drop_index(batch_op.f('ix_licences_offer_id'))
        batch_op.drop_index(batch_op.f('ix_licences_holder'))

    op.drop_table('licences')
    with op.batch_alter_table('licence_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_offers_work_id'))
        batch_op.drop_index(batch_op.f('ix_licence_offers_seller'))

    op.drop_table('licence_offers')
