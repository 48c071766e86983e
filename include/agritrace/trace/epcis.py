"""Traceability events as a GS1 EPCIS 2.0 JSON-LD document.

Event mapping (CBV 2.0 vocabulary):

    certificate_issued  ObjectEvent ADD      bizStep commissioning  disposition active
    shipped             ObjectEvent OBSERVE  bizStep shipping       disposition in_transit, destination = buyer
    sampled, tested     ObjectEvent OBSERVE  bizStep inspecting     disposition conformant | non_conformant

Identifiers. ``urn:epc:class:lgtin`` needs a GTIN, which these lots do not have, so agritrace uses
its own URN namespace (each value percent-encoded as UTF-8, so Chinese names are valid URIs):

    urn:agritrace:lot:<certificate_no>      a lot, as named by its certificate (class level, in quantityList)
    urn:agritrace:sample:<batch_no>         a sample (抽样单): an instance, in epcList
    urn:agritrace:producer:<producer_id>    the producer's business location
    urn:agritrace:party:<buyer name>        a buyer named on a certificate
    urn:agritrace:region:<region_code>      where a sample was taken (county code)
    urn:agritrace:certificate:<no>, urn:agritrace:report:<no>, urn:agritrace:sampling-form:<no>
                                            the reference documents (bizTransactionList)
    urn:uuid:<uuid5>                        eventID, stable for the same event across exports

Extension fields use the prefix ``agritrace:`` bound in the @context to ``urn:agritrace:vocab:``.
Event times are the event date at local midnight in the bureau's time zone (AGRITRACE_TIMEZONE).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from agritrace.config import settings

EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
VOCAB_PREFIX = "urn:agritrace:vocab:"
_EVENT_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:agritrace:event")
_DISPOSITIONS = {"conformant", "non_conformant"}
_UOM_KG = "KGM"  # UN/ECE Recommendation 20 code for kilogram


def urn(kind: str, value: str) -> str:
    """``urn:agritrace:<kind>:<value>`` with the value percent-encoded (UTF-8), so it is a valid URI."""
    return f"urn:agritrace:{kind}:{quote(str(value), safe='-._~')}"


def to_epcis(events: list[dict[str, Any]], *, created: datetime | None = None, timezone: str | None = None) -> dict:
    """An EPCISDocument holding one ObjectEvent per event row from ``events_for_product``."""
    zone = ZoneInfo(timezone or settings().timezone)
    created = created or datetime.now(zone)
    return {
        "@context": [EPCIS_CONTEXT, {"agritrace": VOCAB_PREFIX}],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": created.isoformat(timespec="seconds"),
        "epcisBody": {"eventList": [_event(e, zone) for e in events]},
    }


def _event(e: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    when = datetime.combine(_as_date(e["event_date"]), time(0), tzinfo=zone)
    offset = when.strftime("%z")
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": when.isoformat(),
        "eventTimeZoneOffset": f"{offset[:3]}:{offset[3:]}",
        "eventID": "urn:uuid:"
        + str(
            uuid.uuid5(
                _EVENT_NAMESPACE,
                "|".join(str(e.get(k)) for k in ("event_type", "traceability_lot_code", "reference_document_number")),
            )
        ),
    }
    kind = e["event_type"]
    lot = _lot_class(e)
    if kind == "certificate_issued":
        event |= {
            "action": "ADD",
            "bizStep": "commissioning",
            "disposition": "active",
            "quantityList": [_quantity(lot, e)],
        }
        event["ilmd"] = {
            f"agritrace:{k}": v
            for k, v in (
                ("productName", e.get("product_description")),
                ("lotNumber", e.get("lot_no")),
                ("traceCode", e.get("trace_code")),
                ("origin", e.get("location_description")),
            )
            if v
        }
    elif kind == "shipped":
        event |= {
            "action": "OBSERVE",
            "bizStep": "shipping",
            "disposition": "in_transit",
            "quantityList": [_quantity(lot, e)],
        }
        event["destinationList"] = [{"type": "owning_party", "destination": urn("party", e["destination"])}]
        event["agritrace:destinationName"] = e["destination"]
    else:  # sampled, tested
        event |= {"action": "OBSERVE", "bizStep": "inspecting", "epcList": [urn("sample", e["batch_no"])]}
        if e.get("disposition") in _DISPOSITIONS:
            event["disposition"] = e["disposition"]
        elif e.get("disposition"):
            event["agritrace:verdict"] = e["disposition"]
        if e.get("quantity") is not None and e.get("tlc_kind") == "certificate":
            event["quantityList"] = [_quantity(lot, e)]
    if e.get("producer_id") and kind in ("certificate_issued", "shipped"):
        event["bizLocation"] = {"id": urn("producer", e["producer_id"])}
    if e.get("location_region") and kind in ("sampled", "tested"):
        event["readPoint"] = {"id": urn("region", e["location_region"])}
    event["bizTransactionList"] = _documents(e)
    if e.get("detail"):
        event["agritrace:detail"] = e["detail"]
    event["agritrace:productName"] = e.get("product_description")
    return event


def _lot_class(e: dict[str, Any]) -> str:
    if e.get("tlc_kind") == "sample":
        return urn("sample", e["traceability_lot_code"])
    return urn("lot", e["traceability_lot_code"])


def _quantity(epc_class: str, e: dict[str, Any]) -> dict[str, Any]:
    if e.get("quantity_kg") is not None:
        return {"epcClass": epc_class, "quantity": _number(e["quantity_kg"]), "uom": _UOM_KG}
    # counted units (箱, 头, 只 …): EPCIS reads a quantity without uom as a count
    return {"epcClass": epc_class, "quantity": _number(e["quantity"])}


def _documents(e: dict[str, Any]) -> list[dict[str, str]]:
    docs = []
    if e.get("tlc_kind") == "certificate":
        docs.append({"type": "cert", "bizTransaction": urn("certificate", e["traceability_lot_code"])})
    ref_type, ref_no = e.get("reference_document_type"), e.get("reference_document_number")
    if ref_type == "test_report":
        docs.append({"type": "testres", "bizTransaction": urn("report", ref_no)})
    elif ref_type == "sampling_form":
        docs.append({"type": "agritrace:samplingForm", "bizTransaction": urn("sampling-form", ref_no)})
    return docs


def _number(value: Any) -> float | int:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))
