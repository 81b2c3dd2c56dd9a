"""`flask report quarterly YYYYQN --format docx|pdf --output PATH [--district CODE]`."""

from __future__ import annotations

import time
from pathlib import Path

import click

from app.clock import today
from app.extensions import db
from app.reports import bp
from app.services import report_jobs
from app.services.errors import InvalidInput, NotFound
from cases.taxonomy import DISTRICTS


@bp.cli.command("quarterly")
@click.argument("quarter")
@click.option("--format", "fmt", required=True, help="docx（Word）或 pdf")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--district", default=None, help="县区代码：" + "、".join(DISTRICTS))
def quarterly(quarter: str, fmt: str, output: Path, district: str | None) -> None:
    """The quarterly written report to the 市人民政府, as of the quarter's last day (全市 or one
    district), built from the dated history; the same document as the web download."""
    steps = report_jobs.QUARTERLY_STEPS
    started = time.perf_counter()
    try:
        report_jobs.check_format(fmt)
    except InvalidInput as exc:
        raise click.ClickException(exc.message) from None
    if output.parent and not output.parent.exists():
        raise click.ClickException(f"输出目录不存在：{output.parent}")
    with click.progressbar(length=len(steps), label="生成季度报告", show_eta=False) as bar:

        def progress(step: str) -> None:
            bar.label = step
            bar.update(1)

        try:
            document = report_jobs.build(None, "quarterly", quarter, district, today(), progress)
            progress("写出文件")
            data = report_jobs.render(document, fmt)
        except (InvalidInput, NotFound) as exc:
            db.session.rollback()
            raise click.ClickException(exc.message) from None
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise click.ClickException(f"无法写入 {output}：{exc.strerror}") from None
    click.echo(
        f"已生成 {output}（{len(data) // 1024} KB，数据截至 "
        f"{document.as_of.isoformat()}，用时 {time.perf_counter() - started:.1f} 秒）。"  # type: ignore[attr-defined]
    )
