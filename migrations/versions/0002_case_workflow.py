"""Case workflow: defect history, approvals, certificates, dispatch rounds, prompt sheets,
complaints, attachments; and the audit made append-only by triggers.

附件3 四(二) asks for a monthly dispatch until each problem is struck off (销号); the tables here
hold that history. The audit table refuses UPDATE and DELETE at the database itself, so not even
a bug in the application can rewrite what happened.

Revision ID: 0002_case_workflow
Revises: 0001_core_tables
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0002_case_workflow"
down_revision = "0001_core_tables"
branch_labels = None
depends_on = None


PG_AUDIT_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""

SQLITE_AUDIT_TRIGGERS = (
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
    "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
)


def upgrade():
    op.create_table(
        "attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_type", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("stored_name", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "owner_type IN ('defect_event', 'approval', 'dispatch_entry', 'complaint')",
            name=op.f("ck_attachments_owner_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_attachments_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_attachments_stored_name")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index("ix_attachments_owner", ["owner_type", "owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachments_project_id"), ["project_id"], unique=False)

    op.create_table(
        "certificate_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind = 'correction' OR households >= 0",
            name=op.f("ck_certificate_entries_households_nonnegative"),
        ),
        sa.CheckConstraint(
            "kind IN ('baseline', 'issued', 'correction')",
            name=op.f("ck_certificate_entries_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_certificate_entries_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_certificate_entries_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificate_entries")),
    )
    with op.batch_alter_table("certificate_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificate_entries_entry_date"), ["entry_date"], unique=False
        )
        batch_op.create_index(
            "ix_certificate_entries_project_date", ["project_id", "entry_date"], unique=False
        )

    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("complainant_name", sa.String(length=64), nullable=False),
        sa.Column("complainant_phone", sa.String(length=32), nullable=False),
        sa.Column("complainant_id_number", sa.String(length=18), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "source IN ('12345', 'haochaping', 'letters_visits', 'online')",
            name=op.f("ck_complaints_source_known"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'answered')", name=op.f("ck_complaints_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_complaints_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_complaints_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_complaints_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_complaints_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaints")),
    )
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaints_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_project_id"), ["project_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_complaints_received_on"), ["received_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_complaints_source"), ["source"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaints_status"), ["status"], unique=False)

    op.create_table(
        "dispatch_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("opened_by_id", sa.Integer(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'closed')", name=op.f("ck_dispatch_rounds_status_known")
        ),
        sa.CheckConstraint("length(month) = 7", name=op.f("ck_dispatch_rounds_month_format")),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_dispatch_rounds_closed_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["opened_by_id"], ["users.id"], name=op.f("fk_dispatch_rounds_opened_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_rounds")),
        sa.UniqueConstraint("month", name=op.f("uq_dispatch_rounds_month")),
    )
    with op.batch_alter_table("dispatch_rounds", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispatch_rounds_status"), ["status"], unique=False)

    op.create_table(
        "defect_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("defect_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("from_status", sa.String(length=24), nullable=True),
        sa.Column("to_status", sa.String(length=24), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "action IN ('assign', 'start', 'request_approval', 'approve', 'refuse', 'submit', 'close', 'send_back', 'return', 'reroute', 'suspend', 'resume', 'reopen', 'register', 'plan')",
            name=op.f("ck_defect_events_action_known"),
        ),
        sa.CheckConstraint(
            "to_status IN ('registered', 'assigned', 'in_progress', 'awaiting_approval', 'awaiting_closure', 'closed', 'suspended')",
            name=op.f("ck_defect_events_to_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_defect_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["defect_id"],
            ["defects.id"],
            name=op.f("fk_defect_events_defect_id_defects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_defect_events_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defect_events")),
    )
    with op.batch_alter_table("defect_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_defect_events_defect_at", ["defect_id", "occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_defect_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_defect_events_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "dispatch_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("defect_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=False),
        sa.Column("lead_code", sa.String(length=32), nullable=False),
        sa.Column("status_at_open", sa.String(length=24), nullable=False),
        sa.Column("deadline_at_open", sa.Date(), nullable=True),
        sa.Column("planned_month_at_open", sa.String(length=7), nullable=True),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("reported_status", sa.String(length=24), nullable=True),
        sa.Column("blocker", sa.Text(), nullable=False),
        sa.Column("next_step", sa.Text(), nullable=False),
        sa.Column("time_limit", sa.Date(), nullable=True),
        sa.Column("escalate", sa.Boolean(), nullable=False),
        sa.Column("reported_by_id", sa.Integer(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "reported_status IS NULL OR reported_status IN ('registered', 'assigned', 'in_progress', 'awaiting_approval', 'awaiting_closure', 'closed', 'suspended')",
            name=op.f("ck_dispatch_entries_reported_status_known"),
        ),
        sa.CheckConstraint(
            "status_at_open IN ('registered', 'assigned', 'in_progress', 'awaiting_approval', 'awaiting_closure', 'closed', 'suspended')",
            name=op.f("ck_dispatch_entries_status_at_open_known"),
        ),
        sa.ForeignKeyConstraint(
            ["defect_id"], ["defects.id"], name=op.f("fk_dispatch_entries_defect_id_defects")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_dispatch_entries_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_code"],
            ["departments.code"],
            name=op.f("fk_dispatch_entries_lead_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_dispatch_entries_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["reported_by_id"], ["users.id"], name=op.f("fk_dispatch_entries_reported_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["dispatch_rounds.id"],
            name=op.f("fk_dispatch_entries_round_id_dispatch_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_entries")),
        sa.UniqueConstraint("round_id", "defect_id", name="uq_dispatch_entries_round_defect"),
    )
    with op.batch_alter_table("dispatch_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dispatch_entries_defect_id"), ["defect_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_dispatch_entries_project_id"), ["project_id"], unique=False
        )
        batch_op.create_index(
            "ix_dispatch_entries_round_district", ["round_id", "district_code"], unique=False
        )
        batch_op.create_index(
            "ix_dispatch_entries_round_lead", ["round_id", "lead_code"], unique=False
        )

    op.create_table(
        "government_approvals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("defect_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=8), nullable=False),
        sa.Column("document_number", sa.String(length=64), nullable=False),
        sa.Column("decision_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('granted', 'refused')",
            name=op.f("ck_government_approvals_decision_known"),
        ),
        sa.ForeignKeyConstraint(
            ["defect_id"],
            ["defects.id"],
            name=op.f("fk_government_approvals_defect_id_defects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_government_approvals_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_government_approvals")),
    )
    with op.batch_alter_table("government_approvals", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_government_approvals_defect_id"), ["defect_id"], unique=False
        )

    op.create_table(
        "prompt_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("defect_id", sa.Integer(), nullable=True),
        sa.Column("complaint_id", sa.Integer(), nullable=True),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.String(length=128), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("reply_date", sa.Date(), nullable=True),
        sa.Column("replied_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_prompt_sheets_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["defect_id"], ["defects.id"], name=op.f("fk_prompt_sheets_defect_id_defects")
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_prompt_sheets_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_prompt_sheets_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_prompt_sheets_project_id_projects")
        ),
        sa.ForeignKeyConstraint(
            ["replied_by_id"], ["users.id"], name=op.f("fk_prompt_sheets_replied_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_sheets")),
        sa.UniqueConstraint("number", name=op.f("uq_prompt_sheets_number")),
        sa.UniqueConstraint("year", "seq", name="uq_prompt_sheets_year_seq"),
    )
    with op.batch_alter_table("prompt_sheets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_sheets_complaint_id"), ["complaint_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_prompt_sheets_defect_id"), ["defect_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prompt_sheets_department_code"), ["department_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prompt_sheets_project_id"), ["project_id"], unique=False
        )

    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("planned_month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("plan_text", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("approval_granted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("suspended_until", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "status_changed_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.now(),
            )
        )
        batch_op.create_index(batch_op.f("ix_defects_deadline"), ["deadline"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_defects_planned_month"), ["planned_month"], unique=False
        )

    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_registration_date", sa.Date(), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_AUDIT_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()"
        )
        op.execute(
            "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()"
        )
    else:
        for statement in SQLITE_AUDIT_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_change()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_column("first_registration_date")

    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defects_planned_month"))
        batch_op.drop_index(batch_op.f("ix_defects_deadline"))
        batch_op.drop_column("status_changed_at")
        batch_op.drop_column("suspended_until")
        batch_op.drop_column("approval_granted")
        batch_op.drop_column("plan_text")
        batch_op.drop_column("planned_month")
        batch_op.drop_column("deadline")

    with op.batch_alter_table("prompt_sheets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_project_id"))
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_department_code"))
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_defect_id"))
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_complaint_id"))

    op.drop_table("prompt_sheets")
    with op.batch_alter_table("government_approvals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_government_approvals_defect_id"))

    op.drop_table("government_approvals")
    with op.batch_alter_table("dispatch_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_dispatch_entries_round_lead")
        batch_op.drop_index("ix_dispatch_entries_round_district")
        batch_op.drop_index(batch_op.f("ix_dispatch_entries_project_id"))
        batch_op.drop_index(batch_op.f("ix_dispatch_entries_defect_id"))

    op.drop_table("dispatch_entries")
    with op.batch_alter_table("defect_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defect_events_project_id"))
        batch_op.drop_index(batch_op.f("ix_defect_events_occurred_at"))
        batch_op.drop_index("ix_defect_events_defect_at")

    op.drop_table("defect_events")
    with op.batch_alter_table("dispatch_rounds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dispatch_rounds_status"))

    op.drop_table("dispatch_rounds")
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaints_status"))
        batch_op.drop_index(batch_op.f("ix_complaints_source"))
        batch_op.drop_index(batch_op.f("ix_complaints_received_on"))
        batch_op.drop_index(batch_op.f("ix_complaints_project_id"))
        batch_op.drop_index(batch_op.f("ix_complaints_district_code"))

    op.drop_table("complaints")
    with op.batch_alter_table("certificate_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_certificate_entries_project_date")
        batch_op.drop_index(batch_op.f("ix_certificate_entries_entry_date"))

    op.drop_table("certificate_entries")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_project_id"))
        batch_op.drop_index("ix_attachments_owner")

    op.drop_table("attachments")
