"""hardening events: withdrawals paid to another address, registration commitments, superseded usage reports

Ownership (``OwnershipTransferStarted`` / ``OwnershipTransferred``) and the other parameter events
indexed from this revision on go to ``governance_params``, which needs no new table. An index built
before this revision has its checkpoint past these events: reindex it into an empty database to
include them.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 13:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def _event_columns() -> list[sa.Column]:
    return [
        sa.Column('event_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('block_number', sa.BigInteger(), nullable=False),
        sa.Column('tx_hash', sa.String(length=66), nullable=False),
    ]


def upgrade() -> None:
    op.create_table('payee_withdrawals', *_event_columns(),
    sa.Column('split_id', sa.BigInteger(), nullable=False),
    sa.Column('account', sa.String(length=42), nullable=False),
    sa.Column('to', sa.String(length=42), nullable=False),
    sa.Column('token', sa.String(length=42), nullable=False),
    sa.Column('amount', sa.String(length=78), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_payee_withdrawals_block_number'), 'payee_withdrawals', ['block_number'], unique=False)
    op.create_index(op.f('ix_payee_withdrawals_split_id'), 'payee_withdrawals', ['split_id'], unique=False)
    op.create_table('registration_commitments', *_event_columns(),
    sa.Column('registrant', sa.String(length=42), nullable=False),
    sa.Column('commitment', sa.String(length=66), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_registration_commitments_block_number'), 'registration_commitments', ['block_number'],
                    unique=False)
    op.create_index(op.f('ix_registration_commitments_registrant'), 'registration_commitments', ['registrant'],
                    unique=False)
    op.create_table('usage_supersessions', *_event_columns(),
    sa.Column('epoch', sa.BigInteger(), nullable=False),
    sa.Column('first_valid_job_id', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('event_id')
    )
    op.create_index(op.f('ix_usage_supersessions_block_number'), 'usage_supersessions', ['block_number'], unique=False)
    op.create_index(op.f('ix_usage_supersessions_epoch'), 'usage_supersessions', ['epoch'], unique=False)


def downgrade() -> None:
    for table in ('usage_supersessions', 'registration_commitments', 'payee_withdrawals'):
        op.drop_table(table)
