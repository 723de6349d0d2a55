"""demand.drivers: the marketing calendar as the promo regressor, on generated calendars."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sop_lib.demand.drivers import promo_depth

MONTHS = pd.date_range("2024-01-01", periods=30, freq="MS")


def _looped(calendar: pd.DataFrame, series: pd.DataFrame, months: pd.DatetimeIndex) -> pd.DataFrame:
    """The rule said one campaign and one series at a time: every month from the start's month to the
    end date, in the campaign's region or every region for 'all'; the deepest discount where they overlap."""
    depth: dict[tuple[str, pd.Timestamp], float] = {}
    for c in calendar.itertuples(index=False):
        first = pd.Timestamp(c.start_date).to_period("M").to_timestamp()
        for s in series.itertuples(index=False):
            if s.sku == c.sku and c.region in ("all", s.region):
                for m in months[(months >= first) & (months <= pd.Timestamp(c.end_date))]:
                    depth[(s.unique_id, m)] = max(depth.get((s.unique_id, m), 0.0), float(c.discount_pct))
    return pd.DataFrame([(u, m, d) for (u, m), d in sorted(depth.items())], columns=["unique_id", "ds", "promo"])


def _generated(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Series of a few SKUs in a few regions, and campaigns: overlapping, for 'all' or one region (one
    with no series), ending before they start, reaching before and after the months."""
    rng = np.random.default_rng(seed)
    skus, regions = [f"S{k}" for k in range(int(rng.integers(1, 6)))], ["North", "South", "East"][: int(rng.integers(1, 4))]
    series = pd.DataFrame(
        [(f"{s}|{r}", s, r) for s in skus for r in regions if rng.uniform() < 0.8], columns=["unique_id", "sku", "region"]
    )
    n = int(rng.integers(0, 25))
    start = MONTHS[0] + pd.to_timedelta(rng.integers(-90, 30 * 32, n), unit="D")
    calendar = pd.DataFrame(
        {
            "sku": rng.choice([*skus, "GONE"], n),
            "region": rng.choice(["all", *regions, "West"], n),
            "start_date": start,
            "end_date": start + pd.to_timedelta(rng.integers(-20, 200, n), unit="D"),
            "discount_pct": rng.choice([0.05, 0.1, 0.2, 0.3], n),
        }
    )
    return calendar, series


@pytest.mark.parametrize("seed", range(12))
def test_the_promo_regressor_follows_the_calendar_campaign_by_campaign(seed):
    calendar, series = _generated(seed)
    got = promo_depth(calendar, series, MONTHS)
    want = _looped(calendar, series, MONTHS)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)
    if len(got):
        assert got["ds"].isin(MONTHS).all() and got["promo"].gt(0).all()
