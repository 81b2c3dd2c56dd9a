"""Project pages. Views parse input, call one service, render; the rules live in services/cases."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.clock import today
from app.projects import bp
from app.projects.forms import (
    CertificateForm,
    DefectActionForm,
    OverrideForm,
    PlanForm,
    ProjectForm,
    options,
)
from app.scoping import can, district_choices_for, may_edit
from app.services import attachments, audit, workflow
from app.services import projects as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.taxonomy import DEFECT_STATUSES, DISTRICTS
from cases.workflow import TRANSITIONS


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _load(code: str):  # noqa: ANN202
    try:
        return service.get_project(_user(), code)
    except NotFound:
        abort(404)


def _version(raw: str | None) -> int:
    """The version a form carried; garbage counts as stale rather than as an error."""
    try:
        return int(raw or "0")
    except ValueError:
        return 0


def _flash_result(result: service.SaveResult) -> None:
    for change in result.changes:
        flash(change.message, "change")
    if not result.changes:
        flash("问题分类无变化。", "info")
    for warning in result.warnings:
        flash(warning, "warning")


def _attach_error(form: ProjectForm, exc: InvalidInput) -> None:
    field = form.field_for(exc.field)
    if field is not None:
        field.errors = [*field.errors, exc.message]
    else:
        flash(exc.message, "error")


@bp.route("/")
@login_required
def index() -> Response:
    """Home: the project list for those who may see projects."""
    if can(_user(), "projects.view"):
        return redirect(url_for("projects.list_projects"))
    if can(_user(), "users.manage"):
        return redirect(url_for("admin.users"))
    if can(_user(), "audit.view"):
        return redirect(url_for("audit_log.index"))
    return redirect(url_for("auth.account"))


@bp.route("/projects")
@login_required
def list_projects() -> str:
    """Filterable, paginated list of the projects in the user's scope."""
    _require("projects.view")
    args = request.args
    filters = service.ProjectFilters(
        district=args.get("district") or None,
        type=args.get("type") or None,
        lead=args.get("lead") or None,
        status=args.get("status") or None,
        q=(args.get("q") or "").strip()[:100] or None,
    )
    page_no = args.get("page", 1, type=int) or 1
    try:
        page = service.list_projects(_user(), filters, page_no, per_page=_per_page())
    except InvalidInput as exc:
        flash(exc.message, "error")
        filters = service.ProjectFilters()
        page = service.list_projects(_user(), filters, 1, per_page=_per_page())
    return render_template(
        "projects/list.html",
        page=page,
        filters=filters,
        can_create=can(_user(), "projects.create"),
        districts={c: DISTRICTS[c] for c in district_choices_for(_user())},
    )


def _per_page() -> int:
    from flask import current_app

    return int(current_app.config["PROJECTS_PER_PAGE"])


@bp.route("/projects/new", methods=["GET", "POST"])
@login_required
def create() -> str | Response:
    """Register a project; the engine classifies it on save."""
    _require("projects.create")
    form = ProjectForm()
    form.district.choices = options((c, DISTRICTS[c].name) for c in district_choices_for(_user()))
    if form.validate_on_submit():
        try:
            result = service.create_project(_user(), form.to_input(), today())
        except InvalidInput as exc:
            _attach_error(form, exc)
        except Forbidden as exc:
            flash(exc.message, "error")
        else:
            flash(f"项目 {result.project.code} 已登记。", "success")
            _flash_result(result)
            return redirect(url_for("projects.detail", code=result.project.code))
    return render_template("projects/form.html", form=form, project=None)


@bp.route("/projects/<code>")
@login_required
def detail(code: str) -> str:
    """A project's facts and defects with lead departments and clauses."""
    _require("projects.view")
    project = _load(code)
    override_forms = {}
    if can(_user(), "defects.override"):
        for defect in project.defects:
            form = OverrideForm(prefix=defect.type).for_type(defect.type)
            form.path.data = defect.path or defect.engine_path
            form.version.data = str(defect.version)
            override_forms[defect.type] = form
    actions = {d.id: workflow.actions_for(_user(), d) for d in project.defects}
    action_forms = {d.id: _action_form(d) for d in project.defects if actions[d.id]}
    plan_forms = {d.id: _plan_form(d) for d in project.defects if workflow.may_plan(_user(), d)}
    events = workflow.history(project)
    return render_template(
        "projects/detail.html",
        project=project,
        facts=service.project_facts(project),
        can_edit=may_edit(_user(), project),
        override_forms=override_forms,
        actions=actions,
        action_forms=action_forms,
        plan_forms=plan_forms,
        certificate_form=_certificate_form(project) if may_edit(_user(), project) else None,
        events=events,
        evidence=attachments.for_owners("defect_event", [e.id for e in events]),
        timeline=audit.project_timeline(project.id),
    )


def _action_form(defect) -> DefectActionForm:  # noqa: ANN001
    form = DefectActionForm(prefix=f"a{defect.id}")
    form.version.data = str(defect.version)
    return form


def _plan_form(defect) -> PlanForm:  # noqa: ANN001
    form = PlanForm(prefix=f"p{defect.id}")
    form.plan_text.data = defect.plan_text
    form.planned_month.data = defect.planned_month or ""
    form.version.data = str(defect.version)
    return form


def _certificate_form(project) -> CertificateForm:  # noqa: ANN001
    form = CertificateForm()
    form.version.data = str(project.version)
    return form


@bp.route("/projects/<code>/edit", methods=["GET", "POST"])
@login_required
def edit(code: str) -> str | Response:
    """Edit a project; a stale version shows what the other person changed."""
    project = _load(code)
    if not may_edit(_user(), project):
        abort(403)
    form = ProjectForm()
    form.district.choices = options((c, DISTRICTS[c].name) for c in district_choices_for(_user()))
    if request.method == "GET":
        form.fill_from(service.project_input(project), project.version)
    elif form.validate_on_submit():
        try:
            result = service.update_project(
                _user(), code, form.to_input(), _version(form.version.data), today()
            )
        except StaleVersion as exc:
            mine = service.input_snapshot(form.to_input())
            return render_template(
                "projects/conflict.html",
                project=project,
                diff=service.conflict_diff(mine, exc.current),
            ), 409
        except InvalidInput as exc:
            _attach_error(form, exc)
        except Forbidden:
            abort(403)
        else:
            flash("已保存。", "success")
            _flash_result(result)
            return redirect(url_for("projects.detail", code=code))
    return render_template("projects/form.html", form=form, project=project)


@bp.route("/projects/<code>/defects/<defect_type>/override", methods=["POST"])
@login_required
def override(code: str, defect_type: str) -> Response:
    """A caseworker's path override, with its reason."""
    _require("defects.override")
    project = _load(code)
    row = next((d for d in project.defects if d.type == defect_type), None)
    if row is None:
        abort(404)
    form = OverrideForm(prefix=defect_type).for_type(defect_type)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(f"调整路径未保存：{message}", "error")
        return redirect(url_for("projects.detail", code=code) + f"#defect-{defect_type}")
    try:
        service.override_path(
            _user(),
            code,
            defect_type,
            form.path.data or "",
            form.reason.data or "",
            _version(form.version.data),
        )
    except StaleVersion:
        flash("该问题已被他人修改，请查看最新内容后重新调整。", "error")
    except InvalidInput as exc:
        flash(f"调整路径未保存：{exc.message}", "error")
    else:
        flash("化解路径已调整，理由已记录。", "success")
    return redirect(url_for("projects.detail", code=code) + f"#defect-{defect_type}")


def _back_to(code: str, anchor: str) -> Response:
    return redirect(url_for("projects.detail", code=code) + f"#{anchor}")


def _flash_form_errors(prefix: str, form: Any) -> None:
    for errors in form.errors.values():
        for message in errors:
            flash(f"{prefix}：{message}", "error")


@bp.route("/projects/<code>/defects/<int:defect_id>/actions/<action>", methods=["POST"])
@login_required
def defect_action(code: str, defect_id: int, action: str) -> Response:
    """Take one lifecycle action (交办、办理、报请同意、提交销号、销号…) on a defect."""
    _load(code)
    form = DefectActionForm(prefix=f"a{defect_id}")
    label = TRANSITIONS[action].label if action in TRANSITIONS else action
    if not form.validate_on_submit():
        _flash_form_errors(f"「{label}」未执行", form)
        return _back_to(code, f"defect-{defect_id}")
    uploads = [attachments.Upload(f.filename or "", f.stream) for f in (form.files.data or []) if f]
    try:
        defect = workflow.take_action(
            _user(),
            defect_id,
            action,
            form.payload(),
            _version(form.version.data),
            today(),
            uploads,
        )
    except NotFound:
        abort(404)
    except StaleVersion:
        flash(f"「{label}」未执行：该问题已被他人更新，请查看最新状态后再操作。", "error")
    except InvalidInput as exc:
        flash(f"「{label}」未执行：{exc.message}", "error")
    else:
        flash(f"已{label}：当前状态「{DEFECT_STATUSES[defect.status]}」。", "success")
    return _back_to(code, f"defect-{defect_id}")


@bp.route("/projects/<code>/defects/<int:defect_id>/plan", methods=["POST"])
@login_required
def defect_plan(code: str, defect_id: int) -> Response:
    """Save a defect's 一项目一策 plan and planned month."""
    _load(code)
    form = PlanForm(prefix=f"p{defect_id}")
    if not form.validate_on_submit():
        _flash_form_errors("化解计划未保存", form)
        return _back_to(code, f"defect-{defect_id}")
    try:
        workflow.update_plan(
            _user(),
            defect_id,
            form.plan_text.data or "",
            form.planned_month.data or None,
            _version(form.version.data),
            delay_reason=form.delay_reason.data or "",
        )
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except StaleVersion:
        flash("化解计划未保存：该问题已被他人更新，请刷新后重试。", "error")
    except InvalidInput as exc:
        flash(f"化解计划未保存：{exc.message}", "error")
    else:
        flash("化解计划已保存。", "success")
    return _back_to(code, f"defect-{defect_id}")


@bp.route("/projects/<code>/certificates", methods=["POST"])
@login_required
def certificates(code: str) -> Response:
    """Record certificates issued (首次登记 and each month's new certificates)."""
    project = _load(code)
    if not may_edit(_user(), project):
        abort(403)
    form = CertificateForm()
    if not form.validate_on_submit():
        _flash_form_errors("办证记录未保存", form)
        return _back_to(code, "certificates")
    try:
        workflow.add_certificates(
            _user(),
            project,
            form.entry_date.data,
            form.households.data or 0,
            form.note.data or "",
            _version(form.version.data),
            today(),
        )
    except StaleVersion:
        flash("办证记录未保存：项目已被他人更新，请刷新后重试。", "error")
    except InvalidInput as exc:
        flash(f"办证记录未保存：{exc.message}", "error")
    else:
        flash("办证记录已保存。", "success")
    return _back_to(code, "certificates")


@bp.route("/attachments/<int:attachment_id>")
@login_required
def attachment(attachment_id: int) -> Response:
    """Download an evidence file, if the user may see its project (404 otherwise)."""
    try:
        row, path = attachments.open_for(_user(), attachment_id)
    except NotFound:
        abort(404)
    response = send_file(
        path, mimetype=row.content_type, as_attachment=True, download_name=row.original_name
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
