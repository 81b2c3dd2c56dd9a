"""Pages and API answers cost the same number of SQL statements for 3 projects as for 30."""

from __future__ import annotations

import pytest

from tests.factories import FIRE_WINDOW_FACTS, bearer, login
from tests.querycount import QueryCounter

# Five defects, two of them with cooperating departments, one needing review.
MANY_DEFECTS = {
    **FIRE_WINDOW_FACTS,
    "land_procedures_complete": False,
    "government_led": True,
    "project_type": "resettlement",
    "land_premium_unpaid": True,
    "sales_invoice_obtainable": False,
    "invoice_obstacle": "resettlement_swap",
    "swap_price_difference_paid": True,
    "completion_filed": False,
    "in_litigation": True,
}


@pytest.fixture()
def caseworker(factory):
    return factory.user("caseworker", username="cwcount")


def _add_projects(factory, caseworker, n: int) -> list[str]:
    districts = ("dwk", "hn", "pl")
    return [
        factory.project(district=districts[i % 3], facts=MANY_DEFECTS, actor=caseworker).code
        for i in range(n)
    ]


def _count(app, client, url: str, **kw) -> QueryCounter:
    client.get(url, **kw)  # warm caches (district boundaries, templates) outside the count
    with QueryCounter(app) as counter:
        answer = client.get(url, **kw)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return counter


def _assert_same(small: QueryCounter, large: QueryCounter) -> None:
    assert small.count == large.count, (
        f"{small.count} statements for few rows:\n{small.report()}\n\n"
        f"{large.count} statements for many rows:\n{large.report()}"
    )


def test_project_list_page_costs_the_same_for_3_and_30_projects(app, client, factory, caseworker):
    _add_projects(factory, caseworker, 3)
    login(client, caseworker.username)
    small = _count(app, client, "/projects")
    _add_projects(factory, caseworker, 27)
    large = _count(app, client, "/projects")
    assert large.count <= 15, large.report()
    _assert_same(small, large)


def test_filtered_list_page_costs_the_same_for_3_and_30_projects(app, client, factory, caseworker):
    _add_projects(factory, caseworker, 3)
    login(client, caseworker.username)
    url = "/projects?type=fire&lead=housing&q=测试"
    small = _count(app, client, url)
    _add_projects(factory, caseworker, 27)
    _assert_same(small, _count(app, client, url))


@pytest.mark.parametrize("role", ["caseworker", "department"])
def test_api_list_costs_the_same_for_3_and_30_projects(app, client, factory, caseworker, role):
    user = caseworker if role == "caseworker" else factory.user(role, department="tax")
    auth = bearer(factory.token(user))
    _add_projects(factory, caseworker, 3)
    small = _count(app, client, "/api/v1/projects?per_page=50", headers=auth)
    _add_projects(factory, caseworker, 27)
    large = _count(app, client, "/api/v1/projects?per_page=50", headers=auth)
    assert len(client.get("/api/v1/projects?per_page=50", headers=auth).get_json()["items"]) == 30
    _assert_same(small, large)


def test_project_detail_page_costs_the_same_for_one_or_many_defects(
    app, client, factory, caseworker
):
    one = factory.project(facts=FIRE_WINDOW_FACTS, actor=caseworker).code
    many = factory.project(facts=MANY_DEFECTS, actor=caseworker).code
    login(client, caseworker.username)
    small = _count(app, client, f"/projects/{one}")
    large = _count(app, client, f"/projects/{many}")
    _assert_same(small, large)


def test_api_project_costs_the_same_for_one_or_many_defects(app, client, factory, caseworker):
    auth = bearer(factory.token(caseworker))
    one = factory.project(facts=FIRE_WINDOW_FACTS, actor=caseworker).code
    many = factory.project(facts=MANY_DEFECTS, actor=caseworker).code
    small = _count(app, client, f"/api/v1/projects/{one}", headers=auth)
    large = _count(app, client, f"/api/v1/projects/{many}", headers=auth)
    _assert_same(small, large)
