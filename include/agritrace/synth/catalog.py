"""What the synthetic county looks like: places, products, test panels and the limits assumed.

Only the shared demo vocabulary is used (canonical simplified-Chinese product and analyte names),
so the reference data resolves every name. ``ASSUMED_LIMITS`` lists the limit the generator had
in mind for every detected value it writes; values in passing batches stay at or below 20% of it
(most pairs are written as non-detects only) and failing values sit at 1.4× or more, so the
verdict does not hinge on the exact figure in the reference standard.
"""

from __future__ import annotations

from dataclasses import dataclass

REGION_CODE = "440902"  # 茂南区, 茂名市, 广东省
YEAR = 2023

TOWNS: dict[str, tuple[str, ...]] = {
    "金塘镇": ("金塘村", "牙象村", "上垌村", "下垌村", "新屋村"),
    "公馆镇": ("公馆村", "木苏村", "石岭村", "那环村"),
    "新坡镇": ("新坡村", "坡头村", "塘尾村", "大岭村"),
    "镇盛镇": ("镇盛村", "山心村", "长岭村", "东岸村"),
    "鳌头镇": ("鳌头村", "石塘村", "高岭村"),
    "袂花镇": ("袂花村", "江边村", "旺坡村", "竹山村"),
    "高山镇": ("高山村", "岭脚村", "西坡村"),
    "山阁镇": ("山阁村", "石门村", "南岭村", "水口村"),
    "羊角镇": ("羊角村", "禄段村", "大坡村", "荔枝园村"),
    "红旗街道": ("红旗社区", "迎宾社区"),
    "河西街道": ("河西社区", "油城社区"),
    "河东街道": ("河东社区", "东方社区"),
    "露天矿街道": ("露天矿社区", "矿区社区"),
    "新华街道": ("新华社区", "光华社区"),
    "官渡街道": ("官渡社区", "沙田社区"),
    "站前街道": ("站前社区", "站北社区"),
}
# Producers cluster in the farming towns; the urban sub-districts hold few.
TOWN_WEIGHTS = {t: (1 if t.endswith("街道") else 8) for t in TOWNS}
TOWN_ABBR = {t: f"{i + 1:02d}" for i, t in enumerate(TOWNS)}

SURNAMES = "陈李梁林黄张吴杨刘何谭罗周冯邓莫揭柯庞钟"
GIVEN = (
    "国强",
    "志明",
    "伟华",
    "建平",
    "秀英",
    "海燕",
    "锦华",
    "永发",
    "桂芳",
    "德胜",
    "少峰",
    "亚妹",
    "振宇",
    "金凤",
    "荣生",
    "文光",
    "春梅",
    "家豪",
    "惠珍",
    "达明",
)
FIRM_WORDS = (
    "绿源",
    "丰润",
    "粤西",
    "金穗",
    "南岭",
    "鉴江",
    "鸿丰",
    "绿野",
    "沃土",
    "嘉禾",
    "果香",
    "田园",
    "盛达",
    "康农",
    "福满",
    "禾丰",
    "泰和",
    "润农",
    "恒丰",
    "硕果",
)


@dataclass(frozen=True)
class Product:
    name: str
    category: str  # contract vocabulary: vegetables | fruits | livestock | eggs | aquatic
    residue: str  # "pesticide" or "vet_drug": which panel a lab tests
    units: tuple[str, ...]  # canonical certificate units that make sense for it
    # Relative certificate volume by month (Jan..Dec): seasonality of issuing.
    months: tuple[float, ...]
    # Sampling priority (cowpea first, as in the county's monitoring plan).
    sampling_weight: float


_ALL_YEAR = (1.0,) * 12
PRODUCTS: dict[str, Product] = {
    p.name: p
    for p in (
        Product(
            "豇豆",
            "vegetables",
            "pesticide",
            ("kg", "jin"),
            (0.6, 0.7, 1.0, 1.5, 1.8, 1.4, 0.9, 0.8, 1.3, 1.6, 1.2, 0.7),
            6.0,
        ),
        Product("菜豆", "vegetables", "pesticide", ("kg", "jin"), _ALL_YEAR, 1.0),
        Product(
            "菜心",
            "vegetables",
            "pesticide",
            ("kg", "jin"),
            (1.6, 1.5, 1.3, 1.0, 0.6, 0.5, 0.5, 0.6, 0.9, 1.2, 1.5, 1.7),
            2.0,
        ),
        Product("小白菜", "vegetables", "pesticide", ("kg", "jin"), _ALL_YEAR, 1.2),
        Product(
            "芹菜",
            "vegetables",
            "pesticide",
            ("kg", "jin"),
            (1.5, 1.4, 1.2, 0.9, 0.6, 0.5, 0.5, 0.6, 0.9, 1.2, 1.4, 1.6),
            1.2,
        ),
        Product("韭菜", "vegetables", "pesticide", ("kg", "jin"), _ALL_YEAR, 1.5),
        Product("黄瓜", "vegetables", "pesticide", ("kg", "jin", "box"), _ALL_YEAR, 1.0),
        Product(
            "苦瓜",
            "vegetables",
            "pesticide",
            ("kg", "jin"),
            (0.5, 0.6, 0.9, 1.2, 1.5, 1.6, 1.5, 1.3, 1.1, 0.8, 0.6, 0.5),
            1.0,
        ),
        Product("番茄", "vegetables", "pesticide", ("kg", "box"), _ALL_YEAR, 0.8),
        Product("辣椒", "vegetables", "pesticide", ("kg", "jin"), _ALL_YEAR, 0.8),
        Product(
            "荔枝",
            "fruits",
            "pesticide",
            ("kg", "box", "jin"),
            (0, 0, 0, 0, 1.0, 2.5, 1.6, 0.3, 0, 0, 0, 0),
            2.0,
        ),
        Product(
            "龙眼",
            "fruits",
            "pesticide",
            ("kg", "box", "jin"),
            (0, 0, 0, 0, 0, 0.3, 1.5, 2.2, 0.6, 0, 0, 0),
            1.5,
        ),
        Product("香蕉", "fruits", "pesticide", ("kg", "box"), _ALL_YEAR, 0.8),
        Product("罗非鱼", "aquatic", "vet_drug", ("kg", "fish"), _ALL_YEAR, 2.5),
        Product("南美白对虾", "aquatic", "vet_drug", ("kg",), _ALL_YEAR, 1.2),
        Product("猪肉", "livestock", "vet_drug", ("kg", "head"), _ALL_YEAR, 1.2),
        Product("鸡肉", "livestock", "vet_drug", ("kg", "piece", "bird"), _ALL_YEAR, 1.0),
        Product("鸡蛋", "eggs", "vet_drug", ("kg", "box"), _ALL_YEAR, 0.8),
    )
}

# What each kind of producer grows or raises (a producer keeps to one line of business).
PORTFOLIOS: tuple[tuple[str, ...], ...] = (
    ("豇豆",),
    ("豇豆", "苦瓜"),
    ("豇豆", "菜豆"),
    ("豇豆", "辣椒"),
    ("菜心", "小白菜"),
    ("菜心", "芹菜"),
    ("韭菜",),
    ("芹菜", "韭菜"),
    ("黄瓜", "苦瓜"),
    ("番茄", "辣椒"),
    ("荔枝",),
    ("荔枝", "龙眼"),
    ("龙眼",),
    ("香蕉",),
    ("罗非鱼",),
    ("南美白对虾",),
    ("罗非鱼", "南美白对虾"),
    ("猪肉",),
    ("鸡肉",),
    ("鸡肉", "鸡蛋"),
    ("鸡蛋",),
)
PORTFOLIO_WEIGHTS = (10, 4, 3, 2, 4, 2, 3, 2, 3, 2, 5, 4, 2, 2, 4, 2, 1, 3, 3, 1, 1)


@dataclass(frozen=True)
class Analyte:
    name: str
    unit: str  # unit the lab reports in
    lod: float  # limit of detection, in ``unit``
    method: str


PESTICIDE_METHOD_LC = "GB 23200.121-2021"
PESTICIDE_METHOD_GC = "GB 23200.113-2018"
ANALYTES: dict[str, Analyte] = {
    a.name: a
    for a in (
        Analyte("灭蝇胺", "mg/kg", 0.01, "NY/T 1725-2009"),
        Analyte("噻虫胺", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("噻虫嗪", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("啶虫脒", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("吡虫啉", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("阿维菌素", "mg/kg", 0.005, PESTICIDE_METHOD_LC),
        Analyte("腐霉利", "mg/kg", 0.01, PESTICIDE_METHOD_GC),
        Analyte("多菌灵", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("毒死蜱", "mg/kg", 0.01, "NY/T 761-2008"),
        Analyte("克百威", "mg/kg", 0.01, PESTICIDE_METHOD_LC),
        Analyte("甲拌磷", "mg/kg", 0.005, "NY/T 761-2008"),
        Analyte("氧乐果", "mg/kg", 0.01, "NY/T 761-2008"),
        Analyte("水胺硫磷", "mg/kg", 0.01, "NY/T 761-2008"),
        Analyte("氟虫腈", "mg/kg", 0.005, PESTICIDE_METHOD_GC),
        Analyte("乙酰甲胺磷", "mg/kg", 0.01, "NY/T 761-2008"),
        Analyte("联苯菊酯", "mg/kg", 0.01, PESTICIDE_METHOD_GC),
        Analyte("高效氯氟氰菊酯", "mg/kg", 0.01, PESTICIDE_METHOD_GC),
        Analyte("恩诺沙星", "μg/kg", 1.0, "GB 31656.3-2021"),
        Analyte("氟苯尼考", "μg/kg", 1.0, "GB/T 22338-2008"),
        Analyte("磺胺类", "μg/kg", 5.0, "GB 31656.5-2021"),
        Analyte("孔雀石绿", "μg/kg", 0.5, "SC/T 3021-2004"),
        Analyte("氯霉素", "μg/kg", 0.1, "GB/T 22338-2008"),
        Analyte("硝基呋喃类代谢物", "μg/kg", 0.5, "GB 31656.13-2021"),
    )
}
RAPID_TEST_ANALYTE = "有机磷和氨基甲酸酯类农药"
RAPID_TEST_METHOD = "GB/T 5009.199-2003"

STANDARD_BY_RESIDUE = {"pesticide": "GB 2763-2021", "vet_drug": "GB 31650-2019"}

# Test panels: every lab batch tests 3–8 of these (banned substances first among candidates).
PANELS: dict[str, tuple[str, ...]] = {
    "豇豆": (
        "灭蝇胺",
        "噻虫胺",
        "噻虫嗪",
        "啶虫脒",
        "吡虫啉",
        "阿维菌素",
        "克百威",
        "甲拌磷",
        "氧乐果",
        "水胺硫磷",
        "氟虫腈",
        "毒死蜱",
        "乙酰甲胺磷",
        "联苯菊酯",
        "高效氯氟氰菊酯",
    ),
    "菜豆": (
        "灭蝇胺",
        "噻虫嗪",
        "啶虫脒",
        "克百威",
        "氧乐果",
        "水胺硫磷",
        "毒死蜱",
        "高效氯氟氰菊酯",
    ),
    "菜心": (
        "氟虫腈",
        "啶虫脒",
        "吡虫啉",
        "克百威",
        "甲拌磷",
        "氧乐果",
        "毒死蜱",
        "乙酰甲胺磷",
        "联苯菊酯",
    ),
    "小白菜": (
        "啶虫脒",
        "吡虫啉",
        "氟虫腈",
        "克百威",
        "甲拌磷",
        "氧乐果",
        "毒死蜱",
        "高效氯氟氰菊酯",
    ),
    "芹菜": (
        "毒死蜱",
        "甲拌磷",
        "克百威",
        "氧乐果",
        "水胺硫磷",
        "腐霉利",
        "啶虫脒",
        "高效氯氟氰菊酯",
    ),
    "韭菜": ("腐霉利", "甲拌磷", "克百威", "氧乐果", "毒死蜱", "多菌灵", "吡虫啉", "阿维菌素"),
    "黄瓜": ("腐霉利", "多菌灵", "啶虫脒", "吡虫啉", "克百威", "氧乐果", "毒死蜱", "联苯菊酯"),
    "苦瓜": ("多菌灵", "啶虫脒", "克百威", "氧乐果", "毒死蜱", "高效氯氟氰菊酯"),
    "番茄": ("腐霉利", "多菌灵", "吡虫啉", "克百威", "氧乐果", "毒死蜱", "联苯菊酯"),
    "辣椒": (
        "多菌灵",
        "吡虫啉",
        "啶虫脒",
        "克百威",
        "甲拌磷",
        "氧乐果",
        "毒死蜱",
        "高效氯氟氰菊酯",
    ),
    "荔枝": (
        "多菌灵",
        "吡虫啉",
        "高效氯氟氰菊酯",
        "联苯菊酯",
        "克百威",
        "氧乐果",
        "甲拌磷",
        "氟虫腈",
    ),
    "龙眼": ("多菌灵", "吡虫啉", "高效氯氟氰菊酯", "克百威", "氧乐果", "甲拌磷", "氟虫腈"),
    "香蕉": ("多菌灵", "吡虫啉", "噻虫嗪", "克百威", "氧乐果", "甲拌磷"),
    "罗非鱼": ("孔雀石绿", "恩诺沙星", "硝基呋喃类代谢物", "氯霉素", "氟苯尼考", "磺胺类"),
    "南美白对虾": ("恩诺沙星", "硝基呋喃类代谢物", "氯霉素", "孔雀石绿", "氟苯尼考", "磺胺类"),
    "猪肉": ("恩诺沙星", "磺胺类", "氟苯尼考", "氯霉素"),
    "鸡肉": ("恩诺沙星", "氟苯尼考", "磺胺类", "氯霉素"),
    "鸡蛋": ("氯霉素", "恩诺沙星", "氟苯尼考", "磺胺类"),
}

BANNED_PESTICIDES_ALL = frozenset({"克百威", "甲拌磷", "氧乐果", "水胺硫磷", "氟虫腈"})
BANNED_PESTICIDES_VEG = frozenset({"毒死蜱", "乙酰甲胺磷"})
BANNED_VET_AQUATIC = frozenset({"孔雀石绿", "硝基呋喃类代谢物", "氯霉素"})
BANNED_VET_ANIMAL = frozenset({"氯霉素", "硝基呋喃类代谢物"})
# Laying hens may not be treated with these, so eggs must show none.
BANNED_VET_EGGS = BANNED_VET_ANIMAL | {"恩诺沙星", "氟苯尼考", "磺胺类"}


def is_banned(product: str, analyte: str) -> bool:
    """Banned (不得检出) for this product: any detection at or above the LOD fails."""
    category = PRODUCTS[product].category
    if category in ("vegetables", "fruits"):
        return analyte in BANNED_PESTICIDES_ALL or (category == "vegetables" and analyte in BANNED_PESTICIDES_VEG)
    if category == "aquatic":
        return analyte in BANNED_VET_AQUATIC
    if category == "eggs":
        return analyte in BANNED_VET_EGGS
    return analyte in BANNED_VET_ANIMAL


@dataclass(frozen=True)
class Limit:
    value: float  # in the analyte's unit
    unit: str
    note: str


# The limits the generator assumes (GB 2763-2021 / GB 31650-2019 figures as the generator knows
# them). Only these pairs are ever written as detected values; everything else is a non-detect.
ASSUMED_LIMITS: dict[tuple[str, str], Limit] = {
    ("豇豆", "灭蝇胺"): Limit(0.5, "mg/kg", "GB 2763-2021 MRL"),
    ("豇豆", "噻虫胺"): Limit(0.01, "mg/kg", "GB 2763-2021 MRL (failing values ≥ 0.3 fail any MRL ≤ 0.2)"),
    ("豇豆", "克百威"): Limit(0.02, "mg/kg", "banned; GB 2763-2021 MRL 0.02"),
    ("韭菜", "腐霉利"): Limit(0.2, "mg/kg", "GB 2763-2021 MRL"),
    ("芹菜", "毒死蜱"): Limit(0.05, "mg/kg", "banned on vegetables; GB 2763-2021 MRL 0.05"),
    ("菜心", "氟虫腈"): Limit(0.02, "mg/kg", "banned; GB 2763-2021 MRL 0.02"),
    ("黄瓜", "腐霉利"): Limit(2.0, "mg/kg", "GB 2763-2021 MRL"),
    ("番茄", "腐霉利"): Limit(2.0, "mg/kg", "GB 2763-2021 MRL"),
    ("荔枝", "多菌灵"): Limit(0.5, "mg/kg", "GB 2763-2021 MRL"),
    ("香蕉", "多菌灵"): Limit(1.0, "mg/kg", "GB 2763-2021 MRL"),
    ("罗非鱼", "孔雀石绿"): Limit(0.5, "μg/kg", "banned (农业农村部公告第250号); judged against LOD"),
    ("罗非鱼", "恩诺沙星"): Limit(100.0, "μg/kg", "GB 31650-2019 MRL, fish muscle"),
    ("南美白对虾", "恩诺沙星"): Limit(100.0, "μg/kg", "GB 31650-2019 MRL"),
    ("猪肉", "恩诺沙星"): Limit(100.0, "μg/kg", "GB 31650-2019 MRL, muscle"),
    ("鸡肉", "恩诺沙星"): Limit(100.0, "μg/kg", "GB 31650-2019 MRL, muscle"),
    ("猪肉", "磺胺类"): Limit(100.0, "μg/kg", "GB 31650-2019 MRL, muscle"),
}

# Low detections allowed in passing batches: (product, analyte) -> highest value written.
# Every cap is at most 10% of the assumed limit, well inside the 20% the contract promises.
PASSING_DETECTIONS: dict[tuple[str, str], float] = {
    ("豇豆", "灭蝇胺"): 0.05,
    ("韭菜", "腐霉利"): 0.02,
    ("黄瓜", "腐霉利"): 0.1,
    ("番茄", "腐霉利"): 0.1,
    ("荔枝", "多菌灵"): 0.05,
    ("香蕉", "多菌灵"): 0.05,
    ("罗非鱼", "恩诺沙星"): 10.0,
    ("南美白对虾", "恩诺沙星"): 10.0,
    ("猪肉", "恩诺沙星"): 10.0,
    ("鸡肉", "恩诺沙星"): 10.0,
    ("猪肉", "磺胺类"): 10.0,
}

# Failing items: (product, analyte) -> value range in the analyte's unit. The low end is at least
# 1.4× the assumed limit (for banned substances, far above the LOD and any residual MRL).
FAILING_PAIRS: dict[tuple[str, str], tuple[float, float]] = {
    ("豇豆", "灭蝇胺"): (0.7, 2.5),
    ("豇豆", "噻虫胺"): (0.3, 0.8),
    ("豇豆", "克百威"): (0.05, 0.15),
    ("韭菜", "腐霉利"): (0.5, 2.0),
    ("芹菜", "毒死蜱"): (0.15, 0.6),
    ("菜心", "氟虫腈"): (0.05, 0.12),
    ("罗非鱼", "孔雀石绿"): (2.0, 20.0),
    ("罗非鱼", "恩诺沙星"): (180.0, 600.0),
}
# The 11 district failures and the 2 supervisory failures, by pair; one cowpea batch carries a
# second failing item (灭蝇胺 and 噻虫胺 together, as often reported).
DISTRICT_FAILURES = (
    ("豇豆", ("灭蝇胺",)),
    ("豇豆", ("灭蝇胺",)),
    ("豇豆", ("灭蝇胺", "噻虫胺")),
    ("豇豆", ("噻虫胺",)),
    ("豇豆", ("克百威",)),
    ("韭菜", ("腐霉利",)),
    ("韭菜", ("腐霉利",)),
    ("芹菜", ("毒死蜱",)),
    ("菜心", ("氟虫腈",)),
    ("罗非鱼", ("孔雀石绿",)),
    ("罗非鱼", ("恩诺沙星",)),
)
SUPERVISORY_FAILURES = (("豇豆", ("灭蝇胺",)), ("罗非鱼", ("孔雀石绿",)))

NON_DETECT_WORDS = ("ND", "未检出", "<LOD", "-")

LABS = {
    "district": ("茂南区农产品质量安全检测站", "茂名市农产品质量检测中心"),
    "city": ("茂名市农产品质量检测中心",),
    "province": ("广东省农产品质量安全检验中心（茂名分中心）", "粤西农产品质量检测中心"),
}
SAMPLER_ORGS = {
    "district": "茂南区农业农村局",
    "city": "茂名市农业农村局",
    "province": "广东省农业农村厅",
}
MARKETS = {
    "wholesale_market": ("茂南区农产品综合批发市场", "茂名站前果菜批发市场", "金塘农产品批发市场"),
    "farmers_market": (
        "新华农贸市场",
        "河西农贸市场",
        "官渡农贸市场",
        "公馆墟农贸市场",
        "袂花农贸市场",
    ),
    "supermarket": ("惠家万佳超市（茂南店）", "茂南百佳生活超市", "粤西联华超市（站前店）"),
}
PRODUCE_BUYERS = (
    "茂南区农产品综合批发市场",
    "茂名站前果菜批发市场",
    "金塘农产品批发市场",
    "广州果蔬批发市场（外销）",
    "惠家万佳超市（茂南店）",
    "茂南百佳生活超市",
    "粤西联华超市（站前店）",
    "茂南区实验学校食堂",
    "河西街道中心小学食堂",
    "茂名市第三人民医院职工食堂",
    "茂南区机关饭堂",
    "粤西果蔬贸易有限公司",
    "陈记蔬菜收购点",
    "深圳鲜达农产品配送有限公司",
    "个人零售",
)
BUYERS = (
    "茂南区农产品综合批发市场",
    "茂名站前果菜批发市场",
    "金塘农产品批发市场",
    "广州果蔬批发市场（外销）",
    "惠家万佳超市（茂南店）",
    "茂南百佳生活超市",
    "粤西联华超市（站前店）",
    "茂南区实验学校食堂",
    "河西街道中心小学食堂",
    "茂名市第三人民医院职工食堂",
    "茂南区机关饭堂",
    "粤西果蔬贸易有限公司",
    "陈记蔬菜收购点",
    "鉴江水产品收购站",
    "茂南生猪定点屠宰场",
    "深圳鲜达农产品配送有限公司",
    "湛江海鲜冷链物流有限公司",
    "个人零售",
)
