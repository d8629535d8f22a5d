"""list indexes: (filter column, event_id) in place of the filter column alone

The lists page event rows by ``event_id``: with it in the index, a filtered page (``/deposits?work_id=``,
``/events?contract=``, ...) is read in order and stops after ``limit`` rows, instead of reading every
matching row and sorting them. Each new index also serves every lookup the one it replaces served.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 11:25:00.000000
"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

#: (table, column) pairs, as ``schema.LIST_INDEXES`` held them when this revision was written.
LIST_INDEXES = (
    ("events", "contract"), ("events", "name"), ("deposits", "split_id"), ("deposits", "sender"),
    ("withdrawals", "split_id"), ("withdrawals", "account"), ("votes", "voter"), ("attestations", "job_id"),
    ("attestations", "operator"), ("pass_purchases", "room_id"), ("pass_purchases", "buyer"), ("pass_purchases", "to"),
    ("usage_claims", "work_id"),
)


def upgrade() -> None:
    for table, column in LIST_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{column}_event", [column, "event_id"], unique=False)
            batch_op.drop_index(f"ix_{table}_{column}")


def downgrade() -> None:
    for table, column in LIST_INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(f"ix_{table}_{column}", [column], unique=False)
            batch_op.drop_index(f"ix_{table}_{column}_event")
