"""Small assertions shared by the functional and integration tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser

from flask import Flask
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from app.extensions import db
from app.models import AuditEvent

_HAN = re.compile(r"[\u4e00-\u9fff]")


def is_chinese(text: object) -> bool:
    """True when the text carries Chinese characters (every user-facing message must)."""
    return isinstance(text, str) and bool(_HAN.search(text))


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in every table, to prove that a request wrote nothing.

    Refusals themselves are audited (`security.*` rows: a 403, a missing CSRF token), so those
    audit rows do not count as the request having written something.
    """
    with app.app_context():
        counts = {
            table.name: db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in db.metadata.sorted_tables
        }
        counts["audit_events"] = (
            db.session.scalar(
                select(func.count())
                .select_from(AuditEvent)
                .where(AuditEvent.action.not_like("security.%"))
            )
            or 0
        )
        db.session.remove()
        return counts


def assert_api_refusal(response: TestResponse, field: str | None, status: int = 400) -> dict:
    """A JSON refusal with the status, naming `field` (when given), in Chinese."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"] == status
    assert is_chinese(body["message"]), body
    if field is not None:
        assert body.get("field") == field, body
    return body


class _FormReader(HTMLParser):
    """Collects what a browser would submit from the first form matching a predicate."""

    def __init__(self, wanted: Callable[[dict[str, str]], bool]) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.inside = False
        self.done = False
        self.values: dict[str, str] = {}
        self._select: str | None = None
        self._select_first: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and not self.done and not self.inside and self.wanted(a):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind not in ("submit", "button", "file"):
                self.values[name] = a.get("value", "")
        elif tag == "select" and name:
            self._select, self._select_first = name, None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
                self.values.setdefault(self._select, value)
            if "selected" in a:
                self.values[self._select] = value
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            if self._textarea:
                # Browsers normalise CRLF and drop the newline that follows <textarea>.
                value = self.values[self._textarea].replace("\r\n", "\n")
                self.values[self._textarea] = value.removeprefix("\n")
            self._textarea = None
        elif tag == "form" and self.inside:
            self.inside, self.done = False, True


def form_values(html: str, *, css_class: str | None = None, action: str | None = None) -> dict:
    """The fields of the first form with that class (or action ending), as a browser sends them."""

    def wanted(attrs: dict[str, str]) -> bool:
        if css_class is not None and css_class not in attrs.get("class", "").split():
            return False
        return action is None or attrs.get("action", "").endswith(action)

    reader = _FormReader(wanted)
    reader.feed(html)
    assert reader.done, f"no form with class={css_class!r} action={action!r}"
    return reader.values


def field_errors(html: str, name: str) -> list[str]:
    """The error messages shown next to the form field `name` (macros/forms.html `field`)."""
    for block in re.split(r'<div class="field', html)[1:]:
        block = block.split("</div>", 1)[0]
        if re.search(rf'name="{re.escape(name)}"', block):
            return [unescape(m) for m in re.findall(r'<p class="error">(.*?)</p>', block)]
    raise AssertionError(f"no field {name!r} in the page")


def flashes(html: str) -> list[str]:
    """The flashed messages of a page, in order."""
    return [unescape(m) for m in re.findall(r'<li class="flash flash-\w+">(.*?)</li>', html)]
