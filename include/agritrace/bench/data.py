"""The benchmark's data: a scale data set, with its last day held back for the incremental run.

``generate_scale`` writes a year of key-consistent feeds. The benchmark loads everything but the
last sampling day, then loads that day on its own and measures the mart refresh after it: "one
more day of data" is a real day of the same set, so its parents are either loaded already or
arrive with it (a batch is never sampled before its certificate was issued).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from agritrace.contracts import LOAD_ORDER
from agritrace.synth import generate_scale

READ_ROWS = 250_000
# The column that dates a row of each feed, for the feeds a day is cut from.
_DAY_COLUMN = {"certificates": "issue_date", "sampling_batches": "sampling_date"}


@dataclass(frozen=True)
class Sizes:
    """Rows asked of the generator at one scale."""

    inspection_results: int
    certificates: int
    batches: int

    @classmethod
    def at(cls, rows: int, scale: float) -> Sizes:
        results = max(10, round(rows * scale))
        return cls(inspection_results=results, certificates=results, batches=max(1, results // 10))


@dataclass(frozen=True)
class BenchData:
    """Files to load: ``main`` (all but the last day) and ``day`` (the last day), one folder per feed."""

    main: Path
    day: Path
    last_day: str
    main_rows: dict[str, int]
    day_rows: dict[str, int]

    def files(self, which: str = "main") -> list[tuple[str, Path]]:
        """(feed, file) in load order, parents first."""
        root = self.main if which == "main" else self.day
        return [(feed, path) for feed in LOAD_ORDER for path in sorted((root / feed).glob("*.csv"))]

    @property
    def total_rows(self) -> int:
        return sum(self.main_rows.values())


def prepare(work: Path, sizes: Sizes, seed: int = 7) -> BenchData:
    """Generate the set under ``work`` and split off its last day (deterministic for a seed)."""
    generated = work / "generated"
    shutil.rmtree(generated, ignore_errors=True)
    generate_scale(generated, inspection_results=sizes.inspection_results, certificates=sizes.certificates,
                   batches=sizes.batches, seed=seed)
    batches = pd.concat(pd.read_csv(p, dtype=str, keep_default_na=False, usecols=["batch_no", "sampling_date"])
                        for p in sorted((generated / "sampling_batches").glob("*.csv")))
    last_day = batches["sampling_date"].max()
    day_batches = set(batches.loc[batches["sampling_date"] == last_day, "batch_no"])
    main, day = work / "main", work / "day"
    main_rows, day_rows = {}, {}
    for feed in LOAD_ORDER:
        for folder in (main, day):
            shutil.rmtree(folder / feed, ignore_errors=True)
            (folder / feed).mkdir(parents=True)
        main_rows[feed], day_rows[feed] = _split(
            sorted((generated / feed).glob("*.csv")), main / feed, day / feed / f"{feed}_day.csv",
            lambda chunk, feed=feed: _of_day(feed, chunk, last_day, day_batches))
    shutil.rmtree(generated)
    return BenchData(main, day, last_day, main_rows, day_rows)


def _of_day(feed: str, chunk: pd.DataFrame, last_day: str, day_batches: set[str]) -> pd.Series:
    if feed in _DAY_COLUMN:
        return chunk[_DAY_COLUMN[feed]] == last_day
    if feed == "inspection_results":
        return chunk["batch_no"].isin(day_batches)
    return pd.Series(False, index=chunk.index)  # producers are registered before the year starts


def _split(sources: list[Path], main_dir: Path, day_file: Path, of_day) -> tuple[int, int]:
    """Copy every source file's rows into ``main_dir`` (same file names) or ``day_file`` (only if any)."""
    main_rows = day_rows = 0
    day_header = True
    for source in sources:
        target = main_dir / source.name
        header = True
        for chunk in pd.read_csv(source, dtype=str, keep_default_na=False, chunksize=READ_ROWS):
            mask = of_day(chunk)
            kept, held = chunk[~mask], chunk[mask]
            kept.to_csv(target, mode="w" if header else "a", header=header, index=False)
            header = False
            if len(held):
                held.to_csv(day_file, mode="w" if day_header else "a", header=day_header, index=False)
                day_header = False
            main_rows += len(kept)
            day_rows += len(held)
    return main_rows, day_rows
