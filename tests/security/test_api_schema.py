"""Schemathesis against the web app's own OpenAPI description: generated calls never get a 5xx.

Login is Airflow's business (``test_access`` proves calls without one are refused), so here the
login dependency is overridden with an admin, who holds every right: every operation is reachable.
The number of generated calls per operation is bounded, and derandomised so a run is repeatable;
the 5xx answers longer runs found (integers beyond bigint) are pinned in ``test_access``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis belongs in the dev dependency group")

from agritrace.web import auth
from agritrace.web.app import create_app
from hypothesis import HealthCheck, given, settings
from warehouse_helpers import Warehouse

EXAMPLES_PER_OPERATION = 25




def _app():
    """The real app; creating it touches no database, and requests read the warehouse URL from the environment."""
    app = create_app()
    app.dependency_overrides[auth.current_viewer] = lambda: auth.Viewer(
        username="schemathesis", role="admin", rights=auth.rights_for_role("admin"))
    return app


# Loaded at import: schemathesis's lazy fixture loader does not work with this pytest.
# The replay routes pass the call on to Airflow's REST API (no api-server here: they answer 502 Bad
# Gateway, by design); their refusals are tests of test_web_quality, their success the browser test's.
schema = schemathesis.openapi.from_asgi("/openapi.json", _app()).exclude(path_regex=r"^/ui/quality/(run|recover)$")


@pytest.fixture(scope="module")
def warehouse_for_api(shared: Warehouse) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AGRITRACE_DATABASE_URL", shared.url)
        yield shared.url


# One test per operation, each named by it: schemathesis's own parametrize gives every operation the
# same test id, and pytest-xdist, which hands tests to its workers by id, would run only one of them.
OPERATIONS = [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("operation", OPERATIONS, ids=[operation.label for operation in OPERATIONS])
def test_generated_calls_never_get_a_server_error(operation, warehouse_for_api: str) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    def calls(case) -> None:
        response = case.call()
        assert response.status_code < 500, f"{case.method} {case.formatted_path} {case.query}: {response.text[:500]}"

    calls()
