"""A step that would not fit in memory is refused before it reads the draws, with what to set."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.core import handover, memory


def _draws(series: int, skus: int, samples: int = 50) -> xr.Dataset:
    ids = [f"SKU-{i % skus:04d}|R{i // skus}" for i in range(series)]
    da = xr.DataArray(
        np.ones((samples, series, 12)),
        dims=("sample", "unique_id", "ds"),
        coords={"sample": np.arange(samples), "unique_id": ids, "ds": pd.date_range("2027-01-01", periods=12, freq="MS")},
    )
    return xr.Dataset({"demand": da, "statistical": da, "base": da})


def test_the_size_is_read_from_the_files_header_as_it_will_be_held(tmp_path):
    path = handover.write_netcdf(tmp_path, _draws(300, 100))
    size, series = memory.draws_size(path)
    back = handover.read_draws(tmp_path)
    assert size == pytest.approx(sum(v.nbytes for v in back.data_vars.values()) / 1e9)  # 32-bit, as read back
    assert len(series) == 300 and series[0] == "SKU-0000|R0"


def test_the_estimate_grows_with_the_draws_and_step_4s_workers():
    assert memory.step_memory_gb(3, 2.0) > memory.step_memory_gb(3, 1.0) > memory.STEP_BASE_GB
    assert memory.step_memory_gb(4, 1.0, workers=2) > memory.step_memory_gb(4, 1.0, workers=1)
    assert memory.step_memory_gb(3, 1.0, workers=2) == memory.step_memory_gb(3, 1.0)  # step 3 solves in-process


def test_a_step_that_fits_goes_on_and_one_that_does_not_is_told_what_to_set():
    assert memory.check_step_memory(3, 0.4, free_gb=20) == pytest.approx(memory.step_memory_gb(3, 0.4))
    need_two, need_one = memory.step_memory_gb(4, 4.0, 2), memory.step_memory_gb(4, 4.0, 1)
    with pytest.raises(memory.MemoryShortage, match="set supply.plan_workers: 1") as err:
        memory.check_step_memory(4, 4.0, workers=2, free_gb=(need_one + need_two) / 2)
    assert str(err.value).startswith(f"step 4 would need about {need_two:.1f} GB of memory for 4.00 GB of demand draws")
    with pytest.raises(memory.MemoryShortage, match="demand.draws or demand.horizon_months lower") as err:
        memory.check_step_memory(4, 4.0, workers=1, free_gb=need_one / 2)
    assert "plan_workers" not in str(err.value)
