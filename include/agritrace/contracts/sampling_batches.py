from agritrace.contracts.base import Feed, Field
from agritrace.contracts.certificates import CATEGORIES

TASK_TYPES = {
    "routine_monitoring": ("例行监测", "例行監測"),
    "supervisory_sampling": ("监督抽查", "監督抽查", "监督抽检", "監督抽檢"),
    "special_campaign": ("专项整治", "專項整治", "专项抽检", "專項抽檢"),
    "rapid_test": ("快速检测", "快速檢測", "速测", "速測"),
}

SAMPLING_LEVELS = {
    "district": ("区县", "區縣", "县级", "縣級", "区级", "區級", "county"),
    "city": ("市", "市级", "市級"),
    "province": ("省", "省级", "省級", "provincial"),
    "national": ("国家", "國家", "部级", "部級"),
}

SAMPLING_STAGES = {
    "production_base": ("生产基地", "生產基地", "种植基地", "養殖基地", "养殖基地"),
    "wholesale_market": ("批发市场", "批發市場"),
    "farmers_market": ("农贸市场", "農貿市場"),
    "supermarket": ("超市",),
    "purchaser": ("收购环节", "收購環節"),
    "other": ("其他", "其它"),
}

SAMPLING_BATCHES = Feed(
    name="sampling_batches",
    title_zh="抽检批次",
    title_en="Sampling batches",
    description="Samples taken by routine monitoring, supervisory sampling, campaigns and rapid "
    "tests, with the certificate that came with the sampled lot.",
    key=("batch_no",),
    core_table="core.sampling_batches",
    core_columns=(
        "batch_no", "producer_id", "certificate_no", "task_type", "sampling_level", "sampling_stage",
        "region_code", "product_name", "product_code", "product_category", "source_category", "sample_qty_kg", "sampled_place",
        "sampler_org", "lab", "sampling_date",
    ),
    core_key=("batch_no",),
    core_computed=("batch_verdict",),
    fields=(
        Field("batch_no", "text", "Sampling form / sample number, unique.",
              aliases=("抽样单编号", "样品编号", "抽樣單編號", "樣品編號", "抽样编号"), required=True, unique=True,
              case_insensitive=True),
        Field("task_type", "enum", "Kind of sampling task.", aliases=("任务类型", "任務類型", "任务来源"),
              required=True, vocabulary=TASK_TYPES),
        Field("sampling_level", "enum", "Administrative level that ordered the sampling.",
              aliases=("抽检级别", "抽檢級別", "级别"), required=True, vocabulary=SAMPLING_LEVELS),
        Field("sampling_date", "date", "Date the sample was taken; not in the future.",
              aliases=("抽样日期", "抽樣日期", "采样日期"), required=True, not_future=True),
        Field("sampling_stage", "enum", "Where in the chain the sample was taken.",
              aliases=("抽样环节", "抽樣環節"), required=True, vocabulary=SAMPLING_STAGES),
        Field("producer_id", "text", "Sampled producer, when known (market samples may not know it).",
              aliases=("被抽检主体编码", "被抽檢主體編碼", "主体编码", "主體編碼"),
              references=("producers", "producer_id"), check="producer_code", case_insensitive=True),
        Field("certificate_no", "text", "Certificate that came with the sampled lot (the trace-back link).",
              aliases=("合格证编号", "合格證編號"), case_insensitive=True),
        Field("product_name", "text", "Sample (product) name.", aliases=("样品名称", "樣品名稱", "产品名称"),
              required=True),
        Field("product_category", "enum", "Product category; derived from the product reference when absent.",
              aliases=("产品类别", "產品類別"), vocabulary=CATEGORIES),
        Field("source_category", "text", "The product category as the source writes it (e.g. 蔬菜-->叶菜类), kept "
              "as written, also for products the reference does not hold.", aliases=("食品分类", "食品類別", "分类")),
        Field("region_code", "text", "County where the sample was taken; the producer's when absent.",
              aliases=("行政区划代码", "行政區劃代碼"), pattern=r"\d{6}"),
        Field("sample_qty_kg", "number", "Sample quantity in kg.", aliases=("抽样数量(kg)", "抽樣數量(kg)", "抽样数量"),
              min_value=0, min_exclusive=True, max_value=1000),
        Field("sampled_place", "text", "Place sampled.", aliases=("抽样地点", "抽樣地點")),
        Field("sampler_org", "text", "Sampling organisation.", aliases=("抽样单位", "抽樣單位")),
        Field("lab", "text", "Testing laboratory.", aliases=("检测机构", "檢測機構", "检测单位")),
    ),
)
