"""The trace result, typed: what ``lookup.trace`` and ``lookup.search`` return and every renderer reads.

The models mirror the jsonb ``trace.lookup`` and ``trace.search`` build in ``sql/trace``; extra
keys are ignored rather than rejected so adding a field in SQL never breaks the API. The JSON API
serves them as they are (OpenAPI documents them); the terminal table, CSV and XLSX
(``render``) and the HTML page (``agritrace.web.trace_page``) read them, and the wording they
share (where a producer is, why a certificate is in the recall scope …) is defined here, once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


def plain(value: float | None) -> float | int | None:
    """A figure as the source wrote it: ``100.0`` is ``100``, other values pass unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MatchedType(_Model):
    key_type: str
    records: int


class Window(_Model):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    from_: date | None = Field(default=None, alias="from")
    to: date | None = None
    recall_days: int


class _ProducerBase(_Model):
    producer_id: str
    producer_name: str
    producer_type: str
    region_code: str | None = None
    town: str | None = None
    village: str | None = None
    grid_id: str | None = None

    @property
    def place(self) -> str:
        """Town / village, as far as known."""
        return " / ".join(x for x in (self.town, self.village) if x)


class Producer(_ProducerBase):
    contact_phone: str | None = None  # masked (138****5678) unless personal data was requested
    registered_on: date | None = None


class Certificate(_Model):
    certificate_no: str
    producer_id: str
    product_name: str
    product_code: str | None = None
    product_category: str | None = None
    quantity: float
    unit: str
    quantity_kg: float | None = None
    origin: str | None = None
    commitment_basis: list[str] = []
    lot_no: str | None = None
    trace_code: str | None = None
    buyer: str | None = None
    issue_date: date
    is_anchor: bool
    has_failing_sample: bool


class TestItem(_Model):
    analyte_code: str
    analyte_name: str
    test_kind: str
    result: str | None = None
    value: float | None = None
    unit: str | None = None
    is_nondetect: bool | None = None
    value_mg_kg: float | None = None
    lod_mg_kg: float | None = None
    limit: float | None = None
    limit_unit: str | None = None
    limit_kind: str | None = None
    limit_standard: str | None = None
    ratio_to_limit: float | None = None
    verdict: str
    verdict_reason: str
    verdict_disagrees: bool | None = None
    # computed | supplied (the row's verdict of record) | not_judged (no limits of its jurisdiction loaded)
    verdict_basis: str = "computed"
    failing: bool
    standard: str | None = None
    method: str | None = None
    report_no: str | None = None
    tested_on: date | None = None

    @property
    def shown_result(self) -> str | float | int | None:
        """The result as reported (text such as ND or 阴性), else its value."""
        return self.result or plain(self.value)

    @property
    def shown_verdict(self) -> str:
        """The verdict, marked "(supplied)" when it is the row's own verdict rather than one judged here, and
        "(not judged)" when no limits of the row's jurisdiction are loaded (the reason names it)."""
        marks = {"supplied": " (supplied)", "not_judged": " (not judged)"}
        return self.verdict + marks.get(self.verdict_basis, "")

    @property
    def shown_standard(self) -> str | None:
        """The method standard, else the standard that sets the limit."""
        return self.standard or self.limit_standard


class Batch(_Model):
    batch_no: str
    producer_id: str | None = None
    certificate_no: str | None = None
    task_type: str
    sampling_level: str
    sampling_stage: str
    region_code: str | None = None
    product_name: str
    product_code: str | None = None
    product_category: str | None = None
    sample_qty_kg: float | None = None
    sampled_place: str | None = None
    sampler_org: str | None = None
    lab: str | None = None
    sampling_date: date
    batch_verdict: str | None = None
    failing: bool
    is_anchor: bool
    items: list[TestItem] = []
    item_count: int
    failing_count: int

    @property
    def place(self) -> str:
        """Where the sample was taken: the place, else the stage (field, market …)."""
        return self.sampled_place or self.sampling_stage

    @property
    def state(self) -> str:
        """``fail`` when the batch or an item failed, else its verdict, else ``pending``."""
        return "fail" if self.failing else (self.batch_verdict or "pending")


class Buyer(_Model):
    buyer: str
    certificates: int
    quantity_kg: float | None = None
    first_issue_date: date
    last_issue_date: date
    certificate_nos: list[str] = []


class RecallCertificate(_Model):
    certificate_no: str
    producer_id: str
    product_name: str
    quantity: float
    unit: str
    quantity_kg: float | None = None
    lot_no: str | None = None
    trace_code: str | None = None
    buyer: str | None = None
    issue_date: date
    failing_batch_no: str
    reason: str  # sampled_lot | issued_within_recall_days
    same_product: bool
    days_from_sample: int
    # Who to ask for the buyer: the certificates hold no buyer contact, so the producer who shipped
    # the lot (phone masked unless personal data was requested); empty when no buyer is named.
    buyer_contact: str | None = None
    buyer_contact_via: str | None = None  # producer

    @property
    def why_zh(self) -> str:
        """Why, in Chinese: the sampled lot itself, or a lot issued within the recall days."""
        return RECALL_REASONS_ZH.get(self.reason, self.reason)

    @property
    def why(self) -> str:
        """Why the certificate is in the recall scope, in words."""
        if self.reason == "sampled_lot":
            return f"the lot sampled in {self.failing_batch_no}"
        days = self.days_from_sample
        when = "on the day of" if days == 0 else f"{abs(days)} days {'after' if days > 0 else 'before'}"
        other = "" if self.same_product else " (another product)"
        return f"issued {when} failing sample {self.failing_batch_no}{other}"


class OtherProducerFailure(_Model):
    batch_no: str
    producer_id: str | None = None
    producer_name: str | None = None
    product_name: str
    analyte_code: str
    analyte_name: str
    value_mg_kg: float | None = None
    limit_mg_kg: float | None = None
    verdict_reason: str | None = None
    report_no: str | None = None
    sampling_date: date
    like_batch_no: str

    @property
    def producer(self) -> str | None:
        return self.producer_name or self.producer_id


RECALL_REASONS_ZH = {"sampled_lot": "抽检样品所附批次", "issued_within_recall_days": "抽检前后召回天数内开具"}


def counted(units: dict[str, float]) -> str:
    """Counted units as text, ``80 箱, 12 头``; empty when there are none."""
    return ", ".join(f"{plain(quantity)} {unit}" for unit, quantity in units.items())


class RecallTotals(_Model):
    """What the recall scope adds up to: kg over the weighed lots, counted units (头, 箱 …) apart."""

    certificates: int = 0
    buyers: int = 0
    quantity_kg: float | None = None  # sum over certificates whose unit is a weight
    counted_units: dict[str, float] = {}  # unit -> quantity, for units that are counts

    @property
    def amount(self) -> str:
        """``800 kg + 80 箱``: the kg total and each counted unit."""
        parts = [f"{plain(self.quantity_kg)} kg"] if self.quantity_kg is not None else []
        if self.counted_units:
            parts.append(counted(self.counted_units).replace(", ", " + "))
        return " + ".join(parts) or "-"


class RecallBuyer(_Model):
    """A buyer to notify and whom to ask for it (no buyer contact is held: the producer who shipped to it)."""

    buyer: str
    certificates: int
    quantity_kg: float | None = None
    counted_units: dict[str, float] = {}
    producer_id: str | None = None
    producer_name: str | None = None
    contact: str | None = None  # masked unless personal data was requested
    contact_via: str = "producer"
    certificate_nos: list[str] = []

    @property
    def contact_text(self) -> str:
        """``138****5678 (producer 茂南区绿源蔬菜专业合作社 knows the buyer)``."""
        who = self.producer_name or self.producer_id or "-"
        return f"{self.contact or '-'} ({self.contact_via} {who} knows the buyer)"


class Recall(_Model):
    failing_batch_nos: list[str] = []
    certificates: list[RecallCertificate] = []
    buyers: list[str] = []
    other_producer_failures: list[OtherProducerFailure] = []
    totals: RecallTotals = RecallTotals()
    buyer_contacts: list[RecallBuyer] = []


class Summary(_Model):
    producers: int
    certificates: int
    batches: int
    test_items: int
    failing_items: int
    failing_batches: int
    recall_certificates: int
    other_producer_failures: int


class Correction(_Model):
    """An earlier version of a row in the chain: what it held, which file delivered it, which replaced it."""

    record: str
    key: str
    changed: dict[str, dict[str, Any]]
    delivered_by_file: int
    delivered_file_name: str
    superseded_by_file: int
    superseded_file_name: str
    superseded_at: datetime

    @property
    def what_changed(self) -> str:
        """``quantity 100 → 200; unit kg → t``: the earlier value, then the current one."""
        return "; ".join(f"{column} {_shown(values.get('was'))} → {_shown(values.get('now'))}"
                         for column, values in self.changed.items()) or "no value differs"

    @property
    def provenance(self) -> str:
        return (f"was delivered by file {self.delivered_by_file} ({self.delivered_file_name}); "
                f"file {self.superseded_by_file} ({self.superseded_file_name}) was current when it was set aside "
                f"on {self.superseded_at:%Y-%m-%d %H:%M}")


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


class TraceResult(_Model):
    """One trace lookup: the chain from a key back to the producer and forward to buyers."""

    found: bool
    key: str
    key_type: str
    matched_types: list[MatchedType]
    ambiguous: bool
    records_returned: int
    window: Window
    personal_shown: bool
    producers: list[Producer]
    certificates: list[Certificate]
    certificates_total: int
    batches: list[Batch]
    batches_total: int
    buyers: list[Buyer]
    recall: Recall
    # Earlier versions of the chain's rows (corrections and late deliveries), oldest delivery first.
    corrections: list[Correction] = []
    summary: Summary

    @property
    def other_key_types(self) -> list[str]:
        """The other kinds of record the key also names (ask again with one of them to follow it)."""
        return [m.key_type for m in self.matched_types if m.key_type != self.key_type]

    def producer_name(self, producer_id: str | None) -> str | None:
        return next((p.producer_name for p in self.producers if p.producer_id == producer_id), None)


class ProducerHit(_ProducerBase):
    starts_with_query: bool


class ProductHit(_Model):
    product_name: str
    on_certificates: bool
    in_samples: bool


class SearchResult(_Model):
    query: str
    found: bool
    producers: list[ProducerHit]
    products: list[ProductHit]


class Problem(_Model):
    """Why a request was refused (400) or found nothing (404), in words for the person who asked."""

    detail: str
