"""Large synthetic feeds for benchmarks, streamed in bounded memory.

Every feed is written chunk by chunk (``chunk_rows`` rows at a time, vectorised with numpy) to
UTF-8 CSV files with canonical English headers, at most about a million rows per file:
``<feed>/<feed>_part0001.csv`` …. Keys stay consistent without holding any feed in memory:
a certificate's producer, a batch's certificate and a result's batch are pure functions of the
row's index, so a child chunk recomputes its parents instead of looking them up.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from agritrace.contracts import FEEDS
from agritrace.synth import catalog as cat
from agritrace.synth.summary import GenerationSummary
from agritrace.synth.uscc import ALPHABET, WEIGHTS

_REGIONS = np.array(["440902", "440904", "440981", "440982", "440983"])
_COUNTY = {
    "440902": "茂南区",
    "440904": "电白区",
    "440981": "高州市",
    "440982": "化州市",
    "440983": "信宜市",
}
_TOWNS = np.array(list(cat.TOWNS))
_PRODUCTS = list(cat.PRODUCTS)
_PESTICIDES = [a for a, v in cat.ANALYTES.items() if v.unit == "mg/kg"]
_VET_DRUGS = [a for a, v in cat.ANALYTES.items() if v.unit == "μg/kg"]
_FAILING_FIRST = {p: a for (p, a) in cat.FAILING_PAIRS}  # one failing analyte per product
_YEAR_START = np.datetime64(f"{cat.YEAR}-01-01")
_UNIT_OF_PRODUCT = np.array([cat.PRODUCTS[p].units[0] for p in _PRODUCTS])
_CATEGORY = np.array([cat.PRODUCTS[p].category for p in _PRODUCTS])
_BASIS = np.array(
    [
        "quality_control",
        "quality_control;self_test",
        "self_test",
        "quality_control;commissioned_test",
    ]
)
_TASKS = np.array(["routine_monitoring", "supervisory_sampling", "supervisory_sampling", "special_campaign"])
_LEVELS = np.array(["district", "province", "city", "district"])
_STAGES = np.array(["production_base", "purchaser", "wholesale_market", "supermarket", "farmers_market"])


def _panel(product: str) -> list[str]:
    """Every analyte a batch of ``product`` may be tested for, the failing one first."""
    own = list(cat.PANELS[product])
    pool = _PESTICIDES if cat.PRODUCTS[product].residue == "pesticide" else _VET_DRUGS
    first = _FAILING_FIRST.get(product)
    ordered = ([first] if first else []) + [a for a in own if a != first]
    return ordered + [a for a in pool if a not in ordered]


_PANELS = [_panel(p) for p in _PRODUCTS]


def _mix(i: np.ndarray, salt: int) -> np.ndarray:
    """A cheap deterministic hash of row indices (non-negative int64)."""
    x = (i.astype(np.uint64) + np.uint64(salt)) * np.uint64(0x9E3779B97F4A7C15)
    x ^= x >> np.uint64(29)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(32)
    return (x >> np.uint64(1)).astype(np.int64)


def _credit_codes(rng: np.random.Generator, n: int, regions: np.ndarray) -> np.ndarray:
    """``n`` verifying unified social credit codes (vectorised GB 32100 check character)."""
    alphabet = np.array(list(ALPHABET))
    body = rng.integers(0, 31, size=(n, 8))  # organisation code body, alphabet values
    # GB 11714 check over the body (alphabet value == base-36 value for digits; letters differ,
    # so compute with the base-36 values of the letters drawn).
    base36 = np.array([int(ch, 36) for ch in ALPHABET])[body]
    org = 11 - (base36 * np.array([3, 7, 9, 10, 5, 8, 4, 2])).sum(axis=1) % 11
    org_ch = np.where(org == 10, "X", np.where(org == 11, "0", org.astype(str)))
    org_val = np.where(org == 10, ALPHABET.index("X"), np.where(org == 11, 0, org))
    prefix = np.tile([9, 3], (n, 1))  # 93: farmers' cooperatives
    region_digits = np.array([[int(c) for c in r] for r in regions])
    values = np.hstack([prefix, region_digits, body, org_val[:, None]])
    check = (31 - (values * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    text = ["".join(row) for row in alphabet[body]]
    return np.array([f"93{r}{b}{o}{alphabet[c]}" for r, b, o, c in zip(regions, text, org_ch, check, strict=True)])


# A feed's rows are split into files of at most this many (whole chunks), as a year's exports would be.
MAX_FILE_ROWS = 1_000_000


class _Scale:
    def __init__(
        self,
        out_dir: Path,
        seed: int,
        chunk_rows: int,
        n_results: int,
        n_certificates: int,
        n_batches: int,
    ) -> None:
        if min(n_results, n_certificates, n_batches) <= 0:
            raise ValueError("inspection_results, certificates and batches must all be positive")
        per_batch = -(-n_results // n_batches)
        longest = max(len(p) for p in _PANELS)
        if per_batch > longest:
            raise ValueError(
                f"{n_results} results over {n_batches} batches is {per_batch} test "
                f"items per batch; the panels hold at most {longest}. Ask for more batches."
            )
        self.out, self.seed, self.chunk = out_dir, seed, chunk_rows
        self.file_rows = chunk_rows * max(1, MAX_FILE_ROWS // chunk_rows)
        self.R, self.C, self.B = n_results, n_certificates, n_batches
        self.P = max(100, n_certificates // 100)
        # Products whose panels hold every item a batch gets.
        eligible = np.array([i for i, p in enumerate(_PANELS) if len(p) >= per_batch])
        weights = np.array([cat.PRODUCTS[_PRODUCTS[i]].sampling_weight for i in eligible])
        prng = np.random.default_rng([seed, 0])
        self.producer_product = prng.choice(eligible, size=self.P, p=weights / weights.sum())
        self.producer_region = _REGIONS[prng.integers(0, len(_REGIONS), self.P)]
        self.producer_county = np.array([_COUNTY[r] for r in self.producer_region])
        self.producer_ids = self._producer_ids(prng)
        self.panel_table = np.array([p + [""] * (longest - len(p)) for p in _PANELS])
        self.failed_batches = 0

    def _producer_ids(self, rng: np.random.Generator) -> np.ndarray:
        households = rng.random(self.P) < 0.4
        codes = _credit_codes(rng, self.P, self.producer_region)
        serial = np.arange(1, self.P + 1)
        hh = np.array([f"HH-{r}-{s:06d}" for r, s in zip(self.producer_region, serial, strict=True)])
        return np.where(households, hh, codes)

    # Parents as pure functions of an index --------------------------------------------------
    def cert_producer(self, c: np.ndarray) -> np.ndarray:
        return _mix(c, 11) % self.P

    def cert_day(self, c: np.ndarray) -> np.ndarray:
        return _mix(c, 23) % 365

    def batch_cert(self, b: np.ndarray) -> np.ndarray:
        return _mix(b, 37) % self.C

    def batch_day(self, b: np.ndarray) -> np.ndarray:
        return np.minimum(self.cert_day(self.batch_cert(b)) + b % 4, 364)

    def batch_product(self, b: np.ndarray) -> np.ndarray:
        return self.producer_product[self.cert_producer(self.batch_cert(b))]

    def batch_fails(self, b: np.ndarray) -> np.ndarray:
        failable = np.isin(self.batch_product(b), [_PRODUCTS.index(p) for p in _FAILING_FIRST])
        return failable & (_mix(b, 41) % 1000 < 20)

    # Chunks --------------------------------------------------------------------------------
    def producers(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
        n = len(idx)
        town = _TOWNS[rng.integers(0, len(_TOWNS), n)]
        households = np.char.startswith(self.producer_ids[idx].astype(str), "HH-")
        return {
            "producer_id": self.producer_ids[idx],
            "producer_name": [f"合成主体{i:07d}" for i in idx],
            "producer_type": np.where(households, "household", "cooperative"),
            "region_code": self.producer_region[idx],
            "town": town,
            "village": np.char.add(town, "一村"),
            "grid_id": np.char.add(self.producer_region[idx], np.char.add("-G", (idx % 50).astype(str))),
            "contact_phone": [f"138-0000-{i % 10000:04d}" for i in idx],
            "registered_on": (_YEAR_START - 3000 + idx % 2900).astype(str),
        }

    def certificates(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
        n = len(idx)
        prod = self.cert_producer(idx)
        product = self.producer_product[prod]
        day = _YEAR_START + self.cert_day(idx)
        ymd = np.char.replace(day.astype(str), "-", "")
        serial = np.char.zfill(idx.astype(str), 9)
        return {
            "certificate_no": np.char.add("SC", serial),
            "producer_id": self.producer_ids[prod],
            "product_name": np.array(_PRODUCTS)[product],
            "product_category": _CATEGORY[product],
            "quantity": rng.integers(10, 5000, n),
            "unit": _UNIT_OF_PRODUCT[product],
            "origin": np.char.add("广东省茂名市", self.producer_county[prod]),
            "issue_date": day.astype(str),
            "commitment_basis": _BASIS[rng.integers(0, len(_BASIS), n)],
            # A lot is one producer's harvest of one day, as on the demo certificates.
            "lot_no": np.char.add(np.char.add(ymd, "-P"), np.char.zfill(prod.astype(str), 5)),
            "trace_code": np.char.add(ymd, serial),
            "buyer": np.array(cat.BUYERS)[rng.integers(0, len(cat.BUYERS), n)],
        }

    def sampling_batches(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
        n = len(idx)
        cert = self.batch_cert(idx)
        prod = self.cert_producer(cert)
        task = _mix(idx, 53) % 20
        kind = np.select([task < 15, task < 17, task < 19], [0, 1, 2], 3)
        self.failed_batches += int(self.batch_fails(idx).sum())
        return {
            "batch_no": np.char.add("SB", np.char.zfill(idx.astype(str), 9)),
            "task_type": _TASKS[kind],
            "sampling_level": _LEVELS[kind],
            "sampling_date": (_YEAR_START + self.batch_day(idx)).astype(str),
            "sampling_stage": _STAGES[rng.integers(0, len(_STAGES), n)],
            "producer_id": self.producer_ids[prod],
            "certificate_no": np.char.add("SC", np.char.zfill(cert.astype(str), 9)),
            "product_name": np.array(_PRODUCTS)[self.producer_product[prod]],
            "product_category": _CATEGORY[self.producer_product[prod]],
            "region_code": self.producer_region[prod],
            "sample_qty_kg": np.round(rng.uniform(0.5, 3.0, n), 1),
            "sampled_place": _TOWNS[rng.integers(0, len(_TOWNS), n)],
            "sampler_org": np.array([cat.SAMPLER_ORGS[lv] for lv in _LEVELS])[kind],
            "lab": cat.LABS["district"][0],
        }

    def inspection_results(self, idx: np.ndarray, rng: np.random.Generator) -> dict[str, object]:
        n = len(idx)
        batch = idx * self.B // self.R
        pos = idx - (batch * self.R + self.B - 1) // self.B
        product = self.batch_product(batch)
        analyte = self.panel_table[product, pos]
        lod = np.array([cat.ANALYTES[a].lod for a in analyte.tolist()]) if n else np.array([])
        vet = np.array([cat.PRODUCTS[_PRODUCTS[p]].residue == "vet_drug" for p in range(len(_PRODUCTS))])[product]
        fails = self.batch_fails(batch) & (pos == 0)
        fail_value = np.array(
            [sum(cat.FAILING_PAIRS.get((p, _FAILING_FIRST.get(p, "")), (0, 0))) / 2 for p in _PRODUCTS]
        )[product]
        value = np.where(fails, fail_value.round(3).astype(str), "ND")
        tested = _YEAR_START + self.batch_day(batch) + 1 + _mix(batch, 61) % 10
        return {
            "batch_no": np.char.add("SB", np.char.zfill(batch.astype(str), 9)),
            "analyte": analyte,
            "result_value": value,
            "unit": np.where(vet, "μg/kg", "mg/kg"),
            "lod": lod,
            "mrl": "",
            "method": np.where(vet, "GB/T 22338-2008", cat.PESTICIDE_METHOD_LC),
            "standard": np.where(vet, "GB 31650-2019", "GB 2763-2021"),
            "verdict": np.where(fails, "fail", "pass"),
            "report_no": np.char.add("RP", np.char.zfill(batch.astype(str), 9)),
            "tested_on": tested.astype(str),
        }

    def write(self, feed: str, total: int) -> list[Path]:
        folder = self.out / feed
        folder.mkdir(parents=True, exist_ok=True)
        columns = FEEDS[feed].columns
        build = getattr(self, feed)
        paths: list[Path] = []
        fh = None
        try:
            for start, idx in self._chunks(total):
                if start % self.file_rows == 0:
                    if fh:
                        fh.close()
                    paths.append(folder / f"{feed}_part{len(paths) + 1:04d}.csv")
                    fh = paths[-1].open("w", encoding="utf-8", newline="")
                    csv.writer(fh).writerow(columns)
                rng = np.random.default_rng([self.seed, len(feed), start])
                frame = pd.DataFrame(build(idx, rng), columns=columns)
                frame.to_csv(fh, header=False, index=False)
        finally:
            if fh:
                fh.close()
        return paths

    def _chunks(self, total: int) -> Iterator[tuple[int, np.ndarray]]:
        for start in range(0, total, self.chunk):
            yield start, np.arange(start, min(total, start + self.chunk), dtype=np.int64)


def generate_scale(
    out_dir: Path,
    *,
    inspection_results: int,
    certificates: int,
    batches: int,
    seed: int = 7,
    chunk_rows: int = 100_000,
) -> GenerationSummary:
    """Stream a large, key-consistent data set to CSV under ``out_dir`` for benchmarks."""
    if chunk_rows <= 0:
        raise ValueError(f"chunk_rows must be positive, got {chunk_rows}")
    s = _Scale(Path(out_dir), seed, chunk_rows, inspection_results, certificates, batches)
    counts = {
        "producers": s.P,
        "certificates": certificates,
        "sampling_batches": batches,
        "inspection_results": inspection_results,
    }
    files = {feed: s.write(feed, n) for feed, n in counts.items()}
    return GenerationSummary(
        files=files,
        rows=counts,
        defects={},
        expected={
            "producers": s.P,
            "certificates": certificates,
            "batches": batches,
            "failed_batches": s.failed_batches,
            "inspection_results": inspection_results,
        },
    )
