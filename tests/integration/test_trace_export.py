"""Events for a product: FSMA 204 style rows, CSV/XLSX with formula cells defused, EPCIS 2.0."""

import csv
import json
import re
from datetime import date, datetime
from pathlib import Path

import jsonschema
import psycopg
import pytest
from agritrace.trace.export import (
    EVENT_COLUMNS,
    events_for_product,
    to_epcis,
    write_events_csv,
    write_events_xlsx,
)
from openpyxl import load_workbook

SCHEMA_PATH = Path(__file__).parents[1] / "fixtures" / "epcis" / "EPCIS-JSON-Schema.json"
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
FORMATS = jsonschema.FormatChecker()
FORMATS.checks("uri")(lambda v: not isinstance(v, str) or bool(_URI.fullmatch(v)))
FORMATS.checks("date-time", raises=ValueError)(
    lambda v: not isinstance(v, str) or datetime.fromisoformat(v).tzinfo is not None
)


@pytest.fixture
def events(trace_warehouse):
    with psycopg.connect(trace_warehouse) as conn:
        return events_for_product(conn, "豇豆", date(2024, 1, 1), date(2024, 12, 31))


def test_one_row_per_event_sorted_by_date(events):
    kinds = {(e["traceability_lot_code"], e["event_type"]) for e in events}
    assert {
        ("HGZ-001", "certificate_issued"),
        ("HGZ-001", "shipped"),
        ("HGZ-001", "sampled"),
        ("HGZ-001", "tested"),
        ("B-OTHER", "sampled"),
        ("HGZ-003", "certificate_issued"),
    } <= kinds
    assert ("HGZ-003", "shipped") not in kinds  # no buyer named
    assert not any(e["product_description"] == "荔枝" for e in events)
    assert [e["event_date"] for e in events] == sorted(e["event_date"] for e in events)
    assert list(events[0]) == list(EVENT_COLUMNS)


def test_failing_test_is_non_conformant_and_names_the_analyte(events):
    tested = next(e for e in events if e["event_type"] == "tested" and e["batch_no"] == "B-FAIL")
    assert tested["disposition"] == "non_conformant"
    assert tested["reference_document_number"] == "R-2024-001"
    assert "克百威" in tested["detail"]


def test_export_is_audited(trace_warehouse, events):
    with psycopg.connect(trace_warehouse) as conn:
        row = conn.execute("select action, lookup_key, records_returned from ops.trace_audit").fetchone()
    assert row == ("export", "豇豆", len(events))


def test_csv_neutralises_formula_leading_cells(events, tmp_path):
    path = write_events_csv(events, tmp_path / "events.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8-sig")))
    destinations = {r["收货方 destination"] for r in rows if r["收货方 destination"]}
    assert '\'=HYPERLINK("http://x")' in destinations and "'@金塘农贸市场" in destinations
    assert not any(v.startswith(("=", "+", "@")) for r in rows for v in r.values())


def test_xlsx_neutralises_formula_leading_cells(events, tmp_path):
    path = write_events_xlsx(events, tmp_path / "events.xlsx")
    sheet = load_workbook(path)["events"]
    values = [c.value for row in sheet.iter_rows(min_row=2) for c in row]
    assert '\'=HYPERLINK("http://x")' in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "@")) for v in values)
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_epcis_document_validates_against_the_schema(events):
    document = to_epcis(events)
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema, format_checker=FORMATS).validate(document)
    steps = {(e["bizStep"], e.get("disposition")) for e in document["epcisBody"]["eventList"]}
    assert {
        ("commissioning", "active"),
        ("shipping", "in_transit"),
        ("inspecting", "non_conformant"),
        ("inspecting", "conformant"),
    } <= steps


def test_unknown_product_has_no_events(trace_warehouse):
    with psycopg.connect(trace_warehouse) as conn:
        assert events_for_product(conn, "榴莲", date(2024, 1, 1), date(2024, 12, 31)) == []
