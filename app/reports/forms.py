"""Report forms: ask for a report, edit a text of the report wording."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm
from app.models import REPORT_FORMATS, REPORT_KINDS
from app.projects.forms import options


class JobForm(BaseForm):
    """Generate a quarterly report or a 调度通报 (validated again by the service)."""

    kind = SelectField("报告类型", choices=options(REPORT_KINDS))
    period = StringField("报告期", validators=[DataRequired("请选择报告期。"), Length(max=8)])
    format = SelectField("格式", choices=options(REPORT_FORMATS), default="docx")
    district = SelectField(
        "范围", choices=options([("", "全市")]), default="", validate_choice=False
    )


class TextForm(BaseForm):
    """One text of the report wording."""

    body = TextAreaField("报告文字", validators=[DataRequired("报告文字不能为空。")])
    version = HiddenField()


class ResetForm(BaseForm):
    """Go back to the shipped wording."""

    version = HiddenField()
