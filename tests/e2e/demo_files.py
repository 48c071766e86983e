"""A small delivery for the end-to-end test: a few files per feed, ingested by the real pipeline.

The story (Maonan district, June 2024):

- 茂南区绿源蔬菜专业合作社 issues certificates for 豇豆 (cowpea); batch E2E-FAIL, sampled from
  certificate E2E-HGZ-001, fails on carbofuran (克百威 0.05 mg/kg against an MRL of 0.02).
- 李四 (a household) has a passing batch E2E-PASS.
- One certificate names a producer nobody delivered yet (an orphan, waiting in quarantine);
  one result names an analyte the reference does not know (quarantined, needs an alias).
- A second batches file is all wrong (held by the gate); a results file has no header row
  (rejected).
"""

from __future__ import annotations

from pathlib import Path

COOP = "93440902MA4UABCD1X"  # replaced by a valid credit code in write_delivery
HOUSEHOLD = "HH-440902-000002"
FAILING_BATCH = "E2E-FAIL"
FAILING_CERTIFICATE = "E2E-HGZ-001"


def _files(coop: str) -> dict[tuple[str, str], str]:
    return {
        ("producers", "producers_e2e.csv"): (
            "producer_id,producer_name,producer_type,region_code,town,village,grid_id,contact_phone,registered_on\n"
            f"{coop},茂南区绿源蔬菜专业合作社,cooperative,440902,新坡镇,文山村,G-07,13812345678,2019-03-01\n"
            f"{HOUSEHOLD},李四,household,440902,金塘镇,曹江村,G-11,13900001111,2020-05-12\n"
            "HH-440902-000003,王五,household,440902,金塘镇,曹江村,G-11,13700002222,2021-01-20\n"
        ),
        ("certificates", "certificates_e2e.csv"): (
            "certificate_no,producer_id,product_name,quantity,unit,origin,issue_date,commitment_basis,lot_no,trace_code,buyer\n"
            f"{FAILING_CERTIFICATE},{coop},豇豆,500,kg,茂南区,2024-06-08,self_test,LOT-0610,TC-0001,茂名市农产品批发市场\n"
            f"E2E-HGZ-002,{coop},豇豆,300,kg,茂南区,2024-06-12,self_test,LOT-0612,TC-0002,茂名市农产品批发市场\n"
            f"E2E-HGZ-003,{coop},豇豆,200,kg,茂南区,2024-06-14,quality_control,LOT-0614,TC-0003,金塘农贸市场\n"
            f"E2E-HGZ-101,{HOUSEHOLD},豇豆,100,kg,茂南区,2024-06-19,self_test,,,金塘农贸市场\n"
            "E2E-HGZ-102,HH-440902-000003,豇豆,80,kg,茂南区,2024-06-20,self_test,,,金塘农贸市场\n"
            "E2E-HGZ-900,HH-440902-009999,豇豆,50,kg,茂南区,2024-06-21,self_test,,,金塘农贸市场\n"
        ),
        ("sampling_batches", "sampling_batches_e2e.csv"): (
            "batch_no,task_type,sampling_level,sampling_date,sampling_stage,producer_id,certificate_no,product_name,"
            "sample_qty_kg,sampled_place,sampler_org,lab\n"
            f"{FAILING_BATCH},routine_monitoring,district,2024-06-10,wholesale_market,{coop},{FAILING_CERTIFICATE},豇豆,"
            "1.0,茂名市农产品批发市场,茂南区农业农村局,茂名市农产品质量检测中心\n"
            f"E2E-PASS,supervisory_sampling,city,2024-06-19,farmers_market,{HOUSEHOLD},E2E-HGZ-101,豇豆,"
            "1.0,金塘农贸市场,茂南区农业农村局,茂名市农产品质量检测中心\n"
        ),
        ("sampling_batches", "sampling_batches_e2e_broken.csv"): (
            "batch_no,task_type,sampling_level,sampling_date,sampling_stage,producer_id,certificate_no,product_name\n"
            f"E2E-BAD-1,spot_check,district,2024-06-11,wholesale_market,{coop},,豇豆\n"
            f"E2E-BAD-2,spot_check,district,2099-06-11,wholesale_market,{coop},,豇豆\n"
        ),
        ("inspection_results", "inspection_results_e2e.csv"): (
            "batch_no,analyte,result_value,unit,lod,method,standard,verdict,report_no,tested_on\n"
            f"{FAILING_BATCH},克百威,0.05,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,fail,R-2024-001,2024-06-12\n"
            f"{FAILING_BATCH},毒死蜱,ND,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,pass,R-2024-001,2024-06-12\n"
            f"{FAILING_BATCH},啶虫脒,ND,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,pass,R-2024-001,2024-06-12\n"
            "E2E-PASS,克百威,ND,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,pass,R-2024-002,2024-06-21\n"
            "E2E-PASS,毒死蜱,ND,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,pass,R-2024-002,2024-06-21\n"
            "E2E-PASS,神秘农药X,ND,mg/kg,0.01,GB 23200.113-2018,GB 2763-2021,pass,R-2024-002,2024-06-21\n"
        ),
        # blank lines only: no header row, so the file is rejected before anything is read
        ("inspection_results", "inspection_results_e2e_blank.csv"): "\n\n\n",
    }


def write_delivery(landing: Path) -> list[tuple[str, Path]]:
    """Write the files under ``landing/<feed>/``; returns (feed, path) in load order."""
    written = []
    for (feed, name), text in _files(coop_code()).items():
        path = landing / feed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append((feed, path))
    return written


def coop_code() -> str:
    """The cooperative's unified social credit code (a valid one, the same in every run)."""
    import random

    from agritrace.synth.uscc import make_credit_code

    return make_credit_code(random.Random(7), "440902", "cooperative")
