"""The facts of one project (annex3-rules.md, Facts) and their strict JSON parsing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cases.taxonomy import FACT_FIELDS, FACT_FIELDS_BY_NAME, FactField

# fullmatch with ASCII digits only: date.fromisoformat alone would also accept 20030201 or
# non-ASCII digits, which the contract does not allow.
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


@dataclass(frozen=True)
class Facts:
    """What is known about a project; `None` means unknown (annex3-rules.md, Facts)."""

    project_type: str | None = None
    government_led: bool | None = None
    institution_own_land: bool | None = None
    land_procedures_complete: bool | None = None
    land_premium_unpaid: bool | None = None
    taxes_unpaid: bool | None = None
    policy_housing_sold_as_commercial: bool | None = None
    allocated_self_built_sold: bool | None = None
    sales_invoice_obtainable: bool | None = None
    invoice_obstacle: str | None = None
    swap_price_difference_paid: bool | None = None
    planning_permit_obtained: bool | None = None
    planning_verified: bool | None = None
    planning_supplementable: bool | None = None
    conforms_territorial_plan: bool | None = None
    planning_partially_conforming: bool | None = None
    public_housing_shortfall: bool | None = None
    planning_violation: bool | None = None
    completion_filed: bool | None = None
    completion_supplementable: bool | None = None
    quality_and_fire_accepted: bool | None = None
    construction_records_lost: bool | None = None
    fire_acceptance_done: bool | None = None
    construction_start_date: dt.date | None = None
    completion_date: dt.date | None = None
    altered_or_expanded: bool | None = None
    in_litigation: bool | None = None
    buyers_at_fault: bool | None = None
    oversize_units: int | None = None


class FactsError(ValueError):
    """A fact that cannot be accepted; `field` names it ("" for the whole object)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}：{message}" if field else message)
        self.field = field
        self.message = message


def _parse_bool(spec: FactField, raw: object) -> bool:
    """JSON true/false only: 0/1 and strings are refused so a typo cannot flip a rule."""
    if raw is True or raw is False:
        return raw
    raise FactsError(spec.name, f"{spec.label}应为 true、false 或 null")


def _parse_int(spec: FactField, raw: object) -> int:
    """A non-negative JSON integer; bool is an int subclass in Python and must be refused."""
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FactsError(spec.name, f"{spec.label}应为非负整数")
    if raw < 0:
        raise FactsError(spec.name, f"{spec.label}不能为负数")
    return raw


def _parse_date(spec: FactField, raw: object) -> dt.date:
    """A `YYYY-MM-DD` string naming a real calendar day (or a date object)."""
    if isinstance(raw, dt.datetime):
        # A datetime would not survive facts_to_dict as a plain date.
        raise FactsError(spec.name, f"{spec.label}：日期格式应为 YYYY-MM-DD")
    if isinstance(raw, dt.date):
        return raw
    if not isinstance(raw, str) or not _ISO_DATE.fullmatch(raw):
        raise FactsError(spec.name, f"{spec.label}：日期格式应为 YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise FactsError(spec.name, f"{spec.label}：{raw} 不是有效日期") from None


def _parse_enum(spec: FactField, raw: object) -> str:
    """One of the codes of the field's choices."""
    choices = spec.choices or {}
    if isinstance(raw, str) and raw in choices:
        return raw
    allowed = "、".join(choices)
    raise FactsError(spec.name, f"{spec.label}取值无效：{raw!r}，应为 {allowed} 之一")


def _parse_value(spec: FactField, raw: object) -> object:
    """Dispatch on the field's kind; `None` always means unknown."""
    if raw is None:
        return None
    if spec.kind == "bool":
        return _parse_bool(spec, raw)
    if spec.kind == "int":
        return _parse_int(spec, raw)
    if spec.kind == "date":
        return _parse_date(spec, raw)
    return _parse_enum(spec, raw)


def parse_facts(data: Mapping[str, object]) -> Facts:
    """Strict JSON-semantics parsing of a facts object; raises FactsError on the first bad field."""
    if not isinstance(data, Mapping):
        raise FactsError("", "事实数据应为 JSON 对象")
    values: dict[str, Any] = {}
    for key, raw in data.items():
        spec = FACT_FIELDS_BY_NAME.get(key) if isinstance(key, str) else None
        if spec is None:
            raise FactsError(str(key), f"未知字段：{key}")
        values[key] = _parse_value(spec, raw)
    return Facts(**values)


def facts_to_dict(facts: Facts, *, include_unknown: bool = False) -> dict[str, object]:
    """The JSON object of `facts` in table order; unknown facts are omitted unless asked for."""
    out: dict[str, object] = {}
    for spec in FACT_FIELDS:
        value = getattr(facts, spec.name)
        if value is None and not include_unknown:
            continue
        out[spec.name] = value.isoformat() if isinstance(value, dt.date) else value
    return out
