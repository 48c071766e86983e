"""Header matching: canonical names and Chinese aliases, however they are spelled."""

from pathlib import Path

import pytest
from agritrace.contracts import FEEDS
from agritrace.ingest import FileRejected, read_feed_file
from agritrace.ingest.headers import contract_column


def _csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "producers.csv"
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    "header",
    [
        "producer_id",
        " Producer_ID ",
        "PRODUCER ID",
        "ｐｒｏｄｕｃｅｒ＿ｉｄ",
        "主体编码",
        "主體編碼",
        "统一社会信用代码",
        "\ufeff主体编码",
    ],
)
def test_header_spellings_name_the_same_column(header: str) -> None:
    assert contract_column(FEEDS["producers"], header) == "producer_id"


def test_full_width_brackets_match_half_width_alias() -> None:
    assert contract_column(FEEDS["certificates"], "数量（重量）") == "quantity"
    assert contract_column(FEEDS["producers"], "乡镇（街道）") == "town"
    assert contract_column(FEEDS["sampling_batches"], "抽样数量（ＫＧ）") == "sample_qty_kg"


def test_no_alias_names_two_columns_of_one_feed() -> None:
    for feed in FEEDS.values():
        for field in feed.fields:
            for header in field.headers:
                assert contract_column(feed, header) == field.name


def test_traditional_headers_with_bom_read_a_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, "\ufeff主體編碼,主體名稱,主體類型,行政區劃代碼\nHH-440902-0001,王五,農戶,440902\n")
    [parsed] = read_feed_file(path, "producers")
    assert parsed.header_map == {
        "主體編碼": "producer_id",
        "主體名稱": "producer_name",
        "主體類型": "producer_type",
        "行政區劃代碼": "region_code",
    }
    assert parsed.raw.loc[2, "producer_id"] == "HH-440902-0001"


def test_english_headers_in_any_case_read_a_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, "Producer_ID,PRODUCER_NAME,producer type,Region_Code\nHH-440902-0001,王五,household,440902\n")
    [parsed] = read_feed_file(path, "producers")
    assert parsed.missing_required == []
    assert parsed.raw.loc[2, "producer_type"] == "household"


def test_headers_naming_one_column_twice_reject_the_file(tmp_path: Path) -> None:
    path = _csv(tmp_path, "producer_id,主体编码,主体名称\nA,B,C\n")
    with pytest.raises(FileRejected) as caught:
        read_feed_file(path, "producers")
    assert "'producer_id'" in caught.value.reason and "'主体编码'" in caught.value.reason
    assert "producer_id" in caught.value.reason


def test_unknown_columns_are_reported_and_kept_aside(tmp_path: Path) -> None:
    path = _csv(tmp_path, "主体编码,主体名称,主体类型,行政区划代码,法人代表,备注\nA,B,企业,440902,张三,\n")
    [parsed] = read_feed_file(path, "producers")
    assert parsed.extra_columns == ["法人代表", "备注"]
    assert parsed.raw_extra.loc[2, "法人代表"] == "张三"
    assert parsed.raw_extra.loc[2, "备注"] is None
    assert "法人代表" not in parsed.raw.columns


def test_missing_required_columns_are_listed_not_rejected(tmp_path: Path) -> None:
    path = _csv(tmp_path, "主体编码,主体名称\nA,B\n")
    [parsed] = read_feed_file(path, "producers")
    assert parsed.missing_required == ["producer_type", "region_code"]
    assert parsed.raw["region_code"].isna().all()
    assert list(parsed.raw.columns) == FEEDS["producers"].columns


def test_blank_header_cell_becomes_a_numbered_extra_column(tmp_path: Path) -> None:
    path = _csv(tmp_path, "主体编码,,主体名称\nA,x,B\n")
    [parsed] = read_feed_file(path, "producers")
    assert parsed.extra_columns == ["column_2"]
    assert parsed.raw_extra.loc[2, "column_2"] == "x"
