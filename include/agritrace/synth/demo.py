"""The calibrated demo data set: Maonan district (茂南区), 2023.

Layout under ``out_dir``: one folder per feed. With ``variety`` each feed is spread over
``<feed>_2023.csv`` (UTF-8, English headers), ``<feed>_2023_zh.csv`` (UTF-8 with BOM, Chinese
headers), ``<feed>_2023_gbk.csv`` (GBK, Chinese headers), ``<feed>_2023.xlsx`` (Chinese headers,
date cells) and ``<feed>_2023.jsonl``; without it, one ``<feed>_2023.csv`` per feed. Results of one
batch stay in one file, as a lab report would. Defect rows (``defect_rate > 0``) are described in
``defects.py``; they are added, never substituted, so the calibrated figures hold after the
pipeline quarantines them. Content is deterministic for a seed (XLSX archives carry a save time).
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from pathlib import Path

from agritrace.contracts import LOAD_ORDER
from agritrace.synth import files as fx
from agritrace.synth import records as rec
from agritrace.synth.defects import Tagged, plan_defects
from agritrace.synth.summary import DEFECT_KINDS, GenerationSummary, InjectedDefect

YEAR_TAG = "2023"


def _shape_for(name: str) -> fx.Shape:
    if name.endswith("_gbk.csv"):
        return fx.ZH_GBK_CSV
    if name.endswith("_zh.csv"):
        return fx.ZH_BOM_CSV
    if name.endswith(".xlsx"):
        return fx.ZH_XLSX
    if name.endswith(".jsonl"):
        return fx.EN_JSONL
    return fx.EN_CSV


def _split_into_files(feed: str, rows: list[rec.Record], rng: random.Random, variety: bool) -> dict[str, list[Tagged]]:
    if not variety:
        return {f"{feed}_{YEAR_TAG}.csv": [Tagged(r, None) for r in rows]}
    names = [f"{feed}_{YEAR_TAG}{shape.suffix}" for shape, _ in fx.SHAPES]
    shares = [share for _, share in fx.SHAPES]
    out: dict[str, list[Tagged]] = {n: [] for n in names}
    chosen: dict[object, str] = {}
    for r in rows:
        # Results of one batch travel together, as in a lab report.
        group = r["batch_no"] if feed == "inspection_results" else id(r)
        if group not in chosen:
            chosen[group] = rng.choices(names, shares)[0]
        out[chosen[group]].append(Tagged(r, None))
    return out


def generate_demo(
    out_dir: Path, *, seed: int = 2023, defect_rate: float = 0.0, variety: bool = True,
    defects_in_own_files: bool = True,
) -> GenerationSummary:
    """Write the calibrated Maonan 2023 demo set under ``out_dir`` and say what was written.

    With ``defects_in_own_files=False`` the defective rows are scattered through the ordinary
    files instead of ``*_defects*`` files of their own, so each file stays under the ingest gate
    and loads everything but its defective rows (what the demo shows).
    """
    if not 0.0 <= defect_rate <= 0.5:
        raise ValueError(f"defect_rate must be between 0 and 0.5, got {defect_rate}")
    out_dir = Path(out_dir)
    demo = rec.build_demo_records(seed)
    rng = random.Random(f"{seed}:files")
    plan: dict[tuple[str, str], list[Tagged]] = {}
    for feed in LOAD_ORDER:
        for name, rows in _split_into_files(feed, demo.by_feed()[feed], rng, variety).items():
            plan[(feed, name)] = rows
    clean_rows = {feed: len(rows) for feed, rows in demo.by_feed().items()}
    if defect_rate > 0:
        extra = plan_defects(random.Random(f"{seed}:defects"), demo, defect_rate)
        for (feed, name), rows in extra.files.items():
            if not defects_in_own_files:
                name = name.replace("_defects", "_2023")
                if not variety:
                    name = f"{feed}_2023.csv"
            target = plan.setdefault((feed, name), [])
            # Scatter defects through a varied file rather than leaving them at its end.
            for row in rows:
                target.insert(rng.randint(0, len(target)), row)
            clean_rows[feed] += sum(1 for r in rows if r.kind is None)

    files: dict[str, list[Path]] = defaultdict(list)
    written: Counter[str] = Counter()
    injected: list[InjectedDefect] = []
    for (feed, name), rows in sorted(plan.items()):
        path = out_dir / feed / name
        fx.write_file(path, feed, [t.record for t in rows], _shape_for(name), seed, variety)
        files[feed].append(path)
        written[feed] += len(rows)
        injected += [
            InjectedDefect(t.kind, feed, Path(feed) / name, i, t.column, t.key)
            for i, t in enumerate(rows, start=1)
            if t.kind
        ]
    defects = Counter(d.kind for d in injected)
    return GenerationSummary(
        files=dict(files),
        rows={feed: written[feed] for feed in LOAD_ORDER},
        defects={k: defects[k] for k in DEFECT_KINDS if defect_rate > 0},
        expected=_expected(demo, clean_rows),
        batch_verdicts=dict(demo.batch_verdicts),
        defect_rows=injected,
    )


def _expected(demo: rec.DemoRecords, clean_rows: dict[str, int]) -> dict[str, object]:
    return {
        "region_code": "440902",
        "year": 2023,
        "producers": rec.N_PRODUCERS,
        "producers_issuing": rec.N_PRODUCERS,
        "certificates": rec.N_CERTIFICATES,
        "district_routine": {
            "task_type": "routine_monitoring",
            "levels": ["district"],
            "batches": rec.DISTRICT_BATCHES,
            "passed": rec.DISTRICT_BATCHES - rec.DISTRICT_FAILED,
            "failed": rec.DISTRICT_FAILED,
            "pass_rate_pct": 98.12,
        },
        "supervisory_province_city": {
            "task_type": "supervisory_sampling",
            "levels": ["province", "city"],
            "batches": rec.SUPERVISORY_BATCHES,
            "passed": rec.SUPERVISORY_BATCHES - rec.SUPERVISORY_FAILED,
            "failed": rec.SUPERVISORY_FAILED,
            "pass_rate_pct": 98.78,
        },
        "rapid_tests": {"batches": rec.RAPID_TESTS, "positive": rec.RAPID_POSITIVES},
        # Rows that should load (calibrated rows plus valid helper rows for the defects).
        "loadable_rows": clean_rows,
    }
