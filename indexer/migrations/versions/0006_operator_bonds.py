"""operator bonds: bond state per account, one row per slash

An index built before this revision has its checkpoint past the bonds' earlier events (and the hub's
constructor, which emits MinBondChanged and UnbondingDelayChanged): reindex it into an empty database
to fill ``operator_bonds``, ``slashes`` and the ``oracle.min_bond`` / ``oracle.unbonding_delay``
parameters.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-24 12:15:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('operator_bonds',
    sa.Column('address', sa.String(length=42), nullable=False),
    sa.Column('bonded', sa.String(length=78), nullable=False),
    sa.Column('unbonding', sa.String(length=78), nullable=False),
    sa.Column('unbonding_available_at', sa.BigInteger(), nullable=True),
    sa.Column('slashed', sa.String(length=78), nullable=False),
    sa.Column('slash_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('address')
    )
    op.create_table('slashes',
    sa.Column('event_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('block_number', sa.BigInteger(), nullable=False),
    sa.Column('tx_hash', sa.String(length=66), nullable=False),
    sa.Column('operator', sa.String(length=42), nullable=False),
    sa.Column('job_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.String(length=78), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    with op.batch_alter_table('slashes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slashes_block_number'), ['block_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_slashes_job_id'), ['job_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_slashes_operator'), ['operator'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('slashes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slashes_operator'))
        batch_op.drop_index(batch_op.f('ix_slashes_job_id'))
        batch_op.drop_index(batch_op.f('ix_slashes_block_number'))
    op.drop_table('slashes')
    op.drop_table('operator_bonds')
