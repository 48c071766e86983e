"""The set-based batch verdict (load.core.update_batch_verdicts) agrees with reference.judge_batch."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import psycopg
from agritrace.load.core import update_batch_verdicts
from agritrace.reference import ReferenceData, judge_batch, load_reference
from psycopg import sql

VERDICTS = ("pass", "fail", "positive_unconfirmed", "inconclusive")


def test_every_combination_of_items_gets_the_verdict_judge_batch_gives(warehouse):
    with psycopg.connect(warehouse) as conn:
        load_reference(conn)
        reference = ReferenceData.from_database(conn)
        member, klass = conn.execute(
            "select code, class_code from ref.analytes where class_code is not null order by code limit 1").fetchone()
        other = conn.execute("select code from ref.analytes where code not in (%s, %s) and class_code is null "
                             "order by code limit 1", (member, klass)).fetchone()[0]
        file_id = conn.execute("insert into ops.files (feed, sha256, file_name, size_bytes, status) values "
                               "('inspection_results', 'v', 'v.csv', 1, 'loaded') returning file_id").fetchone()[0]
        # Items: (analyte, test kind, verdict). A rapid positive on the class, lab results on the class
        # itself, on a member of the class, or on an unrelated analyte.
        kinds = [(klass, "rapid", v) for v in VERDICTS] + [
            (a, "lab", v) for a in (klass, member, other) for v in VERDICTS]
        cases = [combo for size in (1, 2) for combo in itertools.combinations(kinds, size)
                 if len({(a, t) for a, t, _ in combo}) == size]
        expected = {}
        for n, items in enumerate(cases):
            batch_no = f"V{n}"
            conn.execute("insert into core.sampling_batches (batch_no, task_type, sampling_level, sampling_stage, "
                         "product_name, sampling_date, file_id) values (%s, 'routine_monitoring', 'district', "
                         "'farmers_market', '豇豆', '2024-05-01', %s)", (batch_no, file_id))
            for analyte, test_kind, verdict in items:
                conn.execute("insert into core.inspection_results (batch_no, analyte_code, test_kind, analyte_name, "
                             "is_nondetect, verdict, verdict_reason, file_id) values (%s, %s, %s, %s, true, %s, "
                             "'drawn', %s)", (batch_no, analyte, test_kind, analyte, verdict, file_id))
            expected[batch_no] = judge_batch(
                [SimpleNamespace(analyte_code=a, test_kind=t, verdict=v) for a, t, v in items], ref=reference)
        conn.execute("create temp table staged as select distinct batch_no from core.inspection_results")
        update_batch_verdicts(conn, sql.Identifier("staged"), reference)
        got = dict(conn.execute("select batch_no, batch_verdict from core.sampling_batches where batch_no like 'V%%'"))
    assert len(got) == len(cases) > 100
    assert got == expected
