"""Who may do what on the agritrace web app, with and without Airflow's login in front of it.

Without a dependency override the app asks Airflow (``airflow.api_fastapi.core_api.security.get_user``);
a request carrying no token never reaches the database. With the override, the signed-in user's
name goes to the trace audit log and their role decides whether phones are shown.
"""

from __future__ import annotations

import psycopg
import pytest
from agritrace.web import auth
from agritrace.web.app import create_app
from fastapi.testclient import TestClient
from test_trace_fixtures import CO


def _signed_in(role: str, name: str) -> TestClient:
    app = create_app()
    app.dependency_overrides[auth.current_viewer] = lambda: auth.Viewer(name, role, auth.rights_for_role(role))
    return TestClient(app)


def test_page_without_a_token_redirects_to_the_airflow_login_and_back():
    client = TestClient(create_app(), root_path="/agritrace")
    response = client.get("/ui/trace", params={"q": "HGZ-001"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/auth/login?next=")
    assert "%2Fui%2Ftrace%3Fq%3DHGZ-001" in response.headers["location"]


def test_signed_in_user_is_written_to_the_trace_audit(trace_warehouse):
    response = _signed_in("viewer", "analyst.wang").get("/api/trace/HGZ-001")
    assert response.status_code == 200
    assert response.json()["producers"][0]["contact_phone"] == "138****5678"
    with psycopg.connect(trace_warehouse) as conn:
        assert conn.execute("select requested_by from ops.trace_audit").fetchone() == ("analyst.wang",)


def test_admin_is_a_regulator_and_sees_phones(trace_warehouse):
    body = _signed_in("admin", "li.wei").get(f"/api/trace/{CO}").json()
    assert body["producers"][0]["contact_phone"] == "13812345678"


def test_trace_page_renders_for_a_signed_in_user(trace_warehouse):
    response = _signed_in("user", "analyst.wang").get("/ui/trace", params={"q": "B-FAIL"})
    assert response.status_code == 200 and "B-FAIL" in response.text


def test_openapi_lists_the_routes_for_a_signed_in_user():
    paths = _signed_in("viewer", "analyst.wang").get("/openapi.json").json()["paths"]
    assert {"/api/trace/{key}", "/api/quality/summary", "/ui/quality", "/api/marts/pass-rate"} <= set(paths)


def test_user_without_a_known_role_gets_nothing():
    client = _signed_in("guest", "someone")
    assert client.get("/api/marts/pass-rate").status_code == 403
    assert client.get("/ui/trace").status_code == 403


@pytest.mark.parametrize(("role", "rights"), [
    ("admin", {"analyst", "operator", "regulator"}),
    ("ADMIN", {"analyst", "operator", "regulator"}),
    ("op", {"analyst", "operator"}),
    ("user", {"analyst"}),
    ("viewer", {"analyst"}),
    (None, set()),
])
def test_simple_auth_manager_roles_map_to_rights(role, rights):
    assert auth.rights_for_role(role) == rights
