"""Account security: session epoch, login lockout bookkeeping, audit search by actor.

等级保护 2.0 (GB/T 22239-2019 8.1.4.1) asks for login-failure handling and for sessions that end
when an account changes. `session_epoch` is carried in every session ("id:epoch") and raised on
logout, password change, disable and role change, so every older session of the account stops
loading. `failed_logins`, `last_failed_login_at` and `locked_until` implement the lock after
repeated failures (it expires by itself); `last_login_at` is shown to administrators. The audit
gains an index on `actor_name` for the auditor's search by actor.

Revision ID: 0005_account_security
Revises: 0004_project_geometry
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_account_security"
down_revision = "0004_project_geometry"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index("ix_audit_events_actor_name", ["actor_name"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("session_epoch", sa.Integer(), server_default="1", nullable=False)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_failed_login_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("last_login_at")
        batch_op.drop_column("locked_until")
        batch_op.drop_column("last_failed_login_at")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("session_epoch")

    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_events_actor_name")
