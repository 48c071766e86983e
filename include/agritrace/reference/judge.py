"""The verdict on one test item and on a sampling batch. Pure functions: no I/O.

Rules (DATA_CONTRACT "Judgement rules"):

- Values are compared in mg/kg (μg/kg, ppm and ppb converted exactly). A value **equal** to its
  MRL passes; above it fails. A non-detect (ND, 未检出, <LOD, "<0.01", "-") passes an MRL.
- A banned substance (a ``banned`` row of ref.limits, or 不得检出 in the row's mrl column) fails
  when detected at or above the LOD. Without a reported LOD any quantified value above zero counts
  as detected; "<0.01" as the value gives the LOD (0.01) when no LOD column is filled. A banned
  item has ``limit_mg_kg = None`` (there is no numeric limit) and ``ratio_to_limit`` = value / LOD.
- An MRL written on the row overrides the reference lookup; the verdict says so and carries
  ``limit_source = 'mrl column on the row'`` and ``limit_verified = None`` (not ours to vouch for).
- **No limit found** for a detected, non-banned analyte: GB 2763 practice is that an item without
  an MRL in the standard is not judged on that item, so it does not make the sample fail. The
  item passes with ``limit_kind = None`` and the reason "no limit set in <standard> for
  <product>/<analyte>; detected value recorded", so the detection stays visible in the marts.
- Rapid tests (unit %, the enzyme inhibition rate): positive at ≥ 50 %, reported as
  ``positive_unconfirmed``; below 50 % ``negative``. For rapid items ``value_mg_kg`` and
  ``limit_mg_kg`` hold the rate in % (as core.inspection_results documents) and
  ``limit_kind = 'rapid'``. A rapid result written as a word (阳性 / 阴性) is read the same way.
- Every verdict that used a limit figure not verified against the published standard carries
  ``limit_verified = False`` and says "unverified" in its reason.
- A result written as a bound ("<0.05", "≤0.05", "未检出(<0.05)") is a non-detect when every value
  the bound allows gets the same verdict: a bound at or below the MRL passes; against a banned
  substance's reported LOD, or the rapid test's 50 %, the bound must be below it ("<" may equal it,
  as the value is then still below). A bound above the limit is **inconclusive**: the value may be
  on either side, so the item is neither a pass nor a fail (``verdict = 'inconclusive'``, no value,
  the reason says what to ask the lab for) and is left out of every pass rate. Without a reported
  LOD a banned substance's bound is its LOD, as before, so it passes.
- A value no laboratory reports (not zero, below 1e-9 mg/kg, e.g. ``1e-400``) is an error
  (``ImplausibleValue``), never judged as 0.
- With a value, a supplied verdict is compared, never adopted: pass/negative agree with
  pass/negative, and fail/positive agree with fail/positive_unconfirmed; anything else (and any
  supplied verdict on an inconclusive item) sets ``verdict_disagrees``. The computed verdict stands
  (``verdict_basis = 'computed'``).
- **Verdict-only rows.** A row with a supplied verdict and no value (empty, not a non-detect word)
  keeps the supplied verdict as its verdict of record (``verdict_basis = 'supplied'``) and counts in
  pass rates like any judged item. No limit is needed or recorded (``limit_kind = None``, the
  standard named on the row, if any, as ``limit_standard``): the verdict does not rest on a figure
  of ours. The words keep their meaning in the feed: pass (合格, 符合规定) → ``pass`` and fail (不合格,
  不符合规定) → ``fail`` on a lab item; with unit % (a rapid test) pass → ``negative`` and fail →
  ``positive_unconfirmed``. Positive (阳性) and negative (阴性) are screening words: the item is a
  rapid test, negative counts as a pass and positive stays ``positive_unconfirmed`` until a lab
  result for the analyte confirms it, exactly as a rapid result written as a word. An unknown
  analyte is still an error (the row is quarantined); a row with neither value nor supplied verdict
  still is too. An unknown product is not: a verdict-only item needs no limit, so it is recorded
  whatever the product; only a value to judge needs the product resolved.
- **Test categories.** A row may name a test category (农药残留, 食品微生物, 标示, GHP …) instead
  of an analyte: it is recorded with its supplied verdict like any verdict-only row (the category
  code as ``analyte_code``). A value cannot be judged against a category: that row is an error.
- **Jurisdictions.** A value is judged only with the limits of the row's jurisdiction (its own, or
  the bureau's ``AGRITRACE_JURISDICTION``). Where that jurisdiction has no limits loaded it is never
  judged with another's: a supplied verdict is kept as the verdict of record (basis ``supplied``),
  else the item is ``inconclusive`` with basis ``not_judged`` and the reason "not judged: no limits
  loaded for X". An MRL written on the row is the row's own limit and is judged as before.

Batch verdict: ``fail`` if any item fails; else ``positive_unconfirmed`` if a rapid positive has
no conclusive lab result (pass or fail) in the batch for the same analyte (or for an analyte of the
class the rapid test reports on, e.g. 克百威 for 有机磷和氨基甲酸酯类农药 — pass ``ref`` for that);
else ``inconclusive`` if any item is inconclusive (a batch is not passed on an item nobody could
judge); else ``pass``; ``None`` without items. A rapid item keeps its own ``positive_unconfirmed``:
the confirmation is a property of the batch, decided by the lab item.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

from agritrace.contracts.inspection_results import VERDICTS
from agritrace.ingest.text import excerpt
from agritrace.reference.model import TEST_CATEGORY, Analyte, Limit, NoLimitsLoaded, Product, UnknownReference
from agritrace.reference.store import ReferenceData, jurisdiction_or_home
from agritrace.reference.values import (
    PERCENT,
    ResultBound,
    is_must_not_detect,
    normalise_unit,
    parse_amount,
    parse_result_value_decimal,
    qualitative,
    result_bound,
    to_mg_per_kg_decimal,
)

RAPID_POSITIVE_AT = Decimal(50)
RAPID_STANDARD = "GB/T 5009.199-2003"
RAPID_SOURCE = ("GB/T 5009.199-2003 蔬菜中有机磷和氨基甲酸酯类农药残留量的快速检测, 酶抑制率法 结果判定: "
                "抑制率 ≥ 50% 为阳性")
# The 50 % threshold is recalled from the method standard, not checked against its text.
RAPID_VERIFIED = False
ROW_MRL_SOURCE = "mrl column on the row (overrides the reference)"
INCONCLUSIVE = "inconclusive"
_NOT_JUDGED = ("so the item is inconclusive: neither a pass nor a fail, and left out of pass rates")

_AGREES = {
    "pass": {"pass", "negative"},
    "negative": {"pass", "negative"},
    "fail": {"fail", "positive"},
    "positive_unconfirmed": {"fail", "positive"},
    INCONCLUSIVE: set(),
}


@dataclass(frozen=True)
class ItemVerdict:
    """One judged test item; field names are core.inspection_results columns."""

    analyte_code: str
    test_kind: str  # lab | rapid
    result_value: float | None  # in the reported unit
    is_nondetect: bool
    value_mg_kg: float | None
    lod_mg_kg: float | None
    limit_mg_kg: float | None
    limit_kind: str | None  # mrl | banned | rapid
    limit_standard: str | None
    limit_source: str | None
    limit_verified: bool | None
    ratio_to_limit: float | None
    verdict: str  # pass | fail | positive_unconfirmed | negative | inconclusive
    verdict_reason: str
    verdict_disagrees: bool = False
    verdict_basis: str = "computed"  # computed (judged here) | supplied (the row's verdict) | not_judged
    jurisdiction: str = ""  # whose limits the item is judged by (set by judge_item)


@dataclass(frozen=True)
class _Yardstick:
    kind: str | None  # mrl | banned | None (no limit)
    mg_per_kg: Decimal | None
    standard: str | None
    source: str | None
    verified: bool | None
    found_via: str  # "group 豆类蔬菜", "the row's mrl column", …
    note: str


def _fmt(number: Decimal | float | None) -> str:
    if number is None:
        return "—"
    return f"{Decimal(str(number)).normalize():f}"


def _float(number: Decimal | None) -> float | None:
    return None if number is None else float(number)


def canonical_verdict(word: str | None) -> str | None:
    """pass | fail | positive | negative from the canonical word or any word of the contract's vocabulary."""
    if word is None or not str(word).strip():
        return None
    folded = unicodedata.normalize("NFKC", str(word)).strip().casefold()
    for canonical, words in VERDICTS.items():
        if folded == canonical or folded in {unicodedata.normalize("NFKC", w).casefold() for w in words}:
            return canonical
    raise ValueError(f"supplied verdict '{excerpt(word)}' is not one of pass 合格 / fail 不合格 / positive 阳性 / "
                     f"negative 阴性; map it in the source profile's value vocabularies")


def _level_label(ref: ReferenceData, product: Product, limit: Limit) -> str:
    if limit.level == "product":
        return f"product {product.name_zh}"
    if limit.level == "group":
        return f"group {product.group_zh}"
    return f"category {product.category_zh}"


def _yardstick(ref: ReferenceData, product: Product, analyte: Analyte, mrl: str | None,
               unit: str | None, standard: str | None, jurisdiction: str) -> _Yardstick:
    if mrl is not None and str(mrl).strip():
        named = standard.strip() if standard and standard.strip() else None
        if is_must_not_detect(str(mrl)):
            return _Yardstick("banned", None, named, f"{ROW_MRL_SOURCE}: {str(mrl).strip()}", None,
                              "the row's mrl column", "")
        try:
            limit = parse_amount(str(mrl), unit)
        except ValueError as exc:
            raise ValueError(f"mrl '{excerpt(mrl)}': {exc}; write a number (in the result's unit) or 不得检出") from None
        return _Yardstick("mrl", limit, named, ROW_MRL_SOURCE, None, "the row's mrl column", "")
    found = ref.lookup(product.code, analyte.code, standard, jurisdiction)
    if found.limit is None:
        return _Yardstick(None, None, found.standard, None, None, "", found.note)
    limit = found.limit
    return _Yardstick(limit.kind, None if limit.mg_per_kg is None else Decimal(str(limit.mg_per_kg)),
                      limit.standard, limit.source, limit.verified, _level_label(ref, product, limit),
                      found.note)


def _provenance(stick: _Yardstick) -> str:
    parts = [p for p in (stick.standard, f"found via {stick.found_via}" if stick.found_via else "") if p]
    if stick.verified is False:
        parts.append("unverified figure: not checked against the published standard")
    text = f" ({'; '.join(parts)})" if parts else ""
    return text + (f". Note: {stick.note}" if stick.note else "")


def _settled_below(bound: ResultBound, bound_value: Decimal, threshold: Decimal, reached_at: bool) -> bool:
    """Whether every value the bound allows is on the safe side of ``threshold``.

    ``reached_at``: the threshold itself is on the unsafe side (a banned LOD, the rapid 50 %);
    otherwise only values above it are (an MRL: equal passes).
    """
    if reached_at and bound.inclusive:
        return bound_value < threshold
    return bound_value <= threshold


def _bound_text(bound: ResultBound, bound_mg: Decimal, unit: str | None) -> str:
    shown = f"{bound.sign} {_fmt(bound.number)} {normalise_unit(bound.unit or unit)}"
    if normalise_unit(bound.unit or unit) != "mg/kg":
        shown += f" (= {_fmt(bound_mg)} mg/kg)"
    return shown


def _lab(ref, product, analyte, result_value, unit, lod, mrl, standard, jurisdiction) -> ItemVerdict:
    value, nondetect = parse_result_value_decimal(result_value, unit)
    if value is None and not nondetect:
        raise ValueError("result_value is empty: a test item needs a value, a non-detect word "
                         "(ND, 未检出, <LOD) or, with no value, a supplied verdict (合格/不合格); fill one or drop the row")
    value_mg = None if value is None else to_mg_per_kg_decimal(value, unit)
    bound = result_bound(result_value) if nondetect else None
    bound_mg = None if bound is None else to_mg_per_kg_decimal(bound.number, bound.unit or unit)
    lod_mg = None
    lod_reported = lod is not None and bool(str(lod).strip())
    if lod_reported:
        try:
            lod_mg = parse_amount(lod if isinstance(lod, (int, float)) else str(lod), unit)
        except ValueError as exc:
            raise ValueError(f"lod '{excerpt(lod)}': {exc}") from None
    elif bound_mg is not None:
        lod_mg = bound_mg  # the value was below it, so it serves as the LOD
    stick = _yardstick(ref, product, analyte, mrl, unit, standard, jurisdiction)
    detected = value_mg is not None and value_mg > 0
    shown = f"{_fmt(value)} {normalise_unit(unit)}" if value is not None else "not detected"
    if value is not None and normalise_unit(unit) != "mg/kg":
        shown += f" (= {_fmt(value_mg)} mg/kg)"
    ratio = None
    if stick.kind == "banned":
        if not detected and bound is not None and lod_reported and not _settled_below(bound, bound_mg, lod_mg, True):
            verdict, why = INCONCLUSIVE, (
                f"banned substance (must not be detected) reported only as {_bound_text(bound, bound_mg, unit)}, "
                f"a bound not below the reported LOD {_fmt(lod_mg)} mg/kg: it may have been detected at or above "
                f"the LOD, {_NOT_JUDGED}; ask the laboratory for the result against its LOD")
        elif not detected:
            verdict, why = "pass", "banned substance (must not be detected): not detected"
        elif lod_mg is None:
            verdict, why = "fail", (f"banned substance (must not be detected) detected at {shown}; no LOD "
                                    f"reported, so any quantified value counts as detected")
        elif value_mg >= lod_mg:
            verdict, why = "fail", f"banned substance (must not be detected) detected at {shown} ≥ LOD {_fmt(lod_mg)} mg/kg"
        else:
            verdict, why = "pass", f"banned substance: {shown} is below the LOD {_fmt(lod_mg)} mg/kg, so not detected"
        if detected and lod_mg:
            ratio = value_mg / lod_mg
    elif stick.kind == "mrl":
        limit = stick.mg_per_kg
        if not detected and bound is not None and not _settled_below(bound, bound_mg, limit, False):
            verdict, why = INCONCLUSIVE, (
                f"reported only as {_bound_text(bound, bound_mg, unit)}, a bound above the MRL {_fmt(limit)} mg/kg: "
                f"the value may be over or under the limit, {_NOT_JUDGED}; ask the laboratory for the measured "
                f"value, or for a method whose quantification limit is at or below the MRL")
        elif not detected and bound is not None:
            verdict, why = "pass", (f"not detected: reported as {_bound_text(bound, bound_mg, unit)}, at or below the "
                                    f"MRL {_fmt(limit)} mg/kg")
        elif not detected:
            verdict, why = "pass", f"not detected; MRL {_fmt(limit)} mg/kg"
        elif value_mg <= limit:
            verdict, why = "pass", f"{shown} is within the MRL {_fmt(limit)} mg/kg"
        else:
            verdict, why = "fail", f"{shown} exceeds the MRL {_fmt(limit)} mg/kg"
        ratio = None if value_mg is None or not limit else value_mg / limit
    else:
        where = f"{stick.standard or 'the reference'} for {product.name_zh}/{analyte.name_zh}"
        verdict = "pass"
        why = (f"no limit set in {where}; detected value recorded" if detected
               else f"not detected; no limit set in {where}")
    return ItemVerdict(
        analyte_code=analyte.code, test_kind="lab", result_value=_float(value), is_nondetect=nondetect,
        value_mg_kg=_float(value_mg), lod_mg_kg=_float(lod_mg), limit_mg_kg=_float(stick.mg_per_kg),
        limit_kind=stick.kind, limit_standard=stick.standard, limit_source=stick.source,
        limit_verified=stick.verified, ratio_to_limit=_float(ratio), verdict=verdict,
        verdict_reason=why + (_provenance(stick) if stick.kind else (f". Note: {stick.note}" if stick.note else "")),
    )


def _rapid_rate(analyte: Analyte, result_value: str | None) -> ItemVerdict:
    rate, nondetect = parse_result_value_decimal(result_value, PERCENT)
    if rate is None and not nondetect:
        raise ValueError("result_value is empty: a rapid test needs its inhibition rate in % "
                         "(or 阴性/阳性); fill it or drop the row")
    bound = result_bound(result_value) if nondetect else None
    if bound is not None and not _settled_below(bound, bound.number, RAPID_POSITIVE_AT, True):
        return ItemVerdict(
            analyte_code=analyte.code, test_kind="rapid", result_value=None, is_nondetect=True,
            value_mg_kg=None, lod_mg_kg=None, limit_mg_kg=float(RAPID_POSITIVE_AT), limit_kind="rapid",
            limit_standard=RAPID_STANDARD, limit_source=RAPID_SOURCE, limit_verified=RAPID_VERIFIED,
            ratio_to_limit=None, verdict=INCONCLUSIVE,
            verdict_reason=(f"inhibition rate reported only as {bound.sign} {_fmt(bound.number)}%, a bound not below "
                            f"the {_fmt(RAPID_POSITIVE_AT)}% positive threshold: the test may be positive or negative, "
                            f"{_NOT_JUDGED}; repeat the rapid test or send the sample for a laboratory test "
                            f"({RAPID_STANDARD}; unverified figure: not checked against the published standard)"),
        )
    measured = rate if rate is not None else Decimal(0)
    positive = measured >= RAPID_POSITIVE_AT
    why = (f"inhibition rate {_fmt(measured)}% {'≥' if positive else '<'} {_fmt(RAPID_POSITIVE_AT)}%: "
           + ("positive, needs a confirmatory lab result" if positive else "negative")
           + f" ({RAPID_STANDARD}; unverified figure: not checked against the published standard)")
    return ItemVerdict(
        analyte_code=analyte.code, test_kind="rapid", result_value=_float(rate), is_nondetect=nondetect,
        value_mg_kg=float(measured), lod_mg_kg=None, limit_mg_kg=float(RAPID_POSITIVE_AT), limit_kind="rapid",
        limit_standard=RAPID_STANDARD, limit_source=RAPID_SOURCE, limit_verified=RAPID_VERIFIED,
        ratio_to_limit=float(measured / RAPID_POSITIVE_AT),
        verdict="positive_unconfirmed" if positive else "negative", verdict_reason=why,
    )


def _rapid_word(analyte: Analyte, word: str) -> ItemVerdict:
    positive = word == "positive"
    return ItemVerdict(
        analyte_code=analyte.code, test_kind="rapid", result_value=None, is_nondetect=not positive,
        value_mg_kg=None, lod_mg_kg=None, limit_mg_kg=None, limit_kind="rapid", limit_standard=None,
        limit_source="qualitative rapid test result", limit_verified=None, ratio_to_limit=None,
        verdict="positive_unconfirmed" if positive else "negative",
        verdict_reason=("rapid test positive (阳性), needs a confirmatory lab result" if positive
                        else "rapid test negative (阴性)"),
    )


_RAPID_WORD_OF = {"pass": "negative", "fail": "positive", "negative": "negative", "positive": "positive"}


def _supplied(analyte: Analyte, supplied: str, word: str, unit: str | None, standard: str | None) -> ItemVerdict:
    """A verdict-only row: the supplied verdict is the verdict of record (see the module docstring)."""
    said = f"'{excerpt(word)}'" + ("" if str(word).strip().casefold() == supplied else f" ({supplied})")
    if supplied in ("positive", "negative") or normalise_unit(unit) == PERCENT:
        rapid = _rapid_word(analyte, _RAPID_WORD_OF[supplied])
        return replace(rapid, verdict_basis="supplied",
                       verdict_reason=f"{rapid.verdict_reason}; supplied verdict {said} with no value reported, "
                                      f"taken as the verdict of record")
    named = standard.strip() if standard and str(standard).strip() else None
    return ItemVerdict(
        analyte_code=analyte.code, test_kind="lab", result_value=None, is_nondetect=False, value_mg_kg=None,
        lod_mg_kg=None, limit_mg_kg=None, limit_kind=None, limit_standard=named,
        limit_source="verdict supplied on the row", limit_verified=None, ratio_to_limit=None, verdict=supplied,
        verdict_basis="supplied",
        verdict_reason=(f"supplied verdict {said} with no value reported: the supplied verdict is the verdict of "
                        f"record (basis: supplied), not judged against a limit here"
                        + (f"; judged by {named} on the row" if named else "")),
    )


def _absent(value: object) -> bool:
    """None, an empty string, or a missing value from a data frame (NaN, pd.NA)."""
    if value is None:
        return True
    try:
        if value != value:  # noqa: PLR0124  (NaN is the one value unequal to itself)
            return True
    except TypeError:  # pd.NA refuses to be compared
        return True
    return isinstance(value, str) and not value.strip()


def judge_item(ref: ReferenceData, *, product: str, analyte: str, result_value: str | None,
               unit: str | None = None, lod: str | float | None = None, mrl: str | None = None,
               standard: str | None = None, supplied_verdict: str | None = None,
               jurisdiction: str | None = None) -> ItemVerdict:
    """Judge one test item. Raises UnknownReference for unknown names, ValueError for bad values.

    ``jurisdiction``: whose limits judge a value (the bureau's own setting when None).
    """
    result_value, unit, lod, mrl, standard, supplied_verdict, jurisdiction = (
        None if _absent(v) else v for v in (result_value, unit, lod, mrl, standard, supplied_verdict, jurisdiction))
    jurisdiction = jurisdiction_or_home(jurisdiction)
    resolved_analyte = ref.resolve_analyte(analyte)
    supplied = canonical_verdict(supplied_verdict)
    word = qualitative(result_value)
    empty = result_value is None or not str(result_value).strip()
    if word is None and empty and supplied is not None:
        judged = _supplied(resolved_analyte, supplied, supplied_verdict, unit, standard)
        return replace(judged, jurisdiction=jurisdiction)
    if resolved_analyte.kind == TEST_CATEGORY:
        raise ValueError(f"'{excerpt(analyte)}' is a test category ({resolved_analyte.name_en}), not an analyte: only "
                         f"a supplied verdict with no value can be recorded for it; name the analyte the value measures")
    resolved_product = ref.resolve_product(product)
    if word is not None:
        judged = _rapid_word(resolved_analyte, word)
    elif normalise_unit(unit) == PERCENT:
        judged = _rapid_rate(resolved_analyte, result_value)
    else:
        try:
            judged = _lab(ref, resolved_product, resolved_analyte, result_value, unit, lod, mrl, standard, jurisdiction)
        except NoLimitsLoaded as exc:
            return replace(_not_judged(resolved_analyte, exc, supplied, supplied_verdict, standard),
                           jurisdiction=jurisdiction)
    disagrees = supplied is not None and supplied not in _AGREES[judged.verdict]
    if disagrees:
        judged = replace(judged, verdict_disagrees=True,
                         verdict_reason=f"{judged.verdict_reason}; the supplied verdict '{supplied}' disagrees")
    return replace(judged, jurisdiction=jurisdiction)


def _not_judged(analyte: Analyte, exc: NoLimitsLoaded, supplied: str | None, word: str | None,
                standard: str | None) -> ItemVerdict:
    """A value whose jurisdiction has no limits loaded: never judged with another's (module docstring)."""
    if supplied is not None and supplied in ("pass", "fail"):
        return replace(_supplied(analyte, supplied, word, None, standard), verdict_reason=(
            f"{exc}, so the value is not judged here; the supplied verdict '{excerpt(word)}' is the verdict of record "
            f"(basis: supplied). Load that jurisdiction's reference pack (agritrace ref load PACK_DIR) and re-judge "
            f"(agritrace ref rejudge) to judge the value"))
    return ItemVerdict(
        analyte_code=analyte.code, test_kind="lab", result_value=None, is_nondetect=False, value_mg_kg=None,
        lod_mg_kg=None, limit_mg_kg=None, limit_kind=None, limit_standard=None, limit_source=None,
        limit_verified=None, ratio_to_limit=None, verdict=INCONCLUSIVE, verdict_basis="not_judged",
        verdict_disagrees=supplied is not None,
        verdict_reason=(f"{exc}: the value is never judged with another jurisdiction's limits, {_NOT_JUDGED}; "
                        f"load that jurisdiction's reference pack (agritrace ref load PACK_DIR) and re-judge "
                        f"(agritrace ref rejudge)"),
    )


def judge_batch(items: Iterable[ItemVerdict], *, ref: ReferenceData | None = None) -> str | None:
    """The batch verdict over its items (see the module docstring); None when there are none."""
    items = list(items)
    if not items:
        return None
    if any(item.verdict == "fail" for item in items):
        return "fail"
    confirmed = set()
    for item in items:
        if item.test_kind == "lab" and item.verdict in ("pass", "fail"):
            confirmed.add(item.analyte_code)
            if ref is not None and (klass := ref.analyte(item.analyte_code).class_code):
                confirmed.add(klass)
    if any(item.verdict == "positive_unconfirmed" and item.analyte_code not in confirmed for item in items):
        return "positive_unconfirmed"
    if any(item.verdict == INCONCLUSIVE for item in items):
        return INCONCLUSIVE
    return "pass"


def explain(ref: ReferenceData, product: str, analyte: str, value: str | float | None, unit: str = "mg/kg",
            standard: str | None = None, lod: str | float | None = None, supplied_verdict: str | None = None,
            jurisdiction: str | None = None) -> str:
    """A multi-line human explanation of the verdict on one value (``agritrace explain-verdict``).

    With no value and a ``supplied_verdict`` it explains a verdict-only row: the supplied verdict is
    the verdict of record. ``jurisdiction``: whose limits judge the value (the bureau's own when None).
    """
    a = ref.resolve_analyte(analyte)
    item = judge_item(ref, product=product, analyte=analyte, result_value=None if value is None else str(value),
                      unit=unit, standard=standard, lod=lod, supplied_verdict=supplied_verdict,
                      jurisdiction=jurisdiction)
    try:
        p = ref.resolve_product(product)
        product_line = f"{p.name_zh} ({p.name_en}), group {p.group_zh}, category {p.category_zh}"
    except UnknownReference:  # a verdict-only item needs no known product
        product_line = f"{product} (not in the product reference; no limit is needed for a supplied verdict)"
    kind = ("test category (a verdict-only item: no analyte, no limit)" if a.kind == TEST_CATEGORY
            else a.kind.replace('_', ' '))
    lines = [
        f"Product:   {product_line}",
        f"Analyte:   {a.name_zh} ({a.name_en}), {kind}" + (f", CAS {a.cas_no}" if a.cas_no else ""),
        f"Jurisdiction: {item.jurisdiction}",
    ]
    if item.verdict_basis == "not_judged" or (item.verdict_basis == "supplied" and value is not None):
        lines += [
            f"Value:     {value} {normalise_unit(unit)}",
            (f"Limits:    none loaded for {item.jurisdiction}: a value is never judged with another "
            f"jurisdiction's limits"),
            f"Basis:     {item.verdict_basis.upper().replace('_', ' ')}",
            f"Verdict:   {item.verdict.upper()}: {item.verdict_reason}",
        ]
        return "\n".join(lines)
    if item.verdict_basis == "supplied":
        lines += [
            "Value:     none reported",
            f"Supplied:  {supplied_verdict}",
            "Basis:     SUPPLIED — the verdict was supplied with the result, not computed: with no value there "
            "is nothing to judge against a limit, so the supplied verdict is the verdict of record"
            + (", awaiting a confirmatory lab result" if item.verdict == "positive_unconfirmed"
               else " and counts in pass rates"),
            f"Verdict:   {item.verdict.upper()}: {item.verdict_reason}",
        ]
        return "\n".join(lines)
    if item.test_kind == "rapid":
        lines += [
            f"Value:     {_fmt(item.result_value) if item.result_value is not None else '—'} % inhibition",
            f"Standard:  {item.limit_standard or '—'}",
            f"Limit:     positive at ≥ {_fmt(RAPID_POSITIVE_AT)} % inhibition",
            f"Source:    {item.limit_source}",
        ]
    else:
        found = ref.lookup(p.code, a.code, standard, item.jurisdiction)
        limit = found.limit
        value_line = f"{value} {normalise_unit(unit)}"
        if item.value_mg_kg is not None and normalise_unit(unit) != "mg/kg":
            value_line += f" = {_fmt(item.value_mg_kg)} mg/kg"
        if item.verdict == INCONCLUSIVE:
            value_line = f"{value} (a bound, not a measured value)"
        elif item.is_nondetect:
            value_line = f"{value} (not detected)"
        lines.append(f"Value:     {value_line}")
        origin = "named on the row" if standard and not found.note else "default for this analyte kind"
        lines.append(f"Standard:  {found.standard or '—'} ({origin})")
        if found.note:
            lines.append(f"Note:      {found.note}")
        if limit is None:
            lines.append(f"Limit:     none set in {found.standard} for {p.name_zh}/{a.name_zh}")
        else:
            where = _level_label(ref, p, limit)
            if limit.kind == "banned":
                lod_text = f"LOD {_fmt(item.lod_mg_kg)} mg/kg" if item.lod_mg_kg is not None else "no LOD given"
                lines.append(f"Limit:     banned (must not be detected; judged against the LOD, {lod_text}), "
                             f"found via {where}")
            else:
                lines.append(f"Limit:     MRL {_fmt(limit.mg_per_kg)} mg/kg (as published: {limit.value_as_published} "
                             f"{limit.unit_as_published}), found via {where}")
            lines.append(f"Source:    {limit.source}"
                         + (f"; effective {limit.effective_date.isoformat()}" if limit.effective_date else ""))
            if limit.verified and limit.source_url:
                checked = limit.checked_on.isoformat() if limit.checked_on else "—"
                lines.append(f"Checked:   {checked} against {limit.source_url}")
            elif not limit.verified and limit.unverified_reason:
                lines.append(f"Why not:   {limit.unverified_reason}")
    if item.limit_verified is False:
        lines.append("Verified:  NO — the figure was not checked against the published standard; "
                     "confirm it before acting on this verdict")
    elif item.limit_verified:
        lines.append("Verified:  yes")
    lines.append(f"Verdict:   {item.verdict.upper()}: {item.verdict_reason}")
    if item.verdict == INCONCLUSIVE:
        lines.append("Judged:    no — an inconclusive item is neither a pass nor a fail; its batch is inconclusive "
                     "unless another item fails or awaits confirmation, and pass rates leave it out")
    return "\n".join(lines)
