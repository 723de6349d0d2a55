"""Hand-overs between steps: what a later step reads back is what the earlier one wrote."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.core import handover


def test_draws_are_handed_over_in_half_the_bytes_to_seven_digits_and_chunked_by_series(tmp_path):
    rng = np.random.default_rng(3)
    ids = [f"SKU-{i:04d}|North" for i in range(600)]
    months = pd.date_range("2027-01-01", periods=12, freq="MS")
    units = rng.negative_binomial(5, 5 / (5 + rng.uniform(1, 50_000, (200, 600, 12)))).astype(float) * 1.37
    da = xr.DataArray(
        units, dims=("sample", "unique_id", "ds"), coords={"sample": np.arange(200), "unique_id": ids, "ds": months}
    )
    written = xr.Dataset({"demand": da, "base": da.where(da.unique_id != ids[0])})  # a series without base draws: NaN
    path = handover.write_netcdf(tmp_path, written)
    back = handover.read_draws(tmp_path)
    assert back["demand"].dtype == np.float32 and back.nbytes < 0.51 * written.nbytes
    np.testing.assert_allclose(back["demand"].values, units, rtol=1e-7)
    assert np.isnan(back["base"].sel(unique_id=ids[0])).all() and list(back["unique_id"].values) == ids
    with xr.open_dataset(path) as ds:
        assert ds["demand"].encoding["chunksizes"] == (200, handover.DRAWS_CHUNK_SERIES, 12)
