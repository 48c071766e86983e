"""The Airflow UI's page gets the bureau's time zone as its default; other answers pass untouched."""

from __future__ import annotations

from agritrace.web.timezone import BureauTimeZone
from fastapi import FastAPI
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.testclient import TestClient

UI_PAGE = "<!doctype html><html><head><title>Airflow</title></head><body></body></html>"


def _client() -> TestClient:
    app = FastAPI()

    @app.get("/api/v2/version")
    def version() -> JSONResponse:
        return JSONResponse({"version": "3"})

    @app.get("/agritrace/ui/marts")
    def ours() -> HTMLResponse:
        return HTMLResponse("<html><head></head></html>")

    @app.get("/{path:path}")
    def ui(path: str) -> HTMLResponse:
        return HTMLResponse(UI_PAGE)

    app.add_middleware(BureauTimeZone)
    return TestClient(app)


def test_ui_page_stores_the_bureau_zone_unless_the_user_chose_one(monkeypatch):
    monkeypatch.setenv("AGRITRACE_TIMEZONE", "Asia/Shanghai")
    page = _client().get("/dags/ingest_producers")
    assert page.status_code == 200
    script = """if(!localStorage.getItem('timezone'))localStorage.setItem('timezone',"\\"Asia/Shanghai\\"")"""
    assert script in page.text
    assert page.text.index(script) < page.text.index("<title>")
    assert int(page.headers["content-length"]) == len(page.content)


def test_api_answers_and_the_agritrace_pages_pass_untouched():
    client = _client()
    assert client.get("/api/v2/version").json() == {"version": "3"}
    assert "localStorage" not in client.get("/agritrace/ui/marts").text
