"""A small warehouse for the trace tests: two producers, their certificates, and a failing batch.

Shared by the ``test_trace_*`` modules (imported; it holds no tests). The story:

- 茂南区绿源蔬菜专业合作社 (CO-1, a cooperative) issues certificates for 豇豆 (cowpea) around 2024-06-10;
  batch B-FAIL sampled on 2024-06-10 from certificate HGZ-001 fails on carbofuran (克百威).
- 李四 (HH-2, a household) has a passing 豇豆 batch and, on 2024-06-20, a carbofuran failure of its own:
  the "other producers' failures of the same product and analyte".
- HGZ-003's trace code equals a lot number elsewhere (LOT-DUP), to exercise ambiguous keys.
"""

from __future__ import annotations

from datetime import date

import psycopg
from agritrace.trace.install import install_trace_functions

CO = "91440902MA4UABCD1X"
HH = "HH-440902-000002"

PRODUCERS = [
    (CO, "茂南区绿源蔬菜专业合作社", "cooperative", "440902", "新坡镇", "文山村", "G-07", "13812345678"),
    (HH, "李四", "household", "440902", "金塘镇", "曹江村", "G-11", "13900001111"),
]

# certificate_no, producer, product, quantity, unit, quantity_kg, lot_no, trace_code, buyer, issue_date
CERTIFICATES = [
    ("HGZ-001", CO, "豇豆", 500, "kg", 500, "LOT-0610", "TC-0001", "茂名市农产品批发市场", date(2024, 6, 8)),
    ("HGZ-002", CO, "豇豆", 300, "kg", 300, "LOT-0612", "TC-0002", '=HYPERLINK("http://x")', date(2024, 6, 12)),
    ("HGZ-003", CO, "豇豆", 2, "t", 2000, "LOT-0630", "LOT-DUP", None, date(2024, 6, 30)),
    ("HGZ-004", CO, "荔枝", 80, "箱", None, "LOT-DUP", None, "+广州江南果菜批发市场", date(2024, 6, 9)),
    ("HGZ-101", HH, "豇豆", 100, "斤", 50, None, None, "@金塘农贸市场", date(2024, 6, 19)),
]

# batch_no, producer, certificate, task_type, level, stage, product, sample kg, place, lab, date, verdict
BATCHES = [
    (
        "B-FAIL",
        CO,
        "HGZ-001",
        "routine_monitoring",
        "district",
        "wholesale_market",
        "豇豆",
        1.0,
        "茂名市农产品批发市场",
        "茂名市农产品质量检测中心",
        date(2024, 6, 10),
        "fail",
    ),
    (
        "B-PASS",
        HH,
        "HGZ-101",
        "supervisory_sampling",
        "city",
        "farmers_market",
        "豇豆",
        1.0,
        "金塘农贸市场",
        "茂名市农产品质量检测中心",
        date(2024, 6, 19),
        "pass",
    ),
    (
        "B-OTHER",
        HH,
        None,
        "routine_monitoring",
        "district",
        "production_base",
        "豇豆",
        1.0,
        "曹江村基地",
        "茂名市农产品质量检测中心",
        date(2024, 6, 20),
        "fail",
    ),
]

# batch, analyte_code, kind, name, raw, value, unit, value_mg_kg, limit, limit_kind, verdict, reason, report
RESULTS = [
    (
        "B-FAIL",
        "carbofuran",
        "lab",
        "克百威",
        "0.05",
        0.05,
        "mg/kg",
        0.05,
        0.02,
        "mrl",
        "fail",
        "0.05 mg/kg exceeds the MRL 0.02 mg/kg (GB 2763-2021)",
        "R-2024-001",
    ),
    (
        "B-FAIL",
        "chlorpyrifos",
        "lab",
        "毒死蜱",
        "ND",
        None,
        "mg/kg",
        None,
        0.02,
        "mrl",
        "pass",
        "not detected",
        "R-2024-001",
    ),
    (
        "B-PASS",
        "carbofuran",
        "lab",
        "克百威",
        "ND",
        None,
        "mg/kg",
        None,
        0.02,
        "mrl",
        "pass",
        "not detected",
        "R-2024-002",
    ),
    (
        "B-OTHER",
        "carbofuran",
        "lab",
        "克百威",
        "0.08",
        0.08,
        "mg/kg",
        0.08,
        0.02,
        "mrl",
        "fail",
        "0.08 mg/kg exceeds the MRL 0.02 mg/kg (GB 2763-2021)",
        "R-2024-003",
    ),
]


TESTED_ON = {"B-FAIL": date(2024, 6, 12), "B-PASS": date(2024, 6, 21), "B-OTHER": date(2024, 6, 22)}


def load_trace_dataset(conn: psycopg.Connection) -> None:
    file_id = conn.execute(
        "insert into ops.files (feed, sha256, file_name, size_bytes, status) "
        "values ('certificates', 'test', 'test.csv', 1, 'processing') returning file_id"
    ).fetchone()[0]
    for row in PRODUCERS:
        conn.execute(
            "insert into core.producers (producer_id, producer_name, producer_type, region_code, town, "
            "village, grid_id, contact_phone, file_id) values (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (*row, file_id),
        )
    for no, producer, product, qty, unit, kg, lot, code, buyer, issued in CERTIFICATES:
        conn.execute(
            "insert into core.certificates (certificate_no, producer_id, product_name, product_category, "
            "quantity, unit, quantity_kg, origin, commitment_basis, lot_no, trace_code, buyer, issue_date, "
            "file_id) values (%s, %s, %s, 'vegetables', %s, %s, %s, '茂南区', %s, %s, %s, %s, %s, %s)",
            (no, producer, product, qty, unit, kg, ["self_test"], lot, code, buyer, issued, file_id),
        )
    for no, producer, cert, task, level, stage, product, kg, place, lab, sampled, verdict in BATCHES:
        conn.execute(
            "insert into core.sampling_batches (batch_no, producer_id, certificate_no, task_type, "
            "sampling_level, sampling_stage, region_code, product_name, sample_qty_kg, sampled_place, "
            "sampler_org, lab, sampling_date, batch_verdict, file_id) "
            "values (%s, %s, %s, %s, %s, %s, '440902', %s, %s, %s, '茂南区农业农村局', %s, %s, %s, %s)",
            (no, producer, cert, task, level, stage, product, kg, place, lab, sampled, verdict, file_id),
        )
    for batch, code, kind, name, raw, value, unit, mg, limit, limit_kind, verdict, reason, report in RESULTS:
        conn.execute(
            "insert into core.inspection_results (batch_no, analyte_code, test_kind, analyte_name, "
            "result_raw, result_value, unit, is_nondetect, method, standard, report_no, tested_on, "
            "value_mg_kg, lod_mg_kg, limit_mg_kg, limit_kind, limit_standard, verdict, verdict_reason, "
            "file_id) values (%s, %s, %s, %s, %s, %s, %s, %s, 'GB 23200.113-2018', 'GB 2763-2021', %s, "
            "%s, %s, 0.01, %s, %s, 'GB 2763-2021', %s, %s, %s)",
            (
                batch,
                code,
                kind,
                name,
                raw,
                value,
                unit,
                value is None,
                report,
                TESTED_ON[batch],
                mg,
                limit,
                limit_kind,
                verdict,
                reason,
                file_id,
            ),
        )


def prepare_trace_warehouse(warehouse: str) -> str:
    """The migrated warehouse with the trace functions installed and the small dataset loaded."""
    with psycopg.connect(warehouse) as conn:
        install_trace_functions(conn)
        load_trace_dataset(conn)
    return warehouse
