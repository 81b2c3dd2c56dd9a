"""Errors a use case raises; the web and API layers turn them into pages and status codes."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every refusal a use case makes; `message` is Chinese and shown to the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """The record does not exist or lies outside the caller's scope (the two are not told apart)."""

    def __init__(self, message: str = "没有找到该记录。") -> None:
        super().__init__(message)


class Forbidden(ServiceError):
    """The caller may see the record but not do this to it."""

    def __init__(self, message: str = "您没有权限执行此操作。") -> None:
        super().__init__(message)


class InvalidInput(ServiceError):
    """A field's value is refused; `field` names it for the form or the API body."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StaleVersion(ServiceError):
    """The record changed since the caller read it (optimistic locking)."""

    def __init__(self, current_version: int, current: dict[str, Any] | None = None) -> None:
        super().__init__("该记录已被他人修改，您的修改未保存。请查看最新内容后重新提交。")
        self.current_version = current_version
        self.current = current or {}
