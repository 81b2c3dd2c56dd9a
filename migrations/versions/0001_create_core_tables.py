"""Create the core tables: districts, departments, users, tokens, projects, defects, audit.

Reference rows (the three districts of contract.md, the departments of annex3-rules.md) are
inserted here as a frozen snapshot: a later policy change adds its own migration.

Revision ID: 0001_core_tables
Revises:
Create Date: 2026-11-27 06:54:47.138390

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = "0001_core_tables"
down_revision = None
branch_labels = None
depends_on = None


DISTRICTS = [
    {"code": "dwk", "name": "大武口区", "adcode": "640202"},
    {"code": "hn", "name": "惠农区", "adcode": "640205"},
    {"code": "pl", "name": "平罗县", "adcode": "640221"},
]

DEPARTMENTS = [
    {"code": "nr", "name": "市自然资源局"},
    {"code": "tax", "name": "市税务局"},
    {"code": "housing", "name": "市住房和城乡建设局"},
    {"code": "court", "name": "市中级人民法院"},
    {"code": "district_court", "name": "各辖区人民法院"},
    {"code": "fire_rescue", "name": "市消防救援支队"},
    {"code": "approval", "name": "市审批服务管理局"},
    {"code": "finance", "name": "市财政局"},
    {"code": "district_government", "name": "各县区人民政府"},
    {"code": "xinghan", "name": "星瀚集团"},
]


def upgrade():
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "districts",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("adcode", sa.String(length=6), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_districts")),
        sa.UniqueConstraint("adcode", name=op.f("uq_districts_adcode")),
    )
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("developer", sa.String(length=128), nullable=False),
        sa.Column("developer_exists", sa.Boolean(), nullable=True),
        sa.Column("project_type", sa.String(length=16), nullable=True),
        sa.Column("construction_start_date", sa.Date(), nullable=True),
        sa.Column("completion_date", sa.Date(), nullable=True),
        sa.Column(
            "facts",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("total_households", sa.Integer(), nullable=False),
        sa.Column("certified_households", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("leader", sa.String(length=64), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "project_type IS NULL OR project_type IN ('commercial', 'affordable', 'resettlement', 'shantytown', 'price_capped', 'reform', 'fundraised', 'self_built', 'other')",
            name=op.f("ck_projects_project_type_known"),
        ),
        sa.CheckConstraint(
            "state IN ('unresolved', 'in_progress', 'resolved')",
            name=op.f("ck_projects_state_known"),
        ),
        sa.CheckConstraint(
            "certified_households >= 0 AND certified_households <= total_households",
            name=op.f("ck_projects_certified_within_total"),
        ),
        sa.CheckConstraint("total_households >= 0", name=op.f("ck_projects_total_nonnegative")),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_projects_district_code_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
        sa.UniqueConstraint("code", name=op.f("uq_projects_code")),
    )
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_projects_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            "ix_projects_district_state", ["district_code", "state"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_projects_project_type"), ["project_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_projects_state"), ["state"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("district_code", sa.String(length=8), nullable=True),
        sa.Column("department_code", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("password_changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role <> 'department' OR department_code IS NOT NULL",
            name=op.f("ck_users_department_bound"),
        ),
        sa.CheckConstraint(
            "role <> 'district' OR district_code IS NOT NULL", name=op.f("ck_users_district_bound")
        ),
        sa.CheckConstraint(
            "role IN ('admin', 'caseworker', 'district', 'department', 'leader', 'auditor')",
            name=op.f("ck_users_role_known"),
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_users_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"], ["districts.code"], name=op.f("fk_users_district_code_districts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_tokens_user_id"), ["user_id"], unique=False)

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("remote_addr", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_audit_events_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_events_action"), ["action"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_events_actor_id"), ["actor_id"], unique=False)
        batch_op.create_index("ix_audit_events_entity", ["entity_type", "entity_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_audit_events_occurred_at"), ["occurred_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_audit_events_project_id"), ["project_id"], unique=False
        )

    op.create_table(
        "defects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=48), nullable=True),
        sa.Column("engine_path", sa.String(length=48), nullable=True),
        sa.Column("lead_code", sa.String(length=32), nullable=False),
        sa.Column("needs_government_approval", sa.Boolean(), nullable=False),
        sa.Column("clause", sa.String(length=32), nullable=False),
        sa.Column(
            "extras",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "review_missing",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("review_reason", sa.Text(), nullable=True),
        sa.Column("override_reason", sa.Text(), nullable=True),
        sa.Column("overridden_by_id", sa.Integer(), nullable=True),
        sa.Column("overridden_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "engine_path IS NULL OR engine_path IN ('land_allocation_or_agreement', 'land_allocation', 'land_by_construction_era', 'certificate_payment_separation', 'court_document_filing', 'tax_verified_acceptance', 'resettlement_government_invoice', 'contract_amount_assessment', 'violation_disposal', 'public_housing_remedy', 'partial_verification', 'planning_supplement', 'status_quo_recognition', 'completion_supplement', 'acceptance_material_review', 'third_party_quality_appraisal', 'fire_exempt', 'fire_housing_review', 'fire_standard_procedure', 'court_coordination', 'housing_approval_transfer')",
            name=op.f("ck_defects_engine_path_known"),
        ),
        sa.CheckConstraint(
            "override_reason IS NOT NULL OR COALESCE(path, '') = COALESCE(engine_path, '')",
            name=op.f("ck_defects_override_has_reason"),
        ),
        sa.CheckConstraint(
            "path IS NULL OR path IN ('land_allocation_or_agreement', 'land_allocation', 'land_by_construction_era', 'certificate_payment_separation', 'court_document_filing', 'tax_verified_acceptance', 'resettlement_government_invoice', 'contract_amount_assessment', 'violation_disposal', 'public_housing_remedy', 'partial_verification', 'planning_supplement', 'status_quo_recognition', 'completion_supplement', 'acceptance_material_review', 'third_party_quality_appraisal', 'fire_exempt', 'fire_housing_review', 'fire_standard_procedure', 'court_coordination', 'housing_approval_transfer')",
            name=op.f("ck_defects_path_known"),
        ),
        sa.CheckConstraint(
            "status IN ('registered', 'assigned', 'in_progress', 'awaiting_approval', 'awaiting_closure', 'closed', 'suspended')",
            name=op.f("ck_defects_status_known"),
        ),
        sa.CheckConstraint(
            "type IN ('land', 'arrears', 'deed_tax', 'planning', 'completion', 'fire', 'litigation', 'oversize')",
            name=op.f("ck_defects_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["lead_code"], ["departments.code"], name=op.f("fk_defects_lead_code_departments")
        ),
        sa.ForeignKeyConstraint(
            ["overridden_by_id"], ["users.id"], name=op.f("fk_defects_overridden_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_defects_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_defects")),
        sa.UniqueConstraint("project_id", "type", name="uq_defects_project_type"),
    )
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_defects_lead_code"), ["lead_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_defects_project_id"), ["project_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_defects_status"), ["status"], unique=False)
        batch_op.create_index("ix_defects_type_status", ["type", "status"], unique=False)

    op.create_table(
        "defect_cooperation",
        sa.Column("defect_id", sa.Integer(), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["defect_id"],
            ["defects.id"],
            name=op.f("fk_defect_cooperation_defect_id_defects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_defect_cooperation_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("defect_id", "department_code", name=op.f("pk_defect_cooperation")),
    )
    with op.batch_alter_table("defect_cooperation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_defect_cooperation_department_code"), ["department_code"], unique=False
        )

    districts = sa.table("districts", sa.column("code"), sa.column("name"), sa.column("adcode"))
    departments = sa.table("departments", sa.column("code"), sa.column("name"))
    op.bulk_insert(districts, DISTRICTS)
    op.bulk_insert(departments, DEPARTMENTS)


def downgrade():
    with op.batch_alter_table("defect_cooperation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_defect_cooperation_department_code"))

    op.drop_table("defect_cooperation")
    with op.batch_alter_table("defects", schema=None) as batch_op:
        batch_op.drop_index("ix_defects_type_status")
        batch_op.drop_index(batch_op.f("ix_defects_status"))
        batch_op.drop_index(batch_op.f("ix_defects_project_id"))
        batch_op.drop_index(batch_op.f("ix_defects_lead_code"))

    op.drop_table("defects")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_events_project_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_occurred_at"))
        batch_op.drop_index("ix_audit_events_entity")
        batch_op.drop_index(batch_op.f("ix_audit_events_actor_id"))
        batch_op.drop_index(batch_op.f("ix_audit_events_action"))

    op.drop_table("audit_events")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_tokens_user_id"))

    op.drop_table("api_tokens")
    op.drop_table("users")
    with op.batch_alter_table("projects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_projects_state"))
        batch_op.drop_index(batch_op.f("ix_projects_project_type"))
        batch_op.drop_index(batch_op.f("ix_projects_name"))
        batch_op.drop_index("ix_projects_district_state")
        batch_op.drop_index(batch_op.f("ix_projects_district_code"))

    op.drop_table("projects")
    op.drop_table("districts")
    op.drop_table("departments")
