"""What an ingest task says when the warehouse is gone: one clear line, and Airflow may retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from agritrace import dag_support


class Recorder:
    """Stands in for the module's logger: what the task log would hold, whatever logging is configured."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def _record(self, level: str, message: str, *args, **kwargs) -> None:
        assert "exc_info" not in kwargs  # no traceback for an expected outcome
        self.lines.append((level, message % args))

    def info(self, message: str, *args, **kwargs) -> None:
        self._record("info", message, *args, **kwargs)

    def error(self, message: str, *args, **kwargs) -> None:
        self._record("error", message, *args, **kwargs)


def test_an_unreachable_warehouse_is_one_clear_line_in_the_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    # The connection as Airflow would resolve it (Airflow may cache connections within a process).
    monkeypatch.setattr(dag_support, "warehouse_url", lambda: "postgresql://postgres@127.0.0.1:1/agritrace")
    log = Recorder()
    monkeypatch.setattr(dag_support, "log", log)
    path = tmp_path / "certificates" / "c.csv"
    path.parent.mkdir()
    path.write_text("certificate_no\nHGZ-1\n", encoding="utf-8")

    with pytest.raises(AirflowException) as caught:
        dag_support.ingest_landing_file("certificates", str(path), run_id="manual__test")
    assert not isinstance(caught.value, AirflowFailException)  # retries still apply
    message = str(caught.value)
    assert "\n" not in message and "Nothing of a file being loaded was committed" in message
    assert log.lines == [("error", message)]
    assert path.exists()
