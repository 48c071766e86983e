"""Running the pipeline from a terminal: generate, ingest, explain a verdict, benchmark, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from agritrace.cli.base import FEEDS_HELP, FeedName, app, fail
from agritrace.contracts import LOAD_ORDER


@app.command()
def generate(
    out: Annotated[Path | None, typer.Option(help="Folder to write into (default: .agritrace/generated)")] = None,
    land: Annotated[bool, typer.Option("--land", help="Write into the landing folder, for the DAGs to ingest")] = False,
    seed: int = 2023,
    defects: Annotated[float, typer.Option(help="Share of extra defective rows to inject (0 = none)")] = 0.0,
    scale: Annotated[int | None, typer.Option(help="Stream this many inspection results (and as many certificates)")] = None,
    batches: Annotated[int | None, typer.Option(help="With --scale: sampling batches (default scale/10)")] = None,
) -> None:
    """Write synthetic feed files: the calibrated demo set, or --scale rows for benchmarks."""
    from agritrace.config import settings
    from agritrace.synth import generate_demo, generate_scale

    # Generated files land only when asked: dropped into a live landing folder they would be ingested.
    target = out or (settings().landing_dir if land else settings().home / "generated")
    if scale:
        summary = generate_scale(target, inspection_results=scale, certificates=scale,
                                 batches=batches or max(scale // 10, 1), seed=seed)
    else:
        summary = generate_demo(target, seed=seed, defect_rate=defects)
    for feed, count in summary.rows.items():
        typer.echo(f"{feed:20} {count:>9,} rows in {len(summary.files.get(feed, []))} file(s)")
    if summary.defects:
        typer.echo("injected defects: " + ", ".join(f"{k} {v}" for k, v in summary.defects.items()))
    typer.echo(f"in {target}" + ("" if land or out else " (add --land to write into the landing folder)"))


@app.command()
def ingest(
    feed: Annotated[FeedName | None, typer.Option(help=FEEDS_HELP + "; default all, parents first")] = None,
    file: Annotated[Path | None, typer.Option(help="One file (with --feed)")] = None,
) -> None:
    """Ingest the landing folder (or one file) outside Airflow, with the same code the DAGs run."""
    from agritrace.ingest.landing import landing_files
    from agritrace.pipeline import process_file, replay

    if file and not feed:
        fail("--file needs --feed to say which feed the file belongs to")
    failed = False
    for name in ([feed.value] if feed else LOAD_ORDER):
        orphans = replay(name, orphans_only=True, requested_by="agritrace ingest")
        if orphans.examined:
            typer.echo(f"[{name}] orphans retried: {orphans.loaded} loaded, {orphans.still_quarantined} still waiting")
        for path in ([file] if file else landing_files(name)):
            for outcome in process_file(path, name):
                typer.echo(outcome.summary())
                failed |= outcome.status in ("held", "rejected")
    if failed:
        raise typer.Exit(1)


@app.command("explain-verdict")
def explain_verdict(
    product: Annotated[str, typer.Option(help="Product name or alias, e.g. 豇豆")],
    analyte: Annotated[str, typer.Option(help="Analyte name, alias or CAS number, e.g. 灭蝇胺")],
    value: Annotated[str | None, typer.Option(help="Measured value or a non-detect word (ND, 未检出)")] = None,
    unit: str = "mg/kg",
    standard: Annotated[str | None, typer.Option(help="Standard to judge by (default GB 2763-2021)")] = None,
    lod: float | None = None,
    verdict: Annotated[str | None, typer.Option(help="The verdict the lab supplied (合格, 不合格 …); with no "
                                                     "--value it is the verdict of record")] = None,
    jurisdiction: Annotated[str | None, typer.Option(help="Whose limits judge the value, e.g. CN (default: "
                                                          "AGRITRACE_JURISDICTION)")] = None,
) -> None:
    """Explain one verdict: standard, limit, unit, source and why it passed or failed."""
    from agritrace import db
    from agritrace.reference import ReferenceData, explain

    with db.connect() as conn:
        reference = ReferenceData.from_database(conn)
    try:
        typer.echo(explain(reference, product, analyte, value, unit=unit, standard=standard, lod=lod,
                           supplied_verdict=verdict, jurisdiction=jurisdiction))
    except ValueError as exc:  # an unknown name, or an item with neither a value nor a verdict
        fail(str(exc))


@app.command()
def bench(
    rows: Annotated[int, typer.Option(help="Inspection results at scale 1 (as many certificates, a tenth as many batches)")] = 1_000_000,
    scales: Annotated[str, typer.Option(help="Comma-separated multiples of --rows")] = "0.1,1,3",
    out: Annotated[Path, typer.Option(help="Folder for benchmarks.md and benchmarks.json")] = Path("docs"),
) -> None:
    """Measure ingest, GX, marts and trace lookups at several sizes in a database of their own."""
    from agritrace.bench import run_bench

    result = run_bench(rows=rows, scales=tuple(float(s) for s in scales.split(",")), out_dir=out, echo=typer.echo)
    for name, target in result["targets"].items():
        typer.echo(f"{name:24} {'met' if target['met'] else 'NOT met' if target['met'] is False else 'not measured'}")
    typer.echo(f"wrote {out / 'benchmarks.md'} and {out / 'benchmarks.json'}")


@app.command()
def demo(
    fresh: Annotated[bool, typer.Option(help="Start from an empty warehouse and landing folder")] = True,
) -> None:
    """Generate the demo set, run every DAG on it with `dag.test()`, and print what each produced."""
    from agritrace.demo import run_demo

    code = run_demo(fresh=fresh, echo=typer.echo)
    raise typer.Exit(code)
