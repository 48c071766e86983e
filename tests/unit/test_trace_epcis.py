"""EPCIS output checked against the GS1 EPCIS 2.0 JSON schema shipped in tests/fixtures/epcis."""

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from agritrace.trace.epcis import EPCIS_CONTEXT, to_epcis, urn

SCHEMA = json.loads(
    (Path(__file__).parents[1] / "fixtures" / "epcis" / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8")
)
# RFC 3986 absolute URI: a scheme, then only unreserved, reserved or percent-encoded characters.
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")

FORMATS = jsonschema.FormatChecker()


@FORMATS.checks("uri")
def _is_uri(value):
    return not isinstance(value, str) or bool(_URI.fullmatch(value))


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value):
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


def validate(document):
    jsonschema.Draft7Validator(SCHEMA, format_checker=FORMATS).validate(document)


def _event(**overrides):
    base = {
        "traceability_lot_code": "HGZ-001",
        "tlc_kind": "certificate",
        "lot_no": "LOT-1",
        "trace_code": "TC-1",
        "event_type": "certificate_issued",
        "event_sequence": 1,
        "event_date": date(2024, 6, 8),
        "product_description": "豇豆",
        "product_code": None,
        "product_category": "vegetables",
        "quantity": Decimal(500),
        "unit_of_measure": "kg",
        "quantity_kg": Decimal(500),
        "location_description": "茂南区",
        "location_region": "440902",
        "producer_id": "91440902MA4UABCD1X",
        "producer_name": "合作社",
        "destination": None,
        "reference_document_type": "certificate",
        "reference_document_number": "HGZ-001",
        "disposition": None,
        "detail": None,
        "batch_no": None,
    }
    return base | overrides


EVENTS = [
    _event(),
    _event(event_type="shipped", event_sequence=2, destination="茂名市农产品批发市场"),
    _event(
        event_type="sampled",
        event_sequence=3,
        reference_document_type="sampling_form",
        reference_document_number="B-FAIL",
        batch_no="B-FAIL",
        disposition="non_conformant",
        quantity=Decimal(1),
        quantity_kg=Decimal(1),
    ),
    _event(
        event_type="tested",
        event_sequence=4,
        reference_document_type="test_report",
        reference_document_number="R-1",
        batch_no="B-FAIL",
        disposition="conformant",
    ),
    _event(
        traceability_lot_code="B-X",
        tlc_kind="sample",
        event_type="tested",
        event_sequence=4,
        reference_document_type="test_report",
        reference_document_number="R 2",
        batch_no="B-X",
        disposition="positive_unconfirmed",
    ),
    _event(traceability_lot_code="HGZ-004", quantity=Decimal(80), unit_of_measure="箱", quantity_kg=None),
]


def test_document_validates_against_the_epcis_2_schema():
    document = to_epcis(EVENTS, created=datetime(2024, 7, 1, 9, 0).astimezone())
    validate(document)
    assert document["@context"][0] == EPCIS_CONTEXT
    assert document["schemaVersion"] == "2.0"
    assert len(document["epcisBody"]["eventList"]) == len(EVENTS)


def test_schema_rejects_a_broken_event():
    document = to_epcis(EVENTS[:1])
    del document["epcisBody"]["eventList"][0]["eventTimeZoneOffset"]
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_schema_rejects_a_chinese_name_that_is_not_percent_encoded():
    document = to_epcis(EVENTS[:1])
    document["epcisBody"]["eventList"][0]["bizLocation"] = {"id": "urn:agritrace:producer:合作社"}
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_certificate_issue_is_commissioning_of_the_lot():
    event = to_epcis(EVENTS[:1])["epcisBody"]["eventList"][0]
    assert (event["action"], event["bizStep"]) == ("ADD", "commissioning")
    assert event["quantityList"] == [{"epcClass": "urn:agritrace:lot:HGZ-001", "quantity": 500, "uom": "KGM"}]
    assert event["eventTimeZoneOffset"] == "+08:00"


def test_shipping_names_the_buyer_as_destination():
    event = to_epcis(EVENTS[1:2])["epcisBody"]["eventList"][0]
    assert event["bizStep"] == "shipping"
    assert event["destinationList"][0]["destination"] == urn("party", "茂名市农产品批发市场")
    assert event["destinationList"][0]["destination"].startswith("urn:agritrace:party:%E8%8C%82")


def test_failing_sample_is_inspecting_non_conformant():
    event = to_epcis(EVENTS[2:3])["epcisBody"]["eventList"][0]
    assert (event["action"], event["bizStep"], event["disposition"]) == ("OBSERVE", "inspecting", "non_conformant")
    assert event["epcList"] == ["urn:agritrace:sample:B-FAIL"]


def test_unconfirmed_positive_has_no_disposition_but_says_so():
    event = to_epcis(EVENTS[4:5])["epcisBody"]["eventList"][0]
    assert "disposition" not in event
    assert event["agritrace:verdict"] == "positive_unconfirmed"
    assert {"type": "testres", "bizTransaction": "urn:agritrace:report:R%202"} in event["bizTransactionList"]


def test_counted_units_have_no_unit_of_measure():
    event = to_epcis(EVENTS[5:6])["epcisBody"]["eventList"][0]
    assert event["quantityList"] == [{"epcClass": "urn:agritrace:lot:HGZ-004", "quantity": 80}]


def test_event_ids_are_stable_across_exports():
    first = to_epcis(EVENTS)["epcisBody"]["eventList"]
    second = to_epcis(EVENTS)["epcisBody"]["eventList"]
    assert [e["eventID"] for e in first] == [e["eventID"] for e in second]
    assert len({e["eventID"] for e in first}) == len(first)
