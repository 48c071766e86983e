"""Every command the DAGs' documentation tells an operator to run parses with the real command line.

The commands are read back from the rendered ``doc_md`` (not from ``agritrace.triage``), so a command
written out by hand in a docstring is checked too. ``airflow …`` goes through Airflow's own argument
parser, ``agritrace …`` through the click command Typer builds from ``agritrace.cli.app``; a DAG id,
a DAG's run conf and a feed name named in a command must exist.
"""

from __future__ import annotations

import copy
import json
import re
import shlex

import pytest
import typer
from agritrace import triage
from agritrace.config import DAGS_DIR
from agritrace.contracts import FEEDS, LOAD_ORDER
from agritrace.dag_support import DAG_IDS
from typer.core import TyperGroup

# What an operator would type for each placeholder.
EXAMPLES = {triage.START: "2026-03-01", triage.END: "2026-03-03", triage.FILE_ID: "42", triage.FEED: "inspection_results"}
PLACEHOLDER = re.compile(r"\b(" + "|".join(map(re.escape, triage.PLACEHOLDERS)) + r")\b")
# A command in the docs is a code span that starts with the program's name.
CODE_SPAN = re.compile(r"`((?:airflow|agritrace) [^`]+)`")


@pytest.fixture(scope="module")
def dags():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    assert bag.import_errors == {}
    return bag.dags


def commands_in(doc: str) -> list[list[str]]:
    return [[PLACEHOLDER.sub(lambda m: EXAMPLES[m.group(1)], word) for word in shlex.split(span)]
            for span in CODE_SPAN.findall(" ".join(doc.split()))]


def all_commands(dags) -> list[tuple[str, list[str]]]:
    return [(dag_id, args) for dag_id in DAG_IDS for args in commands_in(dags[dag_id].doc_md)]


def parse_airflow(args: list[str]):
    from airflow.cli.cli_parser import get_parser

    try:
        return get_parser().parse_args(args)
    except SystemExit as exc:
        raise AssertionError(f"`airflow {shlex.join(args)}` does not parse (exit {exc.code})") from None


def parse_agritrace(args: list[str]):
    """Resolve ``agritrace ARGS`` down to its leaf command and parse that command's arguments.

    Returns the command and its context (``ctx.params`` holds the parsed values). Typer builds the
    command tree with its own copy of click; its exceptions derive from ``typer.TyperException``.
    """
    from agritrace.cli import app

    command, name, rest, ctx = typer.main.get_command(app), "agritrace", list(args), None
    try:
        while isinstance(command, TyperGroup):
            # The docs pass no group options: the next word names the sub-command.
            ctx = command.context_class(command, info_name=name, parent=ctx)
            name, command, rest = command.resolve_command(ctx, list(rest))
            assert command is not None, f"`agritrace {shlex.join(args)}` names no command"
        ctx = command.make_context(name, rest, parent=ctx)
    except typer.TyperException as exc:
        raise AssertionError(f"`agritrace {shlex.join(args)}` does not parse: {exc}") from None
    return command, ctx


def test_the_docs_print_commands(dags):
    programs = {args[0] for _, args in all_commands(dags)}
    assert programs == {"airflow", "agritrace"}
    for feed in LOAD_ORDER:
        assert [args for _, args in all_commands(dags) if args[:3] == ["airflow", "backfill", "create"]
                and f"ingest_{feed}" in args], f"no backfill command for ingest_{feed}"


def test_every_airflow_command_in_the_docs_parses(dags):
    for dag_id, args in all_commands(dags):
        if args[0] != "airflow":
            continue
        namespace = parse_airflow(args[1:])
        named = getattr(namespace, "dag_id", None)
        assert named is None or named in dags, f"{dag_id} docs name DAG {named!r}, which does not exist"
        if getattr(namespace, "conf", None):
            conf = json.loads(namespace.conf)
            params = dags[named].params
            assert set(conf) <= set(params), f"{dag_id} docs pass {set(conf) - set(params)} to {named}"
            merged = copy.deepcopy(params)
            merged.update(conf)
            merged.validate()


def test_every_agritrace_command_in_the_docs_parses(dags):
    for _, args in all_commands(dags):
        if args[0] != "agritrace":
            continue
        command, ctx = parse_agritrace(args[1:])
        assert command.callback is not None
        feed = ctx.params.get("feed")
        assert feed is None or feed in FEEDS, f"`agritrace {shlex.join(args[1:])}` names an unknown feed {feed!r}"


def test_a_wrong_command_fails_the_parsers():
    # The checks above would catch the guidance this project once printed.
    with pytest.raises(AssertionError):
        parse_airflow(["dags", "backfill", "ingest_producers", "-s", "2026-03-01", "-e", "2026-03-03"])
    with pytest.raises(AssertionError):
        parse_agritrace(["quarantine", "replay", "--feed", "producers"])
    with pytest.raises(AssertionError):
        parse_agritrace(["quarantine", "release"])


def test_every_command_triage_builds_parses(dags):
    # What the pages and messages may print besides the DAG docs.
    built = [triage.REFRESH_MARTS, triage.RECODE_PRODUCTS, triage.REJUDGE, triage.REPLAY_FEED, triage.TRIGGER_MARTS,
             triage.quarantine_release(7)]
    for feed in LOAD_ORDER:
        built += [triage.quarantine_list(feed), triage.quarantine_replay(feed), triage.ingest_backfill(feed)]
    for text in built:
        [args] = commands_in(f"`{text}`")
        if args[0] == "airflow":
            assert getattr(parse_airflow(args[1:]), "dag_id", None) in dags
        else:
            parse_agritrace(args[1:])


def test_the_docs_name_each_feeds_core_key(dags):
    for feed in LOAD_ORDER:
        doc = dags[f"ingest_{feed}"].doc_md
        assert f"upsert by `{', '.join(FEEDS[feed].core_key)}`" in doc
    assert "batch_no, analyte_code, test_kind" in dags["ingest_inspection_results"].doc_md


def test_the_orphan_wording_names_the_dag_that_retries_them(dags):
    assert "retry_orphans" in triage.ORPHANS_RETRIED_BY and "retry_orphans" in dags
    assert "replay_quarantine" not in triage.ORPHANS_RETRIED_BY
