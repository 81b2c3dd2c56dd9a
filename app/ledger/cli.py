"""`flask ledger export PATH [--district CODE]` and `flask ledger import PATH [--dry-run]`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from app import clock
from app.extensions import db
from app.models import User
from app.services import ledger as service
from app.services.errors import InvalidInput
from app.services.projects import ProjectFilters
from cases.taxonomy import DISTRICTS

ledger = AppGroup("ledger", help="Excel 台账的导出与导入。")

_USER_HELP = "以该账号的身份和权限范围执行（默认：命令行，全部县区，审计记为 system）。"


def _account(username: str | None) -> User | None:
    if username is None:
        return None
    user = db.session.scalars(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise click.ClickException(f"没有可用的账号 {username}。")
    return user


@ledger.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--district", type=click.Choice(list(DISTRICTS)), help="只导出该县区：dwk、hn、pl")
@click.option("--user", "username", default=None, help=_USER_HELP)
def ledger_export(path: Path, district: str | None, username: str | None) -> None:
    """Write the ledger to PATH: .xlsx (both sheets and the notes) or .csv (项目台账 only)."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise click.ClickException("文件名须以 .xlsx 或 .csv 结尾。")
    try:
        file = service.export_ledger(
            _account(username), ProjectFilters(district=district), fmt, clock.now()
        )
    except InvalidInput as exc:
        raise click.ClickException(exc.message) from exc
    path.write_bytes(file.data)
    click.echo(f"已导出 {file.rows} 个项目到 {path}。")


@ledger.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="只检查并报告将发生的变化，不写入数据库。")
@click.option("--user", "username", default=None, help=_USER_HELP)
def ledger_import(path: Path, dry_run: bool, username: str | None) -> None:
    """Import an .xlsx ledger, all rows or none; exits 1 and changes nothing if any row is bad."""
    limit = int(current_app.config["LEDGER_MAX_BYTES"])
    with path.open("rb") as fh:
        data = fh.read(limit + 1)  # one byte past the limit is enough to refuse the size
    record = service.import_ledger(
        _account(username),
        path.name,
        data,
        clock.today(),
        mode="dry_run" if dry_run else "apply",
        source="cli",
    )
    if record.status == "rejected":
        for problem in record.problems:
            click.echo(problem, err=True)
        hidden = record.problem_count - len(record.problems)
        if hidden > 0:
            click.echo(f"……另有 {hidden} 个问题未列出。", err=True)
        click.echo(
            f"共 {record.problem_count} 个问题，未导入任何数据（导入记录 {record.id}）。", err=True
        )
        raise SystemExit(1)
    if record.status == "duplicate":
        click.echo(record.problems[0])
        return
    for warning in record.warnings:
        click.echo(f"提示：{warning}")
    for difference in record.disagreements:
        click.echo(f"问题类型差异（请经办人确认）：{difference}")
    verb = "试导入（未写入数据库）" if dry_run else "已导入"
    click.echo(
        f"{verb}：共 {record.row_count} 个项目，新增 {record.created_count} 个，"
        f"更新 {record.updated_count} 个，{record.unchanged_count} 个无变化"
        f"（导入记录 {record.id}，SHA-256 {record.sha256[:12]}…）。"
    )
