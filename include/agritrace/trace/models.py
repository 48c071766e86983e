"""The trace API's response shapes, so OpenAPI documents them (and FastAPI validates them).

They mirror the jsonb ``trace.lookup`` and ``trace.search`` build in ``sql/trace``; extra keys are
ignored rather than rejected so adding a field in SQL never breaks the API.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


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


class Producer(_Model):
    producer_id: str
    producer_name: str
    producer_type: str
    region_code: str | None = None
    town: str | None = None
    village: str | None = None
    grid_id: str | None = None
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
    failing: bool
    standard: str | None = None
    method: str | None = None
    report_no: str | None = None
    tested_on: date | None = None


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


class Recall(_Model):
    failing_batch_nos: list[str] = []
    certificates: list[RecallCertificate] = []
    buyers: list[str] = []
    other_producer_failures: list[OtherProducerFailure] = []


class Summary(_Model):
    producers: int
    certificates: int
    batches: int
    test_items: int
    failing_items: int
    failing_batches: int
    recall_certificates: int
    other_producer_failures: int


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
    summary: Summary


class ProducerHit(_Model):
    producer_id: str
    producer_name: str
    producer_type: str
    region_code: str | None = None
    town: str | None = None
    village: str | None = None
    grid_id: str | None = None
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
