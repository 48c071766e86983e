"""Loading the reference CSVs into ref.* and reading them back."""

from __future__ import annotations

import psycopg
from agritrace.reference import ReferenceData, judge_item, load_reference
from agritrace.reference.tables import DATA_DIR, TABLE, TABLES, read_csv


def test_loading_twice_gives_the_same_rows_and_no_duplicates(warehouse):
    with psycopg.connect(warehouse) as conn:
        first = load_reference(conn)
    with psycopg.connect(warehouse) as conn:
        second = load_reference(conn)
    assert first == second
    assert first == {table.name: len(read_csv(table, DATA_DIR)) for table in TABLES}


def test_database_reference_matches_the_package(warehouse):
    with psycopg.connect(warehouse) as conn:
        load_reference(conn)
        stored = ReferenceData.from_database(conn)
        mg_per_kg = conn.execute(
            "select mg_per_kg from ref.limits where analyte_code = 'enrofloxacin' and product_level_code = 'fish'"
        ).fetchone()[0]
    shipped = ReferenceData.from_package()
    assert set(stored.limits) == set(shipped.limits)
    assert set(stored.products) == set(shipped.products)
    assert stored.towns("440902") == shipped.towns("440902")
    assert float(mg_per_kg) == 0.1


def test_alias_inserted_by_sql_resolves_and_survives_a_reload(warehouse):
    with psycopg.connect(warehouse) as conn:
        load_reference(conn)
        conn.execute("insert into ref.product_aliases (alias, product_code) values ('角豆', 'cowpea')")
        conn.execute("insert into ref.analyte_aliases (alias, analyte_code) values ('灭蝇胺（cyromazine）', 'cyromazine')")
    with psycopg.connect(warehouse) as conn:
        counts = load_reference(conn)
        ref = ReferenceData.from_database(conn)
    assert counts["product_aliases"] == len(read_csv(TABLE["product_aliases"], DATA_DIR)) + 1
    item = judge_item(ref, product="角豆", analyte="灭蝇胺(CYROMAZINE)", result_value="0.7")
    assert (item.analyte_code, item.verdict) == ("cyromazine", "fail")


def test_a_failed_load_writes_nothing(warehouse, tmp_path):
    import shutil

    for path in [*DATA_DIR.glob("*.csv"), DATA_DIR / "pack.yaml"]:
        shutil.copy(path, tmp_path / path.name)
    with (tmp_path / "limits.csv").open("a", encoding="utf-8") as f:
        f.write("GB 2763-2021,敌敌畏,product,豇豆,mrl,1,mg/kg,test,false,,\n")
    with psycopg.connect(warehouse) as conn:
        try:
            load_reference(conn, tmp_path)
        except ValueError as exc:
            assert "limits.csv line" in str(exc) and "敌敌畏" in str(exc)
        else:
            raise AssertionError("an unknown analyte in limits.csv must stop the load")
        assert conn.execute("select count(*) from ref.products").fetchone()[0] == 0


def test_the_configured_packs_load_after_the_shipped_one(warehouse, tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    pack = Path(__file__).parents[1] / "fixtures" / "reference_packs" / "test_jurisdiction"
    shutil.copytree(pack, tmp_path / "packs" / "test_jurisdiction")
    (tmp_path / "packs" / "not_a_pack").mkdir()  # a folder without pack.yaml is no pack
    monkeypatch.setenv("AGRITRACE_REFERENCE_PACKS_DIR", str(tmp_path / "packs"))
    with psycopg.connect(warehouse) as conn:
        load_reference(conn)  # what db up and the reference DAG call
        loads = conn.execute("select jurisdiction, pack_name from ref.pack_loads order by load_id").fetchall()
        load_reference(conn)
        again = conn.execute("select count(*) from ref.pack_loads").fetchone()[0]
        jurisdictions = dict(conn.execute("select code, jurisdiction from ref.standards").fetchall())
    assert loads == [("CN", "mainland"), ("TW", "test-jurisdiction")] and again == 2
    assert (jurisdictions["GB 2763-2021"], jurisdictions["TEST-TW-MRL"]) == ("CN", "TW")
