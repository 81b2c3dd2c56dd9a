"""The demo ledger and the synthetic generator: valid facts, right districts, full coverage."""

import datetime as dt
import re
import time
from collections import Counter

import pytest

from app.demo.dataset import demo_projects, generate_projects
from cases.classify import Classification, classify
from cases.facts import parse_facts
from cases.taxonomy import DEFECT_TYPES, DISTRICTS, PATHS, PROJECT_TYPES
from gis.districts import default_boundaries

LEDGER_DATE = dt.date(2024, 6, 30)
KEYS = {
    "code",
    "name",
    "district",
    "address",
    "developer",
    "developer_exists",
    "total_households",
    "certified_households",
    "lon",
    "lat",
    "leader",
    "notes",
    "facts",
}


@pytest.fixture(scope="module")
def demo() -> list[dict[str, object]]:
    return demo_projects()


@pytest.fixture(scope="module")
def classified(demo) -> list[tuple[dict[str, object], Classification]]:
    return [(p, classify(parse_facts(p["facts"]))) for p in demo]


def _by_code(classified, code: str) -> Classification:
    return next(c for p, c in classified if p["code"] == code)


def _check_row(project: dict[str, object]) -> None:
    """What every row, hand-written or generated, must satisfy."""
    assert set(project) == KEYS
    assert project["district"] in DISTRICTS
    assert re.fullmatch(r"[A-Z]+-\d{4,}", str(project["code"]))
    assert str(project["code"]).startswith(DISTRICTS[project["district"]].prefix + "-")
    for text in ("name", "address", "developer", "leader", "notes"):
        assert isinstance(project[text], str) and project[text], text
    assert isinstance(project["developer_exists"], bool)
    total, certified = project["total_households"], project["certified_households"]
    assert isinstance(total, int) and isinstance(certified, int)
    assert 0 <= certified <= total
    facts = parse_facts(project["facts"])
    assert facts.project_type in PROJECT_TYPES
    if facts.construction_start_date and facts.completion_date:
        assert facts.construction_start_date < facts.completion_date
    for date in (facts.construction_start_date, facts.completion_date):
        assert date is None or date <= LEDGER_DATE  # the forms refuse dates in the future
    adcode = default_boundaries().locate(project["lon"], project["lat"])
    assert adcode == DISTRICTS[project["district"]].adcode, project["code"]


def test_demo_has_about_sixty_projects_with_unique_codes(demo):
    assert 55 <= len(demo) <= 70
    codes = [p["code"] for p in demo]
    assert len(set(codes)) == len(codes)
    assert len({p["name"] for p in demo}) == len(demo)


def test_demo_codes_are_numbered_from_one_within_each_district(demo):
    for district, spec in DISTRICTS.items():
        codes = [p["code"] for p in demo if p["district"] == district]
        assert codes == [f"{spec.prefix}-{i:04d}" for i in range(1, len(codes) + 1)]
        assert len(codes) >= 15


def test_every_demo_row_is_valid_and_in_its_district(demo):
    for project in demo:
        _check_row(project)


def test_demo_rows_are_fresh_copies():
    first = demo_projects()
    first[0]["facts"]["project_type"] = "other"
    assert demo_projects()[0]["facts"]["project_type"] != "other"


def test_demo_covers_every_defect_type_and_every_path(classified):
    types = {d.type for _, c in classified for d in c.defects}
    paths = {d.path for _, c in classified for d in c.defects}
    assert types == set(DEFECT_TYPES)
    assert paths == set(PATHS)
    assert len(PATHS) == 21


def test_demo_has_review_cases_and_resolved_projects(classified):
    reviewed = [p for p, c in classified if c.needs_review]
    assert len(reviewed) >= 3
    assert len({r.type for _, c in classified for r in c.needs_review}) >= 3
    clean = [p for p, c in classified if not c.defects and not c.needs_review]
    assert len(clean) >= 2
    for project in clean:
        assert project["certified_households"] == project["total_households"]


def test_demo_has_every_project_type(demo):
    assert {p["facts"]["project_type"] for p in demo} == set(PROJECT_TYPES)


def test_demo_construction_spans_1985_to_2022(demo):
    years = [
        int(str(p["facts"]["construction_start_date"])[:4])
        for p in demo
        if "construction_start_date" in p["facts"]
    ]
    assert min(years) == 1985
    assert max(years) == 2022


@pytest.mark.parametrize(
    ("field", "date", "fire"),
    [
        ("completion_date", "1998-08-31", "fire_exempt"),
        ("completion_date", "1998-09-01", None),  # not "before": a review case
        ("construction_start_date", "1998-09-01", "fire_housing_review"),
        ("construction_start_date", "2020-06-29", "fire_housing_review"),
        ("construction_start_date", "2020-06-30", "fire_standard_procedure"),
    ],
)
def test_demo_has_the_fire_date_boundaries(classified, field, date, fire):
    matches = [(p, c) for p, c in classified if p["facts"].get(field) == date]
    assert matches, f"no project with {field} {date}"
    project, result = matches[0]
    assert project["facts"]["fire_acceptance_done"] is False
    fire_paths = [d.path for d in result.defects if d.type == "fire"]
    if fire is None:
        assert fire_paths == []
        assert [r.type for r in result.needs_review] == ["fire"]
    else:
        assert fire_paths == [fire]


def test_demo_realistic_combinations(classified):
    # A 房改房 of a factory on its own land, a 棚改 swap and an oversize 经适房.
    reform = [
        c
        for p, c in classified
        if p["facts"]["project_type"] == "reform" and p["facts"].get("institution_own_land")
    ]
    assert any("land_allocation" in {d.path for d in c.defects} for c in reform)
    shantytown_swaps = [
        d
        for p, c in classified
        if p["facts"]["project_type"] == "shantytown"
        for d in c.defects
        if d.path == "resettlement_government_invoice"
    ]
    assert shantytown_swaps
    oversize = [d for _, c in classified for d in c.defects if d.type == "oversize"]
    assert all(d.extras["units"] > 0 for d in oversize)


def test_resettlement_swap_covers_both_tax_bases(classified):
    bases = {
        d.extras["tax_basis"]
        for _, c in classified
        for d in c.defects
        if d.path == "resettlement_government_invoice"
    }
    assert bases == {"price_difference", "exempt"}


def test_generate_is_deterministic():
    assert generate_projects(200, 42) == generate_projects(200, 42)
    assert generate_projects(200, 42) != generate_projects(200, 43)
    assert generate_projects(0, 1) == []
    with pytest.raises(ValueError):
        generate_projects(-1, 1)


def test_generated_rows_are_valid():
    rows = generate_projects(500, 2024)
    assert len(rows) == 500
    codes = [p["code"] for p in rows]
    assert len(set(codes)) == len(codes)
    for project in rows:
        _check_row(project)
    per_district = Counter(p["district"] for p in rows)
    for district, spec in DISTRICTS.items():
        numbers = sorted(int(p["code"].split("-")[1]) for p in rows if p["district"] == district)
        assert numbers == list(range(1, per_district[district] + 1)), spec.prefix


def test_generated_rows_exercise_the_engine():
    results = [classify(parse_facts(p["facts"])) for p in generate_projects(500, 7)]
    assert sum(1 for c in results if c.needs_review) >= 5
    assert sum(1 for c in results if not c.defects and not c.needs_review) >= 5
    assert {d.type for c in results for d in c.defects} == set(DEFECT_TYPES)


def test_generate_ten_thousand_is_fast():
    default_boundaries()  # loading the file is not what is measured
    started = time.perf_counter()
    rows = generate_projects(10_000, 1)
    assert len(rows) == 10_000
    assert time.perf_counter() - started < 10
