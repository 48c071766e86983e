"""The command line's documented error cases: one line on stderr saying what to do, a non-zero exit.

Each case is what an operator, analyst or regulator types by mistake: a feed name with a typo, a
window whose start is after its end, a date in another form, a product nobody delivered.
"""

from __future__ import annotations

import pytest
from agritrace.bootstrap import bring_up
from agritrace.cli import EXIT_USAGE, app
from typer.testing import CliRunner


@pytest.fixture
def ready(warehouse: str) -> str:
    bring_up(warehouse)
    return warehouse


@pytest.mark.parametrize("args, code, says", [
    (["quarantine", "list", "--feed", "certificate"], EXIT_USAGE, "'certificate' is not one of"),
    (["quarantine", "replay", "certificate"], EXIT_USAGE, "'certificate' is not one of"),
    (["ingest", "--feed", "result"], EXIT_USAGE, "'result' is not one of"),
    (["trace", "HGZ-1", "--from", "2024-02-01", "--to", "2024-01-01"], 1, "after to date"),
    (["trace", "HGZ-1", "--from", "1/2/2024"], 1, "use YYYY-MM-DD"),
    (["trace", "export", "--product", "豇豆", "--from", "2024-02-01", "--to", "2024-01-01"], 1, "after to date"),
    (["trace", "export", "--product", "没有这种菜", "--from", "2024-01-01", "--to", "2024-12-31"], 1,
     "no traceability event"),
    (["trace", "HGZ-DOES-NOT-EXIST"], 1, "not found"),
    (["explain-verdict", "--product", "豇豆", "--analyte", "灭蝇胺"], 1, "needs a value"),
    (["explain-verdict", "--product", "豇豆", "--analyte", "没有这种药", "--value", "0.1"], 1, "analyte"),
], ids=["feed_typo_option", "feed_typo_argument", "ingest_feed_typo", "trace_window", "trace_date_form",
        "export_window", "export_nothing", "trace_unknown_key", "explain_nothing_to_judge",
        "explain_unknown_analyte"])
def test_a_mistyped_command_is_one_line_and_fails(ready: str, args: list[str], code: int, says: str,
                                                  tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == code, result.output
    [line] = result.stderr.strip().splitlines()
    assert says in line
    assert "Traceback" not in result.output


def test_export_resolves_a_product_alias_and_says_so(ready: str, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["trace", "export", "--product", "西红柿", "--from", "2024-01-01",
                                      "--to", "2024-12-31"])
    # An empty warehouse has no event, but the alias was understood before that was said.
    assert "西红柿 is 番茄" in result.stdout
    assert result.exit_code == 1 and "no traceability event" in result.stderr


def test_trace_help_shows_the_lookup_form() -> None:
    result = CliRunner().invoke(app, ["trace", "--help"])
    assert "lookup" in result.stdout and "agritrace trace KEY" in result.stdout


def test_report_defaults_to_the_latest_year_with_data(ready: str) -> None:
    result = CliRunner().invoke(app, ["report"])
    # Nothing loaded: it says so instead of writing an empty report for the current year.
    assert result.exit_code == 1 and "no sampling results yet" in result.stderr


def test_explain_verdict_explains_a_supplied_verdict(ready: str) -> None:
    result = CliRunner().invoke(app, ["explain-verdict", "--product", "豇豆", "--analyte", "灭蝇胺", "--verdict", "不合格"])
    assert result.exit_code == 0 and "SUPPLIED" in result.stdout and "FAIL" in result.stdout


def test_trace_by_a_name_lists_the_producers_it_finds(ready: str, landing) -> None:
    from agritrace.pipeline import process_file
    from warehouse_helpers import PRODUCER_COLUMNS, producer_row, uscc, write_csv

    path = write_csv(landing / "producers" / "p.csv", PRODUCER_COLUMNS, [producer_row(uscc(7), name="盛达果蔬合作社")])
    process_file(path, "producers", url=ready)
    result = CliRunner().invoke(app, ["trace", "盛达"])
    assert result.exit_code == 0, result.output
    assert "盛达果蔬合作社" in result.stdout and uscc(7) in result.stdout


def test_generate_writes_beside_the_landing_folder_unless_told_to_land(tmp_path, monkeypatch) -> None:
    home, landing = tmp_path / "home", tmp_path / "landing"
    monkeypatch.setenv("AGRITRACE_HOME", str(home))
    monkeypatch.setenv("AGRITRACE_LANDING_DIR", str(landing))
    result = CliRunner().invoke(app, ["generate", "--scale", "50"])
    assert result.exit_code == 0, result.output
    assert any((home / "generated").rglob("*.csv")) and not landing.exists()
    assert "--land" in result.stdout
    assert CliRunner().invoke(app, ["generate", "--scale", "50", "--land"]).exit_code == 0
    assert any(landing.rglob("*.csv"))
