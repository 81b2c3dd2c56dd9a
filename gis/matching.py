"""Match the features of an uploaded file to projects, by project code first, then by name."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Attribute names (compared after `_key`) under which GIS files carry a project's code or name.
CODE_FIELDS = ("code", "projectcode", "project_code", "xmbh", "项目编号", "项目代码", "编号")
NAME_FIELDS = ("name", "projectname", "project_name", "xmmc", "项目名称", "小区名称", "名称")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A project a feature may be matched to (only those the uploader may edit)."""

    code: str
    name: str
    adcode: str
    lon: float | None = None
    lat: float | None = None
    version: int = 0


@dataclass(frozen=True, slots=True)
class Match:
    """The project a feature was matched to (None when none), how, and why not when not."""

    code: str | None
    by: str | None  # "code" | "name" | None
    message: str = ""


def _key(text: str) -> str:
    """Normalise for comparison: NFKC (full-width → half-width), no spaces, upper case."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).upper()


def find_field(columns: Iterable[str], wanted: Sequence[str]) -> str | None:
    """The first column whose normalised name is one of `wanted` (in `wanted` order)."""
    by_key = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
    for name in wanted:
        column = by_key.get(_key(name))
        if column is not None:
            return column
    return None


class Matcher:
    """Looks features up among the candidates; names that several projects share never match."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self.by_code: dict[str, Candidate] = {}
        self._by_name: dict[str, list[Candidate]] = {}
        for candidate in candidates:
            self.by_code[_key(candidate.code)] = candidate
            self._by_name.setdefault(_key(candidate.name), []).append(candidate)

    def match(
        self, properties: Mapping[str, str], code_field: str | None, name_field: str | None
    ) -> Match:
        """Match one feature's attributes."""
        code = (properties.get(code_field, "") if code_field else "").strip()
        name = (properties.get(name_field, "") if name_field else "").strip()
        if code:
            found = self.by_code.get(_key(code))
            if found is not None:
                return Match(found.code, "code")
            if not name:
                return Match(None, None, f"没有可编辑的项目编号为“{code}”的项目。")
        if name:
            hits = self._by_name.get(_key(name), [])
            if len(hits) == 1:
                return Match(hits[0].code, "name")
            if len(hits) > 1:
                codes = "、".join(sorted(c.code for c in hits))
                return Match(
                    None, None, f"名称“{name}”对应多个项目（{codes}），请在文件中填写项目编号。"
                )
            prefix = f"项目编号“{code}”和" if code else ""
            return Match(None, None, f"没有可编辑的{prefix}名称为“{name}”的项目。")
        return Match(None, None, "要素没有项目编号或项目名称属性。")
