"""The calibrated demo county as plain records (canonical column names and canonical values).

Records are dicts keyed by the contract's canonical column names. Dates are ``datetime.date``,
numbers are floats, enum values are the contract's canonical words and ``commitment_basis`` is a
list; rendering into Chinese headers, other words and other date forms happens in ``files.py``.
The figures are built in, not sampled: 324 producers, 17,467 certificates, 586 district routine
batches (11 failing) and 164 province/city supervisory batches (2 failing).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from agritrace.synth import catalog as cat
from agritrace.synth.uscc import make_credit_code

N_PRODUCERS = 324
N_CERTIFICATES = 17_467
DISTRICT_BATCHES, DISTRICT_FAILED = 586, 11
SUPERVISORY_BATCHES, SUPERVISORY_FAILED = 164, 2
SUPERVISORY_PROVINCE = 92  # the rest of the supervisory batches were ordered by the city
RAPID_TESTS, RAPID_POSITIVES = 48, 5

PRODUCER_MIX = {"enterprise": 38, "cooperative": 72, "family_farm": 64, "household": 150}
# Relative certificate volume by producer type (enterprises issue with every truckload).
CERT_VOLUME = {"enterprise": 110.0, "cooperative": 85.0, "family_farm": 48.0, "household": 14.0}

Record = dict[str, object]


@dataclass
class DemoRecords:
    producers: list[Record] = field(default_factory=list)
    certificates: list[Record] = field(default_factory=list)
    sampling_batches: list[Record] = field(default_factory=list)
    inspection_results: list[Record] = field(default_factory=list)
    # batch_no -> pass | fail (lab batches) or positive | negative (rapid tests)
    batch_verdicts: dict[str, str] = field(default_factory=dict)
    # producer_id -> products it grows or raises (kept for the defect generator)
    portfolios: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def by_feed(self) -> dict[str, list[Record]]:
        return {
            "producers": self.producers,
            "certificates": self.certificates,
            "sampling_batches": self.sampling_batches,
            "inspection_results": self.inspection_results,
        }


def person_name(rng: random.Random) -> str:
    return rng.choice(cat.SURNAMES) + rng.choice(cat.GIVEN)


def _producer_name(rng: random.Random, ptype: str, town: str, products: tuple[str, ...], used: set[str]) -> str:
    cat0 = cat.PRODUCTS[products[0]].category
    line = {
        "vegetables": "果蔬",
        "fruits": "水果",
        "aquatic": "水产",
        "livestock": "畜牧",
        "eggs": "蛋鸡",
    }[cat0]
    for _ in range(100):
        word = rng.choice(cat.FIRM_WORDS)
        name = {
            "enterprise": f"茂名市{word}{line}发展有限公司",
            "cooperative": f"茂名市茂南区{town[:-1]}{word}{line}专业合作社",
            "family_farm": f"茂南区{rng.choice(cat.SURNAMES)}{word}家庭农场",
            "household": person_name(rng),
        }[ptype]
        if name not in used or ptype == "household":
            used.add(name)
            return name
    raise RuntimeError("ran out of producer names; widen FIRM_WORDS")


def _phone(rng: random.Random, serial: int) -> str:
    # 1xx-0000-nnnn: the all-zero middle block marks the number as synthetic.
    return f"1{rng.choice('3578')}{rng.randint(0, 9)}-0000-{serial:04d}"


def build_producers(rng: random.Random, out: DemoRecords) -> None:
    types = [t for t, n in PRODUCER_MIX.items() for _ in range(n)]
    assert len(types) == N_PRODUCERS
    rng.shuffle(types)
    towns, weights = list(cat.TOWN_WEIGHTS), list(cat.TOWN_WEIGHTS.values())
    used_names: set[str] = set()
    used_ids: set[str] = set()
    household_serial = 0
    for i, ptype in enumerate(types):
        town = rng.choices(towns, weights)[0]
        village = rng.choice(cat.TOWNS[town])
        products = rng.choices(cat.PORTFOLIOS, cat.PORTFOLIO_WEIGHTS)[0]
        if ptype == "household":
            household_serial += rng.randint(1, 9)
            pid = f"HH-{cat.REGION_CODE}-{household_serial:06d}"
        else:
            pid = make_credit_code(rng, cat.REGION_CODE, ptype)
            while pid in used_ids:
                pid = make_credit_code(rng, cat.REGION_CODE, ptype)
        used_ids.add(pid)
        registered = date(2015, 1, 1) + timedelta(days=rng.randint(0, 365 * 8 - 30))
        out.producers.append(
            {
                "producer_id": pid,
                "producer_name": _producer_name(rng, ptype, town, products, used_names),
                "producer_type": ptype,
                "region_code": cat.REGION_CODE,
                "town": town,
                "village": village,
                "grid_id": f"{cat.REGION_CODE}-{cat.TOWN_ABBR[town]}-{rng.randint(1, 12):02d}",
                "contact_phone": _phone(rng, i + 1),
                "registered_on": registered,
            }
        )
        out.portfolios[pid] = products
    # Make sure every failing pair's product is grown by someone (the portfolios cover them,
    # but a small county could by chance miss one).
    grown = {p for prods in out.portfolios.values() for p in prods}
    for product, _ in (*cat.DISTRICT_FAILURES, *cat.SUPERVISORY_FAILURES):
        if product not in grown:
            raise RuntimeError(f"no producer grows {product}; change the seed or portfolios")


def _split(total: int, weights: list[float], rng: random.Random) -> list[int]:
    """Split ``total`` into len(weights) positive integers proportional to ``weights``."""
    rest = total - len(weights)
    s = sum(weights)
    raw = [rest * w / s for w in weights]
    counts = [int(x) for x in raw]
    order = sorted(range(len(weights)), key=lambda i: (raw[i] - counts[i], rng.random()), reverse=True)
    for i in order[: rest - sum(counts)]:
        counts[i] += 1
    return [c + 1 for c in counts]


def _quantity(rng: random.Random, unit: str, ptype: str) -> float:
    small = ptype == "household"
    lo, hi = {
        "kg": (20, 500) if small else (100, 5000),
        "jin": (40, 1000) if small else (200, 8000),
        "box": (5, 60) if small else (30, 600),
        "head": (1, 5) if small else (5, 60),
        "fish": (50, 400) if small else (300, 5000),
        "piece": (20, 200) if small else (100, 3000),
        "bird": (20, 200) if small else (100, 3000),
    }[unit]
    q = rng.uniform(lo, hi)
    return float(round(q)) if unit not in ("kg",) or q > 100 else round(q, 1)


def _buyer(rng: random.Random, category: str) -> str:
    if category == "aquatic":
        pool = (
            "鉴江水产品收购站",
            "湛江海鲜冷链物流有限公司",
            "茂南区农产品综合批发市场",
            "新华农贸市场",
        )
    elif category == "livestock":
        pool = (
            "茂南生猪定点屠宰场",
            "茂南区机关饭堂",
            "茂南区实验学校食堂",
            "惠家万佳超市（茂南店）",
        )
    else:
        pool = cat.PRODUCE_BUYERS
    return rng.choice(pool)


def _basis(rng: random.Random) -> list[str]:
    r = rng.random()
    if r < 0.55:
        return ["quality_control"]
    if r < 0.80:
        return ["quality_control", "self_test"]
    if r < 0.90:
        return ["self_test"]
    if r < 0.97:
        return ["quality_control", "commissioned_test"]
    return ["quality_control", "self_test", "commissioned_test"]


def _issue_date(rng: random.Random, product: str) -> date:
    month = rng.choices(range(1, 13), cat.PRODUCTS[product].months)[0]
    start = date(cat.YEAR, month, 1)
    end = date(cat.YEAR + (month == 12), month % 12 + 1, 1)
    return start + timedelta(days=rng.randrange((end - start).days))


def build_certificates(rng: random.Random, out: DemoRecords) -> None:
    producers = out.producers
    weights = [CERT_VOLUME[p["producer_type"]] * rng.lognormvariate(0, 0.5) for p in producers]
    counts = _split(N_CERTIFICATES, weights, rng)
    drafts = []
    for p, n in zip(producers, counts, strict=True):
        pid = str(p["producer_id"])
        for _ in range(n):
            product = rng.choice(out.portfolios[pid])
            drafts.append((_issue_date(rng, product), pid, product, p))
    drafts.sort(key=lambda d: (d[0], d[1]))
    lots: dict[tuple[str, date], int] = defaultdict(int)
    for seq, (issued, pid, product, p) in enumerate(drafts, start=1):
        info = cat.PRODUCTS[product]
        unit = rng.choice(info.units)
        lots[(pid, issued)] += 1
        ymd = issued.strftime("%Y%m%d")
        out.certificates.append(
            {
                "certificate_no": f"MN{ymd}{seq:06d}",
                "producer_id": pid,
                "product_name": product,
                "product_category": info.category,
                "quantity": _quantity(rng, unit, str(p["producer_type"])),
                "unit": unit,
                "origin": f"广东省茂名市茂南区{p['town']}{p['village']}",
                "issue_date": issued,
                "commitment_basis": _basis(rng),
                "lot_no": f"{ymd}-{lots[(pid, issued)]:02d}",
                "trace_code": f"{cat.REGION_CODE}{ymd}{seq:06d}",
                "buyer": _buyer(rng, info.category),
            }
        )


@dataclass(frozen=True)
class _BatchPlan:
    task_type: str
    level: str
    product: str
    failing: tuple[str, ...]  # analytes that fail (empty for a passing batch)


def _plans(rng: random.Random) -> list[_BatchPlan]:
    names = list(cat.PRODUCTS)
    weights = [cat.PRODUCTS[n].sampling_weight for n in names]
    plans: list[_BatchPlan] = []
    for product, failing in cat.DISTRICT_FAILURES:
        plans.append(_BatchPlan("routine_monitoring", "district", product, failing))
    for product in rng.choices(names, weights, k=DISTRICT_BATCHES - DISTRICT_FAILED):
        plans.append(_BatchPlan("routine_monitoring", "district", product, ()))
    levels = ["province"] * SUPERVISORY_PROVINCE + ["city"] * (SUPERVISORY_BATCHES - SUPERVISORY_PROVINCE)
    rng.shuffle(levels)
    for (product, failing), level in zip(cat.SUPERVISORY_FAILURES, levels, strict=False):
        plans.append(_BatchPlan("supervisory_sampling", level, product, failing))
    rest = levels[len(cat.SUPERVISORY_FAILURES) :]
    for product, level in zip(rng.choices(names, weights, k=len(rest)), rest, strict=True):
        plans.append(_BatchPlan("supervisory_sampling", level, product, ()))
    vegetables = [n for n in names if cat.PRODUCTS[n].category == "vegetables"]
    veg_weights = [cat.PRODUCTS[n].sampling_weight for n in vegetables]
    for product in rng.choices(vegetables, veg_weights, k=RAPID_TESTS):
        plans.append(_BatchPlan("rapid_test", "district", product, ()))
    return plans


_STAGES = ("production_base", "purchaser", "wholesale_market", "supermarket", "farmers_market")
_STAGE_WEIGHTS = (60, 10, 15, 8, 7)
_PREFIX = {
    ("routine_monitoring", "district"): "MNLJ",
    ("supervisory_sampling", "province"): "GDJD",
    ("supervisory_sampling", "city"): "MMJD",
    ("rapid_test", "district"): "MNKJ",
}
_SAMPLE_KG = {
    "vegetables": (1.0, 3.0),
    "fruits": (2.0, 3.0),
    "aquatic": (1.5, 3.0),
    "livestock": (0.5, 1.0),
    "eggs": (1.0, 1.5),
}


def build_batches(rng: random.Random, out: DemoRecords) -> None:
    by_product: dict[str, list[Record]] = defaultdict(list)
    for c in out.certificates:
        by_product[str(c["product_name"])].append(c)
    producers = {p["producer_id"]: p for p in out.producers}
    taken: set[str] = set()
    drafts = []
    for plan in _plans(rng):
        cert = rng.choice(by_product[plan.product])
        while cert["certificate_no"] in taken:
            cert = rng.choice(by_product[plan.product])
        taken.add(str(cert["certificate_no"]))
        issued = cert["issue_date"]
        assert isinstance(issued, date)
        sampled = min(issued + timedelta(days=rng.choice((0, 0, 1, 1, 2, 3))), date(cat.YEAR, 12, 31))
        if plan.task_type == "rapid_test":
            stage = rng.choice(("farmers_market", "wholesale_market", "production_base"))
        else:
            stage = rng.choices(_STAGES, _STAGE_WEIGHTS)[0]
        # A few market samples came without a certificate; calibrated ones still name the producer.
        market = stage in ("farmers_market", "wholesale_market")
        with_cert = not (market and rng.random() < 0.35)
        known_producer = plan.task_type != "rapid_test" or rng.random() < 0.5
        drafts.append((sampled, plan, cert, stage, with_cert and known_producer, known_producer))
    drafts.sort(key=lambda d: (d[0], d[1].task_type, d[1].level))
    serial: dict[str, int] = defaultdict(int)
    for sampled, plan, cert, stage, with_cert, known_producer in drafts:
        prefix = _PREFIX[(plan.task_type, plan.level)]
        serial[prefix] += 1
        batch_no = f"{prefix}{cat.YEAR}{serial[prefix]:04d}"
        p = producers[cert["producer_id"]]
        category = cat.PRODUCTS[plan.product].category
        if stage == "production_base":
            place = f"{p['town']}{p['village']}{p['producer_name']}生产基地"
        elif stage == "purchaser":
            place = f"{p['town']}收购点"
        else:
            place = rng.choice(cat.MARKETS[stage])
        lo, hi = _SAMPLE_KG[category]
        rapid = plan.task_type == "rapid_test"
        batch = {
            "batch_no": batch_no,
            "task_type": plan.task_type,
            "sampling_level": plan.level,
            "sampling_date": sampled,
            "sampling_stage": stage,
            "producer_id": cert["producer_id"] if known_producer else None,
            "certificate_no": cert["certificate_no"] if with_cert else None,
            "product_name": plan.product,
            "product_category": category if rng.random() < 0.85 else None,
            "region_code": cat.REGION_CODE if rng.random() < 0.8 else None,
            "sample_qty_kg": round(rng.uniform(0.5, 1.0), 1) if rapid else round(rng.uniform(lo, hi), 1),
            "sampled_place": place,
            "sampler_org": cat.SAMPLER_ORGS[plan.level],
            "lab": f"{place}快检室"
            if rapid and market
            else ("茂南区农产品质量安全检测站" if rapid else rng.choice(cat.LABS[plan.level])),
        }
        out.sampling_batches.append(batch)
        if rapid:
            _rapid_result(rng, out, batch)
        else:
            _lab_results(rng, out, batch, plan)
    positives = [b for b, v in out.batch_verdicts.items() if v == "positive"]
    assert len(positives) == RAPID_POSITIVES, positives


def _fmt(value: float, unit: str) -> float:
    return round(value, 1) if unit == "μg/kg" else round(value, 3)


def _lab_results(rng: random.Random, out: DemoRecords, batch: Record, plan: _BatchPlan) -> None:
    panel = cat.PANELS[plan.product]
    n = min(len(panel), rng.randint(3, 8))
    others = [a for a in panel if a not in plan.failing]
    analytes = list(plan.failing) + rng.sample(others, n - len(plan.failing))
    rng.shuffle(analytes)
    sampled = batch["sampling_date"]
    assert isinstance(sampled, date)
    tested = sampled + timedelta(days=rng.randint(1, 10))
    residue = cat.PRODUCTS[plan.product].residue
    report_no = f"{str(batch['batch_no'])[:4]}JC{cat.YEAR}-{len(out.batch_verdicts) + 1:04d}"
    for analyte in analytes:
        a = cat.ANALYTES[analyte]
        pair = (plan.product, analyte)
        fails = analyte in plan.failing
        if fails:
            lo, hi = cat.FAILING_PAIRS[pair]
            value: float | None = max(lo, _fmt(rng.uniform(lo, hi), a.unit))
        elif pair in cat.PASSING_DETECTIONS and rng.random() < 0.2:
            cap = cat.PASSING_DETECTIONS[pair]
            value = min(cap, max(_fmt(rng.uniform(a.lod * 1.5, cap), a.unit), a.lod * 1.5))
        else:
            value = None
        mrl = None
        if rng.random() < 0.15:
            if cat.is_banned(plan.product, analyte):
                mrl = "不得检出"
            elif pair in cat.ASSUMED_LIMITS:
                mrl = f"{cat.ASSUMED_LIMITS[pair].value:g}"
        out.inspection_results.append(
            {
                "batch_no": batch["batch_no"],
                "analyte": analyte,
                "result_value": value,  # None = non-detect
                "unit": a.unit,
                "lod": a.lod,
                "mrl": mrl,
                "method": a.method,
                "standard": cat.STANDARD_BY_RESIDUE[residue],
                "verdict": "fail" if fails else "pass",
                "report_no": report_no,
                "tested_on": tested,
            }
        )
    out.batch_verdicts[str(batch["batch_no"])] = "fail" if plan.failing else "pass"


def _rapid_result(rng: random.Random, out: DemoRecords, batch: Record) -> None:
    done = sum(1 for v in out.batch_verdicts.values() if v in ("positive", "negative"))
    positives = sum(1 for v in out.batch_verdicts.values() if v == "positive")
    # Spread the positives over the year: the i-th rapid test is positive while the quota allows.
    positive = positives < RAPID_POSITIVES and (
        rng.random() < RAPID_POSITIVES / RAPID_TESTS * 1.5 or RAPID_TESTS - done <= RAPID_POSITIVES - positives
    )
    value = round(rng.uniform(52, 85), 1) if positive else round(rng.uniform(0, 35), 1)
    out.inspection_results.append(
        {
            "batch_no": batch["batch_no"],
            "analyte": cat.RAPID_TEST_ANALYTE,
            "result_value": value,
            "unit": "%",
            "lod": None,
            "mrl": None,
            "method": cat.RAPID_TEST_METHOD,
            "standard": None,  # the method standard judges a rapid test; no MRL standard applies
            "verdict": "positive" if positive else "negative",
            "report_no": None,
            "tested_on": batch["sampling_date"],
        }
    )
    out.batch_verdicts[str(batch["batch_no"])] = "positive" if positive else "negative"


def build_demo_records(seed: int) -> DemoRecords:
    rng = random.Random(seed)
    out = DemoRecords()
    build_producers(rng, out)
    build_certificates(rng, out)
    build_batches(rng, out)
    return out
