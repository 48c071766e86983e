"""A very large file is streamed: half a million rows load in bounded memory, every row accounted for.

The load runs in a child process so its peak resident memory can be read on its own
(``os.wait4`` returns the child's rusage), free of whatever the test process holds.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from warehouse_helpers import PRODUCER_COLUMNS, Warehouse, query, uscc

CHILD = Path(__file__).with_name("child_load.py")
ROWS = 500_000
BAD_EVERY = 1_000  # one row in a thousand has a credit code whose check character is wrong
CHUNK_ROWS = 20_000
MEMORY_LIMIT_MB = 1_024


def write_large_producers(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(PRODUCER_COLUMNS) + "\n")
        for i in range(ROWS):
            code = uscc(2_000_000 + i)
            if i % BAD_EVERY == 0:
                code = code[:-1] + ("0" if code[-1] != "0" else "1")
            handle.write(f"{code},茂南区第{i}号家庭农场,家庭农场,440902,金塘镇,13812345678,2023-03-01\n")


@pytest.mark.slow
def test_half_a_million_rows_stream_in_bounded_memory(shared: Warehouse, landing_dir: Path, tmp_path: Path):
    path = landing_dir / "producers" / "large.csv"
    write_large_producers(path)
    size_mb = path.stat().st_size >> 20
    out = tmp_path / "outcome.json"
    with out.open("w") as stdout:
        child = subprocess.Popen([sys.executable, str(CHILD), str(path), "producers", shared.url,
                                  "--chunk-rows", str(CHUNK_ROWS)], stdout=stdout, stderr=subprocess.PIPE)
        status = child.wait()
    assert status == 0, child.stderr.read().decode()[-3000:]
    peak_mb = json.loads(out.read_text().strip().splitlines()[-2])["peak_mb"]
    print(f"peak RSS of the loading process: {peak_mb:.0f} MB for {ROWS} rows ({size_mb} MB file)")
    assert peak_mb < MEMORY_LIMIT_MB

    [outcome] = json.loads(out.read_text().strip().splitlines()[-1])
    bad = ROWS // BAD_EVERY
    assert (outcome["status"], outcome["rows_in"], outcome["rows_loaded"], outcome["rows_quarantined"]) == (
        "loaded", ROWS, ROWS - bad, bad)
    file_id = outcome["file_id"]
    assert query(shared.url, "select count(*) from core.producers where file_id = %s", (file_id,)) == [(ROWS - bad,)]
    assert query(shared.url, "select count(*), min(row_number), max(row_number) from quarantine.rows "
                             "where file_id = %s", (file_id,)) == [(bad, 2, 2 + (bad - 1) * BAD_EVERY)]
    assert query(shared.url, "select rows_in = rows_loaded + rows_quarantined from ops.files where file_id = %s",
                 (file_id,)) == [(True,)]
