"""Every version kept, older never beats newer: corrections, late orphans, late releases, file times.

Versions of a business row are ordered by delivery (the ledger id a file gets when it is claimed).
Each path that writes core is tried with a version arriving after a newer one: the newer stays
current and the older is kept in history.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import psycopg
import pytest
from agritrace.ingest.landing import landing_files
from agritrace.pipeline import release_held_file, replay
from agritrace.trace.lookup import trace
from agritrace.trace.render import render_table, to_csv_rows
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from warehouse_helpers import (
    CERTIFICATE_COLUMNS,
    PRODUCER_COLUMNS,
    RESULT_COLUMNS,
    Keys,
    Warehouse,
    certificate_row,
    producer_row,
    query,
    result_row,
    write_csv,
)


def current_quantity(w: Warehouse, certificate_no: str) -> tuple[float, int]:
    [(quantity, file_id)] = query(w.url, "select quantity, file_id from core.certificates where certificate_no = %s",
                                  (certificate_no,))
    return float(quantity), file_id


def history_quantities(w: Warehouse, certificate_no: str) -> list[tuple[float, int, int]]:
    return [(float(q), f, by) for q, f, by in query(
        w.url, """select quantity, file_id, superseded_by_file from core.certificates_history
                   where certificate_no = %s order by file_id""", (certificate_no,))]


def deliver_certificates(w: Warehouse, folder: Path, name: str, rows: list[dict]) -> int:
    path = write_csv(folder / "certificates" / name, CERTIFICATE_COLUMNS, rows)
    [outcome] = w.load(path, "certificates")
    return outcome.file_id


def test_a_corrected_result_keeps_the_failing_value_in_history(shared: Warehouse, landing_dir: Path) -> None:
    batch_no = shared.new_batch(landing_dir)
    first = write_csv(landing_dir / "inspection_results" / "r1.csv", RESULT_COLUMNS,
                      [result_row(batch_no, "毒死蜱", result_value="50")])
    [loaded] = shared.load(first, "inspection_results")
    correction = write_csv(landing_dir / "inspection_results" / "r2.csv", RESULT_COLUMNS,
                           [result_row(batch_no, "毒死蜱", result_value="ND")])
    [corrected] = shared.load(correction, "inspection_results")

    [(nondetect, verdict, file_id)] = query(
        shared.url, "select is_nondetect, verdict, file_id from core.inspection_results where batch_no = %s", (batch_no,))
    assert (nondetect, verdict, file_id) == (True, "pass", corrected.file_id)
    [(old_value, old_verdict, old_file, by)] = query(
        shared.url, "select result_value, verdict, file_id, superseded_by_file from core.inspection_results_history "
        "where batch_no = %s", (batch_no,))
    assert (float(old_value), old_verdict, old_file, by) == (50.0, "fail", loaded.file_id, corrected.file_id)

    # The trace shows what the item was, and which file corrected it, in JSON, the table and CSV.
    with psycopg.connect(shared.url) as conn:
        result = trace(conn, batch_no, include_personal=False)
    [correction] = result.corrections
    assert (correction.record, correction.delivered_by_file, correction.superseded_by_file) == (
        "test_item", loaded.file_id, corrected.file_id)
    assert correction.changed["verdict"] == {"was": "fail", "now": "pass"}
    assert "verdict fail → pass" in render_table(result)
    assert any(row[0] == "correction" and "r1.csv" in row[-1] for row in to_csv_rows(result))


def test_the_same_rows_delivered_again_make_no_new_version(shared: Warehouse, landing_dir: Path) -> None:
    cert = shared.keys.certificate()
    first = deliver_certificates(shared, landing_dir, "a.csv", [certificate_row(cert, shared.producer_id)])
    # Same rows, other bytes (a reordered header is another file to the ledger, the same content to core).
    path = landing_dir / "certificates" / "b.csv"
    write_csv(path, tuple(reversed(CERTIFICATE_COLUMNS)), [certificate_row(cert, shared.producer_id)])
    shared.load(path, "certificates")
    assert current_quantity(shared, cert) == (100.0, first)
    assert history_quantities(shared, cert) == []


def test_an_orphan_retried_after_a_newer_correction_goes_to_history(shared: Warehouse, landing_dir: Path) -> None:
    producer, cert = shared.keys.producer(), shared.keys.certificate()
    orphan_file = deliver_certificates(shared, landing_dir, "orphan.csv", [certificate_row(cert, producer)])
    producers = write_csv(landing_dir / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer)])
    shared.load(producers, "producers")
    newer = deliver_certificates(shared, landing_dir, "newer.csv", [certificate_row(cert, producer, quantity="200")])
    assert replay("certificates", file_id=orphan_file, orphans_only=True, url=shared.url).loaded == 1

    assert current_quantity(shared, cert) == (200.0, newer)
    assert history_quantities(shared, cert) == [(100.0, orphan_file, newer)]


def test_a_held_file_released_after_a_newer_correction_goes_to_history(shared: Warehouse, landing_dir: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    cert = shared.keys.certificate()
    bad = [certificate_row(shared.keys.certificate(), shared.producer_id, quantity="-1") for _ in range(3)]
    held_path = write_csv(landing_dir / "certificates" / "held.csv", CERTIFICATE_COLUMNS,
                          [certificate_row(cert, shared.producer_id), *bad])
    [held] = shared.load(held_path, "certificates")
    assert held.status == "held"
    newer = deliver_certificates(shared, landing_dir, "newer.csv",
                                 [certificate_row(cert, shared.producer_id, quantity="200")])
    [released] = release_held_file(held.file_id, url=shared.url, landing_dir=landing_dir)

    assert released.status == "loaded"
    assert current_quantity(shared, cert) == (200.0, newer)
    assert history_quantities(shared, cert) == [(100.0, held.file_id, newer)]


def test_a_correction_with_an_older_file_time_still_wins(shared: Warehouse, landing_dir: Path) -> None:
    cert = shared.keys.certificate()
    first = write_csv(landing_dir / "certificates" / "first.csv", CERTIFICATE_COLUMNS,
                      [certificate_row(cert, shared.producer_id)])
    time.sleep(0.05)
    correction = write_csv(landing_dir / "certificates" / "correction.csv", CERTIFICATE_COLUMNS,
                           [certificate_row(cert, shared.producer_id, quantity="300")])
    # Copied with its original time (cp -p, rsync -t, an unzip): the file time says nothing of delivery.
    day_ago = time.time() - 86_400
    os.utime(correction, (day_ago, day_ago))

    assert landing_files("certificates", landing_dir) == [first, correction]
    for path in landing_files("certificates", landing_dir):
        shared.load(path, "certificates")
    quantity, _ = current_quantity(shared, cert)
    assert quantity == 300.0


# One delivery: (certificate index, quantity) rows, and whether bad rows make the gate hold the file;
# certificates 0..2 of one producer that may arrive late.
deliveries = st.lists(
    st.tuples(st.lists(st.tuples(st.integers(0, 2), st.sampled_from([100, 200, 300])), min_size=1, max_size=3,
                       unique_by=lambda row: row[0]),
              st.booleans()),
    min_size=1, max_size=5)


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deliveries=deliveries, producer_after=st.integers(0, 5),
       moments=st.lists(st.sampled_from(["none", "replay", "release", "both"]), min_size=5, max_size=5))
def test_late_orphans_and_releases_never_beat_newer_deliveries(shared: Warehouse, tmp_path: Path, deliveries,
                                                               producer_after: int, moments: list[str]) -> None:
    """Whatever waited as an orphan or in a held file, and whenever it was retried or released, the
    current version of each key is its latest delivery, and every version delivered is current or in
    history — what the same deliveries give when every parent is present and nothing is held."""
    keys = Keys()
    folder = tmp_path / keys.tag
    producer = keys.producer()
    certs = [keys.certificate() for _ in range(3)]
    delivered: dict[str, list[float]] = {}
    held: list[int] = []

    def producer_arrives() -> None:
        path = write_csv(folder / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(producer)])
        shared.load(path, "producers")

    def release_all() -> None:
        while held:
            release_held_file(held.pop(0), url=shared.url, landing_dir=folder)

    for number, (rows, hold) in enumerate(deliveries):
        if number == producer_after:
            producer_arrives()
        bad = [certificate_row(keys.certificate(), producer, quantity="-1") for _ in range(4)] if hold else []
        path = write_csv(folder / "certificates" / f"d{number}.csv", CERTIFICATE_COLUMNS,
                         [certificate_row(certs[i], producer, quantity=str(q)) for i, q in rows] + bad)
        [outcome] = shared.load(path, "certificates")
        if outcome.status == "held":
            held.append(outcome.file_id)
        for i, q in rows:
            delivered.setdefault(certs[i], []).append(float(q))
        if moments[number] in ("release", "both"):
            release_all()
        if moments[number] in ("replay", "both"):
            replay("certificates", orphans_only=True, url=shared.url)
    if producer_after >= len(deliveries):
        producer_arrives()
    release_all()
    replay("certificates", orphans_only=True, url=shared.url)

    for cert, versions in delivered.items():
        quantity, _ = current_quantity(shared, cert)
        assert quantity == versions[-1]
        kept = {quantity} | {q for q, _, _ in history_quantities(shared, cert)}
        assert kept == set(versions)


@pytest.mark.parametrize("variant", ["lower", "dash"])
def test_key_variants_are_one_certificate_and_a_visible_finding(shared: Warehouse, landing_dir: Path,
                                                                variant: str) -> None:
    cert = f"CORR-{shared.keys.tag}-{shared.keys.serial()}"
    written = cert.lower() if variant == "lower" else cert.replace("-", "\u2010")
    first = deliver_certificates(shared, landing_dir, "a.csv", [certificate_row(cert, shared.producer_id)])
    path = write_csv(landing_dir / "certificates" / "b.csv", CERTIFICATE_COLUMNS,
                     [certificate_row(written, shared.producer_id, quantity="250")])
    [second] = shared.load(path, "certificates")

    assert query(shared.url, "select certificate_no, quantity::float from core.certificates "
                 "where certificate_no in (%s, %s)", (cert, written)) == [(cert, 250.0)]
    assert history_quantities(shared, cert) == [(100.0, first, second.file_id)]
    assert "canonical form" in second.message
    assert query(shared.url, "select raw_value, canonical from ops.key_variants where file_id = %s",
                 (second.file_id,)) == [(written, cert)]
    # Looked up as it was written, the key finds the one certificate.
    with psycopg.connect(shared.url) as conn:
        assert trace(conn, written).key == cert


def test_key_variants_inside_one_file_are_a_duplicate_not_two_certificates(shared: Warehouse,
                                                                          landing_dir: Path) -> None:
    cert = f"CORR-{shared.keys.tag}-{shared.keys.serial()}"
    path = write_csv(landing_dir / "certificates" / "twice.csv", CERTIFICATE_COLUMNS,
                     [certificate_row(cert, shared.producer_id), certificate_row(cert.lower(), shared.producer_id)])
    [outcome] = shared.load(path, "certificates")
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (0, 2)
    assert query(shared.url, "select count(*) from core.certificates where certificate_no in (%s, %s)",
                 (cert, cert.lower())) == [(0,)]


def test_a_replayed_row_meeting_its_own_files_row_stays_quarantined_as_a_conflict(shared: Warehouse,
                                                                                   landing_dir: Path) -> None:
    """One file said 0.02 and (under a name not yet known) 0.9 for the same item: neither is newer."""
    batch_no = shared.new_batch(landing_dir)
    alias = f"灭蝇安{shared.keys.tag}"
    path = write_csv(landing_dir / "inspection_results" / "two.csv", RESULT_COLUMNS,
                     [result_row(batch_no, "灭蝇胺", result_value="0.02"),
                      result_row(batch_no, alias, result_value="0.9")])
    [outcome] = shared.load(path, "inspection_results", ignore_gate=True)
    assert (outcome.rows_loaded, outcome.rows_quarantined) == (1, 1)
    with psycopg.connect(shared.url) as conn:
        code = conn.execute("select code from ref.analytes where name_zh = '灭蝇胺'").fetchone()[0]
        conn.execute("insert into ref.analyte_aliases (alias, analyte_code) values (%s, %s)", (alias, code))
    replayed = replay("inspection_results", file_id=outcome.file_id, url=shared.url)

    assert (replayed.loaded, replayed.still_quarantined) == (0, 1)
    [(status, reasons)] = query(shared.url, "select status, reasons from quarantine.rows where file_id = %s",
                                (outcome.file_id,))
    assert status == "open" and "one delivery cannot hold two versions" in reasons[0]["message"]
    assert query(shared.url, "select value_mg_kg::float from core.inspection_results where batch_no = %s",
                 (batch_no,)) == [(0.02,)]
    assert query(shared.url, "select count(*) from core.inspection_results_history where batch_no = %s",
                 (batch_no,)) == [(0,)]


def test_a_malformed_producer_code_is_a_bad_value_not_an_orphan(shared: Warehouse, landing_dir: Path) -> None:
    good = [certificate_row(shared.keys.certificate(), shared.producer_id) for _ in range(9)]
    bad_cert = shared.keys.certificate()
    path = write_csv(landing_dir / "certificates" / "malformed.csv", CERTIFICATE_COLUMNS,
                     [*good, certificate_row(bad_cert, "91440902-NOT-A-CODE")])
    [outcome] = shared.load(path, "certificates")
    [(reasons, is_orphan)] = query(shared.url, "select reasons, is_orphan from quarantine.rows where file_id = %s",
                                   (outcome.file_id,))
    assert not is_orphan
    assert [r["rule"] for r in reasons] == ["producer_code"]
