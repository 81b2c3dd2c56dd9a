"""Project pages. Views parse input, call one service, render; the rules live in services/cases."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app.clock import today
from app.projects import bp
from app.projects.forms import OverrideForm, ProjectForm, options
from app.scoping import can, district_choices_for, may_edit
from app.services import projects as service
from app.services.errors import Forbidden, InvalidInput, NotFound, StaleVersion
from cases.taxonomy import DISTRICTS


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
    return render_template(
        "projects/detail.html",
        project=project,
        facts=service.project_facts(project),
        can_edit=may_edit(_user(), project),
        override_forms=override_forms,
    )


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
