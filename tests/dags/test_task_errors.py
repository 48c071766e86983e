"""What an ingest task says when the warehouse is gone: one clear line, and Airflow may retry."""

from __future__ import annotations

from pathlib import Path

import pytest
from agritrace import dag_support
from agritrace.airflow_local import connection_json
from agritrace.config import WAREHOUSE_CONN_ID


def test_an_unreachable_warehouse_is_one_clear_line_in_the_task(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 capfd: pytest.CaptureFixture) -> None:
    from airflow.sdk.exceptions import AirflowException, AirflowFailException

    monkeypatch.setenv(f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}",
                       connection_json("postgresql://postgres@127.0.0.1:1/agritrace"))
    path = tmp_path / "certificates" / "c.csv"
    path.parent.mkdir()
    path.write_text("certificate_no\nHGZ-1\n", encoding="utf-8")

    with pytest.raises(AirflowException) as caught:
        dag_support.ingest_landing_file("certificates", str(path), run_id="manual__test")
    assert not isinstance(caught.value, AirflowFailException)  # retries still apply
    message = str(caught.value)
    assert "\n" not in message and "Nothing of a file being loaded was committed" in message
    logged = capfd.readouterr()
    assert "Traceback" not in logged.out + logged.err and "cannot reach the database" in logged.out + logged.err
    assert path.exists()
