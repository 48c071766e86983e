"""Encoding detection and whole-file rejections."""

from pathlib import Path

import pytest
from agritrace.contracts import FEEDS
from agritrace.ingest import FileRejected, read_feed_file

HEADER = "合格证编号,主体编码,产品名称,数量,单位,开具日期,承诺依据\n"
ROW = "C001,91440902MA4UXXXX1X,豇豆,120,公斤,2024-01-02,自检合格\n"


def _write(tmp_path: Path, data: bytes, name: str = "certs.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        ((HEADER + ROW).encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + (HEADER + ROW).encode("utf-8"), "utf-8-sig"),
        ((HEADER + ROW).encode("gbk"), "gb18030"),
        ((HEADER + ROW.replace("豇豆", "豇豆𠀀")).encode("gb18030"), "gb18030"),
    ],
    ids=["utf8", "utf8-bom", "gbk", "gb18030"],
)
def test_each_accepted_encoding_reads_the_same_text(tmp_path: Path, data: bytes, encoding: str) -> None:
    [parsed] = read_feed_file(_write(tmp_path, data), "certificates")
    assert parsed.encoding == encoding
    assert parsed.raw.loc[2, "product_name"].startswith("豇豆")
    assert parsed.raw.loc[2, "certificate_no"] == "C001"
    assert parsed.missing_required == []


def test_gb18030_only_character_survives(tmp_path: Path) -> None:
    data = (HEADER + ROW.replace("豇豆", "豇豆𠀀")).encode("gb18030")
    [parsed] = read_feed_file(_write(tmp_path, data), "certificates")
    assert parsed.raw.loc[2, "product_name"] == "豇豆𠀀"


def test_undecodable_file_is_rejected_naming_file_and_encodings(tmp_path: Path) -> None:
    path = _write(tmp_path, (HEADER + ROW).encode("utf-16"), "utf16.csv")
    with pytest.raises(FileRejected) as caught:
        read_feed_file(path, "certificates")
    assert "utf16.csv" in caught.value.reason
    assert "UTF-8" in caught.value.reason and "GB18030" in caught.value.reason
    assert "utf16.csv" in str(caught.value)


def test_bad_bytes_late_in_file_reject_before_any_chunk(tmp_path: Path) -> None:
    data = (HEADER + ROW * 1000).encode("utf-8") + b"\x80\xff\n"
    with pytest.raises(FileRejected):
        next(
            iter(
                __import__("agritrace.ingest", fromlist=["iter_feed_file"]).iter_feed_file(
                    _write(tmp_path, data), "certificates", chunk_rows=10
                )
            )
        )


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="empty"):
        read_feed_file(_write(tmp_path, b""), "certificates")


def test_whitespace_only_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected, match="empty"):
        read_feed_file(_write(tmp_path, b"\xef\xbb\xbf\r\n \n"), "certificates")


def test_header_only_file_gives_zero_rows(tmp_path: Path) -> None:
    [parsed] = read_feed_file(_write(tmp_path, HEADER.encode()), "certificates")
    assert parsed.rows == 0
    assert list(parsed.raw.columns) == FEEDS["certificates"].columns
    assert parsed.missing_required == []


def test_old_binary_excel_is_rejected_with_what_to_do(tmp_path: Path) -> None:
    path = _write(tmp_path, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls")
    with pytest.raises(FileRejected, match="xlsx"):
        read_feed_file(path, "certificates")


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(FileRejected):
        read_feed_file(tmp_path / "nope.csv", "certificates")
