from agritrace.contracts.base import Feed, Field

PRODUCERS = Feed(
    name="producers",
    title_zh="主体名录",
    title_en="Producer registry",
    description="Every producer that may issue certificates or be sampled: enterprises, "
    "cooperatives, family farms and households.",
    key=("producer_id",),
    core_table="core.producers",
    core_columns=(
        "producer_id", "producer_name", "producer_type", "region_code", "town", "village", "grid_id",
        "contact_phone", "registered_on",
    ),
    core_key=("producer_id",),
    fields=(
        Field(
            "producer_id", "text",
            "Unified social credit code (18 characters, GB 32100-2015, check character verified) "
            "for organisations, or a registry code HH-<region code>-<serial> for households.",
            aliases=("主体编码", "统一社会信用代码", "主體編碼", "統一社會信用代碼", "主体代码", "信用代码"),
            required=True, unique=True, check="producer_code", case_insensitive=True,
        ),
        Field("producer_name", "text", "Registered name of the producer.",
              aliases=("主体名称", "主體名稱", "生产主体", "生產主體", "企业名称"), required=True),
        Field(
            "producer_type", "enum", "Kind of producer.",
            aliases=("主体类型", "主體類型", "主体性质"), required=True,
            vocabulary={
                "enterprise": ("企业", "企業", "公司"),
                "cooperative": ("合作社", "专业合作社", "專業合作社"),
                "family_farm": ("家庭农场", "家庭農場"),
                "household": ("农户", "農戶", "散户", "散戶", "个体", "個體"),
            },
        ),
        Field("region_code", "text", "6-digit county-level administrative division code (e.g. 440902 茂南区).",
              aliases=("行政区划代码", "行政區劃代碼", "区划代码", "區劃代碼"), required=True, pattern=r"\d{6}"),
        Field("town", "text", "Town or sub-district (乡镇/街道).", aliases=("乡镇(街道)", "乡镇", "鄉鎮(街道)", "鄉鎮", "街道")),
        Field("village", "text", "Village or community.", aliases=("村(社区)", "村", "村(社區)", "社区")),
        Field("grid_id", "text", "Grid supervision cell the producer belongs to.",
              aliases=("网格编号", "網格編號", "网格")),
        Field("contact_phone", "text", "Contact phone. Personal data: masked outside the regulator role.",
              aliases=("联系电话", "聯繫電話", "电话", "電話", "手机"), personal=True, pattern=r"[0-9+\- ]{5,20}"),
        Field("registered_on", "date", "Date the producer was registered.",
              aliases=("登记日期", "登記日期", "注册日期"), not_future=True),
    ),
)
