"""Forms of the 群众诉求 pages; the service checks every value again with Chinese messages."""

from __future__ import annotations

from typing import ClassVar

from wtforms import (
    DateField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional

from app.forms import BaseForm
from app.models import COMPLAINT_SOURCES
from app.projects.forms import options
from app.services.attachments import Upload
from app.services.complaints import ComplaintInput
from cases.taxonomy import DISTRICTS

FILES_LABEL = "附件（PDF、图片、Word、Excel，每个不超过 20 MB）"


def uploads_of(field: MultipleFileField) -> list[Upload]:
    """The files a multiple-file input received (empty inputs skipped)."""
    return [Upload(f.filename or "", f.stream) for f in (field.data or []) if f and f.filename]


class ComplaintForm(BaseForm):
    """Record a complaint; the choices are checked by the service so its message is shown."""

    source = SelectField(
        "诉求来源",
        choices=options([("", "请选择"), *COMPLAINT_SOURCES.items()]),
        validate_choice=False,
    )
    received_on = DateField("受理日期", validators=[Optional()], render_kw={"type": "date"})
    district = SelectField("所属县区", choices=[], validate_choice=False)
    place = StringField(
        "涉及小区或地址", validators=[Length(max=255, message="不能超过 255 个字。")]
    )
    name = StringField("诉求人姓名（选填）", validators=[Length(max=64, message="过长。")])
    phone = StringField(
        "联系电话（选填）",
        validators=[Length(max=32, message="过长。")],
        render_kw={"inputmode": "tel", "autocomplete": "off"},
    )
    id_number = StringField(
        "身份证号码（选填）",
        validators=[Length(max=32, message="过长。")],
        render_kw={"autocomplete": "off"},
    )
    content = TextAreaField(
        "诉求内容", validators=[Length(max=4000, message="不能超过 4000 个字。")]
    )
    files = MultipleFileField(FILES_LABEL)

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]

    def for_districts(self, codes: list[str]) -> ComplaintForm:
        """Offer the districts the user may record in."""
        self.district.choices = options((c, DISTRICTS[c].name) for c in codes)
        return self

    def to_input(self) -> ComplaintInput:
        """The form's data for the service."""
        return ComplaintInput(
            source=self.source.data or "",
            received_on=self.received_on.data,
            district=self.district.data or "",
            place=self.place.data or "",
            name=self.name.data or "",
            phone=self.phone.data or "",
            id_number=self.id_number.data or "",
            content=self.content.data or "",
        )


class LinkForm(BaseForm):
    """Link the complaint to a project picked by its code."""

    project = StringField(
        "项目编号",
        validators=[Length(max=16, message="项目编号过长。")],
        render_kw={"list": "project-codes", "placeholder": "例如 DWK-0001", "autocomplete": "off"},
    )
    version = HiddenField()

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]


class AnswerForm(BaseForm):
    """The answer given to the complainant."""

    answer = TextAreaField(
        "答复内容", validators=[Length(max=4000, message="不能超过 4000 个字。")]
    )
    version = HiddenField()

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]


class AttachForm(BaseForm):
    """More files for a complaint."""

    files = MultipleFileField(FILES_LABEL)

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]


class RevealForm(BaseForm):
    """A button: show this complaint's personal data in full (audited)."""

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]
