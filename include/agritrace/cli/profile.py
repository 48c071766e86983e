"""`agritrace profile …`: trying a source profile on a file before it is landed."""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Annotated

import typer

from agritrace.cli.base import FEEDS_HELP, FeedName, app, fail

profile_app = typer.Typer(help="Source profiles: which one reads a file, and what a load of it would do.",
                          no_args_is_help=True)
app.add_typer(profile_app, name="profile")


@profile_app.command("check")
def profile_check(
    file: Annotated[Path, typer.Argument(help="The export to try (it is not moved)")],
    feed: Annotated[FeedName | None, typer.Option(help=f"The feed folder it would land in ({FEEDS_HELP}); "
                                                       "default: the folder it is in, else the profile's first feed")] = None,
    profile: Annotated[str | None, typer.Option(help="Say whether this profile is the one that reads the file")] = None,
    rows: Annotated[int, typer.Option(help="How many stored rows to show per feed")] = 5,
) -> None:
    """Which profile reads FILE and why, its column mapping, the first rows as they would be stored
    (items exploded), and the rows that would load and be quarantined, by reason.

    The counts come from the real load of the file run inside a transaction that is rolled back:
    nothing is written and the file stays where it is.
    """
    from agritrace.contracts import LOAD_ORDER
    from agritrace.ingest import FileRejected, load_profiles
    from agritrace.ingest.profiles import find_profile
    from agritrace.ingest.sources import open_source
    from agritrace.ingest.text import match_key
    from agritrace.pipeline import dry_run_file

    if not file.is_file():
        fail(f"{file} is not a file; give the path of the export to check")
    profiles = load_profiles()
    try:
        named = find_profile(profiles, profile)
    except KeyError as exc:
        fail(f"{exc.args[0]} (profiles: {', '.join(p.name for p in profiles) or 'none'})")
    folder = file.parent.name
    feed_name = feed.value if feed else folder if folder in LOAD_ORDER else None

    typer.echo(f"{file.name}")
    matching = []
    for candidate in profiles:
        reasons, ok = [], True
        if candidate.match.filename_glob:
            hit = fnmatch.fnmatch(file.name.casefold(), candidate.match.filename_glob.casefold())
            reasons.append(f"file name {'matches' if hit else 'does not match'} {candidate.match.filename_glob!r}")
            ok &= hit
        try:
            headers = open_source(file, candidate.read_options).headers
        except FileRejected as exc:
            reasons.append(exc.reason)
            headers, ok = [], False
        present = {match_key(h) for h in headers}
        missing = [h for h in candidate.match.headers_all if match_key(h) not in present]
        if candidate.match.headers_all:
            reasons.append(f"headers missing: {', '.join(missing)}" if missing
                           else f"headers present: {', '.join(candidate.match.headers_all)}")
            ok &= not missing and bool(headers)
        if feed_name and feed_name not in candidate.feeds:
            reasons.append(f"does not read feed {feed_name}")
            ok = False
        typer.echo(f"  profile {candidate.name}: {'MATCHES' if ok else 'no'} ({'; '.join(reasons)})")
        if ok:
            matching.append(candidate)
    if len(matching) > 1:
        fail(f"{len(matching)} profiles match ({', '.join(p.name for p in matching)}): a load would reject the "
             "file; narrow their match rules so exactly one does")
    chosen = matching[0] if matching else None
    if named is not None and chosen is not named:
        fail(f"profile {named.name!r} does not read this file"
             + (f" ({chosen.name!r} does)" if chosen else "; see the reasons above"))
    if feed_name is None:
        if chosen is None:
            fail("no profile matches and the file is not in a feed folder: give --feed to check it against the "
                 "contract's own headers")
        feed_name = next(name for name in LOAD_ORDER if name in chosen.feeds)
    typer.echo(f"  read as feed folder {feed_name}" + (f" with profile {chosen.name}" if chosen else
                                                       " with the contract's headers (no profile)"))
    _mapping(file, feed_name, profiles, chosen)

    result = dry_run_file(file, feed_name, sample_rows=rows)
    for outcome in result.outcomes:
        typer.echo(f"\n{outcome.feed}: {outcome.status}: {outcome.rows_in} rows in, {outcome.rows_loaded} would load, "
                   f"{outcome.rows_quarantined} would be quarantined" + (f" — {outcome.message}" if outcome.message else ""))
        for reason, count in outcome.top_reasons.items():
            typer.echo(f"  quarantined {reason}: {count}")
        if outcome.feed in result.stored:
            columns, stored = result.stored[outcome.feed]
            typer.echo(f"  first rows as stored ({', '.join(columns)}):")
            for row in stored:
                typer.echo("    " + " | ".join("" if v is None else str(v) for v in row))
    typer.echo("\nnothing was written; the file was not moved")


def _mapping(file: Path, feed_name: str, profiles, chosen) -> None:
    """Source header → canonical column, per feed the file carries (from its first chunk), and what
    the profile derives: key templates, constants and the cell it explodes into items."""
    from agritrace.ingest import FileRejected, iter_feed_file

    seen: set[str] = set()
    try:
        for parsed in iter_feed_file(file, feed_name, profiles, chunk_rows=50):
            if parsed.feed in seen:
                break
            seen.add(parsed.feed)
            pairs = ", ".join(f"{header} → {column}" for header, column in parsed.header_map.items())
            typer.echo(f"  {parsed.feed} columns: {pairs or 'none mapped'}")
            mapping = chosen.feeds.get(parsed.feed) if chosen else None
            if mapping is not None:
                derived = [*(f"{c} = {t!r}" for c, t in mapping.key.items()),
                           *(f"{c} = {v!r} (constant)" for c, v in mapping.constants.items())]
                if derived:
                    typer.echo(f"  {parsed.feed} derives: {', '.join(derived)}")
                if mapping.explode:
                    groups = ", ".join(mapping.explode.regex.groupindex)
                    typer.echo(f"  {parsed.feed} items: one row per item of '{mapping.explode.column}' "
                               f"(groups: {groups})")
            if parsed.missing_required:
                typer.echo(f"  {parsed.feed} has no column for required {', '.join(parsed.missing_required)}")
            if parsed.extra_columns:
                typer.echo(f"  {parsed.feed} keeps in the raw record: {', '.join(parsed.extra_columns)}")
    except FileRejected as exc:
        typer.echo(f"  cannot be read: {exc.reason}")
