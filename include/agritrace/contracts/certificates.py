from agritrace.contracts.base import Feed, Field

CATEGORIES = {
    "vegetables": ("蔬菜",),
    "fruits": ("水果",),
    "tea": ("茶叶", "茶葉"),
    "livestock": ("畜禽", "畜禽产品", "畜禽產品"),
    "eggs": ("禽蛋", "蛋类", "蛋類"),
    "aquatic": ("水产品", "水產品", "水产"),
}

UNITS = {
    "kg": ("千克", "公斤", "KG", "Kg"),
    "t": ("吨", "噸"),
    "g": ("克",),
    "jin": ("斤",),
    "box": ("箱",),
    "head": ("头", "頭"),
    "piece": ("只", "隻", "个", "個"),
    "bird": ("羽",),
    "fish": ("尾",),
    "bag": ("袋",),
    "basket": ("筐",),
}

# Weights normalise to kilograms; counted units (head, box …) have no weight.
KG_PER_UNIT = {"kg": 1.0, "t": 1000.0, "g": 0.001, "jin": 0.5}

CERTIFICATES = Feed(
    name="certificates",
    title_zh="承诺达标合格证",
    title_en="Compliance certificates",
    description="Certificates producers issue with each lot they sell, committing that it meets "
    "the standards; the link from a sampled lot back to its producer and forward to its buyer.",
    key=("certificate_no",),
    core_table="core.certificates",
    core_columns=(
        "certificate_no", "producer_id", "product_name", "product_code", "product_category", "quantity",
        "unit", "quantity_kg", "origin", "commitment_basis", "lot_no", "trace_code", "buyer", "issue_date",
    ),
    core_key=("certificate_no",),
    fields=(
        Field("certificate_no", "text", "Certificate number, unique.",
              aliases=("合格证编号", "合格證編號", "证书编号", "合格证号"), required=True, unique=True,
              case_insensitive=True),
        Field("producer_id", "text", "Issuing producer; must exist in the producer registry.",
              aliases=("主体编码", "統一社會信用代碼", "统一社会信用代码", "主體編碼"), required=True,
              references=("producers", "producer_id"), check="producer_code", case_insensitive=True),
        Field("product_name", "text", "Product as written on the certificate.",
              aliases=("产品名称", "產品名稱", "品名"), required=True),
        Field("product_category", "enum", "Product category; derived from the product reference when absent.",
              aliases=("产品类别", "產品類別", "类别"), vocabulary=CATEGORIES),
        Field("quantity", "number", "Quantity (weight or count) of the lot.",
              aliases=("数量(重量)", "数量", "重量", "數量(重量)", "數量"), required=True,
              min_value=0, min_exclusive=True, max_value=10_000_000),
        Field("unit", "enum", "Unit of the quantity; weights are also normalised to kg.",
              aliases=("单位", "單位"), required=True, vocabulary=UNITS),
        Field("origin", "text", "Place of production.", aliases=("产地", "產地")),
        Field("issue_date", "date", "Date the certificate was issued; not in the future.",
              aliases=("开具日期", "開具日期", "开证日期", "日期"), required=True, not_future=True),
        Field(
            "commitment_basis", "enum_list",
            "What the commitment rests on; one or more, separated by 、,;/ or spaces.",
            aliases=("承诺依据", "承諾依據"), required=True,
            vocabulary={
                "quality_control": ("质量安全控制符合要求", "質量安全控制符合要求", "内部质量控制",
                                    "內部質量控制", "自我承诺", "自我承諾", "质量控制"),
                "self_test": ("自行检测合格", "自行檢測合格", "自我检测", "自我檢測", "自检合格", "自檢合格"),
                "commissioned_test": ("委托检测合格", "委託檢測合格", "委托检测"),
            },
        ),
        Field("lot_no", "text", "Lot number.", aliases=("批次号", "批次號", "批号")),
        Field("trace_code", "text", "Traceability code printed on the certificate.", aliases=("追溯码", "追溯碼")),
        Field("buyer", "text", "Buyer or destination (the trace-forward link).",
              aliases=("收购方", "购买方", "收購方", "購買方", "收购方/购买方", "销售去向")),
    ),
)
