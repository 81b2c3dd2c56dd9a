"""Forms of the map pages: the geometry upload and the confirm/discard buttons."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from app.forms import BaseForm
from gis.crs import CHOICES

CRS_OPTIONS = [
    SelectChoice(value, label)  # type: ignore[attr-defined]
    for value, label in [("", "按文件声明（.prj / GeoPackage / GeoJSON）"), *CHOICES.items()]
]


class ImportForm(BaseForm):
    """Upload a GeoJSON, a zipped Shapefile or a GeoPackage, with an optional CRS choice."""

    file = FileField(
        "几何文件（GeoJSON / zip 压缩的 Shapefile / GeoPackage）",
        validators=[FileRequired("请选择要上传的文件。")],
    )
    # Checked by the service, which answers in Chinese (WTForms' own message is English).
    crs = SelectField("坐标系", choices=CRS_OPTIONS, default="", validate_choice=False)


class ConfirmForm(BaseForm):
    """Confirm exactly the previewed plan (its digest)."""

    digest = HiddenField()


class DiscardForm(BaseForm):
    """Drop the upload."""
