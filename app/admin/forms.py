"""Account forms for the administrator."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.forms import BaseForm
from app.models import ROLES
from app.services.accounts import WEB_ASSIGNABLE_ROLES
from cases.taxonomy import DEPARTMENTS, DISTRICTS


def _role_choices(include_auditor: bool) -> list[tuple[str, str]]:
    roles = ROLES if include_auditor else WEB_ASSIGNABLE_ROLES
    return [(code, ROLES[code]) for code in roles]


class AccountForm(BaseForm):
    """Name, role and binding; the user name only when creating."""

    username = StringField("用户名", validators=[Length(max=64)])
    display_name = StringField(
        "名称", validators=[DataRequired("请输入名称。"), Length(max=64, message="名称过长。")]
    )
    role = SelectField("角色", choices=[], validate_choice=False)
    district = SelectField("所属县区（县区用户）", choices=[], validate_choice=False)
    department = SelectField("所属部门（部门用户）", choices=[], validate_choice=False)
    version = HiddenField()

    def setup(self, *, current_role: str | None = None) -> AccountForm:
        """Fill the choices; an auditor being edited keeps its (unchangeable) role listed."""
        self.role.choices = _role_choices(include_auditor=current_role == "auditor")
        self.district.choices = [("", "—"), *((c, d.name) for c, d in DISTRICTS.items())]
        self.department.choices = [("", "—"), *((c, d.name) for c, d in DEPARTMENTS.items())]
        return self

    def field_for(self, name: str):  # noqa: ANN201
        """The form field a service error names, if any."""
        return getattr(self, name, None)
