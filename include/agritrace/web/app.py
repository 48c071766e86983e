"""The agritrace web app: marts, trace and data quality behind Airflow's login.

The Airflow plugin mounts it at ``/agritrace``; every path here is relative to that:

    /ui/quality, /ui/quality/quarantine, /api/quality/…   operators      (quality_routes)
    /ui/trace, /api/trace/…                                any signed-in user; phones unmasked for regulators
    /ui/marts, /api/marts/…                                any signed-in user (the analyst right)
    /docs/gx/…                                             operators: the Great Expectations Data Docs (a page
                                                           is built on its first request; assets in _vendor/)
    /openapi.json                                          any signed-in user

Who is signed in and what each role may do is ``agritrace.web.auth``. Creating the app touches
no database and imports no Airflow module; both happen inside requests.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

from agritrace.quality import gx_docs
from agritrace.quality.findings import docs_root
from agritrace.web import auth, layout, marts_routes, quality_routes, trace_routes

log = logging.getLogger(__name__)

# Paths (relative to the app) a browser opens as pages; an unauthenticated visit goes to the login.
PAGE_PREFIXES = ("/ui/", "/docs/")


def create_app() -> FastAPI:
    """The FastAPI app the plugin mounts (no database access here)."""
    app = FastAPI(
        title="agritrace",
        summary="Trace lookups, analyst marts and data quality for the county agriculture bureau's feeds",
        version="1",
        # Airflow's own /docs page loads its assets from a CDN; ours serves only the schema, behind login.
        docs_url=None, redoc_url=None, openapi_url=None,
    )
    analyst = [Depends(auth.require("analyst"))]
    operator = [Depends(auth.require("operator"))]
    app.include_router(quality_routes.router, tags=["data quality"])
    app.include_router(trace_routes.router, tags=["trace"], dependencies=analyst)
    app.include_router(marts_routes.router, tags=["marts"], dependencies=analyst)
    app.dependency_overrides[trace_routes.get_requester] = auth.requester_name
    app.dependency_overrides[trace_routes.get_include_personal] = auth.may_see_personal_data

    @app.get("/openapi.json", include_in_schema=False, dependencies=analyst)
    def openapi() -> JSONResponse:
        return JSONResponse(app.openapi())

    @app.get("/docs/gx/{path:path}", include_in_schema=False, dependencies=operator)
    def serve_gx_docs(path: str) -> FileResponse:
        if path.startswith(gx_docs.VENDOR_PREFIX):
            return FileResponse(gx_docs_file(gx_docs.ASSETS, path.removeprefix(gx_docs.VENDOR_PREFIX)))
        gx_docs.ensure_page(docs_root(), path)
        return FileResponse(gx_docs_file(docs_root(), path))

    app.add_exception_handler(auth.NotAuthenticated, _not_authenticated)
    app.add_exception_handler(auth.NotAllowed, _not_allowed)

    @app.middleware("http")
    async def refuse_nul_bytes(request: Request, call_next):
        # Postgres text cannot hold NUL; no key, name or filter contains one, so it is a bad request.
        if "\x00" in request.url.path or any("\x00" in v for v in request.query_params.values()):
            return JSONResponse({"detail": "parameters may not contain NUL (0x00) characters"}, status_code=400)
        return await call_next(request)

    return app


def gx_docs_file(root: Path, path: str) -> Path:
    """The Data Docs file ``path`` names, never anything outside ``root``; 404 when missing."""
    base = root.resolve()
    target = (base / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    if not target.is_relative_to(base) or not target.is_file():
        raise HTTPException(404, f"no Data Docs file {path!r}; the pipeline writes them when it validates a file")
    return target


def _app_path(request: Request) -> str:
    """The request path below the mount prefix (Starlette keeps the full path and the prefix in root_path)."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _is_page(request: Request) -> bool:
    return request.method == "GET" and _app_path(request).startswith(PAGE_PREFIXES)


async def _not_authenticated(request: Request, exc: auth.NotAuthenticated) -> Response:
    if _is_page(request):
        return RedirectResponse(auth.login_url(request), status_code=303)
    headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
    return JSONResponse({"detail": exc.detail}, status_code=exc.status, headers=headers)


async def _not_allowed(request: Request, exc: auth.NotAllowed) -> Response:
    log.info("refused %s %s: %s", request.method, _app_path(request), exc)
    if _is_page(request):
        body = f'<div class="banner bad">{layout.e(str(exc))}</div>'
        return HTMLResponse(layout.page("Not allowed · 无权限", body, nav=layout.Nav("", _root(request)),
                                        who=exc.viewer.username), status_code=403)
    return JSONResponse({"detail": str(exc)}, status_code=403)


def _root(request: Request) -> str:
    """Relative path from the requested page back to the app root, for the menu links."""
    depth = _app_path(request).count("/") - 1
    return "../" * depth if depth > 0 else "./"
