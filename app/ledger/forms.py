"""Ledger forms: the upload, and the confirmation of a previewed import."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField

from app.forms import BaseForm


class UploadForm(BaseForm):
    """An Excel 台账 to check; the service refuses anything but a sane .xlsx, in Chinese."""

    # No FileAllowed: the service's refusal says what to do with an .xls, .xlsm or .csv.
    file = FileField("台账文件（.xlsx）", validators=[FileRequired("请选择要导入的 .xlsx 文件。")])


class ConfirmForm(BaseForm):
    """Apply a previewed import; differences with the engine must be ticked as checked."""

    version = HiddenField()
    confirmed = BooleanField("我已核对上述问题类型差异，导入后以引擎按事实认定的结果为准")


class DiscardForm(BaseForm):
    """Drop a previewed import."""

    version = HiddenField()
