"""Login, password change and token forms."""

from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from app.forms import BaseForm


class LoginForm(BaseForm):
    """Username and password."""

    username = StringField("用户名", validators=[DataRequired("请输入用户名。"), Length(max=64)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码。"), Length(max=256)])


class ChangePasswordForm(BaseForm):
    """The current password, and the new one twice."""

    current_password = PasswordField(
        "当前密码", validators=[DataRequired("请输入当前密码。"), Length(max=256)]
    )
    password = PasswordField("新密码", validators=[DataRequired("请输入新密码。"), Length(max=256)])
    confirm = PasswordField(
        "再次输入新密码",
        validators=[
            DataRequired("请再次输入新密码。"),
            EqualTo("password", "两次输入的新密码不一致。"),
        ],
    )

    def field_for(self, name: str):  # noqa: ANN201
        """The form field a service error names, if any."""
        return getattr(self, name, None)
