"""The consensus chain: model draws -> shocks -> launches -> CRM pipeline -> overrides, built the
same way by step 2 and by the what-ifs that rebuild it from step 2's hand-over."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.core.params import Shock
from sop_lib.demand import consensus_chain
from sop_lib.reconciliation import demand_without_launches, series_without_launches

MONTHS = pd.date_range("2027-01-01", periods=6, freq="MS")
IDS = ["A|R1", "A|R2", "B|R1"]
SEED = 11


def model_draws(samples: int = 400, seed: int = 0) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    mean = np.array([150.0, 60.0, 200.0])[None, :, None]
    d = rng.gamma(20, mean / 20, size=(samples, len(IDS), len(MONTHS)))
    return xr.DataArray(
        d, dims=("sample", "unique_id", "ds"), coords={"sample": np.arange(samples), "unique_id": IDS, "ds": MONTHS}
    )


def launches(regions: str = "R1;R3") -> pd.DataFrame:
    """N succeeds A in R1 and opens R3, where A does not sell."""
    return pd.DataFrame(
        {
            "sku": ["N"],
            "analog_sku": ["A"],
            "earliest_launch": [MONTHS[1]],
            "likely_launch": [MONTHS[1]],
            "latest_launch": [MONTHS[2]],
            "cannibalisation_pct": [0.5],
            "ramp_months": [2.0],
            "peak_units_per_month": [100.0],
            "regions": [regions],
            "new_territory_share": [0.2],
        }
    )


def pipeline() -> pd.DataFrame:
    """One opportunity for a series with history (ignored: the model knows it) and one in a new region."""
    return pd.DataFrame(
        {
            "sku": ["A", "B"],
            "region": ["R1", "R9"],
            "expected_close": [MONTHS[0], MONTHS[1]],
            "probability": [0.5, 0.5],
            "units": [1000.0, 80.0],
        }
    )


def overrides(sku: str = "B", change_pct: float = 0.2) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "who": "sales",
                "why": "a big order",
                "sku": sku,
                "region": "",
                "from": MONTHS[0],
                "to": MONTHS[2],
                "change_pct": change_pct,
                "units": np.nan,
            }
        ]
    )


SHOCK = Shock(name="levy", start="2027-03", regions=["R2"], effect_low=-0.3, effect_high=-0.1)


def full_chain(**kw):
    args = dict(seed=SEED, shocks=[SHOCK], pipeline=pipeline(), overrides=overrides())
    return consensus_chain(model_draws(), launches(), **{**args, **kw})


def test_without_drivers_the_plan_is_the_model():
    out = consensus_chain(model_draws(), launches().iloc[:0], seed=SEED)
    for layer in out:
        xr.testing.assert_identical(layer, model_draws())


def test_a_shock_scales_its_region_and_months_only_and_widens_the_band():
    base = full_chain().base
    m = model_draws()
    hit = dict(unique_id="A|R2", ds=MONTHS[2:])
    assert float(base.sel(**hit).mean()) < float(m.sel(**hit).mean())
    ratio = (base.sel(**hit) / m.sel(**hit)).values
    assert ratio.min() >= 0.7 - 1e-12 and ratio.max() <= 0.9 + 1e-12
    xr.testing.assert_identical(base.sel(unique_id=["A|R1", "B|R1"]), m.sel(unique_id=["A|R1", "B|R1"]))
    xr.testing.assert_identical(base.sel(unique_id="A|R2", ds=MONTHS[:2]), m.sel(unique_id="A|R2", ds=MONTHS[:2]))


def test_launches_and_pipeline_add_series_without_history_only():
    out = full_chain()
    ids = set(map(str, out.statistical["unique_id"].values))
    assert ids == {*IDS, "N|R1", "N|R3", "B|R9"}  # the opportunity on A|R1 is not counted twice
    assert float(out.statistical.sel(unique_id="N|R1").sum()) > 0
    assert float(out.statistical.sel(unique_id="A|R1", ds=MONTHS[3:]).mean()) < float(
        out.base.sel(unique_id="A|R1", ds=MONTHS[3:]).mean()
    )  # the successor takes part of its analog's demand
    won = out.statistical.sel(unique_id="B|R9", ds=MONTHS[1]).values
    assert set(np.unique(won)) == {0.0, 80.0} and 0.4 < (won > 0).mean() < 0.6


def test_the_overrides_change_the_consensus_and_leave_the_statistical_forecast():
    with_o, without = full_chain(), full_chain(overrides=None)
    xr.testing.assert_identical(with_o.statistical, without.statistical)
    xr.testing.assert_identical(without.consensus, without.statistical)
    ratio = with_o.consensus.sel(unique_id="B|R1", ds=MONTHS[:3]) / with_o.statistical.sel(unique_id="B|R1", ds=MONTHS[:3])
    np.testing.assert_allclose(ratio.values, 1.2)
    xr.testing.assert_identical(with_o.consensus.sel(ds=MONTHS[3:]), with_o.statistical.sel(ds=MONTHS[3:]))


def test_the_same_inputs_give_the_same_draws_and_another_seed_others():
    xr.testing.assert_identical(full_chain().consensus, full_chain().consensus)
    assert not full_chain().consensus.equals(full_chain(seed=SEED + 1).consensus)


def test_a_what_if_rebuilt_from_the_hand_over_is_the_plan_bit_for_bit():
    plan = full_chain()
    ds = plan.to_dataset()
    base, extra = series_without_launches(ds, launches())
    again = consensus_chain(base, launches(), seed=SEED, pipeline=extra, overrides=overrides())
    xr.testing.assert_equal(again.consensus.sel(unique_id=ds["demand"]["unique_id"]), ds["demand"])  # exact, not close


def test_a_later_launch_sells_less_within_the_horizon():
    on_time, late = full_chain(), full_chain(delay_months=3)
    assert float(late.consensus.sel(unique_id="N|R1").sum()) < float(on_time.consensus.sel(unique_id="N|R1").sum())


def test_the_plan_without_launches_keeps_the_pipeline_and_drops_the_launch_overrides():
    plan = full_chain(overrides=pd.concat([overrides(), overrides(sku="N", change_pct=1.0)], ignore_index=True))
    without = demand_without_launches(plan.to_dataset(), launches(), overrides())
    ids = set(map(str, without["unique_id"].values))
    assert ids == {*IDS, "B|R9"}
    np.testing.assert_array_equal(without.sel(unique_id="A|R1").values, plan.base.sel(unique_id="A|R1").values)
    assert float(without.sel(unique_id="B|R1", ds=MONTHS[0]).mean()) == pytest.approx(
        1.2 * float(plan.base.sel(unique_id="B|R1", ds=MONTHS[0]).mean())
    )


def test_the_plan_without_launches_takes_no_overrides_as_the_step_context_gives_them():
    plan = full_chain(overrides=None)
    without = demand_without_launches(plan.to_dataset(), launches(), pd.DataFrame())  # ctx.overrides() when none
    assert set(map(str, without["unique_id"].values)) == {*IDS, "B|R9"}
    np.testing.assert_array_equal(without.sel(unique_id=IDS).values, plan.base.sel(unique_id=IDS).values)


def test_the_hand_over_holds_every_series_of_the_three_arrays_with_their_values():
    import numpy as np
    import pandas as pd
    import xarray as xr

    from sop_lib.demand.consensus import ConsensusDraws

    months = pd.date_range("2027-01-01", periods=2, freq="MS")

    def draws(ids: list[str], value: float) -> xr.DataArray:
        return xr.DataArray(
            np.full((3, len(ids), 2), value, np.float32),
            dims=("sample", "unique_id", "ds"),
            coords={"unique_id": ids, "ds": months},
        )

    for base_ids, cons_ids in ((["b|R", "a|R"], ["b|R", "a|R", "new|R"]), (["b|R", "gone|R"], ["b|R", "a|R"])):
        out = ConsensusDraws(draws(base_ids, 1.0), draws(cons_ids, 2.0), draws(cons_ids, 3.0)).to_dataset()
        assert set(map(str, out["unique_id"].values)) == set(base_ids) | set(cons_ids)
        assert (out["base"].sel(unique_id=base_ids) == 1.0).all() and (out["demand"].sel(unique_id=cons_ids) == 3.0).all()
        assert out["base"].dtype == np.float32
