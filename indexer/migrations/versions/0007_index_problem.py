"""checkpoint.problem: an index that can no longer follow the chain says so (and /health with it)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 09:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('checkpoint', sa.Column('problem', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('checkpoint') as batch:
        batch.drop_column('problem')
