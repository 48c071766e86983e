"""`agritrace ref recode`: batches loaded under a product name the reference did not know are coded
once an alias teaches it the name, each as a new version with the uncoded one kept in history, and
the marts count them under their product from the next refresh."""

from __future__ import annotations

from pathlib import Path

from agritrace.bootstrap import bring_up
from agritrace.cli import app
from agritrace.pipeline import process_file
from agritrace.triage import RECODE_PRODUCTS
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

LOCAL_NAME = "本地青豇"  # cowpea as one township writes it
STILL_UNKNOWN = "某种野菜"


def _load(url: str, path: Path, feed: str):
    [outcome] = process_file(path, feed, url=url)
    return outcome


def _current(url: str, batch_no: str) -> tuple:
    [row] = query(url, "select product_name, product_code, product_category, batch_verdict, file_id "
                       "from core.sampling_batches where batch_no = %s", (batch_no,))
    return row


def test_batches_loaded_under_an_unknown_name_are_coded_once_it_is_known(warehouse: str, landing: Path) -> None:
    bring_up(warehouse)
    keys = Keys()
    producer_id = keys.producer()
    local, unknown, known = keys.batch(), keys.batch(), keys.batch()
    _load(warehouse, write_csv(landing / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer_id)]),
          "producers")
    batches = _load(warehouse, write_csv(landing / "sampling_batches" / "b.csv", BATCH_COLUMNS, [
        batch_row(local, producer_id, product_name=LOCAL_NAME),
        batch_row(unknown, producer_id, product_name=STILL_UNKNOWN),
        batch_row(known, producer_id)]), "sampling_batches")
    # A batch needs no known product to load; its measured results do, to be judged.
    assert batches.rows_loaded == 3
    loaded_in = _current(warehouse, local)[4]
    assert _current(warehouse, local)[:4] == (LOCAL_NAME, None, None, None)
    results = _load(warehouse, write_csv(landing / "inspection_results" / "r.csv", RESULT_COLUMNS,
                                         [result_row(local, "噻虫胺", result_value="0.005")]), "inspection_results")
    assert results.rows_quarantined == 1
    runner = CliRunner()

    added = runner.invoke(app, ["ref", "alias", "add", "product", LOCAL_NAME, "豇豆"])
    assert added.exit_code == 0, added.output
    assert f"`{RECODE_PRODUCTS}`" in added.output
    replayed = runner.invoke(app, ["quarantine", "replay", "inspection_results"])
    assert "1 loaded" in replayed.output, replayed.output
    assert _current(warehouse, local)[3] == "pass"

    assert _refreshed_products(runner, warehouse) == [("unknown", 1)]

    dry = runner.invoke(app, ["ref", "recode", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "dry run, nothing written: 1 of 2 batches without a product code would be coded" in dry.output
    assert f"{LOCAL_NAME} → cowpea: 1 batch(es)" in dry.output
    assert _current(warehouse, local)[1] is None
    assert query(warehouse, "select count(*) from ops.files where source_profile = 'recode'") == [(0,)]

    recoded = runner.invoke(app, ["ref", "recode"])
    assert recoded.exit_code == 0, recoded.output
    [(file_id, file_name, status, rows_in, rows_loaded)] = query(
        warehouse, "select file_id, file_name, status, rows_in, rows_loaded from ops.files "
                   "where source_profile = 'recode'")
    assert file_name.startswith("product recoding ") and (status, rows_in, rows_loaded) == ("loaded", 1, 1)
    assert "1 of 2 batches without a product code coded" in recoded.output
    # Coded by the rule of arrival (the code, and the category the product implies, as the batch that
    # arrived as 豇豆 has them), the verdict its results gave kept.
    arrived_coded = _current(warehouse, known)[1:3]
    assert arrived_coded[0] == "cowpea" and arrived_coded[1] is not None
    assert _current(warehouse, local) == (LOCAL_NAME, *arrived_coded, "pass", file_id)
    assert query(warehouse, "select product_code, file_id, superseded_by_file from core.sampling_batches_history "
                            "where batch_no = %s", (local,)) == [(None, loaded_in, file_id)]
    assert _current(warehouse, unknown)[1] is None
    assert _current(warehouse, known)[1:3] == arrived_coded

    again = runner.invoke(app, ["ref", "recode"])
    assert "nothing to recode: 0 of 1 batches" in again.output, again.output
    assert query(warehouse, "select count(*) from ops.files where source_profile = 'recode'") == [(1,)]

    assert _refreshed_products(runner, warehouse) == [("cowpea", 1)]


def _refreshed_products(runner: CliRunner, url: str) -> list[tuple]:
    """The products the refreshed marts count the clothianidin item under."""
    refreshed = runner.invoke(app, ["marts", "refresh"])
    assert refreshed.exit_code == 0, refreshed.output
    return query(url, "select product_code, tested from mart.analyte_exceedance "
                      "where analyte_code = 'clothianidin' and year = 2024")
