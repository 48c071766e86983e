"""Reading measured values, limits and units as labs write them.

All arithmetic goes through ``Decimal`` so that a value equal to its limit after a unit
conversion (500 ppb against 0.5 mg/kg) compares equal, not 0.5000000000000001 against 0.5.

A value written as a bound ("<0.01", "≤0.01 mg/kg", "未检出(<0.005)") is a non-detect; its bound
(``result_bound``) is what the judgement compares with the limit. A value no laboratory reports
(not zero, yet below ``MIN_REPORTED_MG_KG``, e.g. ``1e-400``, which a float would store as 0) raises
``ImplausibleValue`` so that the row is quarantined rather than stored as 0.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from agritrace.ingest.text import excerpt

MG_PER_KG = "mg/kg"
PERCENT = "%"
# The smallest concentration any laboratory reports. The most sensitive residue methods (dioxins,
# reported in pg/g) go down to about 0.01 pg/g = 1e-8 mg/kg; a non-zero value below a tenth of that
# is a typing or export error (or an exponent gone wrong), not a measurement.
MIN_REPORTED_MG_KG = Decimal("1e-9")

# Factor to mg/kg per canonical unit; "%" is a rapid-test inhibition rate, not a concentration.
_FACTORS = {
    "mg/kg": Decimal(1),
    "ppm": Decimal(1),
    "μg/g": Decimal(1),
    "μg/kg": Decimal("0.001"),
    "ppb": Decimal("0.001"),
    "ng/g": Decimal("0.001"),
}
_UNIT_WORDS = {
    "mg/kg": "mg/kg", "毫克/千克": "mg/kg", "毫克/公斤": "mg/kg", "mg·kg-1": "mg/kg",
    "ppm": "ppm",
    "μg/kg": "μg/kg", "ug/kg": "μg/kg", "微克/千克": "μg/kg", "微克/公斤": "μg/kg", "μg·kg-1": "μg/kg",
    "ppb": "ppb",
    "μg/g": "μg/g", "ug/g": "μg/g",
    "ng/g": "ng/g",
    "%": "%", "抑制率%": "%", "抑制率(%)": "%", "抑制率": "%",
}

# Words that mean "not detected". Compared after NFKC and case folding.
NONDETECT_WORDS = frozenset({
    "nd", "n.d.", "n.d", "未检出", "未檢出", "未检测到", "未檢測到", "<lod", "<loq",
    "<检出限", "<檢出限", "低于检出限", "低於檢出限", "-", "--", "—", "——", "―", "－",
})
# "不得检出" (must not be detected) in the limit column: judge against the LOD.
MUST_NOT_DETECT_WORDS = frozenset({"不得检出", "不得檢出", "不得检出(nd)", "nd", "n.d.", "notdetected"})
# Qualitative rapid-test results written where the value goes.
POSITIVE_WORDS = frozenset({"阳性", "陽性", "positive", "+", "阳性(+)", "陽性(+)"})
NEGATIVE_WORDS = frozenset({"阴性", "陰性", "negative", "阴性(-)", "陰性(-)"})

_NUMBER = re.compile(r"^[+]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$")
# A bound: "<0.01" (below it) or "≤0.01" (at most it: ``inclusive``). NFKC has already folded ＜ to <.
_AT_MOST = ("<=", "=<", "≤", "≦", "不大于", "不大於")
_BOUND_OP = r"(?P<op><=|=<|≤|≦|不大于|不大於|<|＜|小于|小於|低于|低於)"
_BOUND_NUMBER = r"(?P<number>[\d.]+(?:e[+-]?\d+)?)"
_BELOW = re.compile(rf"^{_BOUND_OP}\s*{_BOUND_NUMBER}\s*(?P<unit>.*)$")
_LIMIT_PREFIX = re.compile(r"^(?:≤|<=|=<|不得超过|不得超過|不超过|不超過|≦)\s*")
_ND_WITH_BOUND = re.compile(rf"^(?:未检出|未檢出|nd|n\.d\.?)\s*\(\s*{_BOUND_OP}\s*{_BOUND_NUMBER}\s*(?P<unit>[^)]*)\)$")


class ImplausibleValue(ValueError):
    """A result value no laboratory reports; the row is quarantined for it, never stored as 0."""


@dataclass(frozen=True)
class ResultBound:
    """A result written as a bound: the value is below ``number`` (or at most it when ``inclusive``)."""

    number: Decimal
    unit: str | None
    inclusive: bool

    @property
    def sign(self) -> str:
        return "≤" if self.inclusive else "<"


def _fold(raw: str) -> str:
    # NFKC folds full-width digits and the micro sign (µ, U+00B5) to μ (U+03BC).
    text = unicodedata.normalize("NFKC", raw).strip()
    text = re.sub(r"\s+", " ", text)
    return text.replace("。", ".").casefold()


def _decimal(text: str) -> Decimal:
    if not _NUMBER.match(text):
        raise InvalidOperation(text)
    return Decimal(text)


def normalise_unit(unit: str | None) -> str:
    """Canonical unit name; mg/kg when absent. ValueError names the unit and the accepted ones."""
    if unit is None or not str(unit).strip():
        return MG_PER_KG
    key = _fold(str(unit)).replace(" ", "")
    canonical = _UNIT_WORDS.get(key)
    if canonical is None:
        raise ValueError(
            f"unknown unit '{excerpt(unit)}': use mg/kg, μg/kg (ug/kg, µg/kg), ppm, ppb or % (rapid-test "
            f"inhibition rate), or map it in the source profile's unit conversions"
        )
    return canonical


def to_mg_per_kg_decimal(value: Decimal, unit: str | None) -> Decimal:
    canonical = normalise_unit(unit)
    if canonical == PERCENT:
        raise ValueError(
            f"unit '{excerpt(unit)}' is a rapid-test inhibition rate, not a concentration; it cannot be "
            f"converted to mg/kg"
        )
    return value * _FACTORS[canonical]


def to_mg_per_kg(value: float, unit: str | None) -> float:
    """``value`` in ``unit`` expressed in mg/kg (mg/kg when ``unit`` is empty)."""
    return float(to_mg_per_kg_decimal(Decimal(str(value)), unit))


def parse_decimal(raw: str | float) -> Decimal:
    """A non-negative number as written (full-width digits allowed); ValueError otherwise."""
    if isinstance(raw, (int, float)):
        number = Decimal(str(raw))
    else:
        try:
            number = _decimal(_fold(raw))
        except InvalidOperation:
            raise ValueError(f"'{excerpt(raw)}' is not a number") from None
    if number < 0:
        raise ValueError(f"'{excerpt(raw)}' is negative; a measured value or limit cannot be below zero")
    return number


def parse_result_value_decimal(raw: str | None, unit: str | None = None) -> tuple[Decimal | None, bool]:
    """(value, is_nondetect) in the reported unit; see ``parse_result_value``."""
    if raw is None:
        return None, False
    text = _fold(str(raw))
    if not text:
        return None, False
    if text.replace(" ", "") in NONDETECT_WORDS or _BELOW.match(text) or _ND_WITH_BOUND.match(text):
        bound = result_bound(raw)
        if bound is not None:
            _check_plausible(bound.number, bound.unit or unit, raw)
        return None, True
    try:
        value = parse_decimal(text)
    except ValueError:
        raise ValueError(
            f"result value '{excerpt(raw)}' is neither a number nor a non-detect word (ND, N.D., 未检出, "
            f"<LOD, <0.01, -); correct the value on the row"
        ) from None
    _check_plausible(value, unit, raw)
    return value, False


def parse_result_value(raw: str | None, unit: str | None = None) -> tuple[float | None, bool]:
    """(value, is_nondetect). Empty input is (None, False); garbage raises ValueError.

    A value (or the bound of a "<0.01") that is not zero yet below ``MIN_REPORTED_MG_KG`` raises
    ``ImplausibleValue`` (a ValueError). It is compared in mg/kg when ``unit`` is a mass unit, and
    as written otherwise; as written is the mg/kg value or more in every unit, so without ``unit``
    nothing plausible is refused.
    """
    value, nondetect = parse_result_value_decimal(raw, unit)
    return (None if value is None else float(value)), nondetect


def _check_plausible(number: Decimal, unit: str | None, raw: object) -> None:
    if number == 0:
        return
    try:
        in_mg = to_mg_per_kg_decimal(number, unit)
    except ValueError:  # a rapid-test rate or an unknown unit (reported elsewhere): as written
        in_mg = number
    if in_mg < MIN_REPORTED_MG_KG:
        stored = " (and would be stored as 0)" if float(number) == 0 else ""
        raise ImplausibleValue(
            f"result value '{excerpt(raw)}' is implausible: not zero, yet below {MIN_REPORTED_MG_KG:e} mg/kg, "
            f"less than any laboratory reports{stored}; a typing or export error — correct the value on the row"
        )


def result_bound(raw: str | None) -> ResultBound | None:
    """The bound in "<0.01", "≤0.01 mg/kg" or "未检出(<0.01)"; None when the value is not written as one."""
    if raw is None:
        return None
    text = _fold(str(raw))
    match = _BELOW.match(text) or _ND_WITH_BOUND.match(text)
    if not match:
        return None
    try:
        number = _decimal(match["number"])
    except InvalidOperation:
        return None
    return ResultBound(number, match["unit"].strip() or None, match["op"] in _AT_MOST)


def nondetect_bound(raw: str | None) -> tuple[Decimal, str | None] | None:
    """The bound in "<0.01" or "未检出(<0.01)": the value was below it, so it serves as the LOD."""
    bound = result_bound(raw)
    return None if bound is None else (bound.number, bound.unit)


def parse_amount(raw: str | float, default_unit: str | None) -> Decimal:
    """A limit or LOD as written on a row ("0.5", "≤0.5", "0.5mg/kg", "５００μg/kg") in mg/kg."""
    if isinstance(raw, (int, float)):
        return to_mg_per_kg_decimal(parse_decimal(raw), default_unit)
    text = _LIMIT_PREFIX.sub("", _fold(raw))
    match = re.match(r"^(?P<number>[\d.]+(?:e[+-]?\d+)?)\s*(?P<unit>.*)$", text)
    if not match:
        raise ValueError(f"'{excerpt(raw)}' is not a number with an optional unit")
    number = parse_decimal(match["number"])
    return to_mg_per_kg_decimal(number, match["unit"] or default_unit)


def is_must_not_detect(raw: str) -> bool:
    return _fold(raw).replace(" ", "") in MUST_NOT_DETECT_WORDS


def qualitative(raw: str | None) -> str | None:
    """"positive" / "negative" when a rapid test wrote its result as a word, else None."""
    if raw is None:
        return None
    text = _fold(str(raw))
    if text in POSITIVE_WORDS:
        return "positive"
    if text in NEGATIVE_WORDS:
        return "negative"
    return None
