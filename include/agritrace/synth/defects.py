"""Defective rows added on top of the calibrated demo set (never replacing a calibrated row).

Every defect row breaks exactly one rule, so its quarantine reason is unambiguous, and none can
move a calibrated figure whatever the pipeline does with it:

- ``duplicate_key``: pairs of new special-campaign batches sharing one batch number
  (sampling_batches_defects.csv).
- ``bad_date``: certificates with impossible or unparseable issue dates (certificates_defects.csv,
  certificates_defects_gbk.csv and the varied ``certificates_2023_zh.csv``).
- ``future_date``: certificates dated 2033 (a typo for 2023) (certificates_defects_gbk.csv).
- ``unknown_producer``: certificates from a well-formed credit code that is in no registry
  (certificates_defects.csv).
- ``bad_credit_code``: producers whose 18-character code fails its check character
  (producers_defects.xlsx and producers_defects.csv).
- ``unknown_analyte``: misspelt analyte names on extra special-campaign batches, never on a
  calibrated batch (inspection_results_defects.csv; the batches themselves are valid rows in
  sampling_batches_campaign.csv).
- ``missing_required``: certificates without product, quantity or unit, and campaign results
  without an analyte (certificates_defects.csv, inspection_results_defects.csv).
- ``negative_quantity``: certificates with a quantity of zero or below (certificates_defects.csv
  and the varied ``certificates_2023.xlsx``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from agritrace.synth import catalog as cat
from agritrace.synth.records import DemoRecords, Record, person_name
from agritrace.synth.summary import DEFECT_KINDS
from agritrace.synth.uscc import corrupt_check_character, make_credit_code

# Share of the defect rows per kind (each kind gets at least one row).
_SHARE = {
    "duplicate_key": 0.10,
    "bad_date": 0.20,
    "future_date": 0.10,
    "unknown_producer": 0.15,
    "bad_credit_code": 0.05,
    "unknown_analyte": 0.10,
    "missing_required": 0.15,
    "negative_quantity": 0.15,
}
_BAD_DATES = (
    "2023-02-30",
    "2023-13-05",
    "2023/02/29",
    "2023年2月30日",
    "20230231",
    "三月上旬",
    "2023-04-31",
    "N/A",
    "00/00/0000",
    "2023-6-31",
)
_FUTURE_DATES = (date(2033, 5, 12), date(2033, 7, 3), date(2032, 11, 20), date(2033, 1, 8))
_MISSPELT = ("灭蝇安", "噻虫安", "恩诺沙心", "多菌林", "孔雀石录", "毒死卑", "氯氟氰菊脂")


@dataclass
class Tagged:
    record: Record
    kind: str | None  # defect kind, None for a valid helper row
    column: str = ""
    key: str = ""


@dataclass
class DefectPlan:
    # (feed, file name) -> rows to write there; a varied file's name appends to that file.
    files: dict[tuple[str, str], list[Tagged]] = field(default_factory=dict)

    def add(self, feed: str, name: str, row: Tagged) -> None:
        self.files.setdefault((feed, name), []).append(row)


def counts_for(rate: float, clean_rows: int) -> dict[str, int]:
    total = max(len(DEFECT_KINDS), round(rate * clean_rows))
    return {k: max(1, round(total * _SHARE[k])) for k in DEFECT_KINDS}


def plan_defects(rng: random.Random, demo: DemoRecords, rate: float) -> DefectPlan:
    clean = sum(len(v) for v in demo.by_feed().values())
    n = counts_for(rate, clean)
    plan = DefectPlan()
    producers = demo.producers
    serial = iter(range(900_001, 999_999))

    def certificate(day: date | None = None) -> Record:
        p = rng.choice(producers)
        product = rng.choice(demo.portfolios[str(p["producer_id"])])
        day = day or date(cat.YEAR, 1, 1) + timedelta(days=rng.randrange(365))
        ymd = day.strftime("%Y%m%d")
        s = next(serial)
        info = cat.PRODUCTS[product]
        return {
            "certificate_no": f"MN{ymd}{s:06d}",
            "producer_id": p["producer_id"],
            "product_name": product,
            "product_category": info.category,
            "quantity": float(rng.randint(50, 2000)),
            "unit": "kg",
            "origin": f"广东省茂名市茂南区{p['town']}{p['village']}",
            "issue_date": day,
            "commitment_basis": ["quality_control"],
            "lot_no": f"{ymd}-{rng.randint(1, 5):02d}",
            "trace_code": f"{cat.REGION_CODE}{ymd}{s:06d}",
            "buyer": rng.choice(cat.PRODUCE_BUYERS),
        }

    def key(r: Record) -> str:
        return str(r["certificate_no"])

    # bad_date: a third each to the plain defects file, the GBK defects file, the varied zh file.
    for i in range(n["bad_date"]):
        r = certificate()
        r["issue_date"] = rng.choice(_BAD_DATES)
        name = (
            "certificates_defects.csv",
            "certificates_defects_gbk.csv",
            "certificates_2023_zh.csv",
        )[i % 3]
        plan.add("certificates", name, Tagged(r, "bad_date", "issue_date", key(r)))
    for _ in range(n["future_date"]):
        r = certificate(rng.choice(_FUTURE_DATES))
        plan.add(
            "certificates",
            "certificates_defects_gbk.csv",
            Tagged(r, "future_date", "issue_date", key(r)),
        )
    for _ in range(n["unknown_producer"]):
        r = certificate()
        r["producer_id"] = make_credit_code(rng, "440981", "cooperative")  # a neighbouring county
        plan.add(
            "certificates",
            "certificates_defects.csv",
            Tagged(r, "unknown_producer", "producer_id", key(r)),
        )
    missing_results = max(1, n["missing_required"] // 4)
    for i in range(n["missing_required"] - missing_results):
        r = certificate()
        column = ("product_name", "quantity", "unit")[i % 3]
        r[column] = None
        plan.add(
            "certificates",
            "certificates_defects.csv",
            Tagged(r, "missing_required", column, key(r)),
        )
    for i in range(n["negative_quantity"]):
        r = certificate()
        r["quantity"] = rng.choice((-120.0, -5.0, 0.0, -1500.0))
        name = ("certificates_defects.csv", "certificates_2023.xlsx")[i % 2]
        plan.add("certificates", name, Tagged(r, "negative_quantity", "quantity", key(r)))
    for i in range(n["bad_credit_code"]):
        ptype = rng.choice(("enterprise", "cooperative", "family_farm"))
        good = make_credit_code(rng, cat.REGION_CODE, ptype)
        bad = corrupt_check_character(good, rng)
        town = rng.choice(list(cat.TOWNS))
        r = {
            "producer_id": bad,
            "producer_name": f"茂南区{person_name(rng)}{rng.choice(cat.FIRM_WORDS)}家庭农场",
            "producer_type": ptype,
            "region_code": cat.REGION_CODE,
            "town": town,
            "village": rng.choice(cat.TOWNS[town]),
            "grid_id": f"{cat.REGION_CODE}-{cat.TOWN_ABBR[town]}-01",
            "contact_phone": f"139-0000-{9000 + i:04d}",
            "registered_on": date(2022, 3, 1),
        }
        name = ("producers_defects.csv", "producers_defects.xlsx")[i % 2 == 0]
        plan.add("producers", name, Tagged(r, "bad_credit_code", "producer_id", bad))

    _campaign(rng, demo, plan, n["duplicate_key"], n["unknown_analyte"], missing_results)
    return plan


def _campaign(
    rng: random.Random,
    demo: DemoRecords,
    plan: DefectPlan,
    duplicates: int,
    unknown: int,
    missing: int,
) -> None:
    """Special-campaign batches: valid hosts for bad results, and duplicated batch numbers."""
    certs = [c for c in demo.certificates if cat.PRODUCTS[str(c["product_name"])].category == "vegetables"]
    seq = iter(range(1, 10_000))

    def batch() -> Record:
        c = rng.choice(certs)
        day = c["issue_date"]
        assert isinstance(day, date)
        return {
            "batch_no": f"MNZX{cat.YEAR}{next(seq):04d}",
            "task_type": "special_campaign",
            "sampling_level": "district",
            "sampling_date": day,
            "sampling_stage": "production_base",
            "producer_id": c["producer_id"],
            "certificate_no": c["certificate_no"],
            "product_name": c["product_name"],
            "product_category": "vegetables",
            "region_code": cat.REGION_CODE,
            "sample_qty_kg": 2.0,
            "sampled_place": c["origin"],
            "sampler_org": cat.SAMPLER_ORGS["district"],
            "lab": cat.LABS["district"][0],
        }

    def result(b: Record, analyte: str | None) -> Record:
        day = b["sampling_date"]
        assert isinstance(day, date)
        return {
            "batch_no": b["batch_no"],
            "analyte": analyte,
            "result_value": None,
            "unit": "mg/kg",
            "lod": 0.01,
            "mrl": None,
            "method": cat.PESTICIDE_METHOD_LC,
            "standard": "GB 2763-2021",
            "verdict": "pass",
            "report_no": f"ZXJC{b['batch_no']}",
            "tested_on": day + timedelta(days=3),
        }

    for _ in range((duplicates + 1) // 2):
        first = batch()
        twin = dict(
            first,
            sampling_stage="farmers_market",
            sample_qty_kg=1.5,
            sampled_place=rng.choice(cat.MARKETS["farmers_market"]),
        )
        for r in (first, twin):
            plan.add(
                "sampling_batches",
                "sampling_batches_defects.csv",
                Tagged(r, "duplicate_key", "batch_no", str(r["batch_no"])),
            )
    # Enough hosts that no two bad results share a (batch, analyte) key.
    hosts = [batch() for _ in range(max(1, (unknown + 1) // 2, missing))]
    for b in hosts:
        plan.add("sampling_batches", "sampling_batches_campaign.csv", Tagged(b, None))
        for analyte in rng.sample(cat.PANELS[str(b["product_name"])], 2):
            plan.add(
                "inspection_results",
                "inspection_results_defects.csv",
                Tagged(result(b, analyte), None),
            )
    for i in range(unknown):
        r = result(hosts[i % len(hosts)], _MISSPELT[(i // len(hosts)) % len(_MISSPELT)])
        plan.add(
            "inspection_results",
            "inspection_results_defects.csv",
            Tagged(r, "unknown_analyte", "analyte", f"{r['batch_no']}|{r['analyte']}"),
        )
    for i in range(missing):
        r = result(hosts[i % len(hosts)], None)
        plan.add(
            "inspection_results",
            "inspection_results_defects.csv",
            Tagged(r, "missing_required", "analyte", f"{r['batch_no']}|"),
        )
