"""Forms of the 提示建议单 pages; the service checks every value again with Chinese messages."""

from __future__ import annotations

from typing import ClassVar

from wtforms import DateField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.forms import BaseForm
from app.projects.forms import options
from app.services.prompts import ISSUER, SheetInput
from cases.taxonomy import DEPARTMENTS


class SheetForm(BaseForm):
    """Addressee, 事由 and content of a new sheet."""

    department = SelectField(
        "送达部门",
        choices=options(
            [("", "请选择"), *((c, d.name) for c, d in DEPARTMENTS.items() if c != ISSUER)]
        ),
        validate_choice=False,
    )
    subject = StringField("事由", validators=[Length(max=128, message="不能超过 128 个字。")])
    content = TextAreaField(
        "提示建议内容", validators=[Length(max=4000, message="不能超过 4000 个字。")]
    )

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]

    def to_input(self) -> SheetInput:
        """The form's data for the service."""
        return SheetInput(
            department=self.department.data or "",
            subject=self.subject.data or "",
            content=self.content.data or "",
        )

    def fill_from(self, data: SheetInput) -> None:
        """Pre-fill from a draft."""
        self.department.data = data.department
        self.subject.data = data.subject
        self.content.data = data.content


class ReplyForm(BaseForm):
    """The addressed department's reply and its date."""

    reply = TextAreaField("回复内容", validators=[Length(max=4000, message="不能超过 4000 个字。")])
    reply_date = DateField("回复日期", validators=[Optional()], render_kw={"type": "date"})
    version = HiddenField()

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]
