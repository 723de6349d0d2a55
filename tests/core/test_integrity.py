"""Checksums: an artifact that changed after it was written is caught, a stored cycle can be verified."""

import json

import pandas as pd
import pytest

from sop_lib.core import integrity
from sop_lib.core.handover import read_table, write_table


def test_an_artifact_edited_after_it_was_written_is_refused_with_its_path(tmp_path):
    path = write_table(tmp_path, "supply_plan", pd.DataFrame({"sku": ["A"], "production": [10.0]}))
    assert read_table(tmp_path, "supply_plan")["production"].iloc[0] == 10
    pd.DataFrame({"sku": ["A"], "production": [99.0]}).to_parquet(path, index=False)  # edited by hand
    with pytest.raises(integrity.IntegrityError) as err:
        read_table(tmp_path, "supply_plan")
    msg = str(err.value)
    assert str(path) in msg and "has changed since step 3 wrote it" in msg and "--from-step" in msg


def test_a_truncated_artifact_is_refused(tmp_path):
    path = write_table(tmp_path, "demand_forecast", pd.DataFrame({"x": range(1000)}))
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(integrity.IntegrityError, match="corrupted or was edited"):
        read_table(tmp_path, "demand_forecast")


def test_verify_names_changed_missing_and_unlisted_files(tmp_path):
    cycle = tmp_path / "2026-11"
    (cycle / "artifacts").mkdir(parents=True)
    for name in ("a.html", "b.html", "artifacts/c.parquet"):
        (cycle / name).write_text(name)
    (cycle / "manifest.json").write_text(json.dumps({"files": integrity.cycle_files(cycle)}))
    assert integrity.verify(cycle) == []
    (cycle / "a.html").write_text("edited")
    (cycle / "artifacts" / "c.parquet").unlink()
    (cycle / "extra.txt").write_text("?")
    problems = integrity.verify(cycle)
    assert problems[0] == "missing: artifacts/c.parquet"
    assert problems[1].startswith("changed: a.html (sha256 ")
    assert problems[2] == "not in the manifest: extra.txt"


def test_verify_of_a_folder_that_is_no_cycle_says_so(tmp_path):
    assert "is not a completed cycle" in integrity.verify(tmp_path)[0]
