from tests.factories import FIRE_WINDOW_FACTS, bearer, csrf_token, login


def test_caseworker_creates_a_project_through_the_form_and_sees_its_fire_defect(client, factory):
    factory.user("caseworker", username="cw1")
    assert login(client, "cw1").status_code == 302
    page = client.get("/projects/new")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "name": "星海湖畔小区",
        "district": "dwk",
        "total_households": "120",
        "certified_households": "0",
        "fact_project_type": "commercial",
        "fact_fire_acceptance_done": "0",
        "fact_construction_start_date": "2005-03-01",
        "fact_completion_date": "2007-10-01",
    }
    saved = client.post("/projects/new", data=data, follow_redirects=True)
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200, html
    assert "未办理消防验收" in html
    assert "附件3 三(一)6" in html


def test_api_classify_answers_the_fire_window(client, factory):
    token = factory.token(factory.user("caseworker"))
    answer = client.post("/api/v1/classify", json=FIRE_WINDOW_FACTS, headers=bearer(token))
    assert answer.status_code == 200
    assert answer.json["defects"][0]["path"] == "fire_housing_review"


def test_navigation_shows_the_links_the_signed_in_role_may_use(client, factory):
    # Regression: Jinja folded the capability test at compile time, so the first (anonymous)
    # render decided the menu for everyone.
    assert client.get("/login").status_code == 200
    factory.user("caseworker", username="cw_nav")
    login(client, "cw_nav")
    html = client.get("/projects").get_data(as_text=True)
    assert 'href="/projects/new"' in html and ">项目台账<" in html
