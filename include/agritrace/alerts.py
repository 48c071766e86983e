"""Failure and deadline alerts: always logged; also sent to a webhook and/or by email when configured.

Every alert names its DAG run and the run's data interval (``run_id``, ``data_interval_start``,
``data_interval_end``), so the person who gets it knows which day's data it is about.

- ``AGRITRACE_ALERT_WEBHOOK``: URL that receives a JSON POST of the alert.
- ``AGRITRACE_ALERT_EMAIL`` (+ ``AGRITRACE_SMTP_HOST``, ``AGRITRACE_SMTP_PORT``): who gets an email.
Unset, they do nothing; a channel that fails is logged and never masks the original failure.
Every alert is also appended to ``<AGRITRACE_HOME>/alerts.jsonl`` so operators (and tests) can see what fired.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import urllib.request
from datetime import UTC, datetime
from email.message import EmailMessage

from airflow.sdk import BaseNotifier

log = logging.getLogger(__name__)


def alert_payload(context) -> dict:
    ti = context.get("ti") or context.get("task_instance")
    dag = context.get("dag")
    exception = context.get("exception")
    return {
        "dag_id": getattr(dag, "dag_id", None) or getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "run_id": context.get("run_id") or getattr(ti, "run_id", None),
        "data_interval_start": _iso(context.get("data_interval_start")),
        "data_interval_end": _iso(context.get("data_interval_end")),
        "try_number": getattr(ti, "try_number", None),
        "reason": str(exception) if exception else "failed",
        "at": datetime.now(UTC).isoformat(),
    }


def _iso(value) -> str | None:
    return value.isoformat() if hasattr(value, "isoformat") else value


def send_alert(payload: dict) -> list[str]:
    """Deliver one alert on every configured channel; returns the channels that took it."""
    from agritrace.config import settings

    delivered = ["log"]
    log.error("agritrace alert: %s", json.dumps(payload, ensure_ascii=False))
    home = settings().home
    home.mkdir(parents=True, exist_ok=True)
    with (home / "alerts.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(payload, ensure_ascii=False) + "\n")
    delivered.append("file")
    webhook = os.environ.get("AGRITRACE_ALERT_WEBHOOK")
    if webhook:
        try:
            request = urllib.request.Request(webhook, data=json.dumps(payload).encode(), method="POST",
                                             headers={"Content-Type": "application/json"})
            urllib.request.urlopen(request, timeout=10).close()
            delivered.append("webhook")
        except OSError as exc:
            log.warning("alert webhook %s failed: %s", webhook, exc)
    recipient = os.environ.get("AGRITRACE_ALERT_EMAIL")
    if recipient:
        try:
            message = EmailMessage()
            message["Subject"] = f"[agritrace] {payload['dag_id']}.{payload['task_id']} failed"
            message["From"] = os.environ.get("AGRITRACE_ALERT_FROM", "agritrace@localhost")
            message["To"] = recipient
            message.set_content(json.dumps(payload, ensure_ascii=False, indent=2))
            host = os.environ.get("AGRITRACE_SMTP_HOST", "localhost")
            port = int(os.environ.get("AGRITRACE_SMTP_PORT", "25"))
            with smtplib.SMTP(host, port, timeout=10) as smtp:
                smtp.send_message(message)
            delivered.append("email")
        except OSError as exc:
            log.warning("alert email to %s failed: %s", recipient, exc)
    return delivered


class AgritraceFailureNotifier(BaseNotifier):
    """Airflow notifier for task failures."""

    def notify(self, context) -> None:
        send_alert(alert_payload(context))


def failure_notifier() -> AgritraceFailureNotifier:
    return AgritraceFailureNotifier()


def deadline_not_worth_an_alert(run: dict, deadline_time: str | datetime | None) -> str | None:
    """Why a missed deadline of this run is no news (None: send the alert).

    ``run`` is the DAG run as Airflow hands it to a deadline callback (its REST API's form). A
    backfill re-runs past days on purpose, and a run queued after its deadline had passed (the first
    catch-up of a new installation, a run started by hand for an old day) was late before it began;
    a run that has already finished said what it had to say (a failure has its own alert).
    """
    if run.get("run_type") == "backfill":
        return "a backfill run"
    if run.get("state") in ("success", "failed"):
        return f"the run has already ended ({run['state']})"
    queued = _when(run.get("queued_at") or run.get("run_after"))
    deadline = _when(deadline_time)
    if queued is not None and deadline is not None and queued >= deadline:
        return f"the run was queued at {queued.isoformat()}, after its deadline {deadline.isoformat()}"
    return None


def _when(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


async def ingest_deadline_missed(feed: str, context=None, **_: object) -> None:
    """Deadline alert of the daily ingest: its run was not finished two hours after its interval ended."""
    context = context or {}
    run = context.get("dag_run") or {}
    if not isinstance(run, dict):  # an ORM or SDK object rather than the REST form
        run = {key: getattr(run, key, None) for key in (
            "dag_id", "run_id", "run_type", "state", "queued_at", "run_after", "data_interval_start",
            "data_interval_end")}
    deadline_time = (context.get("deadline") or {}).get("deadline_time")
    run_id = run.get("dag_run_id") or run.get("run_id")
    skip = deadline_not_worth_an_alert(run, deadline_time)
    if skip:
        log.info("deadline of %s passed, no alert: %s", run_id, skip)
        return
    start, end = _iso(run.get("data_interval_start")), _iso(run.get("data_interval_end"))
    send_alert({
        "dag_id": run.get("dag_id") or f"ingest_{feed}",
        "task_id": None,
        "run_id": run_id,
        "data_interval_start": start,
        "data_interval_end": end,
        "deadline": _iso(deadline_time),
        "reason": f"deadline missed: the {feed} ingest run {run_id} for the data interval {start} – {end} had not "
                  "finished two hours after the interval ended. Check the run in the Airflow UI (queued? a long "
                  "file? a held file?).",
        "at": datetime.now(UTC).isoformat(),
    })
