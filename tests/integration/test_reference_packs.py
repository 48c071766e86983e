"""Reference packs and jurisdictions end to end, through the CLI.

The rows imitate a verdict-only export of another jurisdiction's inspection platform (traditional
Chinese, its own names such as 陶斯松 for chlorpyrifos, test categories such as 農藥殘留 and 標示 as
the test item): a value of that jurisdiction is never judged with mainland limits, and is judged
with its own once its pack (tests/fixtures/reference_packs/test_jurisdiction, TEST FIGURES) is
loaded; an unknown local name waits in quarantine until an alias is added, and is loaded once.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
from agritrace.bootstrap import bring_up
from agritrace.cli import app
from agritrace.marts.refresh import create_marts
from agritrace.pipeline import process_file
from agritrace.trace.lookup import trace
from agritrace.trace.render import render_table
from typer.testing import CliRunner
from warehouse_helpers import BATCH_COLUMNS, PRODUCER_COLUMNS, Keys, batch_row, producer_row, query, write_csv

PACK = Path(__file__).parents[1] / "fixtures" / "reference_packs" / "test_jurisdiction"
COLUMNS = ("batch_no", "analyte", "result_value", "unit", "verdict", "jurisdiction", "tested_on")
ITEM = "select verdict, verdict_basis, limit_standard, limit_mg_kg, verdict_reason from core.inspection_results " \
       "where batch_no = %s and analyte_code = %s"


def _load(url: str, path: Path, feed: str):
    [outcome] = process_file(path, feed, url=url)
    return outcome


def _row(batch_no: str, analyte: str, value: str = "", verdict: str = "", jurisdiction: str = "TW") -> dict:
    return {"batch_no": batch_no, "analyte": analyte, "result_value": value, "unit": "ppm" if value else "",
            "verdict": verdict, "jurisdiction": jurisdiction, "tested_on": "2023-09-12"}


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_another_jurisdiction_is_judged_only_with_its_own_pack(warehouse: str, landing: Path, tmp_path: Path) -> None:
    bring_up(warehouse)
    keys = Keys()
    producer_id = keys.producer()
    tw_value, tw_unknown, tw_categories, cn_value = (keys.batch() for _ in range(4))
    _load(warehouse, write_csv(landing / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer_id)]),
          "producers")
    _load(warehouse, write_csv(landing / "sampling_batches" / "b.csv", BATCH_COLUMNS, [
        batch_row(b, producer_id, product_name="龍眼", sampling_date="2023-09-11")
        for b in (tw_value, tw_unknown, tw_categories, cn_value)]), "sampling_batches")
    results = write_csv(landing / "inspection_results" / "r.csv", COLUMNS, [
        _row(tw_value, "毒死蜱", "0.03"),       # GB 2763 (1 mg/kg) would pass it
        _row(tw_unknown, "陶斯松", "0.03"),     # chlorpyrifos by its local name: unknown until aliased
        _row(tw_categories, "農藥殘留", verdict="合格"), _row(tw_categories, "標示", verdict="不符合規定"),
        _row(cn_value, "毒死蜱", "0.03", jurisdiction=""),  # the bureau's own jurisdiction: mainland
    ])
    outcome = _load(warehouse, results, "inspection_results")
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (4, 1), outcome.summary()

    # No TW limits loaded: the value is not judged (never with GB 2763); categories keep their verdicts.
    verdict, basis, standard, limit, reason = query(warehouse, ITEM, (tw_value, "chlorpyrifos"))[0]
    assert (verdict, basis, standard, limit) == ("inconclusive", "not_judged", None, None)
    assert reason.startswith("not judged: no limits loaded for TW")
    assert query(warehouse, ITEM, (cn_value, "chlorpyrifos"))[0][:3] == ("pass", "computed", "GB 2763-2021")
    assert query(warehouse, "select analyte_code, verdict, verdict_basis from core.inspection_results "
                            "where batch_no = %s order by 1", (tw_categories,)) == [
        ("labelling", "fail", "supplied"), ("pesticide_residues", "pass", "supplied")]
    with psycopg.connect(warehouse) as conn:
        create_marts(conn)
        chain = trace(conn, tw_value)
    assert query(warehouse, "select not_judged, passed, failed from mart.test_category_results "
                            "where jurisdiction = 'TW' and test_category = 'pesticide_residues'") == [(1, 1, 0)]
    [item] = [i for b in chain.batches if b.batch_no == tw_value for i in b.items]
    assert (item.shown_verdict, item.failing) == ("inconclusive (not judged)", False)
    assert "not judged: no limits loaded for TW" in render_table(chain)
    assert "Limits:    none loaded for TW" in _invoke("explain-verdict", "--product", "龍眼", "--analyte", "毒死蜱",
                                                        "--value", "0.03", "--unit", "ppm", "--jurisdiction", "TW")

    # The pack loads once: a second load changes nothing.
    loaded = _invoke("ref", "load", str(PACK))
    # The pack teaches product names (龍眼): the batches loaded under them can be coded now.
    assert "loaded as load" in loaded and "agritrace ref rejudge" in loaded and "agritrace ref recode" in loaded
    assert "already loaded, nothing changed" in _invoke("ref", "load", str(PACK))
    assert query(warehouse, "select count(*) from ref.pack_loads where jurisdiction = 'TW'") == [(1,)]
    _invoke("ref", "rejudge")
    verdict, basis, standard, limit, _ = query(warehouse, ITEM, (tw_value, "chlorpyrifos"))[0]
    assert (verdict, basis, standard, float(limit)) == ("fail", "computed", "TEST-TW-MRL", 0.01)
    assert query(warehouse, ITEM, (cn_value, "chlorpyrifos"))[0][:3] == ("pass", "computed", "GB 2763-2021")
    assert query(warehouse, "select batch_verdict from core.sampling_batches where batch_no = %s",
                 (tw_value,)) == [("fail",)]

    # The local name: listed, aliased, replayed once, and judged with TW limits.
    assert "'陶斯松': 1 row" in _invoke("ref", "unknown")
    _invoke("ref", "alias", "add", "analyte", "陶斯松", "毒死蜱")
    assert "replayed 1: 1 loaded" in _invoke("quarantine", "replay", "inspection_results")
    assert "replayed 0: 0 loaded" in _invoke("quarantine", "replay", "inspection_results")
    assert query(warehouse, ITEM, (tw_unknown, "chlorpyrifos"))[0][:3] == ("fail", "computed", "TEST-TW-MRL")

    # A changed figure is a new version; the one it replaces is kept with the load that replaced it.
    changed = tmp_path / "pack"
    shutil.copytree(PACK, changed)
    limits = changed / "limits.csv"
    limits.write_text(limits.read_text(encoding="utf-8").replace("龍眼,mrl,0.01,", "龍眼,mrl,0.05,"), encoding="utf-8")
    assert "limits: 0 added, 1 changed" in _invoke("ref", "load", str(changed))
    [(old, superseded_by)] = query(warehouse, "select limit_value, superseded_by from ref.limits_history")
    [(new, loaded_by)] = query(warehouse, "select limit_value, loaded_by from ref.limits "
                                          "where standard = 'TEST-TW-MRL' and product_level_code = 'longan'")
    assert (float(old), float(new), superseded_by) == (0.01, 0.05, loaded_by)

    # The marts count the items by test category and jurisdiction.
    assert query(warehouse, "select jurisdiction, test_category, items, passed, failed, not_judged, supplied_verdicts "
                            "from mart.test_category_results where year = 2023 order by 1, 2") == [
        ("CN", "pesticide_residues", 1, 1, 0, 0, 0),
        ("TW", "labelling", 1, 0, 1, 0, 1),
        ("TW", "pesticide_residues", 3, 1, 2, 0, 1),
    ]
