"""Reports: caseworkers' wording of the written reports, and background report jobs.

附件3 四(二) asks for a written report to the 市人民政府 every quarter and a monthly 调度. The
words around the numbers are Jinja text templates shipped under `templates/reports/`; an edit by a
caseworker is kept in `report_texts` (one row per kind and text, optimistic locking, audited) and
wins over the file until reset. A large report is generated in the background: `report_jobs`
holds its parameters, progress and the name of the file written under `instance/reports/`; the
`token` is the unguessable handle of the status and download URLs.

Revision ID: 0007_reports
Revises: 0006_dispatch_round_close
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0007_reports"
down_revision = "0006_dispatch_round_close"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column(
            "params",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stored_name", sa.String(length=64), nullable=True),
        sa.Column("download_name", sa.String(length=128), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.CheckConstraint("format IN ('docx', 'pdf')", name=op.f("ck_report_jobs_format_known")),
        sa.CheckConstraint(
            "kind IN ('quarterly', 'dispatch')", name=op.f("ck_report_jobs_kind_known")
        ),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_report_jobs_status_known"),
        ),
        sa.CheckConstraint(
            "progress >= 0 AND progress <= 100", name=op.f("ck_report_jobs_progress_range")
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_report_jobs_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_report_jobs_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_jobs")),
        sa.UniqueConstraint("token", name=op.f("uq_report_jobs_token")),
    )
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_report_jobs_status"), ["status"], unique=False)
        batch_op.create_index(
            "ix_report_jobs_user_created", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "report_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "kind IN ('quarterly', 'dispatch')", name=op.f("ck_report_texts_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_report_texts_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_texts")),
        sa.UniqueConstraint("kind", "name", name="uq_report_texts_kind_name"),
    )


def downgrade():
    op.drop_table("report_texts")
    with op.batch_alter_table("report_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_report_jobs_user_created")
        batch_op.drop_index(batch_op.f("ix_report_jobs_status"))
    op.drop_table("report_jobs")
