"""works' metadata: title, artist, description and AI-made flag read from IPFS, and an index on licences

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 12:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('work_metadata',
    sa.Column('cid', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=True),
    sa.Column('title', sa.Text(), nullable=True),
    sa.Column('artist_name', sa.Text(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('ai', sa.Boolean(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('cid'),
    sa.UniqueConstraint('seq')
    )
    with op.batch_alter_table('work_metadata', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_metadata_next_attempt_at'), ['next_attempt_at'], unique=False)
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_works_license'), ['license'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('works', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_works_license'))
    with op.batch_alter_table('work_metadata', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_metadata_next_attempt_at'))
    op.drop_table('work_metadata')
