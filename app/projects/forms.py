"""Project forms; the 附件3 fact fields are generated from `cases.taxonomy.FACT_FIELDS`."""

from __future__ import annotations

from typing import Any

from wtforms import (
    BooleanField,
    DateField,
    Field,
    FloatField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.forms import BaseForm
from app.services.projects import ProjectInput, parse_input_facts
from cases.facts import Facts, facts_to_dict
from cases.taxonomy import DEFECT_TYPES, DEPARTMENTS, DISTRICTS, FACT_FIELDS, PATHS, FactField


def options(pairs: object) -> list[SelectChoice]:
    """Select options from (value, label) pairs or a {value: label} mapping."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]  # type: ignore[attr-defined]


TRI_STATE = options([("", "不详"), ("1", "是"), ("0", "否")])
FACT_PREFIX = "fact_"


def _tri_state_to_bool(value: str | None) -> bool | None:
    return {"1": True, "0": False}.get(value or "")


def _bool_to_tri_state(value: bool | None) -> str:
    return "" if value is None else ("1" if value else "0")


def _fact_field(spec: FactField) -> Field:
    """A WTForms field for one fact; every one may be left unknown."""
    if spec.kind == "bool":
        return SelectField(spec.label, choices=TRI_STATE, default="")
    if spec.kind == "enum":
        assert spec.choices is not None
        return SelectField(
            spec.label, choices=options([("", "不详"), *spec.choices.items()]), default=""
        )
    if spec.kind == "date":
        return DateField(
            spec.label, validators=[Optional()], format="%Y-%m-%d", render_kw={"type": "date"}
        )
    return IntegerField(
        spec.label,
        validators=[Optional(), NumberRange(min=0, message="不能为负数。")],
        render_kw={"min": 0},
    )


class ProjectForm(BaseForm):
    """Create or edit a project and its facts."""

    name = StringField(
        "项目名称", validators=[DataRequired("请填写项目名称。"), Length(max=128, message="过长。")]
    )
    district = SelectField("所属县区", choices=options((c, d.name) for c, d in DISTRICTS.items()))
    address = StringField("街道/地址", validators=[Length(max=255, message="过长。")])
    developer = StringField("开发建设单位", validators=[Length(max=128, message="过长。")])
    developer_exists = SelectField("开发建设单位是否存续", choices=TRI_STATE, default="")
    total_households = IntegerField(
        "总户数",
        validators=[InputRequired("请填写总户数。"), NumberRange(min=0, message="不能为负数。")],
        default=0,
    )
    certified_households = IntegerField(
        "已办证户数",
        validators=[
            InputRequired("请填写已办证户数。"),
            NumberRange(min=0, message="不能为负数。"),
        ],
        default=0,
    )
    lon = FloatField("经度（WGS84）", validators=[Optional()])
    lat = FloatField("纬度（WGS84）", validators=[Optional()])
    leader = StringField("包抓领导", validators=[Length(max=64, message="过长。")])
    notes = TextAreaField("备注", validators=[Length(max=4000, message="过长。")])
    version = HiddenField()

    def validate_certified_households(self, field: Field) -> None:
        """已办证户数 cannot exceed 总户数 (checked again by the service)."""
        total = self.total_households.data
        if field.data is not None and total is not None and field.data > total:
            # WTForms 3 collects only ValidationError; a bare ValueError would be a 500.
            raise ValidationError("已办证户数不能大于总户数。")

    def fact_fields(self) -> list[tuple[str, list[Field]]]:
        """The fact fields grouped by their section, in policy order, for the template."""
        groups: dict[str, list[Field]] = {}
        for spec in FACT_FIELDS:
            groups.setdefault(spec.group, []).append(self[FACT_PREFIX + spec.name])
        return list(groups.items())

    def facts(self) -> Facts:
        """The submitted facts as the engine's value object."""
        raw: dict[str, Any] = {}
        for spec in FACT_FIELDS:
            value = self[FACT_PREFIX + spec.name].data
            if spec.kind == "bool":
                value = _tri_state_to_bool(value)
            elif spec.kind == "enum":
                value = value or None
            elif spec.kind == "date":
                value = value.isoformat() if value else None
            raw[spec.name] = value
        return parse_input_facts(raw)

    def to_input(self) -> ProjectInput:
        """The form's data for the service."""
        return ProjectInput(
            name=self.name.data or "",
            district=self.district.data or "",
            address=self.address.data or "",
            developer=self.developer.data or "",
            developer_exists=_tri_state_to_bool(self.developer_exists.data),
            total_households=self.total_households.data or 0,
            certified_households=self.certified_households.data or 0,
            lon=self.lon.data,
            lat=self.lat.data,
            leader=self.leader.data or "",
            notes=self.notes.data or "",
            facts=self.facts(),
        )

    def fill_from(self, data: ProjectInput, version: int) -> None:
        """Pre-fill an edit form from the current project."""
        self.name.data = data.name
        self.district.data = data.district
        self.address.data = data.address
        self.developer.data = data.developer
        self.developer_exists.data = _bool_to_tri_state(data.developer_exists)
        self.total_households.data = data.total_households
        self.certified_households.data = data.certified_households
        self.lon.data = data.lon
        self.lat.data = data.lat
        self.leader.data = data.leader
        self.notes.data = data.notes
        self.version.data = str(version)
        facts = facts_to_dict(data.facts)
        for spec in FACT_FIELDS:
            value = facts.get(spec.name)
            field = self[FACT_PREFIX + spec.name]
            if spec.kind == "bool":
                field.data = _bool_to_tri_state(value)  # type: ignore[arg-type]
            elif spec.kind == "date":
                field.data = getattr(data.facts, spec.name)
            elif spec.kind == "enum":
                field.data = value or ""
            else:
                field.data = value

    def field_for(self, service_field: str) -> Field | None:
        """The form field a service refusal names (`facts.x` is `fact_x`)."""
        name = service_field.replace("facts.", FACT_PREFIX, 1)
        return self._fields.get(name)


for _spec in FACT_FIELDS:
    setattr(ProjectForm, FACT_PREFIX + _spec.name, _fact_field(_spec))


class OverrideForm(BaseForm):
    """A caseworker's correction of a proposed path, with its reason."""

    path = SelectField("化解路径", choices=[])
    reason = TextAreaField(
        "调整理由",
        validators=[
            DataRequired("请写明调整理由。"),
            Length(min=4, max=2000, message="理由须为 4–2000 个字。"),
        ],
    )
    version = HiddenField()

    def for_type(self, defect_type: str) -> OverrideForm:
        """Offer only the paths of this defect type."""
        self.path.choices = options((p, PATHS[p].name) for p in DEFECT_TYPES[defect_type].paths)
        return self


class DefectActionForm(BaseForm):
    """Inputs any lifecycle action may need; `cases.workflow` decides which are required."""

    deadline = DateField("办理时限", validators=[Optional()], render_kw={"type": "date"})
    review_date = DateField("复核日期", validators=[Optional()], render_kw={"type": "date"})
    decision_date = DateField("批复日期", validators=[Optional()], render_kw={"type": "date"})
    document_number = StringField("批复文号", validators=[Length(max=64, message="过长。")])
    reason = TextAreaField("理由", validators=[Length(max=2000, message="过长。")])
    result = TextAreaField("办理结果", validators=[Length(max=4000, message="过长。")])
    # The domain checks the department code (and only for 改派), so the select does not.
    lead = SelectField(
        "改派牵头部门",
        choices=options([("", "请选择"), *((c, d.name) for c, d in DEPARTMENTS.items())]),
        validate_choice=False,
    )
    facts_clear = BooleanField("事实清楚")
    problem_solved = BooleanField("问题解决")
    task_done = BooleanField("任务完成")
    files = MultipleFileField("佐证材料（PDF、图片、Word、Excel）")
    version = HiddenField()

    def payload(self) -> dict[str, object]:
        """Everything submitted, for the domain to check."""
        return {
            "deadline": self.deadline.data,
            "review_date": self.review_date.data,
            "decision_date": self.decision_date.data,
            "document_number": self.document_number.data or "",
            "reason": self.reason.data or "",
            "result": self.result.data or "",
            "lead": self.lead.data or None,
            "facts_clear": bool(self.facts_clear.data),
            "problem_solved": bool(self.problem_solved.data),
            "task_done": bool(self.task_done.data),
        }

    def fields_for(self, requires: tuple[str, ...]) -> list[Field]:
        """The inputs one action asks for, in the order the table lists them."""
        names = {
            "deadline": ["deadline"],
            "review_date": ["review_date"],
            "decision_date": ["decision_date"],
            "document_number": ["document_number"],
            "reason": ["reason"],
            "result": ["result"],
            "lead": ["lead"],
            "checklist": ["facts_clear", "problem_solved", "task_done"],
            "evidence": ["files"],
        }
        return [self[n] for r in requires for n in names.get(r, [])]


class PlanForm(BaseForm):
    """一项目一策: the plan text and planned month of one defect."""

    plan_text = TextAreaField(
        "化解计划（一项目一策）", validators=[Length(max=4000, message="过长。")]
    )
    planned_month = StringField(
        "计划完成月份",
        validators=[
            Optional(),
            Regexp(r"^(19|20)\d\d-(0[1-9]|1[0-2])$", message="格式应为 YYYY-MM，例如 2024-09。"),
        ],
        render_kw={"placeholder": "2024-09", "pattern": r"\d{4}-\d{2}"},
    )
    # Kept with the step when the month moves later: the 台账's 延期原因.
    delay_reason = StringField(
        "延期原因（推迟计划完成月份时填写）", validators=[Length(max=500, message="过长。")]
    )
    version = HiddenField()


class CertificateForm(BaseForm):
    """Certificates issued on a date (首次登记 / 本月办证)."""

    entry_date = DateField(
        "办证日期", validators=[InputRequired("请填写办证日期。")], render_kw={"type": "date"}
    )
    households = IntegerField(
        "本次办证户数",
        validators=[InputRequired("请填写户数。"), NumberRange(min=1, message="至少 1 户。")],
    )
    note = StringField("说明", validators=[Length(max=255, message="过长。")])
    version = HiddenField()
