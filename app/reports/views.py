"""Dashboard and report pages. Views parse input, call one service, render."""

from __future__ import annotations

import datetime as dt

from flask import (
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from app.clock import today
from app.projects.forms import options
from app.reports import bp
from app.reports.forms import JobForm, ResetForm, TextForm
from app.scoping import bound_district, can, district_choices_for
from app.services import report_jobs, report_texts, reporting
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from app.services.report_document import sample_context, variable_help
from cases.reporting import quarter_of
from cases.taxonomy import DISTRICTS


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(*capabilities: str) -> None:
    if not any(can(_user(), c) for c in capabilities):
        abort(403)


# ---------------------------------------------------------------- dashboard


def _list_link(district: str | None):  # noqa: ANN202
    """URL of the project list behind a chart's bar (the list shows today's state)."""

    def link(kind: str, code: str) -> str | None:
        args: dict[str, str] = {}
        if district:
            args["district"] = district
        if kind == "type":
            args["type"] = code
        elif kind == "lead":
            args["lead"] = code
        elif kind == "district":
            args["district"] = code
        elif kind == "district_type":
            args["district"], args["type"] = code.split(":", 1)
        else:
            return None
        return url_for("projects.list_projects", **args)

    return link


def _quick_dates(day: dt.date) -> list[tuple[str, dt.date]]:
    """Handy as-of dates: today, last month's end, last quarter's end."""
    month_end = day.replace(day=1) - dt.timedelta(days=1)
    quarter_end = quarter_of(day).first_day - dt.timedelta(days=1)
    return [("今天", day), ("上月末", month_end), ("上季度末", quarter_end)]


@bp.route("/dashboard")
@login_required
def dashboard() -> str:
    """Key figures, breakdowns, trends and the slowest items as of a day (default today)."""
    _require("projects.view")
    user = _user()
    now = today()
    try:
        as_of = reporting.parse_as_of(request.args.get("as_of"), now)
    except InvalidInput as exc:
        flash(exc.message, "error")
        as_of = now
    district = (request.args.get("district") or "").strip() or None
    if bound_district(user):
        district = None  # its scope is its district already
    try:
        board = reporting.dashboard(user, as_of, district, _list_link(district))
    except InvalidInput as exc:
        flash(exc.message, "error")
        district = None
        board = reporting.dashboard(user, as_of, None, _list_link(None))
    return render_template(
        "reports/dashboard.html",
        board=board,
        figures=board.figures,
        charts={c.name: c for c in board.charts},
        district=district,
        districts=(
            {c: DISTRICTS[c] for c in district_choices_for(user)} if user.role != "district" else {}
        ),
        today=now,
        quick_dates=_quick_dates(now),
    )


# ---------------------------------------------------------------- reports


def _quarter_choices(day: dt.date) -> list[tuple[str, str]]:
    """From 2024Q1 (the policy's year) to the current quarter, newest first."""
    current = quarter_of(day)
    choices = []
    year, number = current.year, current.number
    while (year, number) >= (2024, 1):
        q = quarter_of(dt.date(year, 3 * number, 1))
        label = q.label + ("（进行中）" if q == current else "")
        choices.append((q.code, label))
        year, number = (year, number - 1) if number > 1 else (year - 1, 4)
    return choices


def _closed_rounds() -> list[str]:
    if not can(_user(), "dispatch.rank"):
        return []
    from app.services import dispatch

    return [r.round.month for r in dispatch.list_rounds(_user()) if r.round.status == "closed"]


def _job_form() -> JobForm:
    form = JobForm()
    user = _user()
    everywhere = [] if bound_district(user) else [("", "全市")]
    form.district.choices = options(
        [*everywhere, *((c, DISTRICTS[c].name) for c in district_choices_for(user))]
    )
    return form


@bp.route("/reports")
@login_required
def index() -> str:
    """Ask for a quarterly report or a 调度通报; the latest jobs with their progress."""
    _require("reports.view", "dispatch.rank")
    return _index(_job_form())


def _index(form: JobForm) -> str:
    return render_template(
        "reports/index.html",
        form=form,
        quarters=_quarter_choices(today()),
        rounds=_closed_rounds(),
        jobs=report_jobs.recent_jobs(_user()),
        may_quarterly=can(_user(), "reports.view"),
        may_texts=can(_user(), "reports.texts"),
    )


@bp.route("/reports/jobs", methods=["POST"])
@login_required
def submit() -> str | Response | tuple[str, int]:
    """Start generating a report in the background and show its progress page."""
    _require("reports.view", "dispatch.rank")
    form = _job_form()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _index(form), 400
    try:
        job = report_jobs.submit(
            _user(),
            form.kind.data,
            form.period.data,
            form.format.data,
            form.district.data or None,
            today(),
        )
    except (InvalidInput, NotFound) as exc:
        flash(exc.message, "error")
        return _index(form), 400
    except Forbidden:
        abort(403)
    return redirect(url_for("reports.job", token=job.token))


def _job_or_404(token: str):  # noqa: ANN202
    try:
        return report_jobs.get_job(_user(), token)
    except NotFound:
        abort(404)


def _job_json(job) -> dict[str, object]:  # noqa: ANN001
    return {
        "status": job.status,
        "status_label": job.status_label,
        "progress": job.progress,
        "step": job.step,
        "error": job.error,
        "download_url": (
            url_for("reports.download", token=job.token) if job.status == "done" else None
        ),
        "download_name": job.download_name,
    }


@bp.route("/reports/jobs/<token>")
@login_required
def job(token: str) -> str:
    """A job's progress page (a static script polls the status)."""
    _require("reports.view", "dispatch.rank")
    found = _job_or_404(token)
    return render_template("reports/job.html", job=found, state=_job_json(found))


@bp.route("/reports/jobs/<token>/status")
@login_required
def job_status(token: str) -> Response:
    """A job's progress as JSON, polled by static/js/report-job.js."""
    _require("reports.view", "dispatch.rank")
    return jsonify(_job_json(_job_or_404(token)))


@bp.route("/reports/jobs/<token>/download")
@login_required
def download(token: str) -> Response:
    """The finished file."""
    _require("reports.view", "dispatch.rank")
    try:
        path, found = report_jobs.job_file(_user(), token)
    except NotFound:
        abort(404)
    return send_file(
        path,
        mimetype=report_jobs.MEDIA_TYPES[found.format],
        as_attachment=True,
        download_name=found.download_name,
    )


# ---------------------------------------------------------------- report wording


@bp.route("/reports/texts")
@login_required
def texts() -> str:
    """Every editable text of the reports."""
    _require("reports.texts")
    rows = {kind: report_texts.list_texts(_user(), kind) for kind in report_texts.TEXTS}
    return render_template("reports/texts.html", rows=rows)


def _text_page(kind: str, name: str, form: TextForm, status: int = 200) -> tuple[str, int]:
    row = report_texts.get_text(_user(), kind, name)
    sample = sample_context(kind)
    try:
        preview = report_texts.render(form.body.data or row.body, sample)
        preview_error = ""
    except Exception:  # the form already reports the error; the preview just stays empty
        preview, preview_error = [], "模板有误，无法预览。"
    return (
        render_template(
            "reports/text_edit.html",
            row=row,
            form=form,
            reset_form=ResetForm(version=str(row.version)),
            variables=variable_help(kind),
            preview=preview,
            preview_error=preview_error,
        ),
        status,
    )


@bp.route("/reports/texts/<kind>/<name>", methods=["GET", "POST"])
@login_required
def edit_text(kind: str, name: str) -> str | Response | tuple[str, int]:
    """Edit one text; numbers must stay variables (checked by the service)."""
    _require("reports.texts")
    try:
        row = report_texts.get_text(_user(), kind, name)
    except NotFound:
        abort(404)
    form = TextForm()
    if request.method == "GET":
        form.body.data = row.body
        form.version.data = str(row.version)
        return _text_page(kind, name, form)
    if not form.validate_on_submit():
        return _text_page(kind, name, form, 400)
    try:
        version = int(form.version.data or "0")
    except ValueError:
        version = -1
    try:
        report_texts.save_text(
            _user(), kind, name, form.body.data or "", version, sample_context(kind)
        )
    except InvalidInput as exc:
        form.body.errors = [*form.body.errors, exc.message]
        return _text_page(kind, name, form, 400)
    except StaleVersion as exc:
        flash(exc.message, "error")
        return _text_page(kind, name, form, 409)
    flash(f"已保存“{row.label}”。", "success")
    return redirect(url_for("reports.texts"))


@bp.route("/reports/texts/<kind>/<name>/reset", methods=["POST"])
@login_required
def reset_text(kind: str, name: str) -> Response:
    """Back to the shipped wording."""
    _require("reports.texts")
    form = ResetForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        report_texts.reset_text(_user(), kind, name, int(form.version.data or "0"))
    except NotFound:
        abort(404)
    except (StaleVersion, ValueError):
        flash("该段文字已被他人修改，请刷新后重试。", "error")
        return redirect(url_for("reports.edit_text", kind=kind, name=name))
    flash("已恢复默认文字。", "success")
    return redirect(url_for("reports.texts"))
