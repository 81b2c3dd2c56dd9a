"""群众诉求 pages. Views parse input, call one service, render; the rules live in the services."""

from __future__ import annotations

import io
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.clock import today
from app.complaints import bp
from app.complaints.forms import (
    AnswerForm,
    AttachForm,
    ComplaintForm,
    LinkForm,
    RevealForm,
    uploads_of,
)
from app.errors import error_body
from app.models import COMPLAINT_SOURCES, Complaint, utcnow
from app.projects.forms import ProjectForm, options
from app.scoping import can, district_choices_for, may_create_in, may_handle_complaint
from app.services import complaints as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.taxonomy import DISTRICTS

CONFLICT_LABELS = {
    "status": "状态",
    "answer": "答复内容",
    "project": "关联项目",
    "reply": "回复内容",
    "reply_date": "回复日期",
}


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _version(raw: str | None) -> int:
    """The version a form carried; garbage counts as stale rather than as an error."""
    try:
        return int(raw or "0")
    except ValueError:
        return 0


def _load(complaint_id: int) -> Complaint:
    try:
        return service.get_complaint(_user(), complaint_id)
    except NotFound:
        abort(404)


def wants_json() -> bool:
    """A client that sent or asked for JSON gets JSON (e.g. 409 on a stale version)."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return request.is_json or best == "application/json"


def conflict(exc: StaleVersion, title: str, back: str, mine: dict[str, Any]) -> Any:
    """409: someone saved first; show what is saved now next to what the user sent."""
    if wants_json():
        body = error_body(409, exc.message, current_version=exc.current_version)
        body["current"] = exc.current
        return jsonify(body), 409
    shown = service.COMPLAINT_STATUSES
    rows = [
        (
            CONFLICT_LABELS.get(k, k),
            shown.get(mine[k], mine[k]) if k == "status" else mine[k],
            shown.get(v, v) if k == "status" else v,
        )
        for k, v in exc.current.items()
        if k in mine and mine[k] != v
    ]
    return render_template(
        "complaints/conflict.html", title=title, message=exc.message, rows=rows, back=back
    ), 409


def _per_page() -> int:
    return int(current_app.config["PROJECTS_PER_PAGE"])


def _filters() -> service.ComplaintFilters:
    args = request.args
    return service.ComplaintFilters(
        source=args.get("source") or None,
        district=args.get("district") or None,
        status=args.get("status") or None,
        q=(args.get("q") or "").strip()[:100] or None,
    )


@bp.route("/complaints")
@login_required
def list_complaints() -> str:
    """Filterable, paginated list of the complaints in the user's scope (masked)."""
    _require("complaints.view")
    filters = _filters()
    page_no = request.args.get("page", 1, type=int) or 1
    try:
        page, sheets = service.list_complaints(_user(), filters, page_no, _per_page())
    except InvalidInput as exc:
        flash(exc.message, "error")
        filters = service.ComplaintFilters()
        page, sheets = service.list_complaints(_user(), filters, 1, _per_page())
    return render_template(
        "complaints/list.html",
        page=page,
        sheets=sheets,
        filters=filters,
        people={c.id: service.complainant(c) for c in page.items},
        summaries={c.id: service.shown_text(c.content) for c in page.items},
        sources=COMPLAINT_SOURCES,
        statuses=service.COMPLAINT_STATUSES,
        districts={c: DISTRICTS[c] for c in district_choices_for(_user())},
        can_create=can(_user(), "complaints.create"),
    )


@bp.route("/complaints/export.xlsx")
@login_required
def export() -> Response:
    """The filtered list as Excel; personal data is always masked in exports."""
    _require("complaints.view")
    try:
        data = service.export_workbook(_user(), _filters(), utcnow())
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("complaints.list_complaints"))
    response = send_file(
        io.BytesIO(data),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        as_attachment=True,
        download_name=f"群众诉求-{today().isoformat()}.xlsx",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _field_error(form: Any, exc: InvalidInput) -> None:
    """Show a service refusal next to its field (or on top of the form)."""
    names = {"id_number": "id_number", "phone": "phone", "file": "files"}
    field = form._fields.get(names.get(exc.field, exc.field))
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/complaints/new", methods=["GET", "POST"])
@login_required
def create() -> Any:
    """Record a complaint from 12345, 好差评, 来信来访 or online."""
    _require("complaints.create")
    codes = district_choices_for(_user())
    form = ComplaintForm().for_districts(codes)
    if request.method == "GET":
        form.received_on.data = today()
        if len(codes) == 1:
            form.district.data = codes[0]
    elif form.validate_on_submit():
        try:
            complaint = service.record_complaint(
                _user(), form.to_input(), today(), uploads_of(form.files)
            )
        except InvalidInput as exc:
            _field_error(form, exc)
        except Forbidden:
            abort(403)
        else:
            flash(f"群众诉求 #{complaint.id} 已登记。", "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint.id))
    return render_template("complaints/form.html", form=form)


def _render_detail(
    complaint: Complaint,
    *,
    revealed: bool = False,
    link_form: LinkForm | None = None,
    answer_form: AnswerForm | None = None,
    attach_form: AttachForm | None = None,
) -> str:
    user = _user()
    handle = may_handle_complaint(user, complaint)
    link_form = link_form or LinkForm(prefix="link")
    answer_form = answer_form or AnswerForm(prefix="answer")
    for form in (link_form, answer_form):
        form.version.data = str(complaint.version)
    return render_template(
        "complaints/detail.html",
        complaint=complaint,
        person=service.complainant(complaint, revealed=revealed),
        content=service.shown_text(complaint.content, revealed=revealed),
        answer=service.shown_text(complaint.answer, revealed=revealed),
        files=service.attachments_of(complaint),
        sheets=service.sheets_of(user, complaint),
        may_handle=handle,
        link_form=link_form if handle else None,
        answer_form=answer_form if handle else None,
        attach_form=(attach_form or AttachForm(prefix="attach")) if handle else None,
        reveal_form=RevealForm(prefix="reveal") if can(user, "pii.reveal") else None,
        picker=service.project_choices(user, complaint.district_code) if handle else [],
        can_create_project=handle and may_create_in(user, complaint.district_code),
        can_issue=can(user, "prompts.issue"),
        sources=COMPLAINT_SOURCES,
        statuses=service.COMPLAINT_STATUSES,
    )


@bp.route("/complaints/<int:complaint_id>")
@login_required
def detail(complaint_id: int) -> str:
    """One complaint, masked, with what may be done with it."""
    _require("complaints.view")
    return _render_detail(_load(complaint_id))


@bp.route("/complaints/<int:complaint_id>/reveal", methods=["POST"])
@login_required
def reveal(complaint_id: int) -> Any:
    """The complaint with its personal data in full, for this response only (audited)."""
    _require("pii.reveal")
    if not RevealForm(prefix="reveal").validate_on_submit():
        abort(400)
    try:
        complaint = service.reveal(_user(), complaint_id)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    response = current_app.make_response(_render_detail(complaint, revealed=True))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/complaints/<int:complaint_id>/link", methods=["POST"])
@login_required
def link(complaint_id: int) -> Any:
    """Link the complaint to an existing project picked by its code."""
    complaint = _load(complaint_id)
    form = LinkForm(prefix="link")
    if form.validate_on_submit():
        try:
            service.link_project(
                _user(), complaint_id, form.project.data or "", _version(form.version.data)
            )
        except StaleVersion as exc:
            back = url_for("complaints.detail", complaint_id=complaint_id)
            mine = {"project": (form.project.data or "").strip().upper()}
            return conflict(exc, "该诉求已被他人修改", back, mine)
        except InvalidInput as exc:
            _field_error(form, exc)
        except Forbidden:
            abort(403)
        else:
            flash("已关联项目。", "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint_id))
    return _render_detail(complaint, link_form=form)


@bp.route("/complaints/<int:complaint_id>/answer", methods=["POST"])
@login_required
def answer(complaint_id: int) -> Any:
    """Record the answer given to the complainant."""
    complaint = _load(complaint_id)
    form = AnswerForm(prefix="answer")
    if form.validate_on_submit():
        try:
            service.answer(
                _user(), complaint_id, form.answer.data or "", _version(form.version.data)
            )
        except StaleVersion as exc:
            back = url_for("complaints.detail", complaint_id=complaint_id)
            mine = {"status": "answered", "answer": service.shown_text(form.answer.data or "")}
            return conflict(exc, "该诉求已被他人修改", back, mine)
        except InvalidInput as exc:
            _field_error(form, exc)
        except Forbidden:
            abort(403)
        else:
            flash("答复已保存。", "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint_id))
    return _render_detail(complaint, answer_form=form)


@bp.route("/complaints/<int:complaint_id>/attachments", methods=["POST"])
@login_required
def attach(complaint_id: int) -> Any:
    """Add files to a complaint."""
    complaint = _load(complaint_id)
    form = AttachForm(prefix="attach")
    if form.validate_on_submit():
        try:
            stored = service.add_attachments(_user(), complaint_id, uploads_of(form.files))
        except InvalidInput as exc:
            _field_error(form, exc)
        except Forbidden:
            abort(403)
        else:
            flash(f"已上传 {len(stored)} 个附件。", "success")
            return redirect(url_for("complaints.detail", complaint_id=complaint_id) + "#files")
    return _render_detail(complaint, attach_form=form)


@bp.route("/complaints/<int:complaint_id>/project", methods=["GET", "POST"])
@login_required
def new_project(complaint_id: int) -> Any:
    """Register a project from the complaint: the project form, prefilled, then linked."""
    complaint = _load(complaint_id)
    user = _user()
    if not (may_handle_complaint(user, complaint) and may_create_in(user, complaint.district_code)):
        abort(403)
    form = ProjectForm()
    form.district.choices = options(
        [(complaint.district_code, DISTRICTS[complaint.district_code].name)]
    )
    if request.method == "GET":
        form.district.data = complaint.district_code
        form.name.data = complaint.place[:128]
        form.address.data = complaint.place
        source = COMPLAINT_SOURCES[complaint.source]
        received = complaint.received_on.isoformat()
        form.notes.data = (
            f"由群众诉求 #{complaint.id}（{source}，{received} 受理）登记："
            f"{service.shown_text(complaint.content)}"
        )[:4000]
        form.version.data = str(complaint.version)
    elif form.validate_on_submit():
        try:
            result = service.create_project_from(
                user, complaint_id, form.to_input(), _version(form.version.data), today()
            )
        except StaleVersion as exc:
            back = url_for("complaints.detail", complaint_id=complaint_id)
            return conflict(exc, "该诉求已被他人修改", back, {"project": "（新项目）"})
        except InvalidInput as exc:
            field = form.field_for(exc.field)
            if field is not None:
                field.errors = [*field.errors, exc.message]
            else:
                flash(exc.message, "error")
        except Forbidden:
            abort(403)
        else:
            flash(
                f"项目 {result.project.code} 已登记，并已关联群众诉求 #{complaint_id}。", "success"
            )
            for warning in result.warnings:
                flash(warning, "warning")
            return redirect(url_for("projects.detail", code=result.project.code))
    return render_template("complaints/project_form.html", form=form, complaint=complaint)
