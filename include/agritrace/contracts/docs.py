"""The data contract as Markdown, generated from the feed definitions (never written twice).

``python -m agritrace.contracts.docs`` rewrites ``docs/data_contract.md``; a test fails when the
file and the contracts disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from agritrace.config import PROJECT_ROOT, SETTINGS
from agritrace.contracts import FEEDS, Field

DOC_PATH = PROJECT_ROOT / "docs" / "data_contract.md"

INTRO = """# Data contract

What agritrace accepts in `landing/<feed>/`, column by column. Generated from
`include/agritrace/contracts/` by `python -m agritrace.contracts.docs`; the same definitions drive
header matching, value normalisation, the Great Expectations suites and the demo data generator.

- Formats: CSV (UTF-8, UTF-8 with BOM, GBK / GB18030; delimiter sniffed), XLSX and OpenDocument .ods (first sheet, or the sheets a source profile names), JSON Lines.
  A file that decodes in none of the encodings is rejected with that reason.
- A file is known by its content hash: the same content twice is processed once; a corrected
  re-delivery (same keys, new content) updates rows.
- Headers: the canonical name or any alias below, ignoring case, surrounding spaces, full-/half-width
  and a BOM. Other platforms' exports are mapped by source profiles (`profiles/`).
- Every row ends loaded or in `quarantine.rows` with each failing rule, column and raw value; per file
  `rows_in = rows_loaded + rows_quarantined`. A file with more than `AGRITRACE_GATE_SHARE` (20%)
  failing rows is held whole.
- Rows whose parent (producer, batch) has not arrived wait in quarantine as orphans and load when it does.
"""


def _rules(field: Field) -> str:
    rules = []
    if field.required:
        rules.append("required")
    if field.unique:
        rules.append("unique in the file")
    if field.min_value is not None:
        rules.append(f"{'>' if field.min_exclusive else '≥'} {field.min_value:g}")
    if field.max_value is not None:
        rules.append(f"≤ {field.max_value:g}")
    if field.not_future:
        rules.append("not in the future")
    if field.not_before:
        rules.append(f"not before {field.not_before}")
    if field.pattern:
        rules.append(f"matches `{field.pattern}`")
    if field.check == "producer_code":
        rules.append("credit code check character (GB 32100-2015) or HH-<region>-<serial>")
    if field.references:
        rules.append(f"must exist in {field.references[0]}.{field.references[1]} (else orphan)")
    if field.personal:
        rules.append("personal data: masked outside the regulator role")
    return "; ".join(rules)


def _values(field: Field) -> str:
    if not field.vocabulary:
        return ""
    return "<br>".join(f"`{value}` {' / '.join(words)}".strip() for value, words in field.vocabulary.items())


def render() -> str:
    parts = [INTRO]
    for feed in FEEDS.values():
        parts.append(f"\n## {feed.name} — {feed.title_zh} ({feed.title_en})\n\n{feed.description}\n")
        parts.append(f"Key in the file: {', '.join(feed.key)} · loads into `{feed.core_table}`, "
                     f"one current row per ({', '.join(feed.core_key)})\n")
        parts.append("| column | headers accepted | type | rules | values |\n| --- | --- | --- | --- | --- |")
        for field in feed.fields:
            headers = " / ".join(field.aliases)
            parts.append(f"| `{field.name}` | {headers} | {field.type} | {_rules(field)} | {_values(field)} |")
        parts.append("")
    parts.append("\n## Settings\n\nEvery environment variable agritrace reads (`include/agritrace/config.py`, "
                 "`SETTINGS`); all are optional.\n")
    parts.append("| setting | meaning | default |\n| --- | --- | --- |")
    parts.extend(f"| `{s.name}` | {s.meaning} | {s.documented_default} |" for s in SETTINGS)
    parts.append("")
    return "\n".join(parts)


def write(path: Path = DOC_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render(), encoding="utf-8")
    return path


if __name__ == "__main__":
    sys.stdout.write(f"wrote {write()}\n")
