import csv
import io
from decimal import Decimal

import pytest
from agritrace.trace import cells
from openpyxl import load_workbook


@pytest.mark.parametrize("text", ["=1+1", "+86 138", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_formula_leading_text_gets_an_apostrophe(text):
    assert cells.neutralise(text) == "'" + text


def test_ordinary_text_and_numbers_are_unchanged():
    assert cells.neutralise("豇豆") == "豇豆"
    assert cells.neutralise(-2) == -2
    assert cells.csv_cell(Decimal("-0.5")) == "-0.5"


def test_csv_neutralises_formula_cells():
    out = io.StringIO()
    cells.write_csv(out, ["buyer", "kg"], [['=HYPERLINK("http://x")', -3], ["@金塘农贸市场", 5]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows[1] == ['\'=HYPERLINK("http://x")', "-3"]
    assert rows[2][0] == "'@金塘农贸市场"


def test_xlsx_keeps_formula_text_as_text(tmp_path):
    path = cells.write_xlsx(tmp_path / "x.xlsx", {"s": (["buyer", "kg"], [["=1+1", 2.5], ["+广州", None]])})
    sheet = load_workbook(path).active
    assert sheet["A2"].value == "'=1+1"
    assert sheet["A2"].data_type == "s"
    assert sheet["B2"].value == 2.5
    assert sheet["A3"].value == "'+广州"
