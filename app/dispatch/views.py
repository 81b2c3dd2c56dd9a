"""每月调度 pages. Views parse input, call one service, render; the rules live in services/cases."""

from __future__ import annotations

import io

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.clock import today
from app.dispatch import bp
from app.dispatch.forms import CloseRoundForm, EntryForm, OpenRoundForm
from app.scoping import can
from app.services import attachments, workflow
from app.services import dispatch as service
from app.services.dispatch_export import workbook
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.dispatch import EXEMPT_FROM, FLAG_BELOW, WEIGHTS
from cases.taxonomy import DEPARTMENTS, DISTRICTS

PER_PAGE = 50
LIST_LIMIT = 50  # overdue and slipped items shown on the round page; the Excel has them all
PRINT_LIMIT = 2000
CONFLICT_LABELS = {
    "progress": "本月进展",
    "blocker": "堵点",
    "next_step": "下一步措施",
    "time_limit": "完成时限",
    "escalate": "提级督办",
    "reported_status": "填报时状态",
}


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _round(month: str):  # noqa: ANN202
    try:
        return service.get_round(_user(), month)
    except NotFound:
        abort(404)


def _tri_state(raw: str | None) -> bool | None:
    return {"1": True, "0": False}.get(raw or "")


def _filters() -> service.EntryFilters:
    args = request.args
    return service.EntryFilters(
        district=args.get("district") or None,
        lead=args.get("lead") or None,
        reported=_tri_state(args.get("reported")),
        escalate=_tri_state(args.get("escalate")),
    )


def _filter_args(filters: service.EntryFilters) -> dict[str, str]:
    def tri(value: bool | None) -> str:
        return "" if value is None else ("1" if value else "0")

    return {
        "district": filters.district or "",
        "lead": filters.lead or "",
        "reported": tri(filters.reported),
        "escalate": tri(filters.escalate),
    }


@bp.route("/dispatch")
@login_required
def index() -> str:
    """The rounds, newest first; a caseworker opens the next one here."""
    _require("dispatch.view")
    form = None
    if can(_user(), "dispatch.manage"):
        form = OpenRoundForm()
        form.month.data = service.suggested_month(today())
    return _index_page(form)


def _index_page(form: OpenRoundForm | None) -> str:
    return render_template(
        "dispatch/index.html",
        rounds=service.list_rounds(_user()),
        form=form,
        statuses=service.ROUND_STATUSES,
    )


@bp.route("/dispatch/rounds", methods=["POST"])
@login_required
def open_round() -> str | Response:
    """Open the round of a month: every open defect gets an entry."""
    _require("dispatch.manage")
    form = OpenRoundForm()
    if form.validate_on_submit():
        try:
            round_ = service.open_round(_user(), form.month.data or "", today())
        except InvalidInput as exc:
            form.month.errors = [*form.month.errors, exc.message]
        else:
            count = service.count_entries(_user(), round_, service.EntryFilters())
            flash(f"已开启 {round_.month} 的每月调度，共 {count} 条待填报。", "success")
            return redirect(url_for("dispatch.round_page", month=round_.month))
    return _index_page(form)


@bp.route("/dispatch/<month>")
@login_required
def round_page(month: str) -> str:
    """Who has not reported, overdue, slipped, the ranking and the entry list."""
    _require("dispatch.view")
    round_ = _round(month)
    filters = _filters()
    page_no = request.args.get("page", 1, type=int) or 1
    try:
        page = service.list_entries(_user(), round_, filters, page_no, PER_PAGE)
    except InvalidInput as exc:
        flash(exc.message, "error")
        filters = service.EntryFilters()
        page = service.list_entries(_user(), round_, filters, 1, PER_PAGE)
    data = service.overview(_user(), round_, today())
    close_form = None
    if round_.status == "open" and can(_user(), "dispatch.manage"):
        close_form = CloseRoundForm()
        close_form.version.data = str(round_.version)
    return render_template(
        "dispatch/round.html",
        round=round_,
        data=data,
        page=page,
        filters=filters,
        filter_args=_filter_args(filters),
        close_form=close_form,
        show_ranking=can(_user(), "dispatch.rank"),
        list_limit=LIST_LIMIT,
        weights=WEIGHTS,
        flag_below=FLAG_BELOW,
        exempt_from=EXEMPT_FROM,
        statuses=service.ROUND_STATUSES,
        districts=DISTRICTS,
        departments=DEPARTMENTS,
    )


@bp.route("/dispatch/<month>/close", methods=["POST"])
@login_required
def close(month: str) -> Response:
    """Close the round: its entries are frozen from now on."""
    _require("dispatch.manage")
    round_ = _round(month)
    form = CloseRoundForm()
    if not form.validate_on_submit():
        flash("关闭调度未执行：表单已过期，请刷新后重试。", "error")
        return redirect(url_for("dispatch.round_page", month=round_.month))
    try:
        service.close_round(_user(), round_.month, form.expected_version())
    except StaleVersion:
        flash("关闭调度未执行：本轮调度已被他人更新，请查看最新状态。", "error")
    except InvalidInput as exc:
        flash(exc.message, "error")
    else:
        flash(f"{month} 的调度已关闭，填报内容已冻结。", "success")
    return redirect(url_for("dispatch.round_page", month=month))


@bp.route("/dispatch/<month>/entries/<int:entry_id>", methods=["GET", "POST"])
@login_required
def entry(month: str, entry_id: int) -> str | Response | tuple[str, int]:
    """Read an entry; its reporters fill it while the round is open."""
    _require("dispatch.view")
    try:
        row = service.load_entry(_user(), month, entry_id)
    except NotFound:
        abort(404)
    transitions = workflow.actions_for(_user(), row.defect)
    form = EntryForm().offer(transitions)
    if request.method == "POST":
        if row.round.status != "open":
            flash(service.frozen_message(row.round), "error")
            return redirect(url_for("dispatch.entry", month=month, entry_id=entry_id))
        if not service.may_fill(_user(), row):
            abort(403)
        if form.validate_on_submit():
            uploads = [
                attachments.Upload(f.filename or "", f.stream) for f in (form.files.data or []) if f
            ]
            data = form.to_input()
            try:
                service.save_entry(
                    _user(), month, entry_id, data, form.expected_version(), today(), uploads
                )
            except StaleVersion as exc:
                return _conflict(row, data, exc), 409
            except Forbidden as exc:
                flash(exc.message, "error")
                return redirect(url_for("dispatch.entry", month=month, entry_id=entry_id))
            except InvalidInput as exc:
                target = form.field_for(exc.field)
                if target is not None:
                    target.errors = [*target.errors, exc.message]
                flash(f"填报未保存：{exc.message}", "error")
            else:
                flash("调度填报已保存。", "success")
                return redirect(url_for("dispatch.round_page", month=month) + "#entries")
    elif service.may_fill(_user(), row):
        _prefill(form, row)
    return render_template(
        "dispatch/entry.html",
        entry=row,
        round=row.round,
        form=form if service.may_fill(_user(), row) else None,
        transitions=transitions,
        action_fields=form.action_fields(transitions),
        previous=service.previous_entry(row),
        evidence=attachments.for_owners("dispatch_entry", [row.id]).get(row.id, []),
    )


def _prefill(form: EntryForm, row) -> None:  # noqa: ANN001
    form.progress.data = row.progress
    form.blocker.data = row.blocker
    form.next_step.data = row.next_step
    form.time_limit.data = row.time_limit
    form.escalate.data = row.escalate
    form.version.data = str(row.version)
    form.defect_version.data = str(row.defect.version)


def _conflict(row, data: service.EntryInput, exc: StaleVersion) -> str:  # noqa: ANN001
    mine = service.input_snapshot(data)
    theirs = exc.current or service.entry_snapshot(row)
    diff = [
        (label, mine.get(name), theirs.get(name))
        for name, label in CONFLICT_LABELS.items()
        if name != "reported_status" and mine.get(name) != theirs.get(name)
    ]
    return render_template("dispatch/conflict.html", entry=row, round=row.round, diff=diff)


@bp.route("/dispatch/<month>/print")
@login_required
def print_table(month: str) -> str:
    """The 调度表 to print: no navigation, print styles, the filters of the round page."""
    _require("dispatch.view")
    round_ = _round(month)
    filters = _filters()
    try:
        total = service.count_entries(_user(), round_, filters)
    except InvalidInput:
        abort(400)
    entries = service.table_rows(_user(), round_, filters, limit=PRINT_LIMIT)
    data = service.overview(_user(), round_, today())
    return render_template(
        "dispatch/print.html",
        round=round_,
        data=data,
        entries=entries,
        total=total,
        limit=PRINT_LIMIT,
        filters=filters,
        districts=DISTRICTS,
        departments=DEPARTMENTS,
        statuses=service.ROUND_STATUSES,
        printed_on=today(),
    )


@bp.route("/dispatch/<month>/export.xlsx")
@login_required
def export(month: str) -> Response:
    """The round as an Excel workbook (one row per entry in the user's scope)."""
    _require("dispatch.view")
    round_ = _round(month)
    filters = _filters()
    try:
        rows = service.table_rows(_user(), round_, filters)
    except InvalidInput:
        abort(400)
    data = service.overview(_user(), round_, today())
    content = workbook(data, rows, with_ranking=can(_user(), "dispatch.rank"))
    response = send_file(
        io.BytesIO(content),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"每月调度表-{round_.month}.xlsx",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
