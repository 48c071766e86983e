"""The agritrace pages inside Airflow: the web app at /agritrace and its entries in the navigation.

Airflow's api-server mounts ``fastapi_apps`` under its own root app, behind the same login
(see ``agritrace.web.auth``). The ``external_views`` with a ``url_route`` appear in Airflow's
navigation under "Plugins › agritrace" and open the page inside the Airflow UI (an iframe at
``/plugin/<url_route>``); their ``href`` is the page itself, which also works on its own.

Every Airflow component imports this file when it loads plugins, so it builds the app and nothing
more: no database access, no Airflow internals (both happen inside requests).
"""

from __future__ import annotations

from agritrace.web.app import create_app
from agritrace.web.layout import PAGE
from airflow.plugins_manager import AirflowPlugin

PREFIX = "/agritrace"


def _view(key: str) -> dict[str, str]:
    """The navigation entry of one page of the app (its label and path are the app's own menu's)."""
    page = PAGE[key]
    return {"name": page.label, "href": f"{PREFIX}/{page.path}", "url_route": f"agritrace-{key}",
            "destination": "nav", "category": "agritrace"}


class AgritracePlugin(AirflowPlugin):
    name = "agritrace"
    # Airflow's plugin interface reads these class-level lists.
    fastapi_apps = [{"app": create_app(), "url_prefix": PREFIX, "name": "agritrace"}]  # noqa: RUF012
    external_views = [  # noqa: RUF012
        _view("trace"),
        _view("quality"),
        _view("marts"),
    ]
