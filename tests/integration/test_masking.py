"""Personal data masked by what it looks like, wherever it is (migration V010).

``ops.mask_personal`` masks mobile, landline and resident ID numbers inside any text and leaves
business keys readable; ``ops.mask_jsonb`` applies it to whole quarantined rows and reasons, masking
the contracts' personal columns whole. Operators read quarantined rows and the ledger only through
the masked views; analysts read marts whose free text is masked; regulators still see clear values.
"""

from __future__ import annotations

import csv
import json
import random
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from agritrace import db
from agritrace.bootstrap import bring_up
from agritrace.cli import app
from agritrace.contracts import FEEDS
from agritrace.marts.refresh import refresh_marts
from agritrace.pipeline import process_file
from agritrace.synth.uscc import make_credit_code
from psycopg import sql
from typer.testing import CliRunner

OPERATOR, ANALYST, REGULATOR = "agritrace_operator", "agritrace_analyst", "agritrace_regulator"
Denied = psycopg.errors.InsufficientPrivilege


def resident_id(first17: str) -> str:
    """An ID number with its right check character (GB 11643, ISO 7064 MOD 11-2), computed here
    independently of the SQL."""
    total = sum(int(d) * (2 ** (17 - i) % 11) for i, d in enumerate(first17))
    return first17 + "10X98765432"[total % 11]


def wrong_check(first17: str) -> str:
    right = resident_id(first17)[-1]
    return first17 + next(c for c in "0123456789" if c != right)


ID = resident_id("44090219900101123")          # born 1990-01-01 in 茂南区
ID_X = "11010519491231002X"                     # the standard's own example, check character X
CREDIT_CODE = make_credit_code(random.Random(7), "440902", "enterprise")
# Region + date + serial, the shape of a trace code: only a right check character makes it an ID.
CODE_LIKE_AN_ID = wrong_check("44090220230104000")

MASKED = {
    "13812345678": "138****5678",
    "138-1234-5678": "138****5678",
    "138 1234 5678": "138****5678",
    "+86 138 1234 5678": "+86 138****5678",
    "+8613812345678": "+86138****5678",
    "0086-139-0000-1111": "0086-139****1111",
    "电话13812345678，请联系": "电话138****5678，请联系",
    "tel:13812345678.": "tel:138****5678.",
    "13812345678,13912345678": "138****5678,139****5678",
    "联系人-13812345678": "联系人-138****5678",
    "0759-2281234": "0759-****1234",
    "020-83334567": "020-****4567",
    "020 83334567": "020 ****4567",
    ID: ID[:6] + "********" + ID[-4:],
    ID_X: "110105********002X",
    ID_X.lower(): "110105********002x",
    f"身份证{ID}号": f"身份证{ID[:6]}********{ID[-4:]}号",
    f"row 7 has 2 values too many: 13700001111 | 0759-2281234 | {ID}":
        f"row 7 has 2 values too many: 137****1111 | 0759-****1234 | {ID[:6]}********{ID[-4:]}",
    f'{{"contact_phone": "13812345678", "id": "{ID_X}"}}': '{"contact_phone": "138****5678", "id": "110105********002X"}',
}

# Business keys and values that look numeric but are not personal: none may change.
KEPT = [
    "HGZ-440902-000123", "HH-440902-000123", "91440902MA4XXXXXXX", CREDIT_CODE, "914403001921807540",
    "MN20230104000123", "44090220230104000123", CODE_LIKE_AN_ID, "20230104", "2023-01-04", "20230104-01",
    "2023-01-04 08:30:00", "SB000000123", "SC000000123", "RP000000123", "ZXJCMN20230104000123",
    "440902", "GB 2763-2021", "GB 23200.113-2018", "66215-27-8", "0.05", "ND", "<LOD", "未检出",
    "HGZ-0759-2281234", "SB-13812345678", "13812345678-01", "138123456789", "1381234567", "400-123-4567",
    "138****5678", "0759-****1234", "茂南区绿源蔬菜专业合作社", "",
]


@pytest.fixture(scope="module")
def url(pg_server_url: str, template_database: str) -> Iterator[str]:
    """One brought-up warehouse (reference data, marts, trace functions) for the module."""
    name = f"agritrace_m_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name),
                                                                      sql.Identifier(template_database)))
    target = db.with_database(pg_server_url, name)
    bring_up(target)
    yield target
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@contextmanager
def as_role(url: str, role: str | None) -> Iterator[psycopg.Connection]:
    with psycopg.connect(url, autocommit=True) as conn:
        if role:
            conn.execute(sql.SQL("set role {}").format(sql.Identifier(role)))
        yield conn


def one(url: str, query: str, params=(), role: str | None = None):
    with as_role(url, role) as conn:
        return conn.execute(query, params).fetchone()[0]


# --- the rule ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "masked"), MASKED.items(), ids=range(len(MASKED)))
def test_phone_and_id_numbers_are_masked_inside_any_text(url: str, text: str, masked: str):
    assert one(url, "select ops.mask_personal(%s)", (text,)) == masked
    assert one(url, "select ops.mask_personal(ops.mask_personal(%s))", (text,)) == masked, "masking twice changes nothing"


@pytest.mark.parametrize("text", KEPT)
def test_business_keys_stay_readable(url: str, text: str):
    assert one(url, "select ops.mask_personal(%s)", (text,)) == text


def test_business_keys_next_to_a_phone_stay_readable(url: str):
    text = f"证号 HGZ-440902-000123，主体 {CREDIT_CODE}，追溯码 44090220230104000123，联系 13812345678"
    assert one(url, "select ops.mask_personal(%s)", (text,)) == text.replace("13812345678", "138****5678")


def test_an_id_number_is_recognised_by_its_check_character(url: str):
    assert one(url, "select ops.resident_id_valid(%s)", (ID,)) is True
    assert one(url, "select ops.resident_id_valid(%s)", (ID_X.lower(),)) is True
    assert one(url, "select ops.resident_id_valid(%s)", (CODE_LIKE_AN_ID,)) is False
    # A code of the same shape whose last digit happens to verify cannot be told from an ID: masked.
    looks_like_one = resident_id("44090220230104000")
    assert one(url, "select ops.mask_personal(%s)", (looks_like_one,)) == "440902********" + looks_like_one[-4:]


@pytest.mark.parametrize(("value", "masked"), [
    ("13812345678", "138****5678"), ("0668-2281234", "066*****1234"), ("139 0000 5678", "139******5678"),
    ("22812345", "****2345"), ("0759228123", "******8123"), ("1234567", "*******"), ("", ""), (None, None),
])
def test_a_personal_column_is_masked_whole_whatever_it_looks_like(url: str, value, masked):
    assert one(url, "select ops.mask_phone(%s)", (value,)) == masked
    assert one(url, "select trace.mask_phone(%s)", (value,)) == masked, "the trace functions use the same rule"


def test_the_personal_columns_are_the_contracts(url: str):
    headers = {h.strip().lower() for feed in FEEDS.values() for f in feed.fields if f.personal for h in f.headers}
    in_sql = set(one(url, "select ops.personal_columns()"))
    assert in_sql == headers, ("ops.personal_columns() must list every header of every personal=True field of the "
                               "contracts: add a migration that replaces the function with the new list")


def test_mask_jsonb_masks_personal_columns_whole_and_everything_else_by_pattern(url: str):
    raw = {"producer_id": CREDIT_CODE, "town": "13812345678", "contact_phone": "2023-03-01", "手机": "12345",
           "备注": f"户主身份证 {ID}", "_line": '{"电话": "0759-2281234"}', "quantity": 13912345678,
           "nested": [{"deep": "+86 137 0000 1111"}], "empty": None, "ok": True}
    masked = one(url, "select ops.mask_jsonb(%s::jsonb)", (json.dumps(raw, ensure_ascii=False),))
    assert masked == {
        "producer_id": CREDIT_CODE, "town": "138****5678", "contact_phone": "******3-01", "手机": "*****",
        "备注": f"户主身份证 {ID[:6]}********{ID[-4:]}", "_line": '{"电话": "0759-****1234"}',
        "quantity": "139****5678", "nested": [{"deep": "+86 137****1111"}], "empty": None, "ok": True,
    }
    reasons = [{"rule": "pattern", "column": "contact_phone", "value": "1381234", "message": "not a phone"},
               {"rule": "too_many_fields", "column": None, "value": "x | 13812345678", "message": "row 3"},
               {"rule": "unique", "column": "producer_id", "value": "HGZ-440902-000123", "message": "twice"}]
    masked = one(url, "select ops.mask_jsonb(%s::jsonb)", (json.dumps(reasons),))
    assert [r["value"] for r in masked] == ["*******", "x | 138****5678", "HGZ-440902-000123"]
    assert [r["message"] for r in masked] == ["not a phone", "row 3", "twice"]
    assert one(url, "select ops.mask_jsonb('[]'::jsonb)") == []
    assert one(url, "select ops.mask_jsonb(null::jsonb)") is None


# --- who sees what -----------------------------------------------------------------------------------

PHONES = ("13812345678", "13900001111", "13700002222", "0759-2281234", ID)


def _clear_numbers(text: str) -> list[str]:
    return [p for p in PHONES if p in text]


def _write_producers(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["producer_id", "producer_name", "producer_type", "region_code", "town", "village",
                         "contact_phone", "registered_on", "备注"])
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def quarantined(url: str, tmp_path_factory: pytest.TempPathFactory) -> int:
    """A producers file whose bad rows carry phone and ID numbers outside contact_phone: a row whose
    values shifted, a row with values past the header, a note in a column the contract does not know."""
    folder = tmp_path_factory.mktemp("masking") / "producers"
    rng = random.Random(1)
    # enough good rows that the bad ones stay under the gate (AGRITRACE_GATE_SHARE, 20 %)
    good = [[make_credit_code(rng, "440902", "cooperative"), f"绿源蔬菜专业合作社{i}", "合作社", "440902", "金塘镇",
             "曹江村", "13812345678", "2023-03-01", ""] for i in range(15)]
    path = _write_producers(folder / "名录_13700002222.csv", [
        *good,
        # shifted one column left from town on: the phone lands in village, the date in contact_phone
        ["BAD-CODE", "李四", "农户", "440902", "曹江村", "13900001111", "2023-03-01", "", ""],
        # more values than the header has columns
        ["HH-440902-000009", "王五", "农户", "440902", "金塘镇", "曹江村", "0759-2281234", "2023-03-01", "", "x",
         "13700002222"],
        # a note the contract does not know, and a malformed code
        ["91440902MA4UABCD1Y", "赵六", "企业", "440902", "金塘镇", "曹江村", "13812345678", "2099-01-01",
         f"法人身份证{ID}"],
    ])
    [outcome] = process_file(path, "producers", url=url)
    assert outcome.rows_quarantined == 3, outcome.summary()
    return outcome.file_id


def test_the_phones_really_are_in_the_quarantined_rows(url: str, quarantined: int):
    text = one(url, "select json_agg(json_build_array(raw, reasons))::text from quarantine.rows where file_id = %s",
               (quarantined,))
    assert set(_clear_numbers(text)) >= {"13900001111", "13700002222", "0759-2281234", ID}, \
        "the test rows must carry the numbers the view is to mask"


def test_operators_see_no_phone_or_id_number_in_quarantined_rows(url: str, quarantined: int):
    text = one(url, "select json_agg(json_build_array(raw, reasons))::text from quarantine.rows_masked "
                    "where file_id = %s", (quarantined,), role=OPERATOR)
    assert _clear_numbers(text) == []
    assert "139****1111" in text and "137****2222" in text
    assert "075*****1234" in text, "a value of contact_phone is masked whole, whatever it looks like"
    assert f"{ID[:6]}********{ID[-4:]}" in text
    assert "BAD-CODE" in text and "91440902MA4UABCD1Y" in text and "HH-440902-000009" in text, \
        "the keys an operator needs to fix a row stay readable"
    with as_role(url, OPERATOR) as conn, pytest.raises(Denied):
        conn.execute("select raw from quarantine.rows limit 1")


def test_operators_read_the_ledger_with_file_names_and_messages_masked(url: str, quarantined: int):
    with as_role(url, None) as conn:
        conn.execute("update ops.files set message = %s where file_id = %s",
                     (f"row 3: value 13812345678 of contact_phone; see {CREDIT_CODE}", quarantined))
    with as_role(url, OPERATOR) as conn:
        name, message = conn.execute("select file_name, message from ops.files_masked where file_id = %s",
                                     (quarantined,)).fetchone()
        assert (name, message) == ("名录_137****2222.csv",
                                   f"row 3: value 138****5678 of contact_phone; see {CREDIT_CODE}")
        [delivered] = conn.execute("select file_name from ops.file_deliveries_masked where file_id = %s",
                                   (quarantined,)).fetchone()
        assert delivered == "名录_137****2222.csv"
        assert conn.execute("select status from ops.files where file_id = %s", (quarantined,)).fetchone() == ("loaded",)
        assert conn.execute("select count(*) from ops.files").fetchone()[0] >= 1
    for column, table in (("message", "ops.files"), ("file_name", "ops.files"), ("*", "ops.files"),
                          ("file_name", "ops.file_deliveries")):
        with as_role(url, OPERATOR) as conn, pytest.raises(Denied):
            conn.execute(f"select {column} from {table}")


def test_only_operators_read_the_masked_ledger(url: str):
    for role in (ANALYST, REGULATOR):
        for view in ("ops.files_masked", "ops.file_deliveries_masked", "quarantine.rows_masked"):
            assert one(url, "select has_table_privilege(%s, %s, 'select')", (role, view)) is False


def test_the_quarantine_cli_masks_unless_asked_for_personal_data(url: str, quarantined: int, monkeypatch):
    monkeypatch.setenv("AGRITRACE_DATABASE_URL", url)
    runner = CliRunner()
    masked = runner.invoke(app, ["quarantine", "list", "--feed", "producers", "--limit", "50"])
    assert masked.exit_code == 0, masked.output
    assert "名录_137****2222.csv" in masked.stdout and "BAD-CODE" in masked.stdout
    assert _clear_numbers(masked.stdout) == []
    shown = runner.invoke(app, ["quarantine", "list", "--feed", "producers", "--limit", "50", "--show-personal"])
    assert shown.exit_code == 0, shown.output
    assert "名录_13700002222.csv" in shown.stdout


HOUSEHOLD = "HH-440902-000077"


@pytest.fixture(scope="module")
def shifted_producer(url: str, quarantined: int) -> str:
    """A household loaded with phone and ID numbers in free-text columns (values that shifted)."""
    with as_role(url, None) as conn:
        conn.execute(
            """insert into core.producers (producer_id, producer_name, producer_type, region_code, town, village,
                                           grid_id, contact_phone, registered_on, file_id)
               values (%s, %s, 'household', '440902', %s, %s, %s, '13812345678', '2023-03-01', %s)""",
            (HOUSEHOLD, "张三 13900001111", "金塘镇 0759-2281234", f"曹江村 {ID}", "13700002222", quarantined))
        refresh_marts(conn)
    return HOUSEHOLD


def test_analysts_see_no_phone_or_id_number_in_any_mart(url: str, shifted_producer: str):
    with as_role(url, ANALYST) as conn:
        marts = [r[0] for r in conn.execute("select format('%I.%I', schemaname, viewname) from pg_views "
                                            "where schemaname = 'mart'")]
        text = "\n".join(conn.execute(f"select coalesce(json_agg(t)::text, '') from {name} t").fetchone()[0]
                         for name in marts)
        row = conn.execute("select producer_name, town, village, grid_id, contact_phone_masked "
                           "from mart.producer_risk where producer_id = %s", (shifted_producer,)).fetchone()
    assert _clear_numbers(text) == []
    assert row == ("张三 139****1111", "金塘镇 0759-****1234", f"曹江村 {ID[:6]}********{ID[-4:]}", "137****2222",
                   "138****5678")
    assert "金塘镇 0759-****1234" in text, "the town is masked in every mart that shows it"


def test_regulators_still_see_clear_values(url: str, shifted_producer: str):
    with as_role(url, REGULATOR) as conn:
        result = conn.execute("select trace.lookup(%s, requested_by => 'inspector')", (shifted_producer,)).fetchone()[0]
        masked = conn.execute("select trace.lookup(%s, requested_by => 'inspector', include_personal => false)",
                              (shifted_producer,)).fetchone()[0]
    [producer] = result["producers"]
    assert producer["contact_phone"] == "13812345678"
    assert masked["producers"][0]["contact_phone"] == "138****5678"
    with as_role(url, None) as conn:  # the warehouse itself is untouched: masking happens on the way out
        assert conn.execute("select contact_phone, grid_id from core.producers where producer_id = %s",
                            (shifted_producer,)).fetchone() == ("13812345678", "13700002222")
