"""台账 import record: who brought which Excel file in, when, its SHA-256 and the outcome.

Issue 7 (the Excel 台账): every upload of a ledger is recorded whether it is refused, previewed,
tried (`--dry-run`) or applied, with the file's SHA-256 so the same file applied twice changes
nothing the second time. The uploaded bytes are kept in `content` only between the preview page
and the caseworker's confirmation, then cleared. `district_code` is the importer's district, so a
district government sees only its own imports.

Revision ID: 0008_ledger_imports
Revises: 0007_reports
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0008_ledger_imports"
down_revision = "0007_reports"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade():
    op.create_table(
        "ledger_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("source", sa.String(length=8), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("updated_count", sa.Integer(), nullable=False),
        sa.Column("unchanged_count", sa.Integer(), nullable=False),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("problems", JSON, nullable=False),
        sa.Column("warnings", JSON, nullable=False),
        sa.Column("disagreements", JSON, nullable=False),
        sa.Column("changes", JSON, nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("source IN ('web', 'cli')", name=op.f("ck_ledger_imports_source_known")),
        sa.CheckConstraint(
            "status IN ('rejected', 'previewed', 'dry_run', 'applied', 'duplicate', 'discarded', "
            "'failed')",
            name=op.f("ck_ledger_imports_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_ledger_imports_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ledger_imports_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_imports")),
    )
    with op.batch_alter_table("ledger_imports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_imports_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_ledger_imports_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index("ix_ledger_imports_sha256_status", ["sha256", "status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_imports_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_ledger_imports_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("ledger_imports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ledger_imports_user_id"))
        batch_op.drop_index(batch_op.f("ix_ledger_imports_status"))
        batch_op.drop_index("ix_ledger_imports_sha256_status")
        batch_op.drop_index(batch_op.f("ix_ledger_imports_district_code"))
        batch_op.drop_index(batch_op.f("ix_ledger_imports_created_at"))

    op.drop_table("ledger_imports")
