"""Failure alerts: always logged; also sent to a webhook and/or by email when configured.

- ``AGRITRACE_ALERT_WEBHOOK``: URL that receives a JSON POST {dag_id, task_id, run_id, reason, log_url}.
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
        "try_number": getattr(ti, "try_number", None),
        "reason": str(exception) if exception else "failed",
        "at": datetime.now(UTC).isoformat(),
    }


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


async def ingest_deadline_missed(feed: str, context=None, **_: object) -> None:
    """Deadline alert of the daily ingest: its run was not finished two hours after its interval ended."""
    run = (context or {}).get("dag_run") or {}
    dag_id = run.get("dag_id") if isinstance(run, dict) else getattr(run, "dag_id", None)
    run_id = run.get("run_id") if isinstance(run, dict) else getattr(run, "run_id", None)
    send_alert({
        "dag_id": dag_id or f"ingest_{feed}",
        "task_id": None,
        "run_id": run_id,
        "reason": f"deadline missed: today's {feed} ingest had not finished two hours after its data interval "
                  "ended. Check the run in the Airflow UI (queued? a long file? a held file?).",
        "at": datetime.now(UTC).isoformat(),
    })
