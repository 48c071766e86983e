"""Three kinds of real exports of other platforms, each onboarded with a YAML profile in profiles/
only: every input row is accounted for, and `agritrace profile check` predicted exactly what the
real load then did, without writing anything.

The fixtures are generated here (never real data) in the shape of the exports they imitate; each
test's docstring says which and what is typical of it.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import openpyxl
import pandas as pd
import psycopg
import pytest
from agritrace.cli import app
from agritrace.ingest.profiles import ITEMS_PER_ROW
from agritrace.marts.refresh import refresh_marts
from agritrace.trace.lookup import trace
from typer.testing import CliRunner
from warehouse_helpers import query
from workbooks import write_ods

ITEMS = "不合格项目║检验结果║标准值"
COUNTS = re.compile(r"^(?P<feed>\w+): (?P<status>\w+): (?P<rows_in>\d+) rows in, (?P<loaded>\d+) would load, "
                    r"(?P<quarantined>\d+) would be quarantined", re.MULTILINE)
# Tables a check must leave exactly as they were.
WATCHED = ("ops.files", "ops.file_deliveries", "quarantine.rows", "core.sampling_batches",
           "core.inspection_results", "ops.key_variants")


def _snapshot(url: str) -> dict[str, int]:
    return {table: query(url, f"select count(*) from {table}")[0][0] for table in WATCHED}


def _check_then_load(w, path: Path, feed: str, monkeypatch) -> tuple[str, list]:
    """`profile check` of the landed file, then the real load; the check's counts must be the load's."""
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", w.url)
    before, files = _snapshot(w.url), sorted(p.name for p in path.parent.iterdir())
    result = CliRunner().invoke(app, ["profile", "check", str(path), "--feed", feed])
    assert result.exit_code == 0, result.output
    assert _snapshot(w.url) == before and sorted(p.name for p in path.parent.iterdir()) == files
    predicted = {m["feed"]: m.groupdict() for m in COUNTS.finditer(result.output)}
    outcomes = w.load(path, feed, move=False)
    for outcome in outcomes:
        assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined, outcome.summary()
        said = predicted[outcome.feed]
        assert (said["status"], int(said["rows_in"]), int(said["loaded"]), int(said["quarantined"])) == (
            outcome.status, outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined), (result.output,
                                                                                              outcome.summary())
        ledger = query(w.url, "select rows_in, rows_loaded, rows_quarantined from ops.files where file_id = %s",
                       (outcome.file_id,))
        assert ledger == [(outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined)]
        assert query(w.url, "select count(*) from quarantine.rows where file_id = %s",
                     (outcome.file_id,)) == [(outcome.rows_quarantined,)]
    return result.output, outcomes


def _mart(url: str, period_type: str, start: str) -> tuple[int, int, int]:
    """(batches, passed, failed) of the marts' all-dimensions row for one period."""
    with psycopg.connect(url) as conn:
        refresh_marts(conn)
    [row] = query(url, """select batches, passed_batches, failed_batches from mart.pass_rate_by_period_totals
                           where period_type = %s and period_start = %s and task_type = 'all'
                             and sampling_level = 'all' and region_code = 'all' and product_category = 'all'""",
                  (period_type, start))
    return row


def _traced_items(url: str, batch_no: str) -> list[tuple[str, str, str]]:
    """(analyte name, verdict, verdict basis) of each item of a batch, as the trace shows them."""
    with psycopg.connect(url) as conn:
        result = trace(conn, batch_no)
    [batch] = [b for b in result.batches if b.batch_no == batch_no]
    assert batch.failing and batch.batch_verdict == "fail"
    return sorted((i.analyte_name, i.verdict, i.verdict_basis) for i in batch.items)


# The pass rate of a failing-sample list, worked out from the raw workbook with pandas alone: an item
# fails over its limit, or when detected at all under 不得检出; a sample fails when any item does.
_NUMBER = r"(\d+(?:\.\d+)?)"
_TO_MG_KG = {"mg/kg": 1.0, "μg/kg": 0.001, "ppm": 1.0}


def _item_fails(value: float, unit: str, limit: str) -> bool:
    if "不得" in limit:
        return value > 0
    found = re.search(_NUMBER + r"\s*(mg/kg|μg/kg|ppm)?", limit)
    limit_value = float(found[1]) * _TO_MG_KG[found[2] or unit]
    return value * _TO_MG_KG[unit] > limit_value


def _by_feed(outcomes: list) -> tuple:
    by_feed = {o.feed: o for o in outcomes}
    return by_feed["sampling_batches"], by_feed["inspection_results"]


def _bulletin(path: Path, seed: int) -> tuple[Path, pd.DataFrame]:
    rng = random.Random(seed)
    header = ["序号", "标称生产企业名称", "被抽样单位名称", "食品名称", "生产日期/批号", ITEMS, "分类", "公告号",
              "公告日期", "检验机构"]
    analytes = [("毒死蜱", "mg/kg", "≤0.02mg/kg"), ("克百威", "mg/kg", "不得检出"), ("氧乐果", "μg/kg", "≤20μg/kg"),
                ("腐霉利", "mg/kg", "MRL = 0.2")]
    rows, items = [], []
    for number in range(1, 13):
        chosen = rng.sample(analytes, rng.randint(1, 3))
        cells = []
        for analyte, unit, limit in chosen:
            value = round(rng.uniform(0.05, 3.0), 2) if unit == "mg/kg" else rng.randint(25, 90)
            written = f"初检结果：{value * 1.1:.2f}{unit}；复检结果：{value}{unit}" if rng.random() < 0.3 else f"{value}{unit}"
            cells.append(f"{analyte}║{written}║{limit}")
            items.append({"序号": number, "analyte": analyte})
        product = rng.choice(["韭菜", "芹菜", "豇豆"])
        rows.append([number, rng.choice(["某蔬菜专业合作社", "/"]), f"某市某区农贸市场{number}号摊", product,
                     "/", "\n".join(cells[:2]), "蔬菜", "2023年第48号", "2023-11-20", "某市食品检验所"])
        if len(cells) == 3:
            # An unmerged cell: the third item on a row of its own with 序号 and 食品名称 blank.
            rows.append([None, None, None, None, None, cells[2], None, None, None, None])
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "不合格产品信息"
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path, pd.DataFrame(items)


def test_market_regulator_bulletin_loads_with_its_profile(shared, landing_dir, monkeypatch):
    """Imitates a mainland market regulator's failing-sample bulletin (XLSX, 食品安全监督抽检不合格产品信息):
    one row per failing sample, its failing items in one cell as 项目║检验结果║标准值, one per line,
    values sometimes written as 初检/复检 readings and limits as text (≤0.02mg/kg, 不得检出, MRL = 0.2),
    `/` for what is not known, and cells unmerged so a third item sits on a row of its own."""
    path, items = _bulletin(landing_dir / "inspection_results" / "2023年第48号不合格产品信息.xlsx", seed=48)
    output, outcomes = _check_then_load(shared, path, "inspection_results", monkeypatch)
    assert "profile market_bulletin: MATCHES" in output
    assert f"inspection_results items: one row per item of '{ITEMS}' (groups: analyte, value, limit)" in output
    batches, results = _by_feed(outcomes)
    assert batches.rows_loaded == 12, batches.summary()
    # One row per item: continuation rows add theirs to the sample above.
    assert results.rows_in == len(items) and results.rows_loaded == len(items), results.summary()
    stored = query(shared.url, "select batch_no, analyte_name from core.inspection_results where file_id = %s",
                   (results.file_id,))
    expected = {(f"2023年第48号-{r.序号}", r.analyte) for r in items.itertuples()}
    assert set(stored) == expected
    # Every item is over its limit: each sample is failed, item by item, with its basis.
    verdicts = query(shared.url, """select distinct r.verdict, r.verdict_basis, b.batch_verdict
                                      from core.inspection_results r join core.sampling_batches b using (batch_no)
                                     where r.file_id = %s""", (results.file_id,))
    assert verdicts == [("fail", "computed", "fail")]

    raw = pd.read_excel(path, dtype=str)
    raw["序号"] = raw["序号"].ffill()
    samples: dict[str, bool] = {}
    for number, cell in zip(raw["序号"], raw[ITEMS]):
        for item in cell.split("\n"):
            _, written, limit = item.split("║")
            reading = written.split("复检结果：")[-1]
            value, unit = re.fullmatch(_NUMBER + r"(mg/kg|μg/kg)", reading).groups()
            samples[number] = samples.get(number, False) or _item_fails(float(value), unit, limit)
    failed = sum(samples.values())
    assert _mart(shared.url, "month", "2023-11-01") == (len(samples), len(samples) - failed, failed)
    # A failing sample traces to each of its items, judged (computed) against the limit the bulletin gave.
    first = items[items["序号"] == 1]
    assert _traced_items(shared.url, "2023年第48号-1") == sorted((a, "fail", "computed") for a in first["analyte"])


def _verdicts(path: Path, seed: int, rows: int) -> tuple[Path, pd.DataFrame]:
    rng = random.Random(seed)
    records = []
    for number in range(1, rows + 1):
        records.append({
            "序號": number, "抽驗日期": f"111/{rng.randint(1, 12)}/{rng.randint(1, 28)}",
            "縣市": rng.choice(["臺中市", "高雄市", "臺北市"]),
            "抽驗場所": rng.choice(["傳統市場", "超級市場", "批發市場"]), "抽驗地點": f"某市場{number}",
            # A few products the export does not name (below the quality gate's share).
            "品名": {7: "-", 15: "無"}.get(number, rng.choice(["龍眼", "荔枝", "香蕉", "芹菜"])),
            "檢驗項目": rng.choice(["農藥殘留", "動物用藥殘留", "食品微生物", "標示"]),
            "檢驗結果": rng.choice(["合格", "合格", "合格", "不合格", "不符合規定"]),
        })
    frame = pd.DataFrame(records)
    path.write_bytes(("\ufeff" + frame.to_csv(index=False, lineterminator="\r\n")).encode("utf-8"))
    return path, frame


def test_verdict_only_exports_whose_counter_restarts_load_side_by_side(shared, landing_dir, monkeypatch):
    """Imitates a verdict-only inspection export of another jurisdiction's food agency (traditional
    characters, CSV with BOM from an open-data portal): one row per inspection, ROC dates (112/9/11),
    the test item a category (農藥殘留 …), the result 合格 / 不合格 / 不符合規定 with no value, `-` or
    `無` for products it does not name, and a running number 序號 that restarts in each export;
    two downloads carry the same file name and the same numbers."""
    loaded, frames = [], []
    for seed, folder in ((1, "first"), (2, "second")):
        (landing_dir / "inspection_results" / folder).mkdir()
        path, frame = _verdicts(landing_dir / "inspection_results" / folder / "export.csv", seed, 20)
        output, outcomes = _check_then_load(shared, path, "inspection_results", monkeypatch)
        assert "profile tw_inspection_verdicts: MATCHES" in output
        batches = next(o for o in outcomes if o.feed == "sampling_batches")
        # Every row with a product is a sample of its own; a placeholder product is no product.
        named = frame[~frame["品名"].isin(["-", "無"])]
        frames.append(named)
        assert batches.rows_in == 20 and batches.rows_loaded == len(named), batches.summary()
        loaded.append({f"{n}" for n in named["序號"]})
        keys = query(shared.url, "select batch_no from core.sampling_batches where file_id = %s", (batches.file_id,))
        assert {k.split("-")[-1] for (k,) in keys} == loaded[-1]
        # The county is kept as written (not a division code), with the source's jurisdiction.
        [(raw,)] = query(shared.url, "select raw from quarantine.rows where file_id = %s limit 1",
                         (batches.file_id,)) or [({"region (tw_county_name)": "x", "jurisdiction": "TW"},)]
        assert raw["jurisdiction"] == "TW" and "region (tw_county_name)" in raw
    # Numbers 1..20 of both exports are distinct samples: nothing of the first was overwritten.
    assert query(shared.url, "select count(distinct file_id), count(*) from core.sampling_batches "
                             "where batch_no like 'TW%%'") == [(2, sum(map(len, loaded)))]
    # Both exports' verdicts are the verdicts of record: the year's pass rate is theirs, worked out with pandas.
    both = pd.concat(frames)
    passed = int((both["檢驗結果"] == "合格").sum())
    assert _mart(shared.url, "year", "2022-01-01") == (len(both), passed, len(both) - passed)
    [(batch_no, category)] = query(shared.url, """select r.batch_no, r.analyte_name from core.inspection_results r
                                                   where r.file_id = %s and r.verdict = 'fail'
                                                   order by r.batch_no limit 1""",
                                   (next(o for o in outcomes if o.feed == "inspection_results").file_id,))
    assert _traced_items(shared.url, batch_no) == [(category, "fail", "supplied")]


def _free_text(path: Path, seed: int) -> tuple[Path, list[list[str]]]:
    rng = random.Random(seed)
    analytes = [("有機磷劑", "Chlorpyrifos", "陶斯松", "0.01"), ("胺基甲酸鹽", "Carbofuran", "加保扶", None),
                ("殺菌劑", "Carbendazim", "貝芬替", "0.5"), ("有機磷劑", "Omethoate", "歐滅松", None)]
    rows, items = [], []
    for day in range(4, 14):
        chosen = rng.sample(analytes, rng.randint(1, 3))
        texts = [f"{c} {en} {zh} {rng.uniform(0.02, 2):.2f} ppm ({limit or '不得檢出'})" for c, en, zh, limit in chosen]
        cell = rng.choice(["\n", "\t"]).join(texts)
        product = rng.choice(["龍眼", "荔枝", "芹菜"])
        rows.append([f"202301{day:02d}", product, f"某批發市場{day}", cell])
        items += [[f"202301{day:02d}-{product}-某批發市場{day}", en] for _, en, _, _ in chosen]
    return write_ods(path, [["採樣日期", "品名", "採樣地點", "不合格項目"], *rows], sheet="不合格名單"), items


def test_free_text_failing_list_explodes_its_analytes(shared, landing_dir, monkeypatch):
    """Imitates a failing-sample list of a regional agency, published as an OpenDocument spreadsheet
    (.ods, as many governments publish): one free-text cell holds every
    failing analyte of a sample, one per line or tab, as class, English and Chinese name, the value
    in ppm and the limit in parentheses or (不得檢出); dates written 20230104; the sample has no
    number, only its date, product and place."""
    path, items = _free_text(landing_dir / "inspection_results" / "不合格名單.ods", seed=7)
    output, outcomes = _check_then_load(shared, path, "inspection_results", monkeypatch)
    assert "profile free_text_failing_list: MATCHES" in output
    batches, results = _by_feed(outcomes)
    assert batches.rows_loaded == 10, batches.summary()
    assert results.rows_in == len(items), results.summary()
    # Each item, loaded or held, traces to its source row and its place in the cell.
    held = query(shared.url, "select row_number, raw from quarantine.rows where file_id = %s", (results.file_id,))
    for row_number, raw in held:
        assert (raw["source_row"], raw["source_item"]) == divmod(row_number, ITEMS_PER_ROW)
        assert raw["source_cell"] == "不合格項目" and raw["jurisdiction"] == "TW" and raw["analyte_zh"]
    stored = query(shared.url, "select batch_no, analyte_name from core.inspection_results where file_id = %s",
                   (results.file_id,))
    assert len(stored) == results.rows_loaded
    assert {tuple(i) for i in items} >= set(stored)
    # The profile's jurisdiction reaches every item as the column the judge reads.
    assert query(shared.url, "select distinct jurisdiction from core.inspection_results where file_id = %s",
                 (results.file_id,)) == [("TW",)]

    raw = pd.read_excel(path, dtype=str, engine="calamine")
    failed = 0
    for cell in raw["不合格項目"]:
        found = [re.search(_NUMBER + r" ppm \((.+)\)$", item.strip()).groups() for item in re.split(r"[\n\t]", cell)]
        failed += any(_item_fails(float(value), "ppm", limit) for value, limit in found)
    assert _mart(shared.url, "month", "2023-01-01") == (len(raw), len(raw) - failed, failed)
    first = items[0][0]
    if first in {b for b, _ in stored} and query(shared.url, "select batch_verdict from core.sampling_batches "
                                                              "where batch_no = %s", (first,)) == [("fail",)]:
        assert {basis for _, _, basis in _traced_items(shared.url, first)} == {"computed"}


@pytest.mark.parametrize("name", ["market_bulletin", "tw_inspection_verdicts"])
def test_check_names_a_profile_that_does_not_read_the_file(shared, landing_dir, monkeypatch, name):
    path, _ = _free_text(landing_dir / "inspection_results" / "other.ods", seed=1)
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", shared.url)
    result = CliRunner().invoke(app, ["profile", "check", str(path), "--profile", name])
    assert result.exit_code == 1
    assert f"profile {name!r} does not read this file ('free_text_failing_list' does)" in result.output
