"""The data dictionary of the marts, generated from the database's own comments.

The descriptions are written once, as ``COMMENT ON`` in ``sql/marts/*.sql``; this module reads
them back from ``pg_description`` so the document cannot drift from what analysts query.
Regenerate ``docs/data_dictionary.md`` with ``python -m agritrace.marts.dictionary`` (it
creates any missing mart in the configured warehouse first).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg

from agritrace.config import PROJECT_ROOT

DICTIONARY_PATH = PROJECT_ROOT / "docs" / "data_dictionary.md"
_KINDS = {"m": "materialized view", "v": "view", "r": "table", "p": "table"}


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Relation:
    schema: str
    name: str
    kind: str
    description: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...]


@dataclass(frozen=True)
class Function:
    signature: str
    returns: str
    description: str


def read_relations(conn: psycopg.Connection, schema: str = "mart") -> list[Relation]:
    """Every table and view of ``schema`` with its columns, types, comments and unique key."""
    relations = conn.execute(
        """
        select c.oid, c.relname, c.relkind, coalesce(obj_description(c.oid, 'pg_class'), '')
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = %s and c.relkind in ('r', 'p', 'v', 'm')
        order by c.relname
        """,
        (schema,),
    ).fetchall()
    result = []
    for oid, name, kind, description in relations:
        columns = conn.execute(
            """
            select a.attname, format_type(a.atttypid, a.atttypmod), coalesce(col_description(a.attrelid, a.attnum), '')
            from pg_attribute a
            where a.attrelid = %s and a.attnum > 0 and not a.attisdropped
            order by a.attnum
            """,
            (oid,),
        ).fetchall()
        key = conn.execute(
            """
            select array(select a.attname from unnest(i.indkey) with ordinality k(attnum, pos)
                         join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
                         order by k.pos)
            from pg_index i where i.indrelid = %s and i.indisunique
            order by i.indisprimary desc, i.indexrelid limit 1
            """,
            (oid,),
        ).fetchone()
        result.append(
            Relation(
                schema, name, _KINDS[kind], description,
                tuple(Column(*c) for c in columns), tuple(key[0]) if key else (),
            )
        )
    return result


def read_functions(conn: psycopg.Connection, schema: str = "mart") -> list[Function]:
    rows = conn.execute(
        """
        select p.proname || '(' || pg_get_function_arguments(p.oid) || ')',
               pg_get_function_result(p.oid), coalesce(obj_description(p.oid, 'pg_proc'), '')
        from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = %s
        order by 1
        """,
        (schema,),
    ).fetchall()
    return [Function(*row) for row in rows]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ") or "**(no comment)**"


def render_dictionary(relations: list[Relation], functions: list[Function], schema: str = "mart") -> str:
    """Markdown for the relations and functions (pure)."""
    lines = [
        f"# Data dictionary: schema `{schema}`",
        "",
        "Generated from the database comments (`COMMENT ON` in `sql/marts/*.sql`) by",
        "`agritrace.marts.dictionary`; do not edit by hand. Analysts (role `agritrace_analyst`) may",
        f"read every relation below and nothing outside schema `{schema}` and `ref`.",
        "",
        "The marts are views, one per file in `sql/marts/`, created by `agritrace.marts.refresh`. They",
        "read daily summaries (schema `summary`) that each refresh brings up to date for the days loaded",
        "since the last one, in one transaction: reads never wait and see the previous figures until then.",
        "",
        "Totals: every mart holds facts at its own grain, so its counts sum freely in a BI tool or a pivot",
        "table. The totals the reports read (over every task type, every product, the county) are separate",
        "views named `<mart>_totals`, with the same columns: a column whose description says **ROLL-UP FLAG**",
        "holds the literal `'all'` on the rows that total over it. Filter those views; never sum their rows",
        "with each other or with the detail. The marts page's CSV and XLSX downloads leave its total rows out",
        "unless asked for (`rollups=true`).",
        "",
        "## Contents",
        "",
    ]
    lines += [f"- [`{schema}.{r.name}`](#{schema}{r.name}) — {r.kind}" for r in relations]
    if functions:
        lines.append("- [Functions](#functions)")
    for relation in relations:
        lines += [
            "",
            f"## `{schema}.{relation.name}`",
            "",
            f"*{relation.kind}*" + (f" · unique key: `{', '.join(relation.unique_key)}`" if relation.unique_key else ""),
            "",
            _cell(relation.description),
            "",
            "| Column | Type | Description |",
            "|---|---|---|",
        ]
        lines += [f"| `{c.name}` | {c.type} | {_cell(c.description)} |" for c in relation.columns]
    if functions:
        lines += ["", "## Functions", "", "| Function | Returns | Description |", "|---|---|---|"]
        lines += [f"| `{f.signature}` | {f.returns} | {_cell(f.description)} |" for f in functions]
    return "\n".join(lines) + "\n"


def data_dictionary(conn: psycopg.Connection, schema: str = "mart") -> str:
    """The markdown data dictionary of ``schema``, read from the database."""
    return render_dictionary(read_relations(conn, schema), read_functions(conn, schema), schema)


def write_data_dictionary(conn: psycopg.Connection, path: Path = DICTIONARY_PATH) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data_dictionary(conn), encoding="utf-8")
    return path


def undocumented_columns(conn: psycopg.Connection, schema: str = "mart") -> list[str]:
    """``relation.column`` names (and bare relation names) without a comment; should be empty."""
    missing = []
    for relation in read_relations(conn, schema):
        if not relation.description:
            missing.append(relation.name)
        missing += [f"{relation.name}.{c.name}" for c in relation.columns if not c.description]
    return missing


if __name__ == "__main__":
    from agritrace import db
    from agritrace.marts.refresh import create_marts

    with db.connect() as connection:
        create_marts(connection)
        print(write_data_dictionary(connection))
