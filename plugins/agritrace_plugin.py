"""The agritrace pages inside Airflow: the web app at /agritrace, its entries in the navigation, a tab on
every task instance, and the bureau's time zone as the UI's default.

Airflow's api-server mounts ``fastapi_apps`` under its own root app, behind the same login
(see ``agritrace.web.auth``). The ``external_views`` open a page inside the Airflow UI (an iframe);
their ``href`` is the page itself, which also works on its own:

- the three pages sit at the top level of the side bar (``nav_top_level``), one click away;
- "File · 文件" is a tab of every task instance (``destination="task_instance"``): Airflow fills in the
  DAG, run, task and map index, and the page shows the file that task handled (its ledger row,
  validation and quarantined rows) or, for the other tasks of an ingest run, the run's files.

Airflow 3's UI shows times in the browser's time zone unless the user picks one (it dropped
``default_ui_timezone``); ``BureauTimeZone`` makes the bureau's (``AGRITRACE_TIMEZONE``) the default
a user can still change.

Every Airflow component imports this file when it loads plugins, so it builds the app and nothing
more: no database access, no Airflow internals (both happen inside requests).
"""

from __future__ import annotations

from agritrace.web.app import create_app
from agritrace.web.layout import PAGE
from agritrace.web.timezone import BureauTimeZone
from airflow.plugins_manager import AirflowPlugin

PREFIX = "/agritrace"
TASK_VIEW = (f"{PREFIX}/ui/quality/task?dag_id={{DAG_ID}}&run_id={{RUN_ID}}&task_id={{TASK_ID}}"
             "&map_index={MAP_INDEX}")


def _view(key: str) -> dict[str, object]:
    """The navigation entry of one page of the app (its label and path are the app's own menu's)."""
    page = PAGE[key]
    return {"name": page.label, "href": f"{PREFIX}/{page.path}", "url_route": f"agritrace-{key}",
            "destination": "nav", "nav_top_level": True}


class AgritracePlugin(AirflowPlugin):
    name = "agritrace"
    # Airflow's plugin interface reads these class-level lists.
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "agritrace"}]  # noqa: RUF012
    fastapi_root_middlewares = [{"middleware": BureauTimeZone, "name": "agritrace-time-zone"}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        _view("trace"),
        _view("quality"),
        _view("marts"),
        {"name": "File · 文件", "href": TASK_VIEW, "url_route": "agritrace-file", "destination": "task_instance"},
    ]
