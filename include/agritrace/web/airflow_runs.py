"""What the pages ask Airflow: which file a mapped ingest task handled, and replay runs started for a user.

- ``task_file_name``: the mapped ``ingest_file`` task handles ``find_files``'s list at its map index;
  that list is the ``find_files`` task's XCom in Airflow's metadata database (the api-server the app
  runs in holds it). The ledger then names the file by the run's delivery of that name.
- ``trigger_replay`` / ``replay_run``: the ``replay_quarantine`` DAG run is created, and read, through
  Airflow's REST API with the signed-in user's own credentials, so Airflow decides whether the user may
  trigger it and records who did. The run then emits the core asset event and the marts refresh.

Airflow is imported inside the functions, as everywhere in the app.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import httpx
from fastapi import Request

from agritrace.dag_support import REPLAY_QUARANTINE

API_TIMEOUT = 60  # the api-server answers its own call while it shares the CPU with the pipeline


class AirflowRefused(Exception):
    """Airflow's REST API did not do what was asked; ``status`` and its ``detail`` say why."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Airflow answered {status}: {detail}")
        self.status = status


@dataclass(frozen=True)
class ReplayRun:
    """A ``replay_quarantine`` run as Airflow reports it."""

    run_id: str
    state: str
    conf: dict[str, Any]
    triggered_by: str | None

    @property
    def link(self) -> str:
        """The run's page in Airflow's UI (relative to the server root)."""
        return f"/dags/{REPLAY_QUARANTINE}/runs/{_quote(self.run_id)}"

    @property
    def finished(self) -> bool:
        return self.state in ("success", "failed")


def task_file_name(dag_id: str, run_id: str, map_index: int) -> str | None:
    """The file name the ingest task of ``run_id`` at ``map_index`` processed; None when Airflow holds no list."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        stored = session.scalars(XComModel.get_many(run_id=run_id, key="return_value", dag_ids=dag_id,
                                                    task_ids="find_files", map_indexes=-1)).first()
        paths = XComModel.deserialize_value(stored) if stored is not None else None
    if not isinstance(paths, list) or not 0 <= map_index < len(paths):
        return None
    return PurePath(str(paths[map_index])).name


def trigger_replay(request: Request, conf: dict[str, Any]) -> ReplayRun:
    """Start a ``replay_quarantine`` run with ``conf`` as the user behind ``request``."""
    from airflow.sdk import timezone

    # The run id Airflow gives a manual run of that logical date, named here so it is known up front.
    logical_date = timezone.utcnow().isoformat()
    body = {"dag_run_id": f"manual__{logical_date}", "logical_date": logical_date, "conf": conf,
            "note": "started from the agritrace data-quality page"}
    return _run(_call(request, "POST", f"/api/v2/dags/{REPLAY_QUARANTINE}/dagRuns", json=body))


def replay_run(request: Request, run_id: str) -> ReplayRun:
    return _run(_call(request, "GET", f"/api/v2/dags/{REPLAY_QUARANTINE}/dagRuns/{_quote(run_id)}"))


def _run(answer: dict[str, Any]) -> ReplayRun:
    return ReplayRun(run_id=answer["dag_run_id"], state=answer.get("state") or "queued", conf=answer.get("conf") or {},
                     triggered_by=answer.get("triggering_user_name"))


def _call(request: Request, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    headers = {}
    if "authorization" in request.headers:
        headers["Authorization"] = request.headers["authorization"]
    elif "_token" in request.cookies:
        headers["Authorization"] = f"Bearer {request.cookies['_token']}"
    base = _api_base(request)
    try:
        response = httpx.request(method, base + path, headers=headers, timeout=API_TIMEOUT, **kwargs)
    except httpx.HTTPError as exc:
        raise AirflowRefused(502, f"cannot reach Airflow's API at {base} ({exc}); is the api-server up, and "
                                  "AIRFLOW__API__BASE_URL its address?") from exc
    if response.status_code >= 400:
        detail = response.json().get("detail") if "json" in response.headers.get("content-type", "") else response.text
        raise AirflowRefused(response.status_code, str(detail)[:300])
    return response.json()


def _api_base(request: Request) -> str:
    """This api-server: AIRFLOW__API__BASE_URL as Airflow itself uses it, else the address the request came to."""
    base = os.environ.get("AIRFLOW__API__BASE_URL", "").rstrip("/")
    return base or str(request.base_url).rstrip("/").removesuffix(request.scope.get("root_path", "").rstrip("/"))


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text, safe="")
