"""The `agritrace` command: the same functions the DAGs run, for a terminal."""

from __future__ import annotations

import os
import sys
from datetime import date
from enum import Enum
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from typer.core import TyperGroup

from agritrace.contracts import LOAD_ORDER

# Exit status when the database could not be reached or went away (EX_TEMPFAIL: try again later).
EXIT_DATABASE_LOST = 75
# Exit status of a command line that cannot be run as written (click's own convention).
EXIT_USAGE = 2


class _AgritraceGroup(TyperGroup):
    """The top-level command: a database that cannot be reached or goes away mid-work is one line on
    stderr (``agritrace.db.lost_database_message``) and exit status 75, not a driver traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except typer.BadParameter as exc:
            # A wrong value is one line saying what is wrong and where the help is.
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            typer.secho(f"{exc.format_message()} (see `{where} --help`)", fg=typer.colors.RED, err=True)
            raise typer.Exit(EXIT_USAGE) from None
        except Exception as exc:
            from agritrace import db

            if db.database_error(exc) is None:
                raise
            typer.secho(db.lost_database_message(exc), fg=typer.colors.RED, err=True)
            raise typer.Exit(EXIT_DATABASE_LOST) from None


app = typer.Typer(cls=_AgritraceGroup, help="agritrace: traceable agricultural product quality.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
db_app = typer.Typer(help="The warehouse database.", no_args_is_help=True)
marts_app = typer.Typer(help="Analyst marts.", no_args_is_help=True)
quarantine_app = typer.Typer(help="Rows that did not load.", no_args_is_help=True)
airflow_app = typer.Typer(help="Airflow on this machine.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(marts_app, name="marts")
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(airflow_app, name="airflow")


class _TraceGroup(TyperGroup):
    """`agritrace trace KEY` looks a key up; `agritrace trace export …` is the one sub-command."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands:
            args.insert(0, "lookup")
        return super().resolve_command(ctx, args)


trace_app = typer.Typer(cls=_TraceGroup, help="Trace lookups for regulators: `agritrace trace KEY` or "
                        "`agritrace trace export --product 豇豆 --from 2023-01-01 --to 2023-12-31`.",
                        no_args_is_help=True)
app.add_typer(trace_app, name="trace")

FEEDS_HELP = ", ".join(LOAD_ORDER[:-1]) + " or " + LOAD_ORDER[-1]
# Feed names as a choice, so a typo (`certificate`) is refused instead of matching nothing.
FeedName = Enum("FeedName", {name: name for name in LOAD_ORDER}, type=str)


def _fail(message: str) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


# --- db ---------------------------------------------------------------------------------------

@db_app.command("up")
def db_up() -> None:
    """Start the embedded Postgres (unless AGRITRACE_DATABASE_URL is set), migrate, load reference data."""
    from agritrace.bootstrap import bring_up

    report = bring_up()
    for line in report:
        typer.echo(line)


@db_app.command("url")
def db_url() -> None:
    """Print the warehouse's connection URL (for psql, notebooks and BI tools)."""
    from agritrace import db

    typer.echo(db.warehouse_url())


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending migrations from sql/migrations/."""
    from agritrace import db
    from agritrace.migrate import MigrationError, apply_migrations

    try:
        applied = apply_migrations(db.warehouse_url())
    except MigrationError as exc:
        _fail(str(exc))
    typer.echo(f"applied {len(applied)} migration(s)" + "".join(f"\n  {m.path.name}" for m in applied))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded Postgres."""
    from agritrace import db

    typer.echo("stopped" if db.stop_embedded() else "the embedded Postgres was not running")


# --- data -------------------------------------------------------------------------------------

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
    no_gx: Annotated[bool, typer.Option("--no-gx", help="Evaluate the rules without Great Expectations")] = False,
) -> None:
    """Ingest the landing folder (or one file) outside Airflow, with the same code the DAGs run."""
    from agritrace.ingest.landing import landing_files
    from agritrace.pipeline import process_file, replay

    if file and not feed:
        _fail("--file needs --feed to say which feed the file belongs to")
    failed = False
    for name in ([feed.value] if feed else LOAD_ORDER):
        orphans = replay(name, orphans_only=True, requested_by="agritrace ingest")
        if orphans.examined:
            typer.echo(f"[{name}] orphans retried: {orphans.loaded} loaded, {orphans.still_quarantined} still waiting")
        for path in ([file] if file else landing_files(name)):
            for outcome in process_file(path, name, use_gx=not no_gx):
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
) -> None:
    """Explain one verdict: standard, limit, unit, source and why it passed or failed."""
    from agritrace import db
    from agritrace.reference import ReferenceData, explain

    with db.connect() as conn:
        reference = ReferenceData.from_database(conn)
    try:
        typer.echo(explain(reference, product, analyte, value, unit=unit, standard=standard, lod=lod,
                           supplied_verdict=verdict))
    except ValueError as exc:  # an unknown name, or an item with neither a value nor a verdict
        _fail(str(exc))


# --- reference --------------------------------------------------------------------------------

ref_app = typer.Typer(help="Reference limits: how far they can be cited, and re-judging results.",
                      no_args_is_help=True)
app.add_typer(ref_app, name="ref")


@ref_app.command("status")
def ref_status(summary: Annotated[bool, typer.Option("--summary", help="Only the counts")] = False) -> None:
    """Limits verified against a published copy, per standard and product category; why the others are not."""
    from agritrace import db
    from agritrace.reference import ReferenceData
    from agritrace.reference.status import status_report

    with db.connect() as conn:
        reference = ReferenceData.from_database(conn)
    typer.echo(status_report(reference, summary_only=summary))


@ref_app.command("rejudge")
def ref_rejudge(
    since: Annotated[str | None, typer.Option(help="Only batches sampled on or after this date (YYYY-MM-DD)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would change; write nothing")] = False,
) -> None:
    """Re-judge the lab results in core with today's reference; a changed result becomes a new version."""
    from agritrace import db
    from agritrace.reference.rejudge import RejudgeRefused, rejudge

    with db.connect() as conn:
        try:
            outcome = rejudge(conn, since=_date(since), dry_run=dry_run)
        except RejudgeRefused as exc:
            _fail(str(exc))
    typer.echo(outcome.summary())


@ref_app.command("unknown")
def ref_unknown(feed: Annotated[FeedName | None, typer.Option(help=f"Only this feed ({FEEDS_HELP})")] = None) -> None:
    """Analyte and product names held in open quarantine rows, with row counts and likely matches."""
    from agritrace import db
    from agritrace.reference.aliases import unknown_names

    with db.connect() as conn:
        names = unknown_names(conn, feed=feed.value if feed else None)
    if not names:
        typer.echo("no unknown analyte or product names in open quarantine rows")
        return
    for name in names:
        typer.echo(name.line())
    typer.echo("add one with: agritrace ref alias add KIND NAME TARGET, then agritrace quarantine replay FEED")


alias_app = typer.Typer(help="Other names of analytes and products.", no_args_is_help=True)
ref_app.add_typer(alias_app, name="alias")


@alias_app.command("add")
def ref_alias_add(
    kind: Annotated[str, typer.Argument(help="analyte or product")],
    name: Annotated[str, typer.Argument(help="The name as feeds write it")],
    target: Annotated[str, typer.Argument(help="A known code or name it means, e.g. cyromazine or 灭蝇胺")],
) -> None:
    """Make NAME mean the analyte or product TARGET (idempotent); then replay the quarantine."""
    from agritrace import db
    from agritrace.reference.aliases import AliasRefused, add_alias

    with db.connect() as conn:
        try:
            outcome = add_alias(conn, kind, name, target)
        except AliasRefused as exc:
            _fail(str(exc))
    typer.echo(outcome.summary())


# --- quarantine -------------------------------------------------------------------------------

@quarantine_app.command("list")
def quarantine_list(
    feed: Annotated[FeedName | None, typer.Option(help=f"Only this feed ({FEEDS_HELP})")] = None,
    limit: int = 20,
    show_personal: Annotated[bool, typer.Option("--show-personal", help="Show personal data (regulators)")] = False,
) -> None:
    """Open quarantine rows, newest first, with their reasons (phone and ID numbers masked)."""
    from agritrace import db

    # What operators read (migration V010): personal columns masked whole, phone and ID numbers anywhere.
    rows_table, files_table = (("quarantine.rows", "ops.files") if show_personal
                               else ("quarantine.rows_masked", "ops.files_masked"))
    with db.connect() as conn:
        rows = conn.execute(
            f"""select q.quarantine_id, q.feed, f.file_name, q.row_number, q.is_orphan, q.reasons
                  from {rows_table} q join {files_table} f using (file_id)
                 where q.status = 'open' and (%s::text is null or q.feed = %s)
                 order by q.quarantine_id desc limit %s""", (feed and feed.value,) * 2 + (limit,)).fetchall()
    for qid, feed_name, file_name, row_number, orphan, reasons in rows:
        why = "; ".join(f"{r['rule']}({r['column']}={r.get('value')!r})" for r in reasons)
        typer.echo(f"#{qid} {feed_name} {file_name} row {row_number}{' [orphan]' if orphan else ''}: {why}")


@quarantine_app.command("replay")
def quarantine_replay(
    feed: Annotated[FeedName, typer.Argument(help=FEEDS_HELP)],
    ids: Annotated[list[int] | None, typer.Option("--id", help="Quarantine ids (default: every open row)")] = None,
    file_id: int | None = None,
) -> None:
    """Re-validate open quarantine rows after a fix; loads what passes now, leaves the rest."""
    from agritrace.pipeline import replay

    outcome = replay(feed.value, quarantine_ids=ids or None, file_id=file_id,
                     requested_by="agritrace quarantine replay")
    typer.echo(f"[{feed.value}] replayed {outcome.examined}: {outcome.loaded} loaded, "
               f"{outcome.still_quarantined} still quarantined")


@quarantine_app.command("release")
def quarantine_release(file_id: int) -> None:
    """Load a file the gate held, as it is (its failing rows stay quarantined)."""
    from agritrace.pipeline import release_held_file

    try:
        outcomes = release_held_file(file_id)
    except (ValueError, FileNotFoundError) as exc:
        _fail(str(exc))
    for outcome in outcomes:
        typer.echo(outcome.summary())


# --- marts, trace, report -----------------------------------------------------------------------

@marts_app.command("refresh")
def marts_refresh() -> None:
    """Create missing marts and refresh all of them (readers are not blocked)."""
    from agritrace import db
    from agritrace.marts.refresh import create_marts, mart_counts, refresh_marts

    with db.connect(autocommit=True) as conn:
        create_marts(conn)
        timings = refresh_marts(conn)
        counts = mart_counts(conn)
    for name, seconds in timings.items():
        typer.echo(f"{name:32} {counts.get(name, 0):>8,} rows  {seconds:6.2f} s")


@app.command()
def report(year: Annotated[int | None, typer.Option(help="Year to report (default: the latest with data)")] = None,
           out: Annotated[Path | None, typer.Option(help="HTML file to write")] = None) -> None:
    """Write a self-contained HTML report of the year's pass rates, with charts."""
    from agritrace import db
    from agritrace.marts.report import latest_year, write_report

    with db.connect() as conn:
        year = year or latest_year(conn)
        if year is None:
            _fail("the marts hold no sampling results yet: ingest data and run `agritrace marts refresh` first")
        path = out or Path(f"agritrace-report-{year}.html")
        written = write_report(conn, year, path)
    typer.echo(f"wrote {written} ({year})")


@trace_app.command("lookup")
def trace_lookup(
    key: Annotated[str, typer.Argument(help="Certificate, batch, producer, report, lot number or trace code")],
    format: Annotated[str, typer.Option("--format", help="table, json, csv, xlsx, or the recall list as "
                                                       "recall-csv or recall-xlsx")] = "table",
    date_from: Annotated[str | None, typer.Option("--from", help="Window start (YYYY-MM-DD)")] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Window end (YYYY-MM-DD)")] = None,
    recall_days: Annotated[int, typer.Option(help="Recall scope: ± days around a failing sample")] = 7,
    out: Annotated[Path | None, typer.Option(help="File for csv/xlsx (default: standard output for csv)")] = None,
    show_personal: Annotated[bool, typer.Option("--show-personal", help="Show contact data (regulators)")] = False,
) -> None:
    """Trace back and forward from one key (`agritrace trace KEY` is the same as `agritrace trace lookup KEY`)."""
    import csv

    from agritrace import db
    from agritrace.trace.lookup import KeyNotFound, MalformedKey, trace
    from agritrace.trace.render import (
        recall_csv_text,
        render_table,
        to_csv_rows,
        to_json,
        write_recall_xlsx,
        write_xlsx,
    )

    try:
        with db.connect() as conn:
            result = trace(conn, key, from_date=_date(date_from), to_date=_date(date_to), recall_days=recall_days,
                           requested_by=os.environ.get("USER", "cli"), interface="cli",
                           include_personal=show_personal)
    except MalformedKey as exc:
        _fail(f"malformed key: {exc}")
    except ValueError as exc:  # a window the lookup cannot honour (from after to …)
        _fail(str(exc))
    except KeyNotFound:
        _not_a_key(key)
    if format == "table":
        typer.echo(render_table(result))
    elif format == "json":
        typer.echo(to_json(result))
    elif format == "csv":
        handle = out.open("w", newline="", encoding="utf-8-sig") if out else sys.stdout
        csv.writer(handle).writerows(to_csv_rows(result, bilingual=True))
        if out:
            handle.close()
            typer.echo(f"wrote {out}")
    elif format == "xlsx":
        target = out or Path(f"trace-{key}.xlsx")
        write_xlsx(result, target)
        typer.echo(f"wrote {target}")
    elif format == "recall-csv":
        if out:
            out.write_text(recall_csv_text(result), encoding="utf-8-sig", newline="")
            typer.echo(f"wrote {out}")
        else:
            sys.stdout.write(recall_csv_text(result))
    elif format == "recall-xlsx":
        target = out or Path(f"recall-{key}.xlsx")
        write_recall_xlsx(result, target)
        typer.echo(f"wrote {target}")
    else:
        _fail(f"--format must be table, json, csv, xlsx, recall-csv or recall-xlsx, not {format!r}")


def _not_a_key(query: str) -> NoReturn:
    """A query that names no record may be a name: list the producers and products it finds, as the page does."""
    from agritrace import db
    from agritrace.trace.lookup import search

    with db.connect() as conn:
        hits = search(conn, query, requested_by=os.environ.get("USER", "cli"), interface="cli")
    if not hits.found:
        _fail(f"{query}: not found as a certificate, batch, producer, report, lot number or trace code, "
              "nor in any producer or product name")
    typer.echo(f"{query} is no key; names containing it (trace one with `agritrace trace KEY`):")
    for p in hits.producers:
        typer.echo(f"  producer  {p.producer_id}  {p.producer_name}  {p.place}".rstrip())
    for product in hits.products:
        typer.echo(f"  product   {product.product_name}  (agritrace trace export --product {product.product_name} "
                   "--from … --to …)")
    raise typer.Exit(0)


@trace_app.command("export")
def trace_export(
    product: Annotated[str, typer.Option(help="Product name, e.g. 豇豆")],
    date_from: Annotated[str, typer.Option("--from", help="First day (YYYY-MM-DD)")],
    date_to: Annotated[str, typer.Option("--to", help="Last day (YYYY-MM-DD)")],
    format: Annotated[str, typer.Option("--format", help="csv, xlsx or epcis")] = "xlsx",
    out: Annotated[Path | None, typer.Option(help="File to write")] = None,
) -> None:
    """Every traceability event for a product and date range, one row per event (sortable), or EPCIS 2.0."""
    import json

    from agritrace import db
    from agritrace.trace.epcis import to_epcis
    from agritrace.trace.export import events_for_product, product_of_reference, write_events_csv, write_events_xlsx

    suffix = {"csv": "csv", "xlsx": "xlsx", "epcis": "jsonld"}.get(format)
    if suffix is None:
        _fail(f"--format must be csv, xlsx or epcis, not {format!r}")
    try:
        with db.connect() as conn:
            resolved = product_of_reference(conn, product)
            events = events_for_product(conn, resolved.code if resolved else product, _date(date_from),
                                        _date(date_to), requested_by=os.environ.get("USER", "cli"), interface="cli")
    except ValueError as exc:
        _fail(str(exc))
    if resolved and resolved.name_zh != product:
        typer.echo(f"{product} is {resolved.name_zh} ({resolved.code}) in the product reference")
    if not events:
        _fail(f"no traceability event for {product} between {date_from} and {date_to}: check the name "
              "(`agritrace trace NAME` searches names) or the dates; nothing written")
    target = out or Path(f"trace-{product}-{date_from}-{date_to}.{suffix}")
    if format == "csv":
        write_events_csv(events, target)
    elif format == "xlsx":
        write_events_xlsx(events, target)
    else:
        target.write_text(json.dumps(to_epcis(events), ensure_ascii=False, indent=2), encoding="utf-8")
    typer.echo(f"{len(events)} events → {target}")


def _date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        _fail(f"{text!r} is not a date; use YYYY-MM-DD")


# --- airflow ----------------------------------------------------------------------------------

@airflow_app.command("env")
def airflow_env_cmd() -> None:
    """Print the Airflow environment as shell exports (eval "$(agritrace airflow env)")."""
    import shlex

    from agritrace.airflow_local import airflow_env

    for key, value in airflow_env().items():
        typer.echo(f"export {key}={shlex.quote(value)}")


@airflow_app.command("run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                                              "help_option_names": []})
def airflow_run(ctx: typer.Context) -> None:
    """Run any airflow command with agritrace's configuration, e.g. `agritrace airflow run dags list`."""
    from agritrace.airflow_local import run_airflow

    raise typer.Exit(run_airflow(list(ctx.args), check=False).returncode)


@airflow_app.command("up")
def airflow_up(
    demo_data: Annotated[bool, typer.Option(help="Land the demo set for the scheduled DAGs to pick up")] = True,
) -> None:
    """Start api-server, scheduler, dag-processor and triggerer on this machine."""
    from agritrace.airflow_local import (
        LOCAL_PORT,
        LOCAL_USER,
        land_demo_data,
        start_stack,
        unpause_scheduled_dags,
        wait_until_ready,
    )
    from agritrace.bootstrap import bring_up

    for line in bring_up():
        typer.echo(line)
    if demo_data:
        typer.echo(land_demo_data())
    pids = start_stack()
    typer.echo("started " + ", ".join(f"{k} (pid {v})" for k, v in pids.items()))
    ready = wait_until_ready()
    unpause_scheduled_dags()
    typer.echo(f"Airflow UI: http://localhost:{LOCAL_PORT}  (log in as {LOCAL_USER} / admin)"
               + ("" if ready else "  — still starting; give it a minute"))
    typer.echo(f"agritrace pages: http://localhost:{LOCAL_PORT}/agritrace/ui/quality · /agritrace/ui/trace · "
               "/agritrace/ui/marts")
    typer.echo("stop with: make airflow-stop")


@airflow_app.command("stop")
def airflow_stop() -> None:
    """Stop what `agritrace airflow up` started."""
    from agritrace.airflow_local import stop_stack

    stopped = stop_stack()
    typer.echo("stopped " + ", ".join(stopped) if stopped else "nothing was running")


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


if __name__ == "__main__":
    sys.exit(app())
