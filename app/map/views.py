"""Map pages. Views parse input, call one service, render; the rules live in services and gis."""

from __future__ import annotations

import json
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from app.clock import today
from app.map import bp
from app.map.forms import ConfirmForm, DiscardForm, ImportForm
from app.scoping import can, district_choices_for
from app.services import geometry_import
from app.services import map as service
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.geometry import boundaries
from app.services.projects import ProjectFilters
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS, PROJECT_STATES
from gis import render
from gis.districts import DEFAULT_BOUNDARIES

STATIC_KINDS = {
    "projects": "项目分布",
    "open_defects": "未销号问题数",
    "uncertified": "未办证户数",
}


def _user():  # noqa: ANN202
    return current_user._get_current_object()


def _require(capability: str) -> None:
    if not can(_user(), capability):
        abort(403)


def _query() -> service.MapQuery:
    try:
        return service.parse_map_args(request.args)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return service.MapQuery(filters=ProjectFilters())


def _filter_args(filters: ProjectFilters) -> dict[str, str]:
    return {k: v for k, v in filters.__dict__.items() if v}


@bp.route("")
@login_required
def index() -> str:
    """The web map: district boundaries, projects, choropleth, filters."""
    _require("projects.view")
    query = _query()
    config = current_app.config
    tiles = {
        "url": config.get("MAP_TILE_URL") or "",
        "labels": config.get("MAP_TILE_LABELS_URL") or "",
        "token": config.get("MAP_TILE_TOKEN") or "",
        "subdomains": config.get("MAP_TILE_SUBDOMAINS") or "",
        "attribution": config.get("MAP_TILE_ATTRIBUTION") or "",
    }
    return render_template(
        "map/index.html",
        filters=query.filters,
        districts={c: DISTRICTS[c] for c in district_choices_for(_user())},
        tiles=tiles,
        tiles_json=json.dumps(tiles, ensure_ascii=False),
        can_import=can(_user(), "projects.edit"),
        kinds=STATIC_KINDS,
        filter_args=_filter_args(query.filters),
    )


def _subtitle(filters: ProjectFilters, count: int | None) -> str:
    parts = []
    if filters.district:
        parts.append(DISTRICTS[filters.district].name)
    if filters.type:
        parts.append(DEFECT_TYPES[filters.type].name)
    if filters.lead:
        parts.append(DEPARTMENTS[filters.lead].name + "牵头")
    if filters.status:
        parts.append(PROJECT_STATES[filters.status])
    if filters.q:
        parts.append(f"关键词“{filters.q}”")
    if count is not None:
        parts.append(f"共 {count} 个项目")
    return " · ".join(parts) or "全部项目"


@bp.route("/static.<fmt>")
@login_required
def static_map(fmt: str) -> Response:
    """A printable map (PNG or SVG) of the filtered projects or a district choropleth."""
    _require("projects.view")
    if fmt not in render.FORMATS:
        abort(404)
    kind = request.args.get("kind", "projects")
    if kind not in STATIC_KINDS:
        abort(400)
    try:
        query = service.parse_map_args(request.args)
    except InvalidInput:
        abort(400)
    user = _user()
    bounds = boundaries()
    sample = Path(bounds.source).resolve() == DEFAULT_BOUNDARIES.resolve()
    note = "行政区划边界为示意（非法定边界）" if sample else "行政区划边界"
    if kind == "projects":
        data = render.render_project_map(
            bounds,
            service.map_points(user, query),
            title="石嘴山市城镇住宅“办证难”项目分布图",
            subtitle=_subtitle(query.filters, None),
            as_of=today(),
            boundaries_note=note,
            fmt=fmt,
        )
    else:
        values = service.choropleth_values(user, query.filters, kind)
        data = render.render_choropleth(
            bounds,
            values,
            title=f"石嘴山市各县区{STATIC_KINDS[kind]}",
            measure=STATIC_KINDS[kind],
            unit="项" if kind == "open_defects" else "户",
            as_of=today(),
            boundaries_note=note,
            fmt=fmt,
        )
    response = Response(data, mimetype=render.FORMATS[fmt])
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/export.<fmt>")
@login_required
def export(fmt: str) -> Response:
    """GeoJSON or GeoPackage of the filtered projects the user may see, for the GIS desk."""
    _require("projects.view")
    try:
        query = service.parse_map_args(request.args)
        if fmt == "geojson":
            data = service.export_geojson(_user(), query.filters)
            mimetype = "application/geo+json"
        elif fmt == "gpkg":
            target = request.args.get("crs") or "EPSG:4326"
            data = service.export_geopackage(_user(), query.filters, target)
            mimetype = "application/geopackage+sqlite3"
        else:
            abort(404)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("map.index"))  # type: ignore[return-value]
    stamp = today().strftime("%Y%m%d")
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="projects-{stamp}.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_upload() -> str | Response:
    """Step 1: upload a geometry file (and say its CRS when the file does not)."""
    _require("projects.edit")
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            stored = geometry_import.store_upload(
                _user(), upload.filename or "", upload.stream, form.crs.data or ""
            )
        except InvalidInput as exc:
            field = form.crs if exc.field == "crs" else form.file
            field.errors = [*field.errors, exc.message]
        except Forbidden:
            abort(403)
        else:
            return redirect(url_for("map.import_preview", token=stored.token))
    return render_template("map/import.html", form=form)


@bp.route("/import/<token>")
@login_required
def import_preview(token: str) -> str | Response:
    """Step 2: what the file holds, what it matches, and what is wrong, before saving."""
    _require("projects.edit")
    try:
        upload, plan = geometry_import.preview(_user(), token)
    except NotFound:
        abort(404)
    except InvalidInput as exc:
        upload = geometry_import.load_upload(_user(), token)
        return render_template(
            "map/preview.html",
            upload=upload,
            plan=None,
            refusal=exc.message,
            discard_form=DiscardForm(),
            confirm_form=None,
        )
    confirm_form = ConfirmForm(digest=plan.digest)
    return render_template(
        "map/preview.html",
        upload=upload,
        plan=plan,
        refusal=None,
        confirm_form=confirm_form,
        discard_form=DiscardForm(),
        names=boundaries().names,
    )


@bp.post("/import/<token>/confirm")
@login_required
def import_confirm(token: str) -> Response:
    """Step 3: save the previewed plan, all or nothing."""
    _require("projects.edit")
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        result = geometry_import.confirm(_user(), token, form.digest.data or "", today())
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)
    except InvalidInput as exc:
        flash(exc.message, "error")
        return redirect(url_for("map.import_preview", token=token))
    flash(
        f"已导入项目红线 {result.outlines} 个、项目位置 {result.points} 个"
        + (f"（其中 {result.repaired} 个几何已自动修复）" if result.repaired else "")
        + "。",
        "success",
    )
    if result.mismatched:
        flash(
            "以下项目的位置与所属县区不一致，已标记待核对：" + "、".join(result.mismatched),
            "warning",
        )
    return redirect(url_for("map.index"))


@bp.post("/import/<token>/discard")
@login_required
def import_discard(token: str) -> Response:
    """Drop the upload; nothing is imported."""
    _require("projects.edit")
    if not DiscardForm().validate_on_submit():
        abort(400)
    try:
        geometry_import.discard(_user(), token)
    except NotFound:
        abort(404)
    flash("已取消导入，未保存任何内容。", "info")
    return redirect(url_for("map.import_upload"))
