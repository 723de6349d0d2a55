"""demand.partition / demand.executor: one fit per family, in-process or on Dask, same numbers."""

import numpy as np
import pandas as pd
import pytest

from sop_lib import demand
from sop_lib.core.params import DemandParams
from sop_lib.demand import partitioned
from tests.demand.test_demand import simulate

FAST = dict(group_col="family", model="ets", method="map", seed=7, quantiles=(0.1, 0.5, 0.9))


def test_partitions_are_whole_families_cut_into_equal_chunks():
    history = simulate(n_per_group=5, seed=1)
    assert partitioned.partitions(history, "family") == {"A": [f"A{k}" for k in range(5)], "B": [f"B{k}" for k in range(5)]}
    chunks = partitioned.partitions(history, "family", max_series=2)
    assert list(chunks) == ["A #1", "A #2", "A #3", "B #1", "B #2", "B #3"]
    assert sorted(len(v) for v in chunks.values()) == [1, 1, 2, 2, 2, 2]
    assert sorted(sum(chunks.values(), [])) == sorted(history["unique_id"].unique())


def test_a_partition_seed_depends_on_the_run_seed_and_the_partition_name_only():
    assert partitioned.partition_seed(42, "A") == partitioned.partition_seed(42, "A")
    assert len({partitioned.partition_seed(42, k) for k in ("A", "B", "A #1")} | {partitioned.partition_seed(43, "A")}) == 4


@pytest.fixture(scope="module")
def history():
    return simulate(n_per_group=4, seed=2)


@pytest.fixture(scope="module")
def local(history):
    return demand.forecast(history, 6, partition="family", max_series=2, return_draws=True, **FAST)


def test_each_partition_is_the_forecast_of_its_series_alone(history, local):
    assert [p.partition for p in local.partitions] == ["A #1", "A #2", "B #1", "B #2"]
    assert sorted(map(str, local.draws["unique_id"].values)) == sorted(history["unique_id"].unique())
    alone = demand.forecast(
        history[history["unique_id"].isin(["B2", "B3"])],
        6,
        return_draws=True,
        **{**FAST, "seed": partitioned.partition_seed(7, "B #2")},
    )
    np.testing.assert_array_equal(local.draws.sel(unique_id=["B2", "B3"]).values, alone.draws.values)
    assert demand.fit_diagnostics(local)["partitions"] == 4
    assert "4 partitions" in demand.describe_partitions(local, "local")


def test_dask_local_cluster_gives_the_same_forecast_as_in_process(history, local):
    on_dask = demand.forecast(history, 6, partition="family", max_series=2, executor="dask", workers=2, return_draws=True, **FAST)
    np.testing.assert_allclose(on_dask.draws.values, local.draws.values, rtol=1e-9)
    pd.testing.assert_frame_equal(on_dask.table, local.table)


def test_a_sampled_model_runs_inside_a_dask_worker(history):
    """A Dask worker may not start processes: its NUTS chains run one after the other (two short
    chains per family: the worker, not the posterior, is under test)."""
    res = demand.forecast(
        history,
        6,
        group_col="family",
        model="trend",
        method="nuts",
        draws=25,
        tune=25,
        partition="family",
        executor="dask",
        workers=1,
        return_draws=True,
    )
    assert [p.partition for p in res.partitions] == ["A", "B"]
    assert demand.fit_diagnostics(res)["draws"] == 50


def test_dask_without_partitions_is_refused_naming_the_setting():
    with pytest.raises(ValueError, match="set partition: family"):
        DemandParams(executor="dask")
