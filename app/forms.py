"""The base of every form: WTForms' own Chinese messages for type and choice errors."""

from __future__ import annotations

from typing import Any, ClassVar

from flask_wtf import FlaskForm
from wtforms.meta import DefaultMeta


class BaseForm(FlaskForm):
    """FlaskForm with Chinese built-in messages (日期、整数、选项…).

    Flask-WTF translates only through Flask-Babel, which this app does not use; without this it
    ignores `locales` and shows "Not a valid choice." in English.
    """

    class Meta:
        locales: ClassVar[list[str]] = ["zh"]

        def get_translations(self, form: Any) -> Any:
            """WTForms' bundled catalogue for `locales`."""
            return DefaultMeta.get_translations(self, form)  # type: ignore[arg-type]
