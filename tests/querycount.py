"""Count the SQL statements a block of code sends, to keep pages at a constant number of queries."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db


class QueryCounter:
    """`with QueryCounter(app) as q: ...` then `q.count` and `q.statements`."""

    def __init__(self, app: Flask) -> None:
        with app.app_context():
            self.engine: Engine = db.engine
        self.statements: list[str] = []

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)

    def __enter__(self) -> QueryCounter:
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.statements)

    def report(self) -> str:
        """The statements, one line each, for an assertion message."""
        return "\n".join(
            f"{i + 1:3d}. {s.split(chr(10))[0][:140]}" for i, s in enumerate(self.statements)
        )
