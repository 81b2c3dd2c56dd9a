"""每月调度: what a round achieved, frozen at closing; one open round at a time; entry filters.

A round's figures (销号 this round, status gone backwards since last month) must not change after
the round is closed, so closing copies each defect's status into `status_at_close`. A partial
unique index lets the database itself refuse a second open round (附件3 四(二): departments fill
one table a month). Two indexes serve the round page's filters (reported or not, 提级督办).

Revision ID: 0006_dispatch_round_close
Revises: 0005_account_security
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_dispatch_round_close"
down_revision = "0005_account_security"
branch_labels = None
depends_on = None

STATUSES = (
    "'registered', 'assigned', 'in_progress', 'awaiting_approval', 'awaiting_closure', "
    "'closed', 'suspended'"
)


def upgrade():
    with op.batch_alter_table("dispatch_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status_at_close", sa.String(length=24), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_dispatch_entries_status_at_close_known"),
            f"status_at_close IS NULL OR status_at_close IN ({STATUSES})",
        )
        batch_op.create_index(
            "ix_dispatch_entries_round_escalate", ["round_id", "escalate"], unique=False
        )
        batch_op.create_index(
            "ix_dispatch_entries_round_reported", ["round_id", "reported_at"], unique=False
        )

    with op.batch_alter_table("dispatch_rounds", schema=None) as batch_op:
        batch_op.create_index(
            "uq_dispatch_rounds_one_open",
            ["status"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )


def downgrade():
    with op.batch_alter_table("dispatch_rounds", schema=None) as batch_op:
        batch_op.drop_index("uq_dispatch_rounds_one_open")

    with op.batch_alter_table("dispatch_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_entries_round_reported")
        batch_op.drop_index("ix_dispatch_entries_round_escalate")
        batch_op.drop_constraint(op.f("ck_dispatch_entries_status_at_close_known"), type_="check")
        batch_op.drop_column("status_at_close")
