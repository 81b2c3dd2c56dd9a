"""Generate reports in the background and tell the page how far they got.

A simple in-process runner: `submit` validates the request, stores a `report_jobs` row and starts
a thread; the thread opens its own application context, builds the report (each step moves the
row's progress) and writes the file under `instance/reports/`. At most `MAX_PARALLEL` reports are
drawn at once (matplotlib is CPU-bound and the machine has two cores); the rest wait as 排队中.
A job is visible to the account that asked for it only, and its figures are that account's scope.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db
from app.models import REPORT_FORMATS, ReportJob, User, utcnow
from app.scoping import bound_district, can
from app.services import audit
from app.services.errors import Forbidden, InvalidInput, NotFound, ServiceError
from cases.dispatch import DispatchError, parse_month
from cases.reporting import ReportingError, parse_quarter, report_date

QUARTERLY_STEPS = (
    "读取台账历史记录",
    "计算各项指标",
    "绘制图表",
    "绘制分县区地图",
    "生成报告文字",
    "写出文件",
)
DISPATCH_STEPS = ("读取调度记录", "计算排名", "绘制排名图", "生成通报文字", "写出文件")
MAX_PARALLEL = 2
KEEP_DAYS = 7
STALE_AFTER = dt.timedelta(minutes=30)
MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}

_SLOTS = threading.BoundedSemaphore(MAX_PARALLEL)
_THREADS: dict[int, threading.Thread] = {}


def report_dir(app: Flask | None = None) -> Path:
    """Where generated files are kept (instance/reports, created on demand)."""
    flask_app = app or current_app
    path = Path(flask_app.config.get("REPORT_DIR") or Path(flask_app.instance_path) / "reports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def check_format(fmt: str | None) -> str:
    """docx or pdf, else a Chinese refusal."""
    if fmt not in REPORT_FORMATS:
        raise InvalidInput("format", f"格式应为 docx 或 pdf（收到：{fmt or '空'}）。")
    return fmt


def render(document: object, fmt: str) -> bytes:
    """The report's bytes in the chosen format (both writers take the same model)."""
    if fmt == "docx":
        from app.services.report_docx import write_docx

        return write_docx(document)  # type: ignore[arg-type]
    from app.services.report_pdf import write_pdf

    return write_pdf(document)  # type: ignore[arg-type]


def steps_for(kind: str) -> Sequence[str]:
    """The named steps a job of this kind goes through."""
    return QUARTERLY_STEPS if kind == "quarterly" else DISPATCH_STEPS


def build(
    user: User | None,
    kind: str,
    period: str,
    district: str | None,
    today: dt.date,
    progress: Callable[[str], None],
) -> object:
    """Build the report model for a user (or, with no user, the command line's whole city)."""
    from app.services import report_document, reporting

    if kind == "quarterly":
        try:
            quarter = parse_quarter(period)
        except ReportingError as exc:
            raise InvalidInput("period", exc.message) from None
        scope = reporting.user_scope(user, district) if user else reporting.system_scope(district)
        try:
            return report_document.build_quarterly(scope, quarter, today, progress=progress)
        except ReportingError as exc:
            raise InvalidInput("period", exc.message) from None
    if user is None:
        raise InvalidInput("kind", "调度通报须由登录用户生成。")
    return report_document.build_dispatch(user, period, today, progress=progress)


def _validate(
    user: User, kind: str, period: str, fmt: str, district: str | None, today: dt.date
) -> str:
    check_format(fmt)
    if kind == "quarterly":
        if not can(user, "reports.view"):
            raise Forbidden("您没有生成季度报告的权限。")
        try:
            quarter = parse_quarter(period)
            report_date(quarter, today)
        except ReportingError as exc:
            raise InvalidInput("period", exc.message) from None
        from app.services.reporting import user_scope

        user_scope(user, district)  # refuses an unknown district code
        return quarter.code
    if kind == "dispatch":
        if not can(user, "dispatch.rank"):
            raise Forbidden("只有自然资源局经办人和市政府领导可以生成调度通报。")
        try:
            month = parse_month(period)
        except DispatchError as exc:
            raise InvalidInput("period", exc.message) from None
        from app.services import dispatch

        round_ = dispatch.get_round(user, month)
        if round_.status != "closed":
            raise InvalidInput("period", f"{month} 的调度尚未关闭，关闭后才能生成调度通报。")
        return month
    raise InvalidInput("kind", "未知的报告类型。")


def _prune(user: User) -> None:
    """Forget this account's jobs (and files) older than KEEP_DAYS."""
    cutoff = utcnow() - dt.timedelta(days=KEEP_DAYS)
    old = db.session.scalars(
        select(ReportJob).where(ReportJob.user_id == user.id, ReportJob.created_at < cutoff)
    ).all()
    for job in old:
        if job.stored_name:
            (report_dir() / job.stored_name).unlink(missing_ok=True)
        db.session.delete(job)


def submit(
    user: User,
    kind: str,
    period: str,
    fmt: str,
    district: str | None,
    today: dt.date,
    *,
    start: bool = True,
) -> ReportJob:
    """Queue a report and start its thread; bad input is refused before anything is stored."""
    # A district government's reports are its own district's.
    district = bound_district(user) or district
    period = _validate(user, kind, (period or "").strip(), fmt, district or None, today)
    _prune(user)
    job = ReportJob(
        token=secrets.token_hex(16),
        kind=kind,
        period=period,
        district_code=district or None,
        format=fmt,
        params={"today": today.isoformat()},
        status="queued",
        progress=0,
        step="排队中",
        user_id=user.id,
    )
    db.session.add(job)
    audit.record(
        user,
        "report.generate",
        "report",
        f"{kind}/{period}",
        changes={"format": fmt, "district": district or "全部"},
    )
    db.session.commit()
    if start:
        launch(current_app._get_current_object(), job.id)  # type: ignore[attr-defined]
    return job


def launch(app: Flask, job_id: int) -> threading.Thread:
    """Start the job's thread."""
    thread = threading.Thread(target=run, args=(app, job_id), name=f"report-{job_id}", daemon=True)
    _THREADS[job_id] = thread
    thread.start()
    return thread


def wait(job_id: int, timeout: float = 120.0) -> None:
    """Block until a job's thread ends (tests, and the command line)."""
    thread = _THREADS.get(job_id)
    if thread is not None:
        thread.join(timeout)


def _update(job_id: int, **values: object) -> None:
    job = db.session.get(ReportJob, job_id)
    if job is None:
        return
    for name, value in values.items():
        setattr(job, name, value)
    db.session.commit()


def run(app: Flask, job_id: int) -> None:
    """The thread's body: build, write, record the outcome. Never raises."""
    with app.app_context(), _SLOTS:
        try:
            job = db.session.get(ReportJob, job_id)
            if job is None:
                return
            user = db.session.get(User, job.user_id)
            steps = steps_for(job.kind)
            kind, period, district, fmt = job.kind, job.period, job.district_code, job.format
            today = dt.date.fromisoformat(job.params["today"])
            token = job.token
            _update(job_id, status="running", started_at=utcnow(), step=steps[0], progress=2)

            def progress(step: str) -> None:
                done = steps.index(step) if step in steps else 0
                _update(job_id, step=step, progress=min(95, int(100 * (done + 0.5) / len(steps))))

            document = build(user, kind, period, district, today, progress)
            progress("写出文件")
            data = render(document, fmt)
            stored = f"{token}.{fmt}"
            (report_dir(app) / stored).write_bytes(data)
            _update(
                job_id,
                status="done",
                progress=100,
                step="已完成",
                stored_name=stored,
                download_name=f"{document.file_stem}.{fmt}",  # type: ignore[attr-defined]
                size=len(data),
                finished_at=utcnow(),
            )
        except ServiceError as exc:
            db.session.rollback()
            _update(job_id, status="failed", error=exc.message, step="失败", finished_at=utcnow())
        except Exception:
            db.session.rollback()
            app.logger.exception("report job %s failed", job_id)
            _update(
                job_id,
                status="failed",
                error="生成报告时发生内部错误，请稍后重试或联系管理员。",
                step="失败",
                finished_at=utcnow(),
            )
        finally:
            db.session.remove()
            _THREADS.pop(job_id, None)


def get_job(user: User, token: str) -> ReportJob:
    """One of the user's own jobs (404 for anyone else's)."""
    job = db.session.scalars(
        select(ReportJob).where(ReportJob.token == token, ReportJob.user_id == user.id)
    ).first()
    if job is None:
        raise NotFound("没有找到该报告任务。")
    if (
        job.status in ("queued", "running")
        and job.id not in _THREADS
        and utcnow() - job.created_at > STALE_AFTER
    ):
        # Its thread died with a restart of the server: say so instead of spinning forever.
        job.status, job.step = "failed", "失败"
        job.error = "服务重启，报告生成被中断，请重新生成。"
        db.session.commit()
    return job


def job_file(user: User, token: str) -> tuple[Path, ReportJob]:
    """The finished file of one of the user's jobs."""
    job = get_job(user, token)
    if job.status != "done" or not job.stored_name:
        raise NotFound("报告尚未生成完成。")
    path = report_dir() / job.stored_name
    if not path.is_file():
        raise NotFound("报告文件已清理，请重新生成。")
    return path, job


def recent_jobs(user: User, limit: int = 10) -> list[ReportJob]:
    """The user's latest jobs, newest first."""
    return list(
        db.session.scalars(
            select(ReportJob)
            .where(ReportJob.user_id == user.id)
            .order_by(ReportJob.created_at.desc(), ReportJob.id.desc())
            .limit(limit)
        )
    )
