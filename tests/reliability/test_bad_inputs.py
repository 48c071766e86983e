"""Bad inputs, one kind per case: what happens to the file, to each of its rows, and to the other feeds.

Every case builds its file in the test's own landing folder, runs ``process_file`` on it, and checks:

- the file's status (loaded / held / rejected) and, for a file that was read, that every row is
  accounted for: rows_in = rows loaded + rows quarantined (a held file loads nothing and keeps its
  failing rows in quarantine);
- the ledger says the same as the outcome;
- each quarantined row: its row number, the rule and column that failed, a message naming the
  column (or the row), and the row kept whole;
- a rejected file: the reason names the file and what to do, and is written beside it in rejected/;
- the good rows of the same file loaded, and a good file of another feed still loads afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
import pytest
from agritrace.pipeline import FileOutcome
from warehouse_helpers import (
    ANALYTES,
    CERTIFICATE_COLUMNS,
    PRODUCER_COLUMNS,
    RESULT_COLUMNS,
    Warehouse,
    certificate_row,
    core_count,
    ledger_row,
    producer_row,
    quarantined,
    query,
    result_row,
    uscc,
    write_csv,
    write_jsonl,
)


@dataclass
class Expect:
    status: str | tuple[str, ...]
    rows_in: int = 0
    loaded: int = 0
    # row number -> {(rule, column), …} that must be among the row's reasons
    reasons: dict[int, set[tuple[str, str]]] = field(default_factory=dict)
    orphan: bool = False
    # words the file-level message must contain (rejected or held files)
    message: tuple[str, ...] = ()
    # extra checks on what was stored
    check: Callable[[Warehouse, FileOutcome], None] | None = None

    @property
    def quarantined(self) -> int:
        return len(self.reasons)


@dataclass
class Built:
    path: Path
    feed: str
    expect: Expect


@dataclass
class Ctx:
    w: Warehouse
    landing: Path

    def producers(self, n: int, **changes: str) -> list[dict[str, str]]:
        return [producer_row(self.w.keys.producer(), **changes) for _ in range(n)]

    def certificates(self, n: int, **changes: str) -> list[dict[str, str]]:
        changes.setdefault("producer_id", self.w.producer_id)
        return [certificate_row(self.w.keys.certificate(), **changes) for _ in range(n)]

    def results(self, batch_no: str, analytes=ANALYTES[:8], **changes: str) -> list[dict[str, str]]:
        return [result_row(batch_no, analyte, **changes) for analyte in analytes]

    def file(self, feed: str, name: str) -> Path:
        return self.landing / feed / name


GOOD = 9  # good rows beside the bad one(s): one bad row in ten stays under the 20% gate
FIRST = 2  # the header is row 1


def _rows(ctx: Ctx, feed: str, bad: list[dict], columns=None, name="f.csv", **kwargs) -> tuple[Path, int]:
    """A CSV of GOOD good rows then ``bad``; returns the path and the first bad row's number."""
    good = ctx.producers(GOOD) if feed == "producers" else ctx.certificates(GOOD)
    header = columns or (PRODUCER_COLUMNS if feed == "producers" else CERTIFICATE_COLUMNS)
    return write_csv(ctx.file(feed, name), header, good + bad, **kwargs), FIRST + GOOD


def one_bad(feed: str, bad: dict, rule: str, column: str, columns=None, **expect) -> Callable[[Ctx], Built]:
    def build(ctx: Ctx) -> Built:
        row = dict(bad)
        key = "producer_id" if feed == "producers" else "certificate_no"
        if feed == "producers":
            row = producer_row(**{"producer_id": ctx.w.keys.producer(), **row})
        else:
            row = certificate_row(ctx.w.keys.certificate(), **{"producer_id": ctx.w.producer_id, **row})
        assert key in row
        path, at = _rows(ctx, feed, [row], columns=columns)
        return Built(path, feed, Expect("loaded", GOOD + 1, GOOD, {at: {(rule, column)}}, **expect))

    return build


# --- the cases -------------------------------------------------------------------------------------


def empty_file(ctx: Ctx) -> Built:
    path = ctx.file("producers", "empty.csv")
    path.write_bytes(b"")
    return Built(path, "producers", Expect("rejected", message=("empty.csv", "empty", "deliver it again")))


def whitespace_only_file(ctx: Ctx) -> Built:
    path = ctx.file("producers", "blank.csv")
    path.write_text("\n  \n\t\n", encoding="utf-8")
    return Built(path, "producers", Expect("rejected", message=("blank.csv", "empty")))


def header_only(ctx: Ctx) -> Built:
    path = write_csv(ctx.file("producers", "header_only.csv"), PRODUCER_COLUMNS, [])
    return Built(path, "producers", Expect("loaded", 0, 0))


def blank_lines_between_rows(ctx: Ctx) -> Built:
    rows = ctx.producers(4)
    lines = [",".join(PRODUCER_COLUMNS)] + [",".join(r.values()) + "\n" for r in rows]
    path = ctx.file("producers", "blank_lines.csv")
    path.write_text("\n".join(lines), encoding="utf-8")
    return Built(path, "producers", Expect("loaded", 4, 4))


def semicolon_delimiter(ctx: Ctx) -> Built:
    path = write_csv(ctx.file("producers", "semicolon.csv"), PRODUCER_COLUMNS, ctx.producers(5), delimiter=";")
    return Built(path, "producers", Expect("loaded", 5, 5))


def tab_delimiter(ctx: Ctx) -> Built:
    path = write_csv(ctx.file("producers", "tabs.tsv"), PRODUCER_COLUMNS, ctx.producers(5), delimiter="\t")
    return Built(path, "producers", Expect("loaded", 5, 5))


def ragged_row_short(ctx: Ctx) -> Built:
    rows = [list(r.values()) for r in ctx.producers(GOOD)] + [[ctx.w.keys.producer(), "短行合作社"]]
    path = write_csv(ctx.file("producers", "short_row.csv"), PRODUCER_COLUMNS, rows)
    at = FIRST + GOOD
    return Built(path, "producers", Expect("loaded", GOOD + 1, GOOD, {
        at: {("required", "producer_type"), ("required", "region_code")}}))


def ragged_row_long(ctx: Ctx) -> Built:
    rows = [list(r.values()) for r in ctx.producers(GOOD + 1)]
    rows[-1] += ["多出来的值", "又一个"]
    path = write_csv(ctx.file("producers", "long_row.csv"), PRODUCER_COLUMNS, rows)
    at = FIRST + GOOD

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        [(_, raw, reasons)] = quarantined(w.url, outcome.file_id)
        assert "多出来的值" in json.dumps(raw, ensure_ascii=False), "the extra values are kept with the row"
        assert f"row {at}" in reasons[0]["message"]

    return Built(path, "producers", Expect("loaded", GOOD + 1, GOOD, {at: {("too_many_fields", "row")}}, check=check))


def unknown_columns(ctx: Ctx) -> Built:
    columns = [*PRODUCER_COLUMNS, "备注", "internal_flag"]
    rows = [{**r, "备注": "老客户", "internal_flag": "Y"} for r in ctx.producers(GOOD)]
    rows.append({**producer_row("NOT-A-CODE"), "备注": "编码待核实", "internal_flag": "N"})
    path = write_csv(ctx.file("producers", "extra_columns.csv"), columns, rows)
    at = FIRST + GOOD

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        [(_, raw, _)] = quarantined(w.url, outcome.file_id)
        assert raw.get("备注") == "编码待核实", "columns the contract does not know are kept with a quarantined row"

    return Built(path, "producers", Expect("loaded", GOOD + 1, GOOD, {at: {("producer_code", "producer_id")}},
                                          check=check))


def missing_optional_column(ctx: Ctx) -> Built:
    columns = [c for c in PRODUCER_COLUMNS if c not in ("town", "contact_phone")]
    path = write_csv(ctx.file("producers", "no_town.csv"), columns, ctx.producers(5))
    return Built(path, "producers", Expect("loaded", 5, 5))


def missing_required_column(ctx: Ctx) -> Built:
    columns = [c for c in PRODUCER_COLUMNS if c != "producer_type"]
    path = write_csv(ctx.file("producers", "no_type.csv"), columns, ctx.producers(5))
    return Built(path, "producers", Expect(("held", "rejected"), message=("producer_type", "header")))


def duplicated_headers(ctx: Ctx) -> Built:
    columns = [*PRODUCER_COLUMNS, "主体名称"]
    rows = [[*r.values(), "另一个名字"] for r in ctx.producers(3)]
    path = write_csv(ctx.file("producers", "dup_headers.csv"), columns, rows)
    return Built(path, "producers", Expect("rejected", message=("dup_headers.csv", "duplicated headers", "主体名称")))


def utf8_with_bom(ctx: Ctx) -> Built:
    path = write_csv(ctx.file("producers", "bom.csv"), PRODUCER_COLUMNS, ctx.producers(3), encoding="utf-8-sig")

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert outcome.encoding == "utf-8-sig"

    return Built(path, "producers", Expect("loaded", 3, 3, check=check))


def gbk_encoding(ctx: Ctx) -> Built:
    path = write_csv(ctx.file("producers", "gbk.csv"), ["主体编码", "主体名称", "主体类型", "行政区划代码", "乡镇"],
                     [[r["producer_id"], "茂南区绿源蔬菜专业合作社", "合作社", "440902", "金塘镇"]
                      for r in ctx.producers(3)], encoding="gbk")

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert outcome.encoding == "gb18030"
        names = query(w.url, "select distinct producer_name from core.producers where file_id = %s", (outcome.file_id,))
        assert names == [("茂南区绿源蔬菜专业合作社",)]

    return Built(path, "producers", Expect("loaded", 3, 3, check=check))


def mixed_encodings_undecodable(ctx: Ctx) -> Built:
    rows = ctx.producers(5)
    body = "\n".join([",".join(PRODUCER_COLUMNS)] + [",".join(r.values()) for r in rows[:4]]) + "\n"
    data = body.encode("utf-8") + (",".join(rows[4].values()) + "\n").encode("gbk")
    path = ctx.file("producers", "mixed.csv")
    path.write_bytes(data)
    return Built(path, "producers", Expect("rejected", message=("mixed.csv", "does not decode", "UTF-8", "GBK")))


def mixed_encodings_decodable_as_gb18030(ctx: Ctx) -> Built:
    # Even-length UTF-8 Chinese text happens to be valid GB18030 byte pairs: 绿源合作 reads as 缁挎簮鍚堜綔.
    rows = ctx.producers(4, producer_name="绿源合作", producer_type="enterprise", town="生产基地")
    body = "\n".join([",".join(PRODUCER_COLUMNS)] + [",".join(r.values()) for r in rows[:3]]) + "\n"
    data = body.encode("utf-8") + (",".join(rows[3].values()) + "\n").encode("gbk")
    path = ctx.file("producers", "mixed_gb.csv")
    path.write_bytes(data)
    return Built(path, "producers", Expect("rejected", message=("mixed_gb.csv", "encoding")))


def undecodable_bytes(ctx: Ctx) -> Built:
    path = ctx.file("producers", "binary.csv")
    path.write_bytes(b"producer_id,producer_name\n\xff\xfe\xfa\xfb garbage \x81\x00\n")
    return Built(path, "producers", Expect("rejected", message=("binary.csv", "does not decode")))


def unterminated_quote(ctx: Ctx) -> Built:
    rows = ctx.producers(6)
    lines = [",".join(PRODUCER_COLUMNS)] + [",".join(r.values()) for r in rows]
    lines[3] = lines[3].replace("绿源", '"绿源', 1)  # row 4 opens a quote that never closes
    path = ctx.file("producers", "open_quote.csv")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # Either the file is refused as malformed, or each of its 6 rows is accounted for on its own.
    return Built(path, "producers", Expect("rejected", message=("open_quote.csv", "quot", "row 4")))


def _workbook(rows_by_sheet: dict[str, list[list]], merge: list[str] = ()) -> openpyxl.Workbook:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in rows_by_sheet.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    for cells in merge:
        workbook.worksheets[0].merge_cells(cells)
    return workbook


def xlsx_merged_title_row(ctx: Ctx) -> Built:
    rows = [["茂南区农业农村局 主体名录（2024年）"], list(PRODUCER_COLUMNS)]
    rows += [list(r.values()) for r in ctx.producers(3)]
    path = ctx.file("producers", "titled.xlsx")
    _workbook({"主体名录": rows}, merge=["A1:G1"]).save(path)
    return Built(path, "producers", Expect(("held", "rejected"), message=("producer_id", "header")))


def xlsx_several_sheets(ctx: Ctx) -> Built:
    first = [list(PRODUCER_COLUMNS)] + [list(r.values()) for r in ctx.producers(3)]
    second = [list(PRODUCER_COLUMNS)] + [list(r.values()) for r in ctx.producers(2)]
    path = ctx.file("producers", "sheets.xlsx")
    _workbook({"名录": first, "上月": second, "说明": [["本表由乡镇填报"]]}).save(path)
    return Built(path, "producers", Expect("loaded", 3, 3))


def xlsx_typed_cells(ctx: Ctx) -> Built:
    from datetime import datetime

    rows = [list(CERTIFICATE_COLUMNS)]
    for r in ctx.certificates(4):
        rows.append([r["certificate_no"], r["producer_id"], "豇豆", 120.5, "kg", datetime(2024, 5, 1), "自检合格"])
    path = ctx.file("certificates", "typed.xlsx")
    _workbook({"合格证": rows}).save(path)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select distinct quantity::float, issue_date::text from core.certificates "
                            "where file_id = %s", (outcome.file_id,)) == [(120.5, "2024-05-01")]

    return Built(path, "certificates", Expect("loaded", 4, 4, check=check))


def xlsx_formula_cells(ctx: Ctx) -> Built:
    rows = [list(CERTIFICATE_COLUMNS)] + [list(r.values()) for r in ctx.certificates(GOOD)]
    [bad] = ctx.certificates(1)
    rows.append([*list(bad.values())[:3], "=D2*2", *list(bad.values())[4:]])  # no cached value: the formula shows
    path = ctx.file("certificates", "formulas.xlsx")
    _workbook({"合格证": rows}).save(path)
    at = FIRST + GOOD

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        [(_, _, reasons)] = quarantined(w.url, outcome.file_id)
        assert reasons[0]["value"] == "=D2*2"

    return Built(path, "certificates", Expect("loaded", GOOD + 1, GOOD, {at: {("type:number", "quantity")}},
                                             check=check))


def old_binary_xls(ctx: Ctx) -> Built:
    path = ctx.file("producers", "legacy.xls")
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    return Built(path, "producers", Expect("rejected", message=("legacy.xls", ".xls", ".xlsx")))


def jsonl_unreadable_line(ctx: Ctx) -> Built:
    lines = ctx.certificates(GOOD) + ["{not json at all"]
    path = write_jsonl(ctx.file("certificates", "line.jsonl"), lines)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        [(_, raw, _)] = quarantined(w.url, outcome.file_id)
        assert raw["_line"] == "{not json at all", "the unreadable line is kept as it was"

    # JSON Lines rows are numbered by line
    return Built(path, "certificates", Expect("loaded", GOOD + 1, GOOD, {GOOD + 1: {("unreadable_line", "row")}},
                                             check=check))


def jsonl_two_unreadable_lines(ctx: Ctx) -> Built:
    lines = ctx.certificates(GOOD) + ["{not json at all", "[1, 2, 3]"]
    path = write_jsonl(ctx.file("certificates", "lines.jsonl"), lines)
    first = GOOD + 1

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        messages = {row: reasons[0]["message"] for row, _, reasons in quarantined(w.url, outcome.file_id)}
        assert messages[first].startswith(f"line {first} ") and messages[first + 1].startswith(f"line {first + 1} ")

    return Built(path, "certificates", Expect("loaded", GOOD + 2, GOOD, {
        first: {("unreadable_line", "row")}, first + 1: {("unreadable_line", "row")}}, check=check))


def duplicate_key_within_file(ctx: Ctx) -> Built:
    rows = ctx.certificates(GOOD - 1)
    [twice] = ctx.certificates(1)
    rows += [twice, {**twice, "quantity": "7"}]
    path = write_csv(ctx.file("certificates", "dup_keys.csv"), CERTIFICATE_COLUMNS, rows)
    at = FIRST + GOOD - 1

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select count(*) from core.certificates where certificate_no = %s",
                     (twice["certificate_no"],)) == [(0,)], "the file does not say which of the two is right"

    return Built(path, "certificates", Expect("loaded", GOOD + 1, GOOD - 1, {
        at: {("unique", "certificate_no")}, at + 1: {("unique", "certificate_no")}}, check=check))


def duplicate_key_across_files(ctx: Ctx) -> Built:
    first = ctx.certificates(3)
    earlier = write_csv(ctx.file("certificates", "monday.csv"), CERTIFICATE_COLUMNS, first)
    [done] = ctx.w.load(earlier, "certificates")
    assert (done.status, done.rows_loaded) == ("loaded", 3)
    corrected = [{**r, "quantity": "250"} for r in first]
    path = write_csv(ctx.file("certificates", "tuesday.csv"), CERTIFICATE_COLUMNS, corrected)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        keys = [r["certificate_no"] for r in first]
        assert query(w.url, "select count(*), min(quantity)::int, max(file_id) from core.certificates "
                            "where certificate_no = any(%s)", (keys,)) == [(3, 250, outcome.file_id)]

    return Built(path, "certificates", Expect("loaded", 3, 3, check=check))


def invalid_credit_code(ctx: Ctx) -> Built:
    code = ctx.w.keys.producer()
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    return one_bad("producers", {"producer_id": wrong}, "producer_code", "producer_id")(ctx)


def future_date(ctx: Ctx) -> Built:
    return one_bad("certificates", {"issue_date": "2099-01-01"}, "not_future", "issue_date")(ctx)


def impossible_date(ctx: Ctx) -> Built:
    return one_bad("certificates", {"issue_date": "2023-02-30"}, "type:date", "issue_date")(ctx)


def negative_quantity(ctx: Ctx) -> Built:
    return one_bad("certificates", {"quantity": "-5"}, "range", "quantity")(ctx)


def absurd_quantity(ctx: Ctx) -> Built:
    return one_bad("certificates", {"quantity": "1e12"}, "range", "quantity")(ctx)


def not_a_number_quantity(ctx: Ctx) -> Built:
    return one_bad("certificates", {"quantity": "NaN"}, "type:number", "quantity")(ctx)


def unknown_producer(ctx: Ctx) -> Built:
    return one_bad("certificates", {"producer_id": uscc(9_999_999)}, "parent", "producer_id", orphan=True)(ctx)


def unknown_product(ctx: Ctx) -> Built:
    return one_bad("certificates", {"product_name": "火星豇豆"}, "reference:product", "product_name")(ctx)


def unknown_vocabulary_word(ctx: Ctx) -> Built:
    return one_bad("certificates", {"unit": "桶"}, "vocabulary", "unit")(ctx)


def very_long_field(ctx: Ctx) -> Built:
    return one_bad("producers", {"producer_name": "长" * 10_000}, "max_length", "producer_name")(ctx)


def full_width_digits(ctx: Ctx) -> Built:
    to_full = str.maketrans("0123456789ABCDEFGHJKLMNPQRTUWXY.", "０１２３４５６７８９ＡＢＣＤＥＦＧＨＪＫＬＭＮＰＱＲＴＵＷＸＹ．")
    [producer] = ctx.producers(1)
    written = {**producer, "producer_id": producer["producer_id"].translate(to_full), "region_code": "４４０９０２"}
    producers = write_csv(ctx.file("producers", "full_width_p.csv"), PRODUCER_COLUMNS, [written])
    [loaded] = ctx.w.load(producers, "producers")
    assert (loaded.status, loaded.rows_loaded) == ("loaded", 1), loaded.summary()
    rows = ctx.certificates(3, producer_id=written["producer_id"], quantity="１２０．５")
    path = write_csv(ctx.file("certificates", "full_width.csv"), CERTIFICATE_COLUMNS, rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select distinct producer_id, quantity::float from core.certificates where file_id = %s",
                     (outcome.file_id,)) == [(producer["producer_id"], 120.5)]

    return Built(path, "certificates", Expect("loaded", 3, 3, check=check))


def traditional_characters(ctx: Ctx) -> Built:
    header = ["主體編碼", "主體名稱", "主體類型", "行政區劃代碼", "鄉鎮", "聯繫電話", "登記日期"]
    rows = [[r["producer_id"], "綠源蔬菜專業合作社", "專業合作社", "440902", "金塘鎮", "13812345678", "2023-03-01"]
            for r in ctx.producers(3)]
    path = write_csv(ctx.file("producers", "traditional.csv"), header, rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select distinct producer_type, producer_name from core.producers where file_id = %s",
                     (outcome.file_id,)) == [("cooperative", "綠源蔬菜專業合作社")]

    return Built(path, "producers", Expect("loaded", 3, 3, check=check))


def roc_and_compact_dates(ctx: Ctx) -> Built:
    written = ["113/8/2", "民國113年8月2日", "20240802", "2024年8月2日", "2024/8/2", "45506"]
    rows = [certificate_row(ctx.w.keys.certificate(), ctx.w.producer_id, issue_date=d) for d in written]
    path = write_csv(ctx.file("certificates", "dates.csv"), CERTIFICATE_COLUMNS, rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select distinct issue_date::text from core.certificates where file_id = %s",
                     (outcome.file_id,)) == [("2024-08-02",)]

    return Built(path, "certificates", Expect("loaded", 6, 6, check=check))


def control_characters(ctx: Ctx) -> Built:
    rows = ctx.producers(3, producer_name="绿源\x00蔬菜\x07合作\x1b社\u200b")
    rows[0]["producer_id"] = "\x07" + rows[0]["producer_id"] + "\t"
    path = write_csv(ctx.file("producers", "control.csv"), PRODUCER_COLUMNS, rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        stored = query(w.url, "select producer_id, producer_name from core.producers where file_id = %s",
                       (outcome.file_id,))
        assert {name for _, name in stored} == {"绿源蔬菜合作社"}
        assert all(code.isalnum() for code, _ in stored)

    return Built(path, "producers", Expect("loaded", 3, 3, check=check))


def spreadsheet_formula_text(ctx: Ctx) -> Built:
    texts = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", '=HYPERLINK("http://evil.example","点我")']
    rows = [certificate_row(ctx.w.keys.certificate(), ctx.w.producer_id, buyer=t, origin=t) for t in texts]
    path = write_csv(ctx.file("certificates", "formula_text.csv"), [*CERTIFICATE_COLUMNS, "buyer", "origin"], rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        stored = query(w.url, "select buyer from core.certificates where file_id = %s", (outcome.file_id,))
        assert sorted(b for (b,) in stored) == sorted(texts), "kept verbatim as data; exports defuse them"

    return Built(path, "certificates", Expect("loaded", 5, 5, check=check))


def sql_in_text_fields(ctx: Ctx) -> Built:
    texts = ["x'); drop table core.certificates; --", "1; delete from ops.files", "' or '1'='1", "$$; drop schema core cascade; $$"]
    rows = [certificate_row(f"{ctx.w.keys.certificate()}'--", ctx.w.producer_id, buyer=t, lot_no=t) for t in texts]
    path = write_csv(ctx.file("certificates", "sql.csv"), [*CERTIFICATE_COLUMNS, "buyer", "lot_no"], rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        stored = query(w.url, "select certificate_no, buyer from core.certificates where file_id = %s",
                       (outcome.file_id,))
        assert sorted(b for _, b in stored) == sorted(texts)
        assert all(no.endswith("'--") for no, _ in stored)
        assert query(w.url, "select count(*) > 0 from ops.files") == [(True,)]

    return Built(path, "certificates", Expect("loaded", 4, 4, check=check))


def nondetect_words(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    words = ["ND", "未检出", "<LOD", "-", "N.D.", "未檢出", "<0.01", "—"]
    rows = [result_row(batch, a, result_value=word) for a, word in zip(ANALYTES, words)]
    path = write_csv(ctx.file("inspection_results", "nd.csv"), RESULT_COLUMNS, rows)

    def check(w: Warehouse, outcome: FileOutcome) -> None:
        assert query(w.url, "select bool_and(is_nondetect), count(*), bool_and(verdict = 'pass') "
                            "from core.inspection_results where file_id = %s", (outcome.file_id,)) == [(True, 8, True)]

    return Built(path, "inspection_results", Expect("loaded", 8, 8, check=check))


def result_value_not_a_number(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row(batch, ANALYTES[8], result_value="超标")]
    path = write_csv(ctx.file("inspection_results", "garbage.csv"), RESULT_COLUMNS, rows)
    return Built(path, "inspection_results", Expect("loaded", 9, 8, {FIRST + 8: {("type:result", "result_value")}}))


def absurd_result_value(ctx: Ctx) -> Built:
    # 10^300 mg/kg is more than the sample weighs; it can only be a typing error, not a failing item.
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row(batch, ANALYTES[8], result_value="1e300")]
    path = write_csv(ctx.file("inspection_results", "absurd.csv"), RESULT_COLUMNS, rows)
    return Built(path, "inspection_results", Expect("loaded", 9, 8, {FIRST + 8: {("range", "result_value")}}))


def unknown_analyte(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row(batch, "火星农药")]
    path = write_csv(ctx.file("inspection_results", "analyte.csv"), RESULT_COLUMNS, rows)
    return Built(path, "inspection_results", Expect("loaded", 9, 8, {FIRST + 8: {("reference:analyte", "analyte")}}))


def unknown_batch(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row("B-NOWHERE-1", ANALYTES[0])]
    path = write_csv(ctx.file("inspection_results", "orphan.csv"), RESULT_COLUMNS, rows)
    return Built(path, "inspection_results", Expect("loaded", 9, 8, {FIRST + 8: {("parent", "batch_no")}},
                                                   orphan=True))


def result_tested_before_sampling(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row(batch, ANALYTES[8], tested_on="2024-04-01")]
    path = write_csv(ctx.file("inspection_results", "early.csv"), RESULT_COLUMNS, rows)
    return Built(path, "inspection_results", Expect("loaded", 9, 8, {FIRST + 8: {("not_before", "tested_on")}}))


def duplicate_test_item(ctx: Ctx) -> Built:
    batch = ctx.w.new_batch(ctx.landing)
    rows = ctx.results(batch) + [result_row(batch, ANALYTES[8]), result_row(batch, ANALYTES[8], result_value="0.2")]
    path = write_csv(ctx.file("inspection_results", "twice.csv"), RESULT_COLUMNS, rows)
    unique = {("unique", "batch_no+analyte")}
    return Built(path, "inspection_results", Expect("loaded", 10, 8, {FIRST + 8: unique, FIRST + 9: unique}))


def most_rows_bad_gate(ctx: Ctx) -> Built:
    rows = ctx.producers(2) + ctx.producers(3, producer_type="外星人")
    path = write_csv(ctx.file("producers", "mostly_bad.csv"), PRODUCER_COLUMNS, rows)
    vocab = {("vocabulary", "producer_type")}
    return Built(path, "producers", Expect("held", 5, 0, {4: vocab, 5: vocab, 6: vocab},
                                          message=("60% of rows failed", "agritrace quarantine release")))



CASES = [
    empty_file, whitespace_only_file, header_only, blank_lines_between_rows, semicolon_delimiter, tab_delimiter,
    ragged_row_short, ragged_row_long, unknown_columns, missing_optional_column,
    missing_required_column,
    duplicated_headers, utf8_with_bom, gbk_encoding, mixed_encodings_undecodable,
    mixed_encodings_decodable_as_gb18030,
    undecodable_bytes,
    unterminated_quote,
    xlsx_merged_title_row,
    xlsx_several_sheets, xlsx_typed_cells, xlsx_formula_cells, old_binary_xls, jsonl_unreadable_line,
    jsonl_two_unreadable_lines,
   
    duplicate_key_within_file, duplicate_key_across_files, invalid_credit_code, future_date, impossible_date,
    negative_quantity, absurd_quantity, not_a_number_quantity, unknown_producer, unknown_product,
    unknown_vocabulary_word, very_long_field, full_width_digits, traditional_characters, roc_and_compact_dates,
    control_characters, spreadsheet_formula_text, sql_in_text_fields, nondetect_words, result_value_not_a_number,
    absurd_result_value,
    unknown_analyte, unknown_batch, result_tested_before_sampling, duplicate_test_item, most_rows_bad_gate,
]


def _id(case) -> str:
    return case.__name__


def _named(cases):
    out = []
    for c in cases:
        if isinstance(c, type(pytest.param(None))):
            out.append(pytest.param(*c.values, marks=c.marks, id=_id(c.values[0])))
        else:
            out.append(pytest.param(c, id=_id(c)))
    return out


# --- the assertions --------------------------------------------------------------------------------


def assert_outcome(w: Warehouse, built: Built, outcomes: list[FileOutcome]) -> FileOutcome:
    expect = built.expect
    [outcome] = [o for o in outcomes if o.feed == built.feed]
    statuses = expect.status if isinstance(expect.status, tuple) else (expect.status,)
    assert outcome.status in statuses, outcome.summary()
    for word in expect.message:
        assert word in outcome.message, f"{word!r} not in the message: {outcome.message}"
    ledger = ledger_row(w.url, outcome.file_id)
    assert ledger["file_name"] == built.path.name
    assert ledger["status"] == outcome.status
    if outcome.status == "rejected":
        assert built.path.name in outcome.message, "a rejection names the file"
        assert (outcome.rows_in, outcome.rows_loaded, outcome.rows_quarantined) == (0, 0, 0)
        assert quarantined(w.url, outcome.file_id) == []
        reason = built.path.parent / "rejected" / f"{outcome.file_id}_{built.path.name}.reason.txt"
        assert reason.read_text(encoding="utf-8").strip() == outcome.message
        return outcome
    # The file was read: every row is loaded or quarantined, and the ledger says so.
    assert outcome.rows_in == expect.rows_in, outcome.summary()
    assert (ledger["rows_in"], ledger["rows_quarantined"]) == (outcome.rows_in, outcome.rows_quarantined)
    assert outcome.rows_quarantined == expect.quarantined, outcome.summary()
    if outcome.status == "loaded":
        assert outcome.rows_in == outcome.rows_loaded + outcome.rows_quarantined
        assert outcome.rows_loaded == expect.loaded, outcome.summary()
    else:  # held: nothing of the file reaches core until it is released
        assert outcome.rows_loaded == 0
        assert (built.path.parent / "held" / f"{outcome.file_id}_{built.path.name}").exists()
    assert core_count(w.url, built.feed, outcome.file_id) == (expect.loaded if outcome.status == "loaded" else 0)
    rows = query(w.url, "select row_number, raw, reasons, is_orphan from quarantine.rows where file_id = %s "
                        "order by row_number", (outcome.file_id,))
    assert [r[0] for r in rows] == sorted(expect.reasons), "quarantined exactly the bad rows"
    for row_number, raw, reasons, is_orphan in rows:
        found = {(r["rule"], r["column"]) for r in reasons}
        assert expect.reasons[row_number] <= found, f"row {row_number}: {found}"
        assert any(v is not None for v in raw.values()), "the row is kept whole"
        assert is_orphan is expect.orphan
        for reason in reasons:
            named = reason["column"].split("+")[0] in reason["message"] or f"{row_number}" in reason["message"]
            assert reason["message"] and named, f"the message names neither column nor row: {reason}"
    return outcome


def assert_other_feed_still_loads(w: Warehouse, landing: Path, bad_feed: str) -> None:
    ctx = Ctx(w, landing)
    if bad_feed == "producers":
        path = write_csv(landing / "certificates" / "other_feed.csv", CERTIFICATE_COLUMNS, ctx.certificates(3))
        feed = "certificates"
    else:
        path = write_csv(landing / "producers" / "other_feed.csv", PRODUCER_COLUMNS, ctx.producers(3))
        feed = "producers"
    [outcome] = w.load(path, feed)
    assert (outcome.status, outcome.rows_loaded, outcome.rows_quarantined) == ("loaded", 3, 0), outcome.summary()


@pytest.mark.parametrize("make", _named(CASES))
def test_bad_input_is_kept_explained_and_isolated(shared: Warehouse, landing_dir: Path, make) -> None:
    built = make(Ctx(shared, landing_dir))
    outcome = assert_outcome(shared, built, shared.load(built.path, built.feed))
    if built.expect.check:
        built.expect.check(shared, outcome)
    assert_other_feed_still_loads(shared, landing_dir, built.feed)


GX_CASES = [ragged_row_long, duplicate_key_within_file, future_date, unknown_producer, nondetect_words,
            most_rows_bad_gate]


@pytest.mark.parametrize("make", _named(GX_CASES))
def test_bad_input_with_great_expectations_gives_the_same_outcome(shared: Warehouse, landing_dir: Path,
                                                                   make) -> None:
    built = make(Ctx(shared, landing_dir))
    outcome = assert_outcome(shared, built, shared.load(built.path, built.feed))
    if built.expect.check:
        built.expect.check(shared, outcome)
    # GX validated the file and agrees with the rows quarantined, check by check.
    runs = query(shared.url, "select v.failing_rows, count(e.*) filter (where e.unexpected_count <> e.quarantined_rows "
                             "and e.expectation not like '%%unique%%') from dq.validation_runs v "
                             "join dq.expectation_results e using (validation_id) where v.file_id = %s "
                             "group by v.validation_id", (outcome.file_id,))
    assert runs and all(disagreeing == 0 for _, disagreeing in runs), runs
    assert sum(failing for failing, _ in runs) == outcome.rows_quarantined
