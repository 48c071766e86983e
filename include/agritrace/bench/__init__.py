"""``agritrace bench``: how fast ingestion, validation, marts and lookups are, and how they grow.

    from pathlib import Path
    from agritrace.bench import run_bench

    run_bench(rows=1_000_000, scales=(0.1, 1, 3), out_dir=Path("docs"))

writes ``docs/benchmarks.md`` and ``docs/benchmarks.json`` (see ``harness.run_bench``).
"""

from agritrace.bench.harness import run_bench

__all__ = ["run_bench"]
