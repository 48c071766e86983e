"""The quarantine is Great Expectations' unexpected rows, and nothing else.

One export per feed, written the way a bureau system writes it (Chinese headers, two chunks),
holds every defect its contract catches. The real pipeline loads it. Independently of the
pipeline's quarantine code, the test reads the same file the way the pipeline reads it, builds
the same validation frame and checks (``prepare_rows``), loads that frame into a table of its own
and asks GX directly which rows are unexpected (``unexpected_index_list`` by row number).

Then, per (rule, column), the rows quarantined must be exactly GX's rows, plus the few reasons
decided after GX, which this test names row by row (``Export.after_gx``):

- inspection results GX passed that cannot be judged (``judge_rows``): an unknown product on the
  batch (``reference:product`` on ``batch_no``), an unknown standard (``judgement`` on ``standard``),
  an item without a value or a verdict (``judgement`` on ``result_value``);
- a key an earlier chunk of the same file already staged (``StagedKeys``: ``duplicate_key``
  on the core key).

(``judgement`` on ``analyte`` cannot follow a GX pass: GX's ``reference:analyte`` holds the row
first. Conflicts between deliveries of one key are found on replays only, not on a file's load.)

A row quarantined that GX did not list, or one GX listed that is not quarantined, fails the test:
a second engine deciding rows cannot come back unnoticed.
"""

from __future__ import annotations

import csv
import uuid
from collections import defaultdict
from pathlib import Path

import great_expectations as gx
import great_expectations.expectations as gxe
import psycopg
import sqlalchemy as sa
from agritrace.bootstrap import bring_up
from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.db import sqlalchemy_url
from agritrace.ingest import find_profile, iter_feed_file, load_profiles
from agritrace.pipeline import process_file, today_in_bureau
from agritrace.quality.checks import ROW_NUMBER, Check
from agritrace.quality.gx_run import ExpectColumnValuesToBeValidProducerCode
from agritrace.quality.rows import prepare_rows
from agritrace.reference import ReferenceData
from warehouse_helpers import uscc

# Small chunks, so every file is read in two and a key can repeat across them.
CHUNK_ROWS = 25
LONG = "长" * 501  # one character over every text column's limit
BAD_CODE = "91440902MA00000001"  # 18 characters, wrong check character
UNREGISTERED = uscc(900)  # a well-formed code no producer file delivered
Key = tuple[str, str]


class Export:
    """One feed's export: rows under the contract's first Chinese header, numbered from 2."""

    def __init__(self, feed: str) -> None:
        self.feed = FEEDS[feed]
        self.rows: list[list[str | None]] = []
        # (rule, column) -> rows held after GX passed them, by the steps named in the module docstring.
        self.after_gx: dict[Key, set[int]] = defaultdict(set)

    def add(self, row: dict[str, str | None], *, extra: tuple[str, ...] = ()) -> int:
        self.rows.append([row.get(c) for c in self.feed.columns] + list(extra))
        return len(self.rows) + 1

    def held_after_gx(self, rule: str, column: str, row: dict[str, str | None]) -> None:
        self.after_gx[(rule, column)].add(self.add(row))

    def fill_first_chunk(self, good_rows) -> None:
        while len(self.rows) < CHUNK_ROWS:
            self.add(next(good_rows))

    def write(self, landing: Path, encoding: str = "utf-8") -> Path:
        assert len(self.rows) > CHUNK_ROWS, "the export must reach its second chunk"
        path = landing / self.feed.name / f"{self.feed.name}_export.csv"
        with path.open("w", encoding=encoding, newline="") as handle:
            out = csv.writer(handle)
            out.writerow([f.aliases[0] for f in self.feed.fields])
            out.writerows([["" if v is None else v for v in row] for row in self.rows])
        return path


def long_row(feed: str, row: dict[str, str | None]) -> dict[str, str | None]:
    """Every text column over its length limit."""
    return {**row, **{f.name: LONG for f in FEEDS[feed].fields if f.type == "text"}}


def producers_export() -> Export:
    def producer(serial: int, **changes: str | None) -> dict[str, str | None]:
        return {"producer_id": uscc(serial), "producer_name": f"茂南区绿源蔬菜专业合作社{serial}",
                "producer_type": "合作社", "region_code": "440902", "town": "金塘镇", "village": "上村",
                "grid_id": "440902-JT-01", "contact_phone": "138-1234-5678", "registered_on": "2023-03-01",
                **changes}

    good = (producer(serial) for serial in range(100, 200))
    export = Export("producers")
    for serial in range(1, 7):
        export.add(producer(serial))
    export.add(producer(7, producer_id="HH-440902-0001", producer_type="农户"))
    export.add(producer(8, producer_id=None))
    export.add(producer(9, producer_name=None))
    export.add(producer(10, producer_type=None))
    export.add(producer(11, region_code=None))
    export.add(producer(12, producer_id=BAD_CODE))
    export.add(producer(13, producer_type="个人独资"))
    export.add(producer(14, region_code="44090"))
    export.add(producer(15, contact_phone="电话:未知"))
    export.add(producer(16, registered_on="2023-02-30"))
    export.add(producer(17, registered_on="2033-05-12"))
    export.add(long_row("producers", producer(18)))
    export.add(producer(19))
    export.add(producer(19, producer_name="同码异名合作社"))
    export.add(producer(2))  # word for word
    export.add(producer(20), extra=("多出的一列",))
    export.fill_first_chunk(good)
    export.held_after_gx("duplicate_key", "producer_id", producer(3, producer_name="第二部分重复"))
    export.add(producer(21, producer_type="个体户主"))
    export.add(next(good))
    return export


def certificates_export() -> Export:
    serials = iter(range(1, 1000))

    def certificate(**changes: str | None) -> dict[str, str | None]:
        serial = next(serials)
        return {"certificate_no": f"MN20240501{serial:06d}", "producer_id": uscc(1 + serial % 6),
                "product_name": "豇豆", "product_category": "蔬菜", "quantity": "100", "unit": "千克",
                "origin": "广东省茂名市茂南区金塘镇上村", "issue_date": "2024-05-01",
                "commitment_basis": "自检合格、质量安全控制符合要求", "lot_no": "20240501-01",
                "trace_code": f"44090220240501{serial:06d}", "buyer": "茂名市果菜批发市场", **changes}

    good = iter(certificate, None)
    export = Export("certificates")
    first = certificate()
    export.add(first)
    export.add(certificate(producer_id="HH-440902-0001", quantity="3", unit="箱"))
    for column in ("certificate_no", "producer_id", "product_name", "quantity", "unit", "issue_date",
                   "commitment_basis"):
        export.add(certificate(**{column: None}))
    export.add(certificate(quantity="一百"))
    export.add(certificate(quantity="-5"))
    export.add(certificate(issue_date="2024年2月30日"))
    export.add(certificate(issue_date="2033-05-12"))
    export.add(certificate(product_category="杂粮"))
    export.add(certificate(unit="坨"))
    export.add(certificate(commitment_basis="自检合格、口头承诺"))
    export.add(certificate(producer_id=BAD_CODE))
    export.add(certificate(producer_id=UNREGISTERED))
    export.add(certificate(product_name="不知名野菜"))
    export.add(long_row("certificates", certificate()))
    twin = certificate()
    export.add(twin)
    export.add({**twin, "quantity": "200"})
    export.add(first)  # word for word
    export.add(certificate(), extra=("多出的一列",))
    export.fill_first_chunk(good)
    export.held_after_gx("duplicate_key", "certificate_no", {**first, "quantity": "300"})
    export.add(certificate(unit="坨"))
    export.add(next(good))
    return export


FERN_BATCH = "MNJC2024-FERN"  # a batch of a product the reference does not hold; it loads as written


def batches_export() -> Export:
    serials = iter(range(1, 1000))

    def batch(**changes: str | None) -> dict[str, str | None]:
        serial = next(serials)
        return {"batch_no": f"MNJC2024{serial:04d}", "task_type": "例行监测", "sampling_level": "区县",
                "sampling_date": "2024-05-03", "sampling_stage": "生产基地", "producer_id": uscc(1 + serial % 6),
                "certificate_no": f"MN20240501{serial:06d}", "product_name": "豇豆", "product_category": "蔬菜",
                "source_category": "蔬菜-->豆类蔬菜", "region_code": "440902", "sample_qty_kg": "2",
                "sampled_place": "金塘镇上村基地", "sampler_org": "茂南区农产品质量安全检测站",
                "lab": "茂名市农产品质量检测中心", **changes}

    good = iter(batch, None)
    export = Export("sampling_batches")
    first = batch()
    export.add(first)
    for _ in range(5):  # hosts of the results, MNJC20240002 … MNJC20240006
        export.add(batch())
    export.add(batch(batch_no=FERN_BATCH, product_name="野生蕨菜", product_category=None))
    for column in ("batch_no", "task_type", "sampling_level", "sampling_date", "sampling_stage", "product_name"):
        export.add(batch(**{column: None}))
    export.add(batch(sampling_date="2024-02-30"))
    export.add(batch(sampling_date="2033-01-08"))
    export.add(batch(sample_qty_kg="两公斤"))
    export.add(batch(sample_qty_kg="1500"))
    export.add(batch(task_type="随机抽查", sampling_level="乡镇", sampling_stage="路边摊", product_category="杂粮"))
    export.add(batch(producer_id=BAD_CODE))
    export.add(batch(producer_id=UNREGISTERED))
    export.add(batch(region_code="4409"))
    export.add(long_row("sampling_batches", batch()))
    twin = batch()
    export.add(twin)
    export.add({**twin, "sample_qty_kg": "1.5"})
    export.add(first)  # word for word
    export.add(batch(), extra=("多出的一列",))
    export.fill_first_chunk(good)
    export.held_after_gx("duplicate_key", "batch_no", {**first, "sampling_stage": "农贸市场"})
    export.add(batch(task_type="随机抽查"))
    export.add(next(good))
    return export


def results_export() -> Export:
    hosts = [f"MNJC2024{serial:04d}" for serial in range(1, 7)]
    analytes = ("灭蝇胺", "噻虫胺", "噻虫嗪", "啶虫脒", "吡虫啉", "阿维菌素", "腐霉利", "多菌灵", "毒死蜱", "联苯菊酯")
    items = iter([(b, a) for b in hosts for a in analytes])

    def result(**changes: str | None) -> dict[str, str | None]:
        batch, analyte = next(items)
        return {"batch_no": batch, "analyte": analyte, "result_value": "ND", "unit": "mg/kg", "lod": "0.01",
                "mrl": None, "method": "GB 23200.113-2018", "standard": "GB 2763-2021", "verdict": "合格",
                "jurisdiction": None, "report_no": f"JC{batch}", "tested_on": "2024-05-06", **changes}

    good = iter(result, None)
    export = Export("inspection_results")
    first = result(result_value="0.02")
    export.add(first)
    export.add(result(batch_no=None))
    export.add(result(analyte=None))
    export.add(result(batch_no="MNJC20999999"))
    export.add(result(analyte="灭蝇安"))
    export.add(result(result_value="见报告"))
    export.add(result(result_value="2000000000"))
    export.add(result(unit="斤"))
    export.add(result(verdict="待定"))
    export.add(result(lod="0.0l"))
    export.add(result(lod="-0.01"))
    export.add(result(tested_on="2024-13-06"))
    export.add(result(tested_on="2033-05-06"))
    export.add(result(tested_on="2024-04-01"))  # before its batch was sampled
    export.add(long_row("inspection_results", result()))
    twin = result()
    export.add(twin)
    export.add({**twin, "result_value": "0.03"})
    export.add(first)  # word for word
    export.add(result(), extra=("多出的一列",))
    export.held_after_gx("reference:product", "batch_no", result(batch_no=FERN_BATCH, result_value="0.05",
                                                                 verdict=None))
    export.held_after_gx("judgement", "standard", result(result_value="0.05", standard="GB 9999-2099"))
    export.held_after_gx("judgement", "result_value", result(result_value=None, verdict=None))
    export.fill_first_chunk(good)
    export.held_after_gx("duplicate_key", "batch_no+analyte_code+test_kind", {**first, "result_value": "0.04"})
    export.add(result(unit="斤"))
    export.add(next(good))
    return export


EXPORTS = {"producers": producers_export, "certificates": certificates_export,
           "sampling_batches": batches_export, "inspection_results": results_export}


def _expectation(number: int, check: Check):
    cls = (ExpectColumnValuesToBeValidProducerCode if check.expectation == ExpectColumnValuesToBeValidProducerCode.__name__
           else getattr(gxe, check.expectation))
    return cls(**check.kwargs, meta={"check": number})


def _cell(value):
    """A cell as Postgres takes it: a list of vocabulary words becomes text (only emptiness is checked on it)."""
    return "、".join(value) if isinstance(value, tuple) else value


def gx_unexpected_rows(context, url: str, path: Path, feed: str) -> tuple[dict[Key, set[int]], list[Check]]:
    """GX's own answer for the file: per (rule, column), the row numbers GX finds unexpected.

    Read as the pipeline reads it, chunk by chunk, each chunk's frame and checks built by
    ``prepare_rows`` on the warehouse as it stands before the load, then validated by GX here.
    """
    found: dict[Key, set[int]] = defaultdict(set)
    all_checks: list[Check] = []
    profiles = load_profiles()
    engine = sa.create_engine(sqlalchemy_url(url))
    source = context.data_sources.add_sql(f"probe_{uuid.uuid4().hex[:8]}", connection_string=sqlalchemy_url(url))
    try:
        with psycopg.connect(url) as conn:
            reference = ReferenceData.from_database(conn)
            for parsed in iter_feed_file(path, feed, profiles, chunk_rows=CHUNK_ROWS):
                frame, checks = prepare_rows(conn, FEEDS[feed], parsed.raw, reference=reference,
                                             today=today_in_bureau(), profile=find_profile(profiles, parsed.profile),
                                             reading_problems=parsed.problems)
                all_checks += checks
                for key, rows in _validate(source, engine, frame, checks).items():
                    found[key] |= rows
    finally:
        context.data_sources.delete(source.name)
        engine.dispose()
    return found, all_checks


def _validate(source, engine, frame, checks: list[Check]) -> dict[Key, set[int]]:
    name = f"gx_probe_{uuid.uuid4().hex[:10]}"
    table = frame.apply(lambda column: column.map(_cell) if column.dtype == object else column)
    table.to_sql(name, engine, schema="staging", index=True, index_label=ROW_NUMBER)
    try:
        batch = source.add_table_asset(name, table_name=name, schema_name="staging") \
            .add_batch_definition_whole_table("rows").get_batch()
        suite = gx.ExpectationSuite(name=name, expectations=[_expectation(i, c) for i, c in enumerate(checks)])
        # On SQL, GX lists failing rows only up to ``partial_unexpected_count``, even in COMPLETE. (GX's
        # ``unexpected_index_query`` is no way round it: it writes a date bound as ``datetime.date(…)``.)
        validation = batch.validate(suite, result_format={
            "result_format": "COMPLETE", "unexpected_index_column_names": [ROW_NUMBER],
            "partial_unexpected_count": len(table)})
        found: dict[Key, set[int]] = defaultdict(set)
        for result in validation.results:
            check = checks[result.expectation_config.meta["check"]]
            assert not result.exception_info.get("raised_exception"), (check.key, result.exception_info)
            rows = {int(r[ROW_NUMBER]) for r in result.result.get("unexpected_index_list") or []}
            assert len(rows) == result.result.get("unexpected_count", 0), f"GX listed only part of {check.key}"
            found[(check.rule, check.column)] |= rows
        return found
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'drop table staging."{name}"'))


def quarantined_rows(url: str, file_id: int) -> dict[Key, set[int]]:
    found: dict[Key, set[int]] = defaultdict(set)
    with psycopg.connect(url) as conn:
        for row_number, reasons in conn.execute(
                "select row_number, reasons from quarantine.rows where file_id = %s", (file_id,)):
            for reason in reasons:
                found[(reason["rule"], reason["column"])].add(row_number)
    return found


def test_every_quarantined_row_is_a_row_gx_found_unexpected_and_every_such_row_is_quarantined(warehouse, landing):
    bring_up(warehouse)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    for feed in LOAD_ORDER:
        export = EXPORTS[feed]()
        path = export.write(landing, encoding="gbk" if feed == "certificates" else "utf-8")
        # GX first, on the warehouse the load will see (the parents the earlier feeds loaded).
        by_gx, checks = gx_unexpected_rows(context, warehouse, path, feed)
        # The exports are mostly defects: the gate would hold them whole, and the rows that pass must load.
        [outcome] = process_file(path, feed, url=warehouse, chunk_rows=CHUNK_ROWS, ignore_gate=True)
        assert outcome.status == "loaded", outcome.summary()

        quarantined = quarantined_rows(warehouse, outcome.file_id)
        for key in sorted(set(by_gx) | set(quarantined) | set(export.after_gx)):
            expected = by_gx.get(key, set()) | export.after_gx.get(key, set())
            assert quarantined.get(key, set()) == expected, (
                f"{feed} {key}: quarantined only {sorted(quarantined.get(key, set()) - expected)}, "
                f"GX (or the steps after it) only {sorted(expected - quarantined.get(key, set()))}")
        gx_rows = set().union(*by_gx.values())
        assert not gx_rows & set().union(*export.after_gx.values()), f"{feed}: a row held after GX was not clean in GX"

        # Not vacuous: every check of the contract (and of reading) failed somewhere, and every step after GX held.
        silent = sorted({c.key for c in checks if not by_gx[(c.rule, c.column)]})
        assert not silent, f"{feed}: no row of the export fails {silent}"
        assert {c.rule for c in checks} >= {"required", "vocabulary", "max_length", "unique", "duplicate_key",
                                            "too_many_fields"}

        rows_in = len(export.rows)
        failing = set().union(*quarantined.values())
        assert (outcome.rows_in, outcome.rows_quarantined) == (rows_in, len(failing))
        with psycopg.connect(warehouse) as conn:
            [(ledger_in, loaded, held)] = conn.execute(
                "select rows_in, rows_loaded, rows_quarantined from ops.files where file_id = %s",
                (outcome.file_id,)).fetchall()
        assert (ledger_in, held) == (rows_in, len(failing)) and ledger_in == loaded + held, feed
        assert loaded > 0, f"{feed}: the export's good rows must load"

