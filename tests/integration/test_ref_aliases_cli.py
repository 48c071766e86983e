"""`agritrace ref unknown` and `agritrace ref alias add`: a result held for an unknown analyte name is
listed with its count, an alias teaches the reference the name, and a replay loads the row once."""

from __future__ import annotations

from pathlib import Path

from agritrace.bootstrap import bring_up
from agritrace.cli import app
from agritrace.pipeline import process_file
from typer.testing import CliRunner
from warehouse_helpers import (
    BATCH_COLUMNS,
    PRODUCER_COLUMNS,
    RESULT_COLUMNS,
    Keys,
    batch_row,
    producer_row,
    query,
    result_row,
    write_csv,
)

UNKNOWN = "灭蝇胺(环丙氨嗪)"  # cyromazine as a lab wrote it, with its other name


def _load(url: str, path: Path, feed: str):
    [outcome] = process_file(path, feed, url=url)
    return outcome


def test_an_unknown_analyte_is_listed_aliased_and_replayed_once(warehouse: str, landing: Path) -> None:
    bring_up(warehouse)
    keys = Keys()
    producer_id, batch_no = keys.producer(), keys.batch()
    _load(warehouse, write_csv(landing / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer_id)]),
          "producers")
    _load(warehouse, write_csv(landing / "sampling_batches" / "b.csv", BATCH_COLUMNS,
                               [batch_row(batch_no, producer_id)]), "sampling_batches")
    results = write_csv(landing / "inspection_results" / "r.csv", RESULT_COLUMNS,
                        [result_row(batch_no, name) for name in (
                            UNKNOWN, "噻蟲胺", "2921-88-2", "Acetamiprid", "吡虫啉", "阿維菌素", "腐霉利")])
    outcome = _load(warehouse, results, "inspection_results")
    # Traditional spellings, English names and CAS numbers resolve; only the unknown name is held.
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (6, 1), outcome.summary()
    runner = CliRunner()

    listed = runner.invoke(app, ["ref", "unknown", "--feed", "inspection_results"])
    assert listed.exit_code == 0, listed.output
    [line] = [line for line in listed.output.splitlines() if UNKNOWN in line]
    assert line.startswith(f"analyte {UNKNOWN!r}: 1 row [inspection_results]")
    assert "cyromazine" in line  # the likely match
    assert "no unknown" in runner.invoke(app, ["ref", "unknown", "--feed", "producers"]).output

    refused = runner.invoke(app, ["ref", "alias", "add", "analyte", UNKNOWN, "不存在的农药"])
    assert refused.exit_code != 0
    assert "unknown analyte '不存在的农药'" in refused.output
    clash = runner.invoke(app, ["ref", "alias", "add", "analyte", "噻虫胺", "灭蝇胺"])
    assert clash.exit_code != 0 and "already means clothianidin" in clash.output

    for _ in range(2):  # idempotent: the second add writes nothing
        added = runner.invoke(app, ["ref", "alias", "add", "analyte", UNKNOWN, "灭蝇胺"])
        assert added.exit_code == 0, added.output
    assert "already resolves to cyromazine" in added.output
    assert query(warehouse, "select analyte_code, lang from ref.analyte_aliases where alias = %s", (UNKNOWN,)) == [
        ("cyromazine", "zh-Hans")]

    replayed = runner.invoke(app, ["quarantine", "replay", "inspection_results"])
    assert replayed.exit_code == 0, replayed.output
    assert "replayed 1: 1 loaded, 0 still quarantined" in replayed.output
    again = runner.invoke(app, ["quarantine", "replay", "inspection_results"])
    assert again.exit_code == 0, again.output
    assert "replayed 0: 0 loaded" in again.output
    assert query(warehouse, "select count(*) from core.inspection_results where batch_no = %s and analyte_code = %s",
                 (batch_no, "cyromazine")) == [(1,)]
    assert "no unknown" in runner.invoke(app, ["ref", "unknown"]).output
