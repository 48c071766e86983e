"""Benchmark data: streamed in chunks, exact row counts, keys that join."""

from pathlib import Path

import pandas as pd
import pytest
from agritrace.contracts import FEEDS
from agritrace.synth import generate_scale, is_valid_credit_code


@pytest.fixture(scope="module")
def scale(tmp_path_factory):
    out = tmp_path_factory.mktemp("scale")
    summary = generate_scale(out, inspection_results=50_000, certificates=20_000, batches=8_000, chunk_rows=7_000)
    frames = {
        feed: pd.concat([pd.read_csv(p, dtype=str, keep_default_na=False) for p in paths])
        for feed, paths in summary.files.items()
    }
    return summary, frames


def test_scale_writes_the_requested_row_counts(scale):
    summary, frames = scale
    assert summary.rows["inspection_results"] == len(frames["inspection_results"]) == 50_000
    assert summary.rows["certificates"] == len(frames["certificates"]) == 20_000
    assert summary.rows["sampling_batches"] == len(frames["sampling_batches"]) == 8_000
    assert summary.rows["producers"] == len(frames["producers"])


def test_scale_files_use_canonical_english_headers(scale):
    summary, frames = scale
    for feed, frame in frames.items():
        assert list(frame.columns) == FEEDS[feed].columns
        assert all(Path(p).suffix == ".csv" for p in summary.files[feed])


def test_scale_keys_are_unique_and_join(scale):
    _, f = scale
    producers, certs, batches, results = (
        f["producers"],
        f["certificates"],
        f["sampling_batches"],
        f["inspection_results"],
    )
    assert producers.producer_id.is_unique and certs.certificate_no.is_unique
    assert batches.batch_no.is_unique
    assert not results.duplicated(["batch_no", "analyte"]).any()
    assert set(certs.producer_id) <= set(producers.producer_id)
    assert set(results.batch_no) <= set(batches.batch_no)
    linked = batches.merge(certs, on="certificate_no", suffixes=("", "_cert"))
    assert len(linked) == len(batches)
    assert (linked.producer_id == linked.producer_id_cert).all()
    assert (linked.product_name == linked.product_name_cert).all()
    assert (linked.sampling_date >= linked.issue_date).all()


def test_scale_dates_are_ordered_and_codes_verify(scale):
    _, f = scale
    joined = f["inspection_results"].merge(f["sampling_batches"], on="batch_no")
    assert (joined.tested_on > joined.sampling_date).all()
    codes = f["producers"].producer_id
    orgs = codes[~codes.str.startswith("HH-")]
    assert len(orgs) > 0 and all(is_valid_credit_code(c) for c in orgs)
    assert (f["producers"].registered_on < "2023-01-01").all()


def test_scale_refuses_more_items_per_batch_than_a_panel_holds(tmp_path):
    with pytest.raises(ValueError, match="more batches"):
        generate_scale(tmp_path, inspection_results=1_000, certificates=10, batches=10)
