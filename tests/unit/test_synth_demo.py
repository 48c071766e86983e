"""The calibrated demo set, read back from its files the way a bureau's files would be read.

Figures are recomputed from the rows written (never from hidden truth columns): a lab batch fails
when an item is over the limit the generator assumed or a banned substance is detected.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from agritrace.contracts import FEEDS
from agritrace.ingest.landing import DONE_MARKER
from agritrace.synth import DEFECT_KINDS, generate_demo, is_valid_credit_code
from agritrace.synth import catalog as cat

NON_DETECT = {"ND", "未检出", "<LOD", "-"}


def _header_map(feed: str) -> dict[str, str]:
    return {h: f.name for f in FEEDS[feed].fields for h in f.headers}


def _word_map(feed: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in FEEDS[feed].fields:
        if f.vocabulary:
            out[f.name] = {w: canon for canon, words in f.vocabulary.items() for w in (canon, *words)}
    return out


def _read_file(path: Path) -> pd.DataFrame:
    if path.suffix == ".xlsx":
        frame = pd.read_excel(path, dtype=object)
        return frame.map(lambda v: "" if pd.isna(v) else v.date().isoformat() if isinstance(v, datetime) else str(v))
    if path.suffix == ".jsonl":
        frame = pd.read_json(path, lines=True, dtype=False, convert_dates=False)
        return frame.map(lambda v: "" if pd.isna(v) else f"{v:g}" if isinstance(v, float) else str(v))
    encoding = "gbk" if path.name.endswith("_gbk.csv") else "utf-8-sig"
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding=encoding)


def read_feed(root: Path, feed: str) -> pd.DataFrame:
    """All files of a feed with canonical headers and words; ``_file``/``_row`` say where."""
    frames = []
    headers, words = _header_map(feed), _word_map(feed)
    for path in sorted((root / feed).iterdir()):
        if path.name.endswith(DONE_MARKER):
            continue
        frame = _read_file(path).rename(columns=lambda h: headers[h.strip()])
        for column, mapping in words.items():
            if column in frame and FEEDS[feed].field(column).type == "enum":
                frame[column] = frame[column].map(lambda v, m=mapping: m.get(v, v) if v else v)
        frame["_file"] = f"{feed}/{path.name}"
        frame["_row"] = range(1, len(frame) + 1)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def parse_date(text: str) -> date | None:
    m = re.fullmatch(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})日?", text.strip())
    try:
        return date(*map(int, m.groups())) if m else None
    except ValueError:
        return None


def item_fails(product: str, analyte: str, value: str, lod: str) -> bool:
    if value in NON_DETECT:
        return False
    v = float(value)
    if cat.is_banned(product, analyte):
        return v >= float(lod)
    limit = cat.ASSUMED_LIMITS.get((product, analyte))
    return limit is not None and v > limit.value


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    summary = generate_demo(root)
    feeds = {feed: read_feed(root, feed) for feed in FEEDS}
    return root, summary, feeds


@pytest.fixture(scope="module")
def judged(demo):
    _, _, f = demo
    batches = f["sampling_batches"].set_index("batch_no")
    results = f["inspection_results"].join(batches[["product_name", "task_type"]], on="batch_no")
    lab = results[results.task_type != "rapid_test"].copy()
    lab["fails"] = [
        item_fails(p, a, v, lod) for p, a, v, lod in zip(lab.product_name, lab.analyte, lab.result_value, lab.lod)
    ]
    verdict = lab.groupby("batch_no").fails.any().map({True: "fail", False: "pass"})
    return batches.join(verdict.rename("verdict"), how="inner"), lab


def test_demo_has_324_producers_all_issuing_certificates(demo):
    _, summary, f = demo
    assert len(f["producers"]) == 324 and f["producers"].producer_id.is_unique
    assert set(f["certificates"].producer_id) == set(f["producers"].producer_id)
    assert summary.expected["producers"] == summary.expected["producers_issuing"] == 324


def test_demo_has_17467_certificates_issued_in_2023(demo):
    _, _, f = demo
    certs = f["certificates"]
    assert len(certs) == 17_467 and certs.certificate_no.is_unique
    days = certs.issue_date.map(parse_date)
    assert days.notna().all() and all(d.year == 2023 for d in days)


def test_lychee_certificates_fall_in_its_season(demo):
    _, _, f = demo
    lychee = f["certificates"][f["certificates"].product_name == "荔枝"]
    assert {parse_date(d).month for d in lychee.issue_date} <= {5, 6, 7, 8}


def test_district_routine_sampling_is_586_batches_575_passing(judged):
    batches, _ = judged
    group = batches[(batches.task_type == "routine_monitoring") & (batches.sampling_level == "district")]
    assert len(group) == 586
    assert Counter(group.verdict) == {"pass": 575, "fail": 11}
    assert round(575 / 586 * 100, 2) == 98.12


def test_supervisory_province_and_city_sampling_is_164_batches_162_passing(judged):
    batches, _ = judged
    group = batches[batches.task_type == "supervisory_sampling"]
    assert set(group.sampling_level) == {"province", "city"}
    assert len(group) == 164
    assert Counter(group.verdict) == {"pass": 162, "fail": 2}


def test_recomputed_verdicts_match_the_generator_ground_truth(demo, judged):
    _, summary, _ = demo
    batches, _ = judged
    assert batches.verdict.to_dict() == {b: v for b, v in summary.batch_verdicts.items() if v in ("pass", "fail")}


def test_supplied_item_verdicts_agree_with_the_values(judged):
    _, lab = judged
    assert (lab.verdict.isin(["fail", "不合格", "不符合规定"]) == lab.fails).all()


def test_failing_items_are_well_over_their_limit(judged):
    _, lab = judged
    failing = lab[lab.fails]
    assert 13 <= len(failing) <= 15
    for row in failing.itertuples():
        assert (row.product_name, row.analyte) in cat.FAILING_PAIRS
        limit = cat.ASSUMED_LIMITS[(row.product_name, row.analyte)].value
        assert float(row.result_value) >= 1.4 * limit


def test_passing_batches_stay_under_a_fifth_of_the_limit_and_detect_nothing_banned(judged):
    batches, lab = judged
    passing = lab[lab.batch_no.isin(batches.index[batches.verdict == "pass"])]
    detected = passing[~passing.result_value.isin(NON_DETECT)]
    assert len(detected) > 0
    for row in detected.itertuples():
        assert not cat.is_banned(row.product_name, row.analyte)
        cap = cat.PASSING_DETECTIONS[(row.product_name, row.analyte)]
        assert float(row.lod) < float(row.result_value) <= cap
        limit = cat.ASSUMED_LIMITS.get((row.product_name, row.analyte))
        if limit:
            assert float(row.result_value) <= 0.2 * limit.value


def test_lab_batches_have_3_to_8_items_and_rapid_tests_one(judged, demo):
    _, _, f = demo
    _, lab = judged
    assert lab.groupby("batch_no").size().between(3, 8).all()
    rapid = f["inspection_results"][f["inspection_results"].unit == "%"]
    assert rapid.batch_no.is_unique
    assert (rapid.result_value.astype(float) >= 50).sum() == 5


def test_every_credit_code_verifies_and_households_use_registry_codes(demo):
    _, _, f = demo
    for code, ptype in zip(f["producers"].producer_id, f["producers"].producer_type):
        if ptype == "household":
            assert re.fullmatch(r"HH-440902-\d{6}", code)
        else:
            assert is_valid_credit_code(code), code
    assert set(f["producers"].town) <= set(cat.TOWNS)
    assert all(parse_date(d) < date(2023, 1, 1) for d in f["producers"].registered_on)


def test_tested_on_is_never_before_sampling_date(demo):
    _, _, f = demo
    joined = f["inspection_results"].merge(f["sampling_batches"], on="batch_no")
    gaps = [(parse_date(t) - parse_date(s)).days for t, s in zip(joined.tested_on, joined.sampling_date)]
    assert len(gaps) == len(f["inspection_results"])
    assert 0 <= min(gaps) and max(gaps) <= 10


def test_sampled_certificates_come_from_the_same_producer_and_product_shortly_before(demo):
    _, _, f = demo
    batches = f["sampling_batches"]
    calibrated = batches[batches.task_type != "rapid_test"]
    assert (calibrated.producer_id != "").all()
    linked = calibrated[calibrated.certificate_no != ""]
    assert 0.9 < len(linked) / len(calibrated) < 1.0
    unlinked = calibrated[calibrated.certificate_no == ""]
    assert set(unlinked.sampling_stage) <= {"farmers_market", "wholesale_market"}
    certs = f["certificates"].set_index("certificate_no")
    for row in linked.itertuples():
        cert = certs.loc[row.certificate_no]
        assert (cert.producer_id, cert.product_name) == (row.producer_id, row.product_name)
        lag = (parse_date(row.sampling_date) - parse_date(cert.issue_date)).days
        assert 0 <= lag <= 3


def test_each_feed_is_spread_over_five_formats_with_chinese_headers(demo):
    root, summary, _ = demo
    for feed, paths in summary.files.items():
        assert {p.suffix for p in paths} == {".csv", ".xlsx", ".jsonl"} and len(paths) == 5
        zh = root / feed / f"{feed}_2023_zh.csv"
        assert zh.read_bytes().startswith(b"\xef\xbb\xbf")
        gbk_header = (root / feed / f"{feed}_2023_gbk.csv").read_bytes().decode("gbk").splitlines()[0]
        assert gbk_header.split(",") == [f.aliases[0] for f in FEEDS[feed].fields]


def test_chinese_words_and_dates_appear_in_the_varied_files(demo):
    root, _, _ = demo
    text = (root / "sampling_batches" / "sampling_batches_2023_gbk.csv").read_bytes().decode("gbk")
    assert "例行监测" in text and "生产基地" in text and re.search(r"2023年\d+月\d+日", text)
    zh = (root / "certificates" / "certificates_2023_zh.csv").read_text(encoding="utf-8-sig")
    assert re.search(r",2023/\d{1,2}/\d{1,2},", zh)


def test_same_seed_writes_the_same_content(demo, tmp_path):
    root, _, f = demo
    generate_demo(tmp_path)
    for feed in FEEDS:
        for name in (f"{feed}_2023.csv", f"{feed}_2023_gbk.csv", f"{feed}_2023.jsonl"):
            assert (tmp_path / feed / name).read_bytes() == (root / feed / name).read_bytes()
        again = read_feed(tmp_path, feed)
        pd.testing.assert_frame_equal(again, f[feed])


def test_plain_set_is_one_canonical_csv_per_feed(tmp_path):
    summary = generate_demo(tmp_path, variety=False)
    for feed, paths in summary.files.items():
        assert [p.name for p in paths] == [f"{feed}_2023.csv"]
        frame = pd.read_csv(paths[0], dtype=str, keep_default_na=False)
        assert list(frame.columns) == FEEDS[feed].columns
    assert summary.rows["certificates"] == 17_467 and summary.defects == {}


# Defects ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defective(tmp_path_factory):
    root = tmp_path_factory.mktemp("defects")
    summary = generate_demo(root, defect_rate=0.005)
    return root, summary, {feed: read_feed(root, feed) for feed in FEEDS}


def test_every_defect_kind_is_injected_and_counted(defective):
    _, summary, _ = defective
    assert set(summary.defects) == set(DEFECT_KINDS)
    assert all(n >= 1 for n in summary.defects.values())
    assert Counter(d.kind for d in summary.defect_rows) == summary.defects
    clean = sum(summary.expected["loadable_rows"].values())
    assert sum(summary.rows.values()) == clean + len(summary.defect_rows)


def test_defect_files_include_a_gbk_and_an_xlsx_file(defective):
    _, summary, _ = defective
    files = {d.file.name for d in summary.defect_rows}
    assert {"certificates_defects_gbk.csv", "producers_defects.xlsx"} <= files


def test_each_defect_row_breaks_its_rule(defective):
    _, summary, f = defective
    known_producers = set(f["producers"].producer_id)
    for d in summary.defect_rows:
        frame = f[d.feed]
        row = frame[(frame._file == str(d.file)) & (frame._row == d.row)].iloc[0]
        value = row[d.column]
        if d.kind == "bad_credit_code":
            assert len(value) == 18 and not is_valid_credit_code(value)
        elif d.kind == "bad_date":
            assert parse_date(value) is None
        elif d.kind == "future_date":
            assert parse_date(value) > date.today()
        elif d.kind == "unknown_producer":
            assert value not in known_producers
        elif d.kind == "negative_quantity":
            assert float(value) <= 0
        elif d.kind == "missing_required":
            assert value == "" and FEEDS[d.feed].field(d.column).required
        elif d.kind == "unknown_analyte":
            assert value not in cat.ANALYTES and value != cat.RAPID_TEST_ANALYTE
            batch = f["sampling_batches"].set_index("batch_no").loc[row.batch_no]
            assert batch.task_type == "special_campaign"
        elif d.kind == "duplicate_key":
            same_file = frame[frame._file == str(d.file)]
            assert (same_file.batch_no == value).sum() == 2


def _canonical(feed: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Set aside choices of form (date style, non-detect word, wording of the basis)."""
    out = frame[FEEDS[feed].columns].copy()
    basis = _word_map("certificates")["commitment_basis"]
    for f in FEEDS[feed].fields:
        if f.type == "date":
            out[f.name] = out[f.name].map(lambda v: str(parse_date(v)) if v else "")
        if f.type == "enum_list":
            out[f.name] = out[f.name].map(lambda v: ";".join(sorted(basis[w] for w in re.split(r"[、;]", v))))
    if feed == "inspection_results":
        out["result_value"] = out.result_value.map(lambda v: "ND" if v in NON_DETECT else v)
    return out.sort_values(list(FEEDS[feed].key)).reset_index(drop=True)


def test_defects_leave_the_calibrated_rows_untouched(demo, defective):
    _, _, clean = demo
    _, summary, dirty = defective
    flagged = {(d.file.as_posix(), d.row) for d in summary.defect_rows}
    for feed in FEEDS:
        frame = dirty[feed]
        kept = frame[[(fl, r) not in flagged for fl, r in zip(frame._file, frame._row)]]
        expected = _canonical(feed, clean[feed])
        key = list(FEEDS[feed].key)
        kept = kept.merge(expected[key], on=key)  # drop the valid helper rows added for defects
        pd.testing.assert_frame_equal(_canonical(feed, kept), expected)
