"""Project geometry: outline (项目红线/宗地), bounding box and district check of each project.

The map, its bbox queries and the geometry import need more than `projects.lon/lat`: an optional
outline polygon, stored as GeoJSON text in WGS84 so SQLite and PostgreSQL share one schema with no
spatial extension, and a bounding box (the point and the outline together) in four indexed float
columns, which `min_lon <= maxx AND max_lon >= minx ...` queries use on either database. The
district the location lies in is kept beside a `district_mismatch` flag: the project page and the
map show a project whose coordinates disagree with its 所属县区 instead of silently moving it.

Existing located projects get their row here, the box being their point; the district check needs
the configured boundary file, so `flask map recheck` fills it in (the app does it on every save).

Revision ID: 0004_project_geometry
Revises: 0003_intake_place_district
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0004_project_geometry"
down_revision = "0003_intake_place_district"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "project_geometries",
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("min_lon", sa.Float(), nullable=True),
        sa.Column("min_lat", sa.Float(), nullable=True),
        sa.Column("max_lon", sa.Float(), nullable=True),
        sa.Column("max_lat", sa.Float(), nullable=True),
        sa.Column("outline", sa.Text(), nullable=True),
        sa.Column("outline_area_m2", sa.Float(), nullable=True),
        sa.Column("outline_source", sa.String(length=255), nullable=False),
        sa.Column("outline_crs", sa.String(length=128), nullable=False),
        sa.Column("outline_repaired", sa.Boolean(), nullable=False),
        sa.Column("outline_imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("located_district", sa.String(length=8), nullable=True),
        sa.Column("district_mismatch", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_project_geometries_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_geometries")),
    )
    with op.batch_alter_table("project_geometries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_project_geometries_district_mismatch"),
            ["district_mismatch"],
            unique=False,
        )
        batch_op.create_index("ix_project_geometries_max", ["max_lon", "max_lat"], unique=False)
        batch_op.create_index("ix_project_geometries_min", ["min_lon", "min_lat"], unique=False)

    projects = sa.table(
        "projects",
        sa.column("id", sa.Integer()),
        sa.column("lon", sa.Float()),
        sa.column("lat", sa.Float()),
    )
    geometries = sa.table(
        "project_geometries",
        *(
            sa.column(name)
            for name in (
                "project_id",
                "min_lon",
                "min_lat",
                "max_lon",
                "max_lat",
                "outline_source",
                "outline_crs",
                "outline_repaired",
                "district_mismatch",
                "updated_at",
                "version",
            )
        ),
    )
    located = sa.select(
        projects.c.id,
        projects.c.lon,
        projects.c.lat,
        projects.c.lon,
        projects.c.lat,
        sa.literal(""),
        sa.literal(""),
        sa.false(),
        sa.false(),
        sa.func.current_timestamp(),
        sa.literal(1),
    ).where(projects.c.lon.is_not(None), projects.c.lat.is_not(None))
    op.execute(geometries.insert().from_select(list(geometries.c), located))


def downgrade():
    with op.batch_alter_table("project_geometries", schema=None) as batch_op:
        batch_op.drop_index("ix_project_geometries_min")
        batch_op.drop_index("ix_project_geometries_max")
        batch_op.drop_index(batch_op.f("ix_project_geometries_district_mismatch"))

    op.drop_table("project_geometries")
