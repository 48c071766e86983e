"""Who may see and change what: the warehouse roles, the web API's login, hostile keys and file names,
and exported spreadsheets.

Roles are tested with ``SET ROLE`` from the owner's session (the roles cannot log in themselves):
privileges are checked both in the catalogue, for every relation of every agritrace schema, and by
trying the statement.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

import openpyxl
import psycopg
import pytest
from agritrace.marts.refresh import refresh_marts
from agritrace.trace.export import events_for_product, write_events_csv, write_events_xlsx
from agritrace.web import auth
from agritrace.web.app import create_app
from fastapi.testclient import TestClient
from psycopg import sql
from warehouse_helpers import (
    CERTIFICATE_COLUMNS,
    PRODUCER_COLUMNS,
    Warehouse,
    certificate_row,
    producer_row,
    query,
    write_csv,
)

ANALYST, REGULATOR, OPERATOR = "agritrace_analyst", "agritrace_regulator", "agritrace_operator"
ROLES = (ANALYST, REGULATOR, OPERATOR)
SCHEMAS = ("ref", "staging", "core", "quarantine", "mart", "trace", "ops", "dq", "public")
PHONE = "13812345678"
MASKED = "138****5678"
QUARANTINED_PHONE = "13900001111"
FORMULAS = ("=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)")
Denied = psycopg.errors.InsufficientPrivilege


@dataclass
class AccessData:
    w: Warehouse
    formula_producer: str  # named like a formula, with certificates whose buyers are formulas


@pytest.fixture(scope="module")
def data(shared: Warehouse, tmp_path_factory: pytest.TempPathFactory) -> AccessData:
    """A producer with a phone and formula-like buyers on its certificates, a quarantined row with a
    phone, and the marts refreshed over them."""
    folder = tmp_path_factory.mktemp("access")
    producers = [producer_row(shared.keys.producer(), name="=HYPERLINK(\"http://evil.example\",\"绿源\")"),
                 producer_row("BAD-CODE", contact_phone=QUARANTINED_PHONE)]
    for _ in range(8):
        producers.append(producer_row(shared.keys.producer()))
    p = write_csv(folder / "producers" / "p.csv", PRODUCER_COLUMNS, producers)
    [outcome] = shared.load(p, "producers")
    assert (outcome.status, outcome.rows_quarantined) == ("loaded", 1), outcome.summary()
    certificates = [certificate_row(shared.keys.certificate(), producers[0]["producer_id"], buyer=f)
                    for f in FORMULAS]
    c = write_csv(folder / "certificates" / "c.csv", [*CERTIFICATE_COLUMNS, "buyer"], certificates)
    [outcome] = shared.load(c, "certificates")
    assert outcome.status == "loaded", outcome.summary()
    with psycopg.connect(shared.url, autocommit=True) as conn:
        refresh_marts(conn)
    return AccessData(shared, producers[0]["producer_id"])


@contextmanager
def as_role(url: str, role: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        yield conn


def relations(url: str, schemas=SCHEMAS) -> list[tuple[str, str]]:
    """(schema, qualified name) of every table, view and materialized view in the schemas."""
    return query(url, """select n.nspname, format('%%I.%%I', n.nspname, c.relname) from pg_class c
                          join pg_namespace n on n.oid = c.relnamespace
                         where n.nspname = any(%s) and c.relkind in ('r', 'p', 'v', 'm', 'f')
                         order by 1, 2""", (list(schemas),))


def readable(url: str, role: str) -> set[str]:
    return {name for _, name in relations(url)
            if query(url, "select has_table_privilege(%s, %s, 'select')", (role, name))[0][0]}


# --- warehouse roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_no_role_may_write_or_create_anywhere(data: AccessData, role: str):
    writable = [
        (name, privilege) for _, name in relations(data.w.url) for privilege in ("insert", "update", "delete", "truncate")
        if query(data.w.url, "select has_table_privilege(%s, %s, %s)", (role, name, privilege))[0][0]
    ]
    assert writable == []
    creatable = [s for s in SCHEMAS if query(data.w.url, "select has_schema_privilege(%s, %s, 'create')", (role, s))[0][0]]
    assert creatable == []
    with as_role(data.w.url, role) as conn:
        for statement in (("insert into core.producers (producer_id, producer_name, producer_type, region_code) "
                           "values ('X', 'x', 'household', '440902')"),
                          "update ref.products set name_zh = 'x'",
                          "delete from ops.files",
                          "create table mart.sneaky (x int)"):
            with pytest.raises(Denied):
                conn.execute(statement)


def test_analyst_reads_marts_and_reference_only(data: AccessData):
    seen = readable(data.w.url, ANALYST)
    schemas = {name.split(".")[0] for name in seen}
    assert schemas <= {"mart", "ref"}, sorted(seen)
    assert {name for schema, name in relations(data.w.url, ("mart",))} <= seen, "every mart is readable"
    with as_role(data.w.url, ANALYST) as conn:
        for table in ("core.producers", "core.certificates", "ops.files", "quarantine.rows", "dq.validation_runs"):
            with pytest.raises(Denied):
                conn.execute(f"select * from {table} limit 1")
        with pytest.raises(Denied):
            conn.execute("select trace.lookup(%s)", (data.w.producer_id,))
        assert conn.execute("select count(*) from mart.producer_risk").fetchone()[0] > 0


def test_analyst_never_sees_an_unmasked_phone(data: AccessData):
    with as_role(data.w.url, ANALYST) as conn:
        text = "\n".join(
            conn.execute(sql.SQL("select coalesce(json_agg(t)::text, '') from {} t").format(
                sql.Identifier(*name.replace('"', "").split(".")))).fetchone()[0]
            for _, name in relations(data.w.url, ("mart", "ref"))
        )
    assert PHONE not in text and QUARANTINED_PHONE not in text
    assert MASKED in text, "the producer risk mart shows the masked phone"


def test_regulator_traces_with_personal_data_but_reads_no_table(data: AccessData):
    assert {name.split(".")[0] for name in readable(data.w.url, REGULATOR)} <= {"ref", "trace"}
    with as_role(data.w.url, REGULATOR) as conn:
        result = conn.execute("select trace.lookup(%s, requested_by => 'inspector')", (data.w.producer_id,)).fetchone()[0]
        assert result["found"] and result["producers"][0]["contact_phone"] == PHONE
        for table in ("core.producers", "ops.files", "quarantine.rows", "mart.producer_risk"):
            with pytest.raises(Denied):
                conn.execute(f"select * from {table} limit 1")
    [(role, key)] = query(data.w.url, "select db_role, lookup_key from ops.trace_audit where requested_by = 'inspector'")
    assert (role, key) == (REGULATOR, data.w.producer_id), "the look is audited under the caller's role"


def test_operator_reads_ledger_quality_and_quarantine_but_not_core(data: AccessData):
    seen = readable(data.w.url, OPERATOR)
    assert {name.split(".")[0] for name in seen} <= {"ops", "dq", "quarantine"}, sorted(seen)
    with as_role(data.w.url, OPERATOR) as conn:
        assert conn.execute("select count(*) from ops.files").fetchone()[0] > 0
        conn.execute("select count(*) from dq.validation_runs")
        assert conn.execute("select count(*) from quarantine.rows_masked").fetchone()[0] > 0
        for table in ("core.producers", "mart.producer_risk"):
            with pytest.raises(Denied):
                conn.execute(f"select * from {table} limit 1")
        with pytest.raises(Denied):
            conn.execute("select trace.lookup(%s)", (data.w.producer_id,))


def test_operator_does_not_see_unmasked_phones_in_quarantine(data: AccessData):
    with as_role(data.w.url, OPERATOR) as conn:
        raw = conn.execute("select coalesce(json_agg(raw)::text, '') from quarantine.rows_masked").fetchone()[0]
        assert raw and QUARANTINED_PHONE not in raw
    with as_role(data.w.url, OPERATOR) as conn, pytest.raises(Denied):
        conn.execute("select raw from quarantine.rows limit 1")


# --- the web API ----------------------------------------------------------------------------------


def _sample_path(path: str) -> str:
    return (path.replace("{key:path}", "HGZ-1").replace("{name}", "producer_risk")
            .replace("{path:path}", "index.html"))


def _routes():
    from fastapi.routing import APIRoute

    return [f"{method} {r.path}" for r in create_app().routes if isinstance(r, APIRoute) for method in sorted(r.methods)]


@pytest.fixture(scope="module")
def airflow_auth(airflow_metadata) -> Iterator[object]:
    """Airflow's auth manager, as the api-server initialises it before mounting the plugin's app."""
    from airflow.api_fastapi.app import init_auth_manager, purge_cached_app

    yield init_auth_manager()
    purge_cached_app()


def _forged_token() -> str:
    import jwt

    return jwt.encode({"sub": "admin", "role": "admin", "aud": "apache-airflow"}, "not-the-secret", algorithm="HS512")


@pytest.mark.parametrize("route", _routes())
@pytest.mark.parametrize("credentials", [
    {}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Bearer forged"},
    {"Cookie": "_token=not-a-token"}, {"Cookie": "_token=forged"},
], ids=["none", "garbage_bearer", "forged_bearer", "garbage_cookie", "forged_cookie"])
def test_every_route_refuses_a_call_without_a_valid_login(airflow_auth, route: str, credentials: dict):
    credentials = {k: v.replace("forged", _forged_token()) for k, v in credentials.items()}
    client = TestClient(create_app())
    method, path = route.split(" ", 1)
    response = client.request(method, _sample_path(path), headers=credentials, follow_redirects=False)
    if response.status_code == 303:  # a page: off to the login, coming back afterwards
        assert response.headers["location"].startswith(auth.DEFAULT_LOGIN_PATH)
    else:
        assert response.status_code in (401, 403), response.text
        if response.status_code == 401:
            assert response.headers["www-authenticate"] == "Bearer"
    assert "producer" not in response.text.lower()


def test_a_valid_login_is_let_in_with_its_role_rights(airflow_auth, data: AccessData, monkeypatch):
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    monkeypatch.setenv("AGRITRACE_DATABASE_URL", data.w.url)
    token = airflow_auth.generate_jwt(SimpleAuthManagerUser(username="li.wei", role="viewer"))
    client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/marts/producer_risk").status_code == 200
    assert client.get("/api/quality/summary").status_code == 403, "a viewer is an analyst, not an operator"


def _viewer(role: str) -> auth.Viewer:
    return auth.Viewer(username=f"reliability-{role}", role=role, rights=auth.rights_for_role(role))


@pytest.fixture
def client_as(data: AccessData, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", data.w.url)

    def make(role: str) -> TestClient:
        app = create_app()
        app.dependency_overrides[auth.current_viewer] = lambda: _viewer(role)
        return TestClient(app, raise_server_exceptions=False)

    return make


def test_rights_follow_the_role(client_as, data: AccessData):
    analyst, operator, admin = client_as("viewer"), client_as("op"), client_as("admin")
    assert analyst.get("/api/quality/summary").status_code == 403
    assert operator.get("/api/quality/summary").status_code == 200
    assert analyst.get(f"/api/trace/{data.formula_producer}").json()["producers"][0]["contact_phone"] == MASKED
    assert admin.get(f"/api/trace/{data.formula_producer}").json()["producers"][0]["contact_phone"] == PHONE
    rows = operator.get("/api/quality/quarantine").json()
    assert QUARANTINED_PHONE not in json.dumps(rows, ensure_ascii=False), "the page masks what the role may not see"


def test_trace_of_a_producer_with_a_batch_awaiting_results_answers(client_as, data: AccessData):
    response = client_as("viewer").get(f"/api/trace/{data.w.producer_id}")
    assert response.status_code == 200
    assert response.json()["batches"][0]["failing"] is False


HOSTILE_KEYS = {
    "sql_quote": ("'; drop table core.producers; --", 400),
    "sql_or": ("x' or '1'='1", 400),
    "shell_substitution": ("$(rm -rf /)", 400),
    "backticks": ("`id`", 400),
    "semicolon_shell": ("HGZ-1; rm -rf /", 400),
    "null_byte": ("HGZ\x001", 400),
    "newline": ("HGZ-1\nHGZ-2", (400, 404)),  # the route does not match a line break: refused either way
    "too_long": ("A" * 65, 400),
    "wildcard": ("%", 400),
    "path_traversal": ("../../etc/passwd", 404),  # only safe characters: looked up as data, found nowhere
    "url_encoded_traversal": ("..%2F..%2Fetc%2Fpasswd", (400, 404)),
}


@pytest.mark.parametrize("key, status", HOSTILE_KEYS.values(), ids=HOSTILE_KEYS.keys())
def test_hostile_trace_keys_are_refused_or_looked_up_as_data(client_as, data: AccessData, key: str, status):
    client = client_as("viewer")
    response = client.get("/api/trace/" + quote(key, safe=""))
    assert response.status_code in (status if isinstance(status, tuple) else (status,)), response.text
    assert "detail" in response.json()
    if status == 404:
        [(logged,)] = query(data.w.url, "select lookup_key from ops.trace_audit where lookup_key = %s", (key,))
        assert logged == key, "the key reached the database only as a value"
    search = client.get("/api/trace/search", params={"q": key})
    assert search.status_code in (200, 400) and (search.status_code == 400) == (status != 404)
    assert query(data.w.url, "select count(*) > 0 from core.producers") == [(True,)]


HOSTILE_PARAMS = {
    "date_with_sql": ("/api/trace/HGZ-1", {"from": "2024-01-01'; drop table x; --"}, 422),
    "recall_days_text": ("/api/trace/HGZ-1", {"recall_days": "7; drop table x"}, 422),
    "recall_days_huge": ("/api/trace/HGZ-1", {"recall_days": "100000"}, 422),
    "key_type_sql": ("/api/trace/" + "HGZ-1", {"key_type": "batch_no'; --"}, 400),
    "format_shell": ("/api/trace/HGZ-1", {"format": "$(id)"}, 422),
    "export_product_sql": ("/api/trace/export", {"product": "豇豆'; --", "from": "2024-01-01", "to": "2024-02-01"}, 400),
    "mart_name_sql": ("/api/marts/producer_risk;drop table core.producers", {}, 404),
    "mart_name_traversal": ("/api/marts/" + quote("../../etc/passwd", safe=""), {}, 404),
    "mart_filter_column_sql": ("/api/marts/producer_risk", {"1=1; drop table core.producers; --": "x"}, 400),
    "mart_filter_value_sql": ("/api/marts/producer_risk", {"producer_id": "x' or '1'='1"}, 200),
    "mart_period_sql": ("/api/marts/pass-rate", {"period_type": "year' or '1'='1"}, 422),
    "quality_feed_sql": ("/api/quality/summary", {"feed": "producers'; --"}, 400),
    "quality_days_text": ("/api/quality/summary", {"days": "1 or 1=1"}, 422),
}


@pytest.mark.parametrize("path, params, status", HOSTILE_PARAMS.values(), ids=HOSTILE_PARAMS.keys())
def test_hostile_parameters_are_refused_or_treated_as_data(client_as, data: AccessData, path, params, status):
    response = client_as("admin").get(path, params=params)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json() == [], "the value matched nothing: it was compared as data"
    assert query(data.w.url, "select count(*) > 0 from core.producers") == [(True,)]


BIG = str(2**63)


@pytest.mark.parametrize("path, params", [
    pytest.param("/api/quality/quarantine", {"file_id": BIG}, id="quarantine_file_id"),
    pytest.param("/ui/quality/quarantine", {"file_id": BIG}, id="quarantine_page_file_id"),
    pytest.param("/api/marts/pass-rate", {"offset": BIG}, id="pass_rate_offset"),
    pytest.param("/api/marts/producer_risk", {"offset": BIG}, id="mart_offset"),
    pytest.param("/api/marts/pass-rate", {"year": BIG}, id="pass_rate_year"),
    pytest.param("/ui/trace", {"q": "HGZ-1", "recall_days": BIG}, id="trace_page_recall_days"),
    pytest.param("/ui/marts", {"year": BIG}, id="marts_page_year"),
])
def test_out_of_range_integers_are_refused_not_a_server_error(client_as, path: str, params: dict):
    response = client_as("admin").get(path, params=params)
    assert response.status_code < 500, response.text[:300]


@pytest.mark.parametrize("path", ["../../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd", "/etc/passwd",
                                  "....//....//etc/passwd", "_vendor/..%2Fgx_run.py",
                                  "_vendor/..%2F..%2F..%2F..%2Fetc%2Fpasswd", "..%2Fx%2Fvalidations%2Fy.html"])
def test_data_docs_never_serve_a_file_outside_their_folder(client_as, path: str):
    response = client_as("admin").get("/docs/gx/" + path)
    assert response.status_code == 404
    assert "root:" not in response.text


HOSTILE_FILE_NAMES = ["x'; drop table core.producers; --.csv", "$(touch pwned).csv", "`touch pwned`.csv",
                      "a;rm -rf ~.csv", "..\u2215..\u2215etc.csv", "名录 (2024) \"final\".csv"]


@pytest.mark.parametrize("name", HOSTILE_FILE_NAMES)
def test_hostile_file_names_are_data(data: AccessData, landing_dir: Path, monkeypatch, name: str):
    monkeypatch.chdir(landing_dir)
    path = write_csv(landing_dir / "producers" / name, PRODUCER_COLUMNS, [producer_row(data.w.keys.producer())])
    [outcome] = data.w.load(path, "producers")
    assert (outcome.status, outcome.rows_loaded) == ("loaded", 1)
    assert query(data.w.url, "select file_name from ops.files where file_id = %s", (outcome.file_id,)) == [(name,)]
    assert (landing_dir / "producers" / "archive" / f"{outcome.file_id}_{name}").exists()
    assert not list(landing_dir.rglob("pwned")) and not Path("pwned").exists()
    assert query(data.w.url, "select count(*) > 0 from core.producers") == [(True,)]


# --- exports --------------------------------------------------------------------------------------


def _assert_csv_defused(text: str) -> None:
    cells = [cell for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) for cell in row]
    assert any(cell.startswith("'=cmd") for cell in cells), "the formula-like buyer is in the export"
    leading = [cell for cell in cells if cell[:1] in ("=", "+", "@") or (cell[:1] == "-" and not _number(cell))]
    assert leading == [], leading


def _number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _assert_xlsx_defused(workbook: openpyxl.Workbook) -> None:
    values = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula: {cell.value!r}"
                if isinstance(cell.value, str):
                    values.append(cell.value)
    assert any(v.startswith("'=cmd") for v in values)
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]


def test_event_exports_defuse_formula_leading_cells(data: AccessData, tmp_path: Path):
    with psycopg.connect(data.w.url) as conn:
        events = events_for_product(conn, "豇豆", date(2024, 1, 1), date(2024, 12, 31))
    assert {e["destination"] for e in events} >= set(FORMULAS)
    csv_path = write_events_csv(events, tmp_path / "events.csv")
    _assert_csv_defused(csv_path.read_text(encoding="utf-8-sig"))
    xlsx_path = write_events_xlsx(events, tmp_path / "events.xlsx")
    _assert_xlsx_defused(openpyxl.load_workbook(xlsx_path))


def test_trace_api_exports_defuse_formula_leading_cells(client_as, data: AccessData):
    client = client_as("admin")
    response = client.get(f"/api/trace/{data.formula_producer}", params={"format": "csv"})
    assert response.status_code == 200
    _assert_csv_defused(response.text)
    response = client.get(f"/api/trace/{data.formula_producer}", params={"format": "xlsx"})
    assert response.status_code == 200
    _assert_xlsx_defused(openpyxl.load_workbook(io.BytesIO(response.content)))
    response = client.get("/api/trace/export", params={"product": "豇豆", "from": "2024-01-01", "to": "2024-12-31",
                                                       "format": "xlsx"})
    assert response.status_code == 200
    _assert_xlsx_defused(openpyxl.load_workbook(io.BytesIO(response.content)))
