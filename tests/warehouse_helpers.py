"""A shared warehouse for the reliability and security suites: fresh keys, good rows per feed, file
writers, ledger queries, and the fixtures ``shared`` (one brought-up warehouse per module, with one
producer and one sampling batch) and ``landing_dir`` (a landing folder per test).

Bringing a warehouse up takes seconds, so a module shares one; every test writes files with keys of
its own (``Keys``) and asserts on its own ``file_id``s. Each suite's conftest imports the fixtures.
"""

from __future__ import annotations

import csv
import itertools
import json
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from agritrace.bootstrap import bring_up
from agritrace.contracts import FEEDS
from agritrace.pipeline import FileOutcome, process_file
from agritrace.quality.rules import uscc_check_character
from psycopg import sql

# Analytes of the shipped reference; cowpea (豇豆) has a limit for some and none for others: both are judged.
ANALYTES = ("灭蝇胺", "噻虫胺", "噻虫嗪", "啶虫脒", "吡虫啉", "阿维菌素", "腐霉利", "多菌灵", "毒死蜱", "联苯菊酯")

PRODUCER_COLUMNS = ("producer_id", "producer_name", "producer_type", "region_code", "town", "contact_phone",
                    "registered_on")
CERTIFICATE_COLUMNS = ("certificate_no", "producer_id", "product_name", "quantity", "unit", "issue_date",
                       "commitment_basis")
BATCH_COLUMNS = ("batch_no", "task_type", "sampling_level", "sampling_date", "sampling_stage", "producer_id",
                 "product_name")
RESULT_COLUMNS = ("batch_no", "analyte", "result_value", "unit", "tested_on")
COLUMNS = {
    "producers": PRODUCER_COLUMNS,
    "certificates": CERTIFICATE_COLUMNS,
    "sampling_batches": BATCH_COLUMNS,
    "inspection_results": RESULT_COLUMNS,
}


def uscc(serial: int) -> str:
    """A unified social credit code whose check character verifies (GB 32100-2015)."""
    first17 = f"93440902MA{serial:07d}"
    return first17 + uscc_check_character(first17)


class Keys:
    """Fresh business keys, so every test's rows are its own in a shared warehouse."""

    def __init__(self) -> None:
        self._serials = itertools.count(1000)
        self.tag = uuid.uuid4().hex[:6].upper()

    def serial(self) -> int:
        return next(self._serials)

    def producer(self) -> str:
        return uscc(self.serial())

    def certificate(self) -> str:
        return f"HGZ-{self.tag}-{self.serial()}"

    def batch(self) -> str:
        return f"B-{self.tag}-{self.serial()}"


def producer_row(producer_id: str, name: str = "绿源蔬菜专业合作社", **changes: str) -> dict[str, str]:
    row = {"producer_id": producer_id, "producer_name": name, "producer_type": "合作社", "region_code": "440902",
           "town": "金塘镇", "contact_phone": "13812345678", "registered_on": "2023-03-01"}
    return {**row, **changes}


def certificate_row(certificate_no: str, producer_id: str, **changes: str) -> dict[str, str]:
    row = {"certificate_no": certificate_no, "producer_id": producer_id, "product_name": "豇豆", "quantity": "100",
           "unit": "kg", "issue_date": "2024-05-01", "commitment_basis": "自检合格"}
    return {**row, **changes}


def batch_row(batch_no: str, producer_id: str, **changes: str) -> dict[str, str]:
    row = {"batch_no": batch_no, "task_type": "例行监测", "sampling_level": "区县", "sampling_date": "2024-05-02",
           "sampling_stage": "生产基地", "producer_id": producer_id, "product_name": "豇豆"}
    return {**row, **changes}


def result_row(batch_no: str, analyte: str, **changes: str) -> dict[str, str]:
    row = {"batch_no": batch_no, "analyte": analyte, "result_value": "0.01", "unit": "mg/kg",
           "tested_on": "2024-05-04"}
    return {**row, **changes}


def write_csv(path: Path, header: Sequence[str], rows: Sequence[dict | Sequence], *, encoding: str = "utf-8",
              delimiter: str = ",") -> Path:
    """Rows as dicts (by header name) or as lists (written as they are, ragged or not)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([row.get(h, "") for h in header] if isinstance(row, dict) else row)
    return path


def write_jsonl(path: Path, lines: Sequence[dict | str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "\n".join(line if isinstance(line, str) else json.dumps(line, ensure_ascii=False) for line in lines)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def query(url: str, statement: str, params: Sequence = ()) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(statement, params).fetchall()


def ledger_row(url: str, file_id: int) -> dict:
    with psycopg.connect(url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        return cur.execute("select * from ops.files where file_id = %s", (file_id,)).fetchone()


def quarantined(url: str, file_id: int) -> list[tuple[int, dict, list[dict]]]:
    """(row_number, raw, reasons) of every quarantine row of one file, in row order."""
    return [tuple(r) for r in query(
        url, "select row_number, raw, reasons from quarantine.rows where file_id = %s order by row_number",
        (file_id,))]


def core_count(url: str, feed: str, file_id: int) -> int:
    table = sql.Identifier("core", feed)
    with psycopg.connect(url) as conn:
        return conn.execute(sql.SQL("select count(*) from {} where file_id = %s").format(table), (file_id,)).fetchone()[0]


@dataclass
class Warehouse:
    """A brought-up warehouse shared by one module, with a producer and a batch every test may use."""

    url: str
    producer_id: str
    batch_no: str
    keys: Keys

    def load(self, path: Path, feed: str, **kwargs) -> list[FileOutcome]:
        return process_file(path, feed, url=self.url, **kwargs)

    def new_batch(self, folder: Path, product: str = "豇豆") -> str:
        """A sampling batch of its own, loaded now, for a test that writes inspection results."""
        batch_no = self.keys.batch()
        path = write_csv(folder / "sampling_batches" / f"{batch_no}.csv", BATCH_COLUMNS,
                         [batch_row(batch_no, self.producer_id, product_name=product)])
        [outcome] = self.load(path, "sampling_batches")
        assert outcome.status == "loaded" and outcome.rows_loaded == 1, outcome.summary()
        return batch_no


def make_database(server_url: str, template: str) -> str:
    from agritrace import db

    name = f"agritrace_h_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("create database {} template {}").format(sql.Identifier(name), sql.Identifier(template)))
    return db.with_database(server_url, name)


def drop_database(server_url: str, url: str) -> None:
    from agritrace import db

    name = db.make_url(url).database
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def shared(pg_server_url: str, template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    url = make_database(pg_server_url, template_database)
    bring_up(url)
    keys = Keys()
    producer_id, batch_no = keys.producer(), keys.batch()
    base = tmp_path_factory.mktemp("base")
    for feed in FEEDS:
        (base / feed).mkdir()
    for path, feed in (
        (write_csv(base / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer_id)]), "producers"),
        (write_csv(base / "sampling_batches" / "b.csv", BATCH_COLUMNS, [batch_row(batch_no, producer_id)]),
         "sampling_batches"),
    ):
        [outcome] = process_file(path, feed, url=url)
        assert outcome.status == "loaded" and outcome.rows_loaded == 1, outcome.summary()
    yield Warehouse(url, producer_id, batch_no, keys)
    drop_database(pg_server_url, url)


@pytest.fixture
def landing_dir(tmp_path: Path) -> Path:
    """A landing folder of the test's own (one sub-folder per feed)."""
    root = tmp_path / "landing"
    for feed in FEEDS:
        (root / feed).mkdir(parents=True)
    return root
