"""`flask map …`: recheck every project's district, add the demo outlines."""

from __future__ import annotations

import click
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.map import bp
from app.models import Project
from app.services.geometry import sync_geometry


@bp.cli.command("recheck")
def recheck() -> None:
    """After replacing DISTRICT_BOUNDARIES (or upgrading): redo every project's district check."""
    checked = flagged = 0
    stmt = select(Project).options(selectinload(Project.geometry))  # type: ignore[attr-defined]
    for project in db.session.scalars(stmt):
        row = sync_geometry(project)
        checked += 1
        flagged += int(row is not None and row.district_mismatch)
    db.session.commit()
    click.echo(f"已核对 {checked} 个项目的位置，其中 {flagged} 个坐标与所属县区不一致。")


@bp.cli.command("demo-outlines")
def demo_outlines() -> None:
    """Add a few illustrative outlines (示意红线) to the demo projects (idempotent)."""
    from app.demo.outlines import attach_demo_outlines

    click.echo(f"已为 {attach_demo_outlines()} 个演示项目添加示意红线。")
