"""The benchmark's results: the machine, the headline figures and targets, JSON and Markdown."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from agritrace.config import PROJECT_ROOT
from agritrace.pipeline import LOAD_STAGES
from agritrace.synth.scale import MAX_FILE_ROWS

MB_LIMIT = 1024  # 1 GB
TARGETS = {
    "ingest_vs_load_ceiling": "end-to-end ingest ≥ 0.75× the load ceiling (same run)",
    "ingest_vs_to_sql_indexed": "end-to-end ingest ≥ 2× pandas to_sql into the same indexed tables",
    "ingest_peak_rss": "peak memory of the ingesting process ≤ 1 GB",
    "trace_p95": "trace lookup p95 ≤ 20 ms",
    "marts_incremental": "marts refresh after one more day ≤ 1 s (and flat across the scales)",
}
STAGES = [
    # (label, run key, value key, unit)
    ("Raw COPY ceiling (CSV → unindexed text tables)", "copy_ceiling", "rows_per_s", "rows/s"),
    ("pandas to_sql baseline (subset, unindexed new table)", "to_sql", "rows_per_s", "rows/s"),
    ("Load ceiling (COPY to staging + INSERT … ON CONFLICT into indexed core)", "load_ceiling", "rows_per_s",
     "rows/s"),
    ("pandas to_sql into the same indexed core tables (subset)", "to_sql_indexed", "rows_per_s", "rows/s"),
    ("End-to-end ingest (parse, validate with GX, quarantine, COPY, upsert)", "ingest", "rows_per_s", "rows/s"),
    ("Ingest peak RSS", "ingest", "peak_rss_mb", "MB"),
    ("Great Expectations alone", "gx", "rows_per_s", "rows/s"),
    ("Marts, first refresh (summaries built from all of core)", "marts_full", "seconds", "s"),
    ("Ingest of one more day", "ingest_day", "seconds", "s"),
    ("Marts, refresh after that day", "marts_incremental", "seconds", "s"),
    ("Trace lookup p50 (certificate, batch, producer, report, trace code)", "trace", "p50_ms", "ms"),
    ("Trace lookup p95 (same keys)", "trace", "p95_ms", "ms"),
    ("Trace lookup p99 (same keys)", "trace", "p99_ms", "ms"),
]


def _commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+uncommitted changes" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine_info(server_url: str) -> dict:
    """Cores, memory, versions and how busy the machine was when the run started."""
    import great_expectations
    import pandas

    with psycopg.connect(server_url) as conn:
        postgres = conn.execute("show server_version").fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "cpu": _cpu_model(),
        "os": platform.system(),
        "python": platform.python_version(),
        "postgres": postgres,
        "pandas": pandas.__version__,
        "great_expectations": great_expectations.__version__,
        "psycopg": psycopg.__version__,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _headline(runs: dict[str, dict]) -> str:
    if "1" in runs:
        return "1"
    return max(runs, key=float)


def _value(run: dict, key: str, value: str) -> float | None:
    stage = run.get(key)
    if stage is None:
        return None
    if key == "trace":
        return stage["all"].get(value)
    return stage.get(value)


def summarise(runs: dict[str, dict], *, machine: dict, settings: dict, seconds: float) -> dict:
    """The JSON document: headline keys from the scale-1 run (else the largest), then every run."""
    label = _headline(runs)
    run = runs[label]
    head = {
        "copy_ceiling_rows_per_s": _value(run, "copy_ceiling", "rows_per_s"),
        "to_sql_rows_per_s": _value(run, "to_sql", "rows_per_s"),
        "load_ceiling_rows_per_s": _value(run, "load_ceiling", "rows_per_s"),
        "to_sql_indexed_rows_per_s": _value(run, "to_sql_indexed", "rows_per_s"),
        "ingest_rows_per_s": _value(run, "ingest", "rows_per_s"),
        "ingest_peak_rss_mb": _value(run, "ingest", "peak_rss_mb"),
        "gx_rows_per_s": _value(run, "gx", "rows_per_s"),
        "marts_full_refresh_s": _value(run, "marts_full", "seconds"),
        "marts_incremental_refresh_s": _value(run, "marts_incremental", "seconds"),
        "trace_p50_ms": _value(run, "trace", "p50_ms"),
        "trace_p95_ms": _value(run, "trace", "p95_ms"),
        "trace_p99_ms": _value(run, "trace", "p99_ms"),
    }
    return {
        "headline_scale": float(label),
        **{k: None if v is None else round(v, 3) for k, v in head.items()},
        "targets": _targets(head),
        "machine": machine,
        "commit": _commit(),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": settings,
        "bench_seconds": round(seconds, 1),
        "runs": runs,
    }


def _targets(h: dict) -> dict:
    def verdict(value, ok) -> dict:
        return {"value": value, "met": None if value is None else bool(ok(value))}

    ingest, ceiling, to_sql = h["ingest_rows_per_s"], h["load_ceiling_rows_per_s"], h["to_sql_indexed_rows_per_s"]
    return {
        "ingest_vs_load_ceiling": verdict(ingest and ceiling and ingest / ceiling, lambda r: r >= 0.75),
        "ingest_vs_to_sql_indexed": verdict(ingest and to_sql and ingest / to_sql, lambda r: r >= 2),
        "ingest_peak_rss": verdict(h["ingest_peak_rss_mb"], lambda mb: mb <= MB_LIMIT),
        "trace_p95": verdict(h["trace_p95_ms"], lambda ms: ms <= 20),
        "marts_incremental": verdict(h["marts_incremental_refresh_s"], lambda s: s <= 1),
    }


def write_report(result: dict, out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / "benchmarks.json", out_dir / "benchmarks.md"
    json_path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(result), encoding="utf-8")
    return json_path, md_path


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "rows/s":
        return f"{value:,.0f}"
    if unit == "MB":
        return f"{value:,.0f}"
    return f"{value:,.2f}" if value < 100 else f"{value:,.0f}"


def render_markdown(result: dict) -> str:
    runs = result["runs"]
    labels = list(runs)
    m = result["machine"]
    lines = [
        "# Benchmarks",
        "",
        "Written by `agritrace bench` (`agritrace.bench.run_bench`); do not edit by hand, run it again.",
        "",
        f"- Date: {result['date']} · commit `{result['commit']}` · whole run {result['bench_seconds'] / 60:.1f} min",
        (f"- Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gb']} GB memory, {m['os']}; load average at "
         f"start {', '.join(map(str, m['load_average_at_start']))} (other work shared the machine)"),
        (f"- Software: Python {m['python']}, PostgreSQL {m['postgres']}, pandas {m['pandas']}, "
         f"Great Expectations {m['great_expectations']}, psycopg {m['psycopg']}"),
        (f"- Scale 1 = {result['settings']['rows']:,} inspection results, as many certificates, a tenth as many "
         f"sampling batches, and a hundredth as many producers (`agritrace.synth.generate_scale`, seed "
         f"{result['settings']['seed']}); ingest chunks of {result['settings']['chunk_rows']:,} rows."),
        "",
        "## Results",
        "",
        "| Stage | " + " | ".join(f"{label}×" for label in labels) + " | unit |",
        "|---|" + "---:|" * len(labels) + "---|",
    ]
    lines.append("| Rows loaded (all feeds, before the last day) | "
                 + " | ".join(f"{sum(runs[x]['rows_loaded_main'].values()):,}" for x in labels) + " | rows |")
    for title, key, value, unit in STAGES:
        cells = []
        for label in labels:
            run = runs[label]
            cells.append("skipped" if key in run.get("skipped", {}) else _fmt(_value(run, key, value), unit))
        lines.append(f"| {title} | " + " | ".join(cells) + f" | {unit} |")
    for title, key in (("End-to-end ingest ÷ load ceiling", "load_ceiling"),
                       ("End-to-end ingest ÷ to_sql into the indexed tables", "to_sql_indexed")):
        ratios = [(_value(runs[x], "ingest", "rows_per_s"), _value(runs[x], key, "rows_per_s")) for x in labels]
        lines.append(f"| {title} | " + " | ".join(f"{i / c:.2f}" if i and c else "—" for i, c in ratios) + " | × |")
    lines += ["", "### Ingest by feed", "", "| Feed | " + " | ".join(f"{x}× rows/s" for x in labels) + " |",
              "|---|" + "---:|" * len(labels)]
    feeds = list(dict.fromkeys(f for r in runs.values() for f in r.get("ingest", {}).get("per_feed", {})))
    for feed in feeds:
        cells = []
        for label in labels:
            f = runs[label].get("ingest", {}).get("per_feed", {}).get(feed)
            cells.append("—" if not f else f"{f['rows_in'] / f['seconds']:,.0f} ({f['rows_in']:,} rows)")
        lines.append(f"| {feed} | " + " | ".join(cells) + " |")
    lines += ["", "### Where the ingest time goes", "",
              "Share of the summed `process_file` time, stage by stage (`pipeline.LOAD_STAGES`), and seconds.", "",
              "| Stage | " + " | ".join(f"{x}×" for x in labels) + " | what it spends its time on |",
              "|---|" + "---:|" * len(labels) + "---|"]
    for stage, does in LOAD_STAGES.items():
        cells = []
        for label in labels:
            seconds = runs[label].get("ingest", {}).get("stage_seconds", {})
            total = sum(seconds.values())
            cells.append(f"{seconds[stage] / total:.0%} ({seconds[stage]:,.1f} s)" if total else "—")
        lines.append(f"| {stage} | " + " | ".join(cells) + f" | {does} |")
    lines += ["", "### Trace lookups by key kind (ms, p50 / p95 / p99)", "",
              "| Key kind | " + " | ".join(f"{x}×" for x in labels) + " |", "|---|" + "---:|" * len(labels)]
    kinds = list(dict.fromkeys(k for r in runs.values() for k in r.get("trace", {}).get("per_kind", {})))
    for kind in kinds:
        cells = []
        for label in labels:
            k = runs[label].get("trace", {}).get("per_kind", {}).get(kind)
            cell = "—" if not k or not k["lookups"] else f"{k['p50_ms']:.1f} / {k['p95_ms']:.1f} / {k['p99_ms']:.1f}"
            if k and k.get("stopped_at_time_cap"):
                cell += f" ({k['lookups']:,} lookups: time cap)"
            cells.append(cell)
        headline = all(kind in r.get("trace", {}).get("headline_kinds", [kind]) for r in runs.values())
        lines.append(f"| {kind}{'' if headline else ' (not in the headline)'} | " + " | ".join(cells) + " |")
    lines += ["", "## Targets (at " + f"{result['headline_scale']:g}×)", "",
              "| Target | Measured | Met | Why |", "|---|---:|---|---|"]
    for name, text in TARGETS.items():
        target = result["targets"][name]
        met = {True: "yes", False: "**no**", None: "not measured"}[target["met"]]
        lines.append(f"| {text} | {_target_value(name, target['value'])} | {met} | {_why(name, result)} |")
    skipped = {label: r["skipped"] for label, r in runs.items() if r.get("skipped")}
    if skipped:
        lines += ["", "## Skipped", ""]
        for label, stages in skipped.items():
            reasons = sorted(set(stages.values()))
            lines.append(f"- {label}×: {', '.join(stages)} — {'; '.join(reasons)}.")
    lines += ["", METHOD]
    return "\n".join(lines) + "\n"


def _target_value(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name in ("ingest_vs_load_ceiling", "ingest_vs_to_sql_indexed"):
        return f"{value:.2f}×"
    return {"ingest_peak_rss": f"{value:,.0f} MB", "trace_p95": f"{value:.1f} ms",
            "marts_incremental": f"{value:.2f} s"}[name]


def _why(name: str, result: dict) -> str:
    """The measured fact that explains the outcome (the figures are in the tables above)."""
    run = result["runs"][f"{result['headline_scale']:g}"]
    if name in ("ingest_vs_load_ceiling", "ingest_vs_to_sql_indexed") and run.get("ingest", {}).get("stage_seconds"):
        return _ingest_limit(name, run)
    if name == "ingest_peak_rss" and "ingest" in run:
        return (f"files are read, validated and copied {result['settings']['chunk_rows']:,} rows at a time; what "
                f"grows with a file is the keys it staged, as 64-bit hashes (16 bytes a key, kept to name the row a "
                f"repeated key repeats), and the scale's files hold up to {MAX_FILE_ROWS:,} rows each")
    if name == "trace_p95" and "trace" in run:
        kinds = run["trace"]["per_kind"]
        counted = [k for k in kinds if k in run["trace"].get("headline_kinds", kinds)]
        slowest = max(counted, key=lambda k: kinds[k].get("p95_ms", 0))
        return (f"each lookup builds the whole chain (the producer's certificates and batches within 30 days, "
                f"results, recall candidates) as JSON and writes an audit row; slowest counted kind {slowest} "
                f"(p95 {kinds[slowest]['p95_ms']:.1f} ms). Lot numbers are left out: the synthetic data gives "
                f"every certificate of a day the same lot number, so one lot lookup returns a whole day")
    if name == "marts_incremental" and "marts_incremental" in run:
        per = run["marts_incremental"]["per_mart_s"]
        slowest = max(per, key=per.get)
        flat = ", ".join(f"{label}×: {r['marts_incremental']['seconds']:.2f} s"
                         for label, r in result["runs"].items() if "marts_incremental" in r)
        return (f"the refresh recomputes only the days logged since the last one (the new day, and any day a "
                f"correction moved rows from) in five daily summaries; {flat} (slowest summary: {slowest}, "
                f"{per[slowest]:.2f} s)")
    return "not measured at this scale"


def _ingest_limit(name: str, run: dict) -> str:
    """What the ingest's own stage times say stops it: the write alone against the ceiling it is
    compared with, and the rate of everything before the write."""
    ingest = run["ingest"]
    stages = ingest["stage_seconds"]
    total = sum(stages.values())
    before_write = total - stages["write"]
    by_share = ", ".join(f"{stage} {seconds / total:.0%}" for stage, seconds in
                         sorted(stages.items(), key=lambda kv: -kv[1]))
    alone = {stage: ingest["rows"] / seconds for stage, seconds in stages.items() if seconds}
    if name == "ingest_vs_load_ceiling":
        ceiling = run["load_ceiling"]["rows_per_s"]
        return (f"ingest time by stage: {by_share}. The write into core alone runs at {alone['write']:,.0f} rows/s "
                f"({alone['write'] / ceiling:.2f}× the load ceiling, which writes the same rows with no versions or "
                f"verdicts); the stages before it run at {ingest['rows'] / before_write:,.0f} rows/s on their own "
                f"(reading {alone['read']:,.0f}, Python checks {alone['check']:,.0f}, GX {alone['validate']:,.0f}, "
                f"staging {alone['stage']:,.0f} rows/s)")
    to_sql = run["to_sql_indexed"]["rows_per_s"]
    return (f"to_sql writes rows it neither reads from a file nor checks. Reading, checking, validating and staging "
            f"alone run at {ingest['rows'] / before_write:,.0f} rows/s, {ingest['rows'] / before_write / to_sql:.2f}× "
            f"to_sql: even a write that cost nothing would not reach 2×")


METHOD = """## Method

- **Data**: `generate_scale` writes a year of key-consistent feeds as CSV. The last sampling day
  (its certificates, batches and their results) is held back from the main load so that "one more
  day" is a real day of the same data set.
- **Raw COPY ceiling**: the generated CSV files, byte for byte, through psycopg `COPY … FROM STDIN
  (format csv)` into tables of `text` columns with no index or constraint. No parsing or checks.
- **Load ceiling**: after the other stages, core's rows as the ingest left them (typed and
  normalised) are exported as CSV; core is emptied; each feed is COPYed into an unlogged staging
  table and written with one `INSERT … ON CONFLICT DO UPDATE` into the same indexed core tables
  (primary keys, secondary indexes, foreign keys, the marts' triggers), parents first. No reading,
  parsing, validation, quarantine or history: the floor any validated load must also pay.
- **to_sql into the indexed tables**: the same exported rows, `DataFrame.to_sql` (default method,
  `chunksize` 10,000, appending) into the emptied indexed core tables: every producer, then the
  first `settings.to_sql_rows_per_feed` certificates and batches and that many results of those
  batches (so every foreign key holds).
- **to_sql baseline**: `DataFrame.to_sql` (SQLAlchemy + psycopg, default method, `chunksize`
  10,000) of the first rows of each feed's first file (the subset size is in the JSON under
  `settings.to_sql_rows_per_feed`), read as text, into a new table with no index.
- **End-to-end ingest**: `agritrace.pipeline.process_file` on every file, parents first, exactly
  as the DAG tasks call it: read and decode, header aliases, normalise, the contract
  checks as one Great Expectations suite per chunk on its SQL engine (with Data Docs), parent and
  reference checks, verdicts, quarantine, COPY into staging, upsert into core, the ledger and the
  `dq` history, one transaction per file. A file staging at least `AGRITRACE_BULK_LOAD_ROWS` rows
  and at least half its table's rows loads in bulk mode (secondary indexes rebuilt once, see
  docs/scaling.md), as a backfill would. It runs in a child process; rows/s is rows read over the
  summed `process_file` time (importing GX once per process, reported as `startup_s`, is
  excluded); peak memory is that process's `ru_maxrss`.
- **GX alone**: the same suites on the same validation frames (everything else untimed), without
  the Data Docs action, up to `settings.gx_rows_per_feed` rows per feed.
- **Marts**: the marts are views over daily summaries; triggers on core log each day a write
  touched. The first refresh after the main load builds the summaries from every day. After one
  more day is ingested, the marts are refreshed the way the mart DAG does it (`refresh_marts`:
  the logged days only, one transaction, readers never blocked); that time is the "incremental"
  figure, and should not grow with the scale.
- **Trace**: `agritrace.trace.lookup.trace` (the function the CLI and API call; every call is
  audited) over 1,000 random keys of each kind sampled from core, one connection, after a short
  warm-up. The headline percentiles are over certificate numbers, batch numbers, producer ids,
  report numbers and trace codes. Lot numbers are measured too but not counted: the synthetic
  generator gives every certificate issued on a day the same lot number (`<date>-01`), so a lot
  lookup returns thousands of certificates (a real lot belongs to one producer). Each kind stops
  after a time cap (its row then says how many lookups ran).
"""
