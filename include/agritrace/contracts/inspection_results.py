from agritrace.contracts.base import Feed, Field

VERDICTS = {
    "pass": ("合格", "符合规定", "符合規定", "qualified", "passed", "ok"),
    "fail": ("不合格", "不符合规定", "不符合規定", "unqualified", "failed", "exceeded", "超标", "超標"),
    "positive": ("阳性", "陽性", "+"),
    "negative": ("阴性", "陰性"),
}

INSPECTION_RESULTS = Feed(
    name="inspection_results",
    title_zh="检测结果",
    title_en="Inspection results",
    description="One row per test item of a sample: the analyte, the measured value and the limit "
    "it is judged against.",
    key=("batch_no", "analyte"),
    core_table="core.inspection_results",
    core_columns=(
        "batch_no", "analyte_code", "test_kind", "analyte_name", "result_raw", "result_value", "unit",
        "is_nondetect", "method", "standard", "report_no", "tested_on", "supplied_verdict", "value_mg_kg",
        "lod_mg_kg", "limit_mg_kg", "limit_kind", "limit_standard", "limit_source", "limit_verified",
        "ratio_to_limit", "verdict", "verdict_reason", "verdict_disagrees", "verdict_basis", "jurisdiction",
    ),
    core_key=("batch_no", "analyte_code", "test_kind"),
    fields=(
        Field("batch_no", "text", "Sampling batch; must exist in sampling_batches.",
              aliases=("抽样单编号", "样品编号", "抽樣單編號", "樣品編號"), required=True,
              references=("sampling_batches", "batch_no"), case_insensitive=True),
        Field("analyte", "text", "Pesticide, veterinary drug or contaminant (aliases resolved via the reference).",
              aliases=("检测项目", "檢測項目", "项目名称", "檢驗項目", "检验项目"), required=True),
        Field("result_value", "text", "Measured value, or a non-detect word: ND, 未检出, <LOD, -.",
              aliases=("检测值", "檢測值", "检测结果", "實測值", "实测值")),
        Field("unit", "enum", "Unit of the value (mg/kg when absent; % is a rapid-test inhibition rate).",
              aliases=("单位", "單位"),
              vocabulary={"mg/kg": ("毫克/千克", "mg/Kg", "MG/KG"), "μg/kg": ("ug/kg", "µg/kg", "微克/千克"),
                          "ppm": (), "ppb": (), "%": ("抑制率%", "％")}),
        Field("lod", "number", "Limit of detection, in the result's unit.", aliases=("检出限", "檢出限"),
              min_value=0),
        Field("mrl", "text", "Limit; looked up in the reference when absent; 不得检出 means judged against the LOD.",
              aliases=("限量值", "标准值", "標準值", "限量", "最大残留限量")),
        Field("method", "text", "Test method (e.g. GB 23200.113-2018).", aliases=("检测方法", "检测依据", "檢測方法", "檢測依據")),
        Field("standard", "text", "Standard the verdict is judged by (default GB 2763-2021).",
              aliases=("判定依据", "判定依據", "判定标准")),
        Field("verdict", "enum", "Verdict as reported. With a value, the computed verdict stands and a disagreeing "
              "supplied verdict is flagged; a row with a supplied verdict and no value keeps the supplied verdict "
              "as its verdict of record (basis: supplied) and counts in pass rates.",
              aliases=("单项判定", "單項判定", "判定", "结论", "結論", "检测结论"), vocabulary=VERDICTS),
        Field("jurisdiction", "text", "Jurisdiction whose limits judge the value (e.g. CN); the bureau's own "
              "(AGRITRACE_JURISDICTION) when absent. A value is never judged with another jurisdiction's limits: "
              "where none of its own are loaded, a supplied verdict stands, else the item is not judged.",
              aliases=("管辖区", "管轄區", "法域")),
        Field("report_no", "text", "Lab report number.", aliases=("报告编号", "報告編號")),
        Field("tested_on", "date", "Test date; not in the future and not before the sampling date.",
              aliases=("检测日期", "檢測日期"), not_future=True, not_before="sampling_date"),
    ),
)
