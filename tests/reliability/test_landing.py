"""A landing folder no one can abuse: only settled regular files inside the feed's folder are read,
every other entry gets a ledger row, and one file's failure never stops the next."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from agritrace import pipeline
from agritrace.ingest.landing import landing_files
from warehouse_helpers import CERTIFICATE_COLUMNS, Warehouse, certificate_row, ledger_row, query, write_csv

SECRET = "jwt-signing-secret-0123456789abcdef"


def all_text_outputs(w: Warehouse, landing_dir: Path) -> str:
    """Everything an operator can read about files: ledger, deliveries, quarantine and reason files."""
    rows = query(w.url, "select coalesce(message, '') || file_name from ops.files") + query(
        w.url, "select raw::text || reasons::text from quarantine.rows")
    reasons = [p.read_text(errors="replace") for p in landing_dir.rglob("*.reason.txt")]
    return "\n".join([*(r[0] for r in rows), *reasons])


def test_a_symbolic_link_to_a_secret_is_refused_unread(shared: Warehouse, landing_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "jwt_secret"
    secret.write_text(SECRET + "\n")
    link = landing_dir / "certificates" / "certs.csv"
    link.symlink_to(secret)

    assert landing_files("certificates", landing_dir) == [link]
    [outcome] = shared.load(link, "certificates")

    assert outcome.status == "rejected" and "symbolic link" in outcome.message
    assert ledger_row(shared.url, outcome.file_id)["status"] == "rejected"
    assert SECRET not in all_text_outputs(shared, landing_dir)
    assert (landing_dir / "certificates" / "rejected" / f"{outcome.file_id}_certs.csv").is_symlink()
    assert secret.read_text() == SECRET + "\n"


def test_a_link_to_a_csv_outside_the_folder_loads_nothing(shared: Warehouse, landing_dir: Path, tmp_path: Path) -> None:
    cert = shared.keys.certificate()
    outside = write_csv(tmp_path / "elsewhere.csv", CERTIFICATE_COLUMNS, [certificate_row(cert, shared.producer_id)])
    link = landing_dir / "certificates" / "link.csv"
    link.symlink_to(outside)
    [outcome] = shared.load(link, "certificates")
    assert outcome.status == "rejected"
    assert query(shared.url, "select count(*) from core.certificates where certificate_no = %s", (cert,)) == [(0,)]


def test_a_fifo_is_refused_without_blocking(shared: Warehouse, landing_dir: Path) -> None:
    fifo = landing_dir / "certificates" / "pipe.csv"
    os.mkfifo(fifo)
    [outcome] = shared.load(fifo, "certificates")
    assert outcome.status == "rejected" and "not a regular file" in outcome.message


@pytest.mark.parametrize("name, advice", [
    ("old.xls", "save it as .xlsx or .csv"), ("macro.xlsm", "without macros"), ("bundle.zip", ".csv, .xlsx, .ods or .jsonl"),
    ("packed.csv.gz", ".csv, .xlsx, .ods or .jsonl"),
])
def test_an_unsupported_format_gets_a_ledger_row_once(shared: Warehouse, landing_dir: Path, name: str,
                                                      advice: str) -> None:
    path = landing_dir / "certificates" / name
    path.write_bytes(b"PK\x03\x04 not read " + name.encode())
    assert landing_files("certificates", landing_dir) == [path]
    [outcome] = shared.load(path, "certificates")
    assert outcome.status == "rejected" and "unsupported format" in outcome.message and advice in outcome.message
    again = landing_dir / "certificates" / name
    again.write_bytes(b"PK\x03\x04 not read " + name.encode())
    [second] = shared.load(again, "certificates")
    assert second.status == "skipped" and second.file_id == outcome.file_id


def test_a_name_with_a_trailing_space_loads(shared: Warehouse, landing_dir: Path) -> None:
    cert = shared.keys.certificate()
    path = write_csv(landing_dir / "certificates" / "spaced.csv ", CERTIFICATE_COLUMNS,
                     [certificate_row(cert, shared.producer_id)])
    assert landing_files("certificates", landing_dir) == [path]
    [outcome] = shared.load(path, "certificates")
    assert outcome.status == "loaded" and outcome.rows_loaded == 1


def test_a_file_still_being_written_is_not_taken(landing_dir: Path) -> None:
    path = landing_dir / "certificates" / "growing.csv"
    path.write_text("certificate_no,producer_id\n")
    now = time.time()
    assert landing_files("certificates", landing_dir, settle_seconds=30, now=now) == []
    assert landing_files("certificates", landing_dir, settle_seconds=30, now=now + 31) == [path]
    # A sender that writes NAME.done says the file is complete: it is taken at once.
    (landing_dir / "certificates" / "growing.csv.done").touch()
    assert landing_files("certificates", landing_dir, settle_seconds=30, now=now) == [path]


def test_a_file_that_changes_during_its_load_loads_nothing_and_waits(shared: Warehouse, landing_dir: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    cert = shared.keys.certificate()
    path = write_csv(landing_dir / "certificates" / "slow.csv", CERTIFICATE_COLUMNS,
                     [certificate_row(cert, shared.producer_id, quantity="12")])
    load_feed = pipeline._load_feed

    def writer_still_appending(*args, **kwargs):
        outcome = load_feed(*args, **kwargs)
        with path.open("a") as handle:
            handle.write(f"{shared.keys.certificate()},{shared.producer_id},豇豆,5,kg,2024-05-01,自检合格\n")
        return outcome

    monkeypatch.setattr(pipeline, "_load_feed", writer_still_appending)
    [outcome] = shared.load(path, "certificates")

    assert outcome.status == "changed" and path.exists()
    assert query(shared.url, "select count(*) from core.certificates where certificate_no = %s", (cert,)) == [(0,)]
    monkeypatch.undo()
    [complete] = shared.load(path, "certificates")
    assert complete.status == "loaded" and complete.rows_loaded == 2
    archived = landing_dir / "certificates" / "archive" / f"{complete.file_id}_slow.csv"
    from agritrace.load.ledger import sha256_of
    assert ledger_row(shared.url, complete.file_id)["sha256"] == sha256_of(archived)


def test_an_unexpected_failure_in_one_file_is_recorded_and_the_next_file_loads(
        shared: Warehouse, landing_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = write_csv(landing_dir / "certificates" / "broken.csv", CERTIFICATE_COLUMNS,
                       [certificate_row(shared.keys.certificate(), shared.producer_id)])
    check_rows = pipeline.check_rows

    def fails_once(*args, **kwargs):
        monkeypatch.setattr(pipeline, "check_rows", check_rows)
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(pipeline, "check_rows", fails_once)
    [failed] = shared.load(broken, "certificates")
    assert failed.status == "rejected" and "RecursionError" in failed.message
    assert ledger_row(shared.url, failed.file_id)["status"] == "rejected"

    good = write_csv(landing_dir / "certificates" / "good.csv", CERTIFICATE_COLUMNS,
                     [certificate_row(shared.keys.certificate(), shared.producer_id)])
    [loaded] = shared.load(good, "certificates")
    assert loaded.status == "loaded"


def test_the_same_rows_in_other_bytes_are_the_same_delivery(shared: Warehouse, landing_dir: Path) -> None:
    """An export saved again by a spreadsheet program: other bytes, same cells (one of them bad)."""
    import openpyxl

    rows = [certificate_row(shared.keys.certificate(), shared.producer_id) for _ in range(9)]
    rows.append(certificate_row(shared.keys.certificate(), shared.producer_id, quantity="-5"))
    first = write_csv(landing_dir / "certificates" / "export.csv", CERTIFICATE_COLUMNS, rows)
    [loaded] = shared.load(first, "certificates")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(CERTIFICATE_COLUMNS))
    for row in rows:
        sheet.append([row[c] for c in CERTIFICATE_COLUMNS])
    again = landing_dir / "certificates" / "export-resaved.xlsx"
    book.save(again)

    [outcome] = shared.load(again, "certificates")

    assert outcome.status == "skipped" and f"same rows as file {loaded.file_id}" in outcome.message
    ledger = ledger_row(shared.url, outcome.file_id)
    assert (ledger["status"], ledger["duplicate_of"], ledger["rows_loaded"]) == ("duplicate", loaded.file_id, 0)
    assert query(shared.url, "select count(*) from quarantine.rows where file_id = %s", (outcome.file_id,)) == [(0,)]
    assert query(shared.url, "select count(*) from dq.validation_runs where file_id = %s", (outcome.file_id,)) == [(0,)]
    assert (landing_dir / "certificates" / "archive" / f"{outcome.file_id}_export-resaved.xlsx").exists()
