"""群众诉求 and 提示建议单: the place a complaint names, the district a sheet concerns.

附件3 三(一)8 has complaints linked to projects and turned into 工作办理提示建议单. A complaint
now keeps the 小区 or address the complainant named (it prefills the project picker and a new
project). A sheet keeps the district it concerns, copied from its project or complaint, so a
district government sees and answers the sheets about its own district without a join through
two optional links; `reply_date` is indexed for the "not yet replied" filter. A sheet must come
from a defect or a complaint.

Revision ID: 0003_intake_place_district
Revises: 0002_case_workflow
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0003_intake_place_district"
down_revision = "0002_case_workflow"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("place", sa.String(length=255), nullable=False, server_default="")
        )

    with op.batch_alter_table("prompt_sheets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("district_code", sa.String(length=8), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_prompt_sheets_district_code"), ["district_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_prompt_sheets_reply_date"), ["reply_date"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_prompt_sheets_district_code_districts"),
            "districts",
            ["district_code"],
            ["code"],
        )

    op.execute(
        "UPDATE prompt_sheets SET district_code = COALESCE("
        "(SELECT p.district_code FROM projects p WHERE p.id = prompt_sheets.project_id), "
        "(SELECT c.district_code FROM complaints c WHERE c.id = prompt_sheets.complaint_id))"
    )

    with op.batch_alter_table("prompt_sheets", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "has_origin", "defect_id IS NOT NULL OR complaint_id IS NOT NULL"
        )


def downgrade():
    with op.batch_alter_table("prompt_sheets", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_prompt_sheets_has_origin"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_prompt_sheets_district_code_districts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_reply_date"))
        batch_op.drop_index(batch_op.f("ix_prompt_sheets_district_code"))
        batch_op.drop_column("district_code")

    with op.batch_alter_table("complaints", schema=None) as batch_op:
        batch_op.drop_column("place")
