"""POST /api/v1/classify: the contract's output, purity, strict input and authentication."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken
from cases.taxonomy import PATHS
from tests.checks import assert_api_refusal, is_chinese, row_counts
from tests.factories import FIRE_WINDOW_FACTS, bearer, csrf_token, login

URL = "/api/v1/classify"


@pytest.fixture()
def token(factory) -> str:
    return factory.token(factory.user("caseworker"))


def _defect(type_: str, path: str, lead: str, cooperating: list[str], clause: str, **extra):
    """The contract's defect object; the explanation is the policy text of the path."""
    approval = extra.pop("needs_government_approval", PATHS[path].needs_government_approval)
    return {
        "type": type_,
        "path": path,
        "lead": lead,
        "cooperating": cooperating,
        "needs_government_approval": approval,
        "clause": clause,
        "explanation": PATHS[path].explanation,
        **extra,
    }


CASES = {
    "fire_window_goes_to_the_housing_department": (
        FIRE_WINDOW_FACTS,
        [_defect("fire", "fire_housing_review", "housing", ["fire_rescue"], "附件3 三(一)6")],
        [],
    ),
    "government_led_resettlement_land_echoes_the_appraisal_date": (
        {
            "project_type": "resettlement",
            "government_led": True,
            "land_procedures_complete": False,
            "construction_start_date": "2003-05-01",
        },
        [
            _defect(
                "land",
                "land_allocation_or_agreement",
                "nr",
                ["district_government"],
                "附件3 三(一)1",
                appraisal_base_date="2003-05-01",
            )
        ],
        [],
    ),
    "arrears_need_government_approval": (
        {"land_premium_unpaid": True},
        [
            _defect(
                "arrears",
                "certificate_payment_separation",
                "nr",
                ["tax", "finance"],
                "附件3 三(一)2",
                needs_government_approval=True,
            )
        ],
        [],
    ),
    "resettlement_swap_adds_the_district_and_taxes_the_difference": (
        {
            "sales_invoice_obtainable": False,
            "invoice_obstacle": "resettlement_swap",
            "swap_price_difference_paid": True,
        },
        [
            _defect(
                "deed_tax",
                "resettlement_government_invoice",
                "tax",
                ["district_government"],
                "附件3 三(一)3",
                tax_basis="price_difference",
            )
        ],
        [],
    ),
    "oversize_affordable_units_are_echoed": (
        {"project_type": "affordable", "oversize_units": 12},
        [
            _defect(
                "oversize",
                "housing_approval_transfer",
                "housing",
                ["nr"],
                "附件3 三(一)9",
                units=12,
            )
        ],
        [],
    ),
}


@pytest.mark.parametrize(("facts", "defects", "needs_review"), CASES.values(), ids=list(CASES))
def test_classify_answers_the_contract_output(client, token, facts, defects, needs_review):
    answer = client.post(URL, json=facts, headers=bearer(token))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"defects": defects, "needs_review": needs_review}


def test_classify_lists_defects_in_the_order_of_the_annex_table(client, token):
    facts = {
        **FIRE_WINDOW_FACTS,
        "in_litigation": True,
        "land_premium_unpaid": True,
        "land_procedures_complete": False,
    }
    answer = client.post(URL, json=facts, headers=bearer(token)).get_json()
    assert [d["type"] for d in answer["defects"]] == ["land", "arrears", "fire", "litigation"]


def test_classify_of_no_trigger_answers_empty_lists(client, token):
    answer = client.post(URL, json={}, headers=bearer(token))
    assert answer.status_code == 200
    assert answer.get_json() == {"defects": [], "needs_review": []}


def test_classify_null_means_unknown_and_raises_nothing(client, token):
    answer = client.post(URL, json={"fire_acceptance_done": None}, headers=bearer(token))
    assert answer.get_json() == {"defects": [], "needs_review": []}


@pytest.mark.parametrize(
    ("facts", "type_", "missing"),
    [
        (
            {"completion_filed": False},
            "completion",
            ["completion_supplementable", "quality_and_fire_accepted", "construction_records_lost"],
        ),
        ({"fire_acceptance_done": False}, "fire", ["completion_date", "construction_start_date"]),
        ({"sales_invoice_obtainable": False}, "deed_tax", ["invoice_obstacle"]),
        ({"land_procedures_complete": False}, "land", ["project_type"]),
    ],
    ids=["completion", "fire", "deed_tax", "land"],
)
def test_classify_names_the_missing_facts_instead_of_guessing(client, token, facts, type_, missing):
    answer = client.post(URL, json=facts, headers=bearer(token)).get_json()
    assert answer["defects"] == []
    [review] = answer["needs_review"]
    assert review["type"] == type_
    assert review["missing"] == missing
    assert is_chinese(review["reason"])


def test_classify_stores_nothing(app, client, token):
    before = row_counts(app)
    for facts in (FIRE_WINDOW_FACTS, {"completion_filed": False}, {"oversize_units": -1}):
        client.post(URL, json=facts, headers=bearer(token))
    assert row_counts(app) == before
    assert before["projects"] == 0


# ---------------------------------------------------------------- bad input

BAD_FACTS = {
    "unknown_field": ({"fire_accepted": True}, "fire_accepted"),
    "true_as_a_string": ({"fire_acceptance_done": "true"}, "fire_acceptance_done"),
    "one_for_a_bool": ({"in_litigation": 1}, "in_litigation"),
    "zero_for_a_bool": ({"in_litigation": 0}, "in_litigation"),
    "bool_for_an_int": ({"oversize_units": True}, "oversize_units"),
    "float_for_an_int": ({"oversize_units": 1.5}, "oversize_units"),
    "string_for_an_int": ({"oversize_units": "3"}, "oversize_units"),
    "negative_int": ({"oversize_units": -1}, "oversize_units"),
    "month_13": ({"completion_date": "2003-13-01"}, "completion_date"),
    "february_30": ({"completion_date": "2003-02-30"}, "completion_date"),
    "slashed_date": ({"construction_start_date": "2003/5/1"}, "construction_start_date"),
    "compact_date": ({"construction_start_date": "20030501"}, "construction_start_date"),
    "number_for_a_date": ({"construction_start_date": 20030501}, "construction_start_date"),
    "unknown_project_type": ({"project_type": "villa"}, "project_type"),
    "unknown_invoice_obstacle": ({"invoice_obstacle": "lost"}, "invoice_obstacle"),
    "list_for_an_enum": ({"project_type": ["commercial"]}, "project_type"),
}


@pytest.mark.parametrize(("facts", "field"), BAD_FACTS.values(), ids=list(BAD_FACTS))
def test_classify_refuses_a_bad_fact_naming_it_in_chinese(client, token, facts, field):
    answer = client.post(URL, json=facts, headers=bearer(token))
    assert_api_refusal(answer, field)


BAD_BODIES = {
    "a_list": (json.dumps([FIRE_WINDOW_FACTS]), "application/json"),
    "a_string": (json.dumps("fire"), "application/json"),
    "a_number": ("42", "application/json"),
    "json_null": ("null", "application/json"),
    "not_json": ("{fire_acceptance_done: false", "application/json"),
    "empty": ("", "application/json"),
    "form_encoded": ("fire_acceptance_done=false", "application/x-www-form-urlencoded"),
    "plain_text_content_type": (json.dumps(FIRE_WINDOW_FACTS), "text/plain"),
    "no_content_type": (json.dumps(FIRE_WINDOW_FACTS), None),
    "invalid_utf8": (b"\xff\xfe{}", "application/json"),
}


@pytest.mark.parametrize(("body", "content_type"), BAD_BODIES.values(), ids=list(BAD_BODIES))
def test_classify_refuses_a_body_that_is_not_a_json_object(client, token, body, content_type):
    headers = bearer(token)
    if content_type:
        headers["Content-Type"] = content_type
    answer = client.post(URL, data=body, headers=headers)
    assert_api_refusal(answer, "body")


def test_classify_answers_405_in_json_to_get(client, token):
    answer = client.get(URL, headers=bearer(token))
    assert_api_refusal(answer, None, status=405)


# ---------------------------------------------------------------- authentication


def test_classify_without_credentials_answers_401_json(client):
    assert_api_refusal(client.post(URL, json=FIRE_WINDOW_FACTS), None, status=401)


@pytest.mark.parametrize(
    "header",
    [
        "Bearer szs_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "szs_token-without-scheme",
    ],
    ids=["garbage_token", "empty_token", "basic_auth", "no_scheme"],
)
def test_classify_with_a_bad_authorization_header_answers_401(client, header):
    answer = client.post(URL, json=FIRE_WINDOW_FACTS, headers={"Authorization": header})
    assert_api_refusal(answer, None, status=401)


def _edit_token(app, token: str, **values) -> None:
    from app.auth.services import TOKEN_PREFIX

    assert token.startswith(TOKEN_PREFIX)
    with app.app_context():
        row = db.session.scalars(select(ApiToken).where(ApiToken.prefix == token[:12])).one()
        for name, value in values.items():
            setattr(row, name, value)
        db.session.commit()


@pytest.mark.parametrize(
    "values",
    [
        {"expires_at": dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)},
        {"revoked_at": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)},
    ],
    ids=["expired", "revoked"],
)
def test_classify_with_an_expired_or_revoked_token_answers_401(app, client, token, values):
    assert client.post(URL, json={}, headers=bearer(token)).status_code == 200
    _edit_token(app, token, **values)
    assert_api_refusal(client.post(URL, json={}, headers=bearer(token)), None, status=401)


def test_classify_with_the_token_of_a_deactivated_account_answers_401(app, client, factory):
    from app.models import User

    user = factory.user("caseworker")
    token = factory.token(user)
    with app.app_context():
        db.session.get(User, user.id).active = False
        db.session.commit()
    assert_api_refusal(client.post(URL, json={}, headers=bearer(token)), None, status=401)


@pytest.mark.parametrize("role", ["caseworker", "district", "department", "leader"])
def test_classify_is_open_to_every_role_that_works_on_projects(client, factory, role):
    token = factory.token(factory.user(role))
    assert client.post(URL, json=FIRE_WINDOW_FACTS, headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_classify_is_refused_to_roles_without_the_capability(client, factory, role):
    token = factory.token(factory.user(role))
    answer = client.post(URL, json=FIRE_WINDOW_FACTS, headers=bearer(token))
    assert_api_refusal(answer, None, status=403)


# ---------------------------------------------------------------- browser session


@pytest.fixture()
def session_client(client, factory):
    factory.user("caseworker", username="cwsession")
    assert login(client, "cwsession").status_code == 302
    return client


def test_classify_with_a_session_and_no_csrf_token_is_refused(session_client):
    answer = session_client.post(URL, json=FIRE_WINDOW_FACTS)
    assert_api_refusal(answer, "csrf_token")


def test_classify_with_a_session_and_a_wrong_csrf_token_is_refused(session_client):
    answer = session_client.post(URL, json=FIRE_WINDOW_FACTS, headers={"X-CSRFToken": "forged"})
    assert_api_refusal(answer, "csrf_token")


def test_a_junk_bearer_header_does_not_exempt_a_session_request_from_csrf(session_client):
    answer = session_client.post(
        URL, json=FIRE_WINDOW_FACTS, headers={"Authorization": "Bearer not-a-token"}
    )
    assert_api_refusal(answer, "csrf_token")


def test_classify_with_a_session_and_the_csrf_header_of_a_page_works(session_client):
    page = session_client.get("/projects")
    token = csrf_token(page.get_data(as_text=True))
    answer = session_client.post(URL, json=FIRE_WINDOW_FACTS, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["defects"][0]["path"] == "fire_housing_review"


def test_session_after_logout_no_longer_authenticates(session_client):
    page = session_client.get("/projects")
    token = csrf_token(page.get_data(as_text=True))
    session_client.post("/logout", data={"csrf_token": token})
    answer = session_client.post(URL, json={}, headers={"X-CSRFToken": token})
    assert answer.status_code == 401
