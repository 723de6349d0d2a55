"""Intermittent demand (sop_lib.demand.intermittent): which series are, TSB's draws, and their
share in the trend model's forecast."""

import numpy as np
import pandas as pd

from sop_lib.demand import forecast, intermittent


def test_a_series_selling_every_third_month_is_intermittent_one_selling_monthly_is_not():
    y = np.array(
        [[0, 0, 4, 0, 0, 2, 0, 0, 1, 0, 0, 3.0], [5, 4, 6, 5, 3, 4, 6, 5, 4, 5, 6, 4.0], [np.nan] * 6 + [3, 0, 2, 0, 1, 0.0]]
    )  # starts late: 3 sales in 6 months, 2 months apart
    assert intermittent.is_intermittent(y).tolist() == [True, False, True]


def test_months_without_a_sale_lower_the_chance_so_a_fading_part_fades():
    y = np.array([[3, 0, 2, 0, 4, 0, 2, 0, 3, 0, 2, 0] + [0.0] * 24])
    p, z = intermittent.smooth(y)
    assert p[0, -1] < 0.1 * p[0, 12]  # two silent years took the chance of a sale down
    assert z[0, -1] == z[0, 12]  # the size of a sale is only updated by sales


def test_a_series_younger_than_a_year_starts_from_its_own_months():
    y = np.array([[np.nan] * 10 + [1, 0, 0, 0, 0, 0], [np.nan] * 10 + [0, 0, 0, 0, 0, 4.0]])
    p, z = intermittent.smooth(y)
    assert np.allclose(p[:, 10], 1 / 6) and z[0, 10] == 1 and z[1, 10] == 4


def test_draws_sell_with_the_smoothed_chance_and_the_smoothed_size():
    rng = np.random.default_rng(0)
    y = (rng.random((1, 60)) < 0.3) * rng.choice([1.0, 2.0, 6.0], size=(1, 60))
    p, z = intermittent.smooth(y)
    d = intermittent.draws(y, 12, np.random.default_rng(1), 20000)
    assert d.min() == 0 and set(np.unique(d)) <= {0.0} | set(np.unique(y[y > 0] * z[0, -1] / y[y > 0].mean()))
    assert abs((d > 0).mean() - p[0, -1]) < 0.01
    assert abs(d.mean() - p[0, -1] * z[0, -1]) / (p[0, -1] * z[0, -1]) < 0.03


def _spares_and_regulars(months: int = 48) -> pd.DataFrame:
    rng = np.random.default_rng(4)
    ds = pd.date_range("2022-01-01", periods=months, freq="MS")
    rows = []
    for i in range(3):
        rows.append(
            pd.DataFrame({"unique_id": f"spare-{i}", "ds": ds, "y": (rng.random(months) < 0.25) * (1 + rng.poisson(2, months))})
        )
        rows.append(pd.DataFrame({"unique_id": f"regular-{i}", "ds": ds, "y": rng.poisson(40, months)}))
    return pd.concat(rows, ignore_index=True).assign(y=lambda d: d["y"].astype(float))


def test_the_trend_model_takes_part_of_an_intermittent_series_draws_from_tsb_and_no_others():
    h = _spares_and_regulars()
    kw = dict(model="trend", draws=60, tune=60, chains=1, seed=3, return_draws=True)
    alone = forecast(h, 6, tsb_weight=0.0, **kw)
    mixed = forecast(h, 6, tsb_weight=0.5, **kw)
    regular = [f"regular-{i}" for i in range(3)]
    spare = [f"spare-{i}" for i in range(3)]
    np.testing.assert_array_equal(alone.draws.sel(unique_id=regular).values, mixed.draws.sel(unique_id=regular).values)
    assert not np.array_equal(alone.draws.sel(unique_id=spare).values, mixed.draws.sel(unique_id=spare).values)
    assert mixed.idata.attrs["tsb_series"] == 3
    from sop_lib.demand import describe_fit, fit_diagnostics

    assert (
        "For the 3 intermittent series (a sale less often than every 1.32 months) 50% of the draws come from TSB"
        in describe_fit(fit_diagnostics(mixed), 1.0)
    )
