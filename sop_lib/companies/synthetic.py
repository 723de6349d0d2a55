"""Demand histories of companies nobody tuned the engine on: a generator of the class, not one example.

A company is drawn from a `CompanySpec` (how many series, months and families; how large,
how seasonal, how trending and how noisy its sales; how many series sell only now and then)
and its monthly unit sales are simulated in the engine's own layout (``unique_id``, ``ds``,
``y``, ``family``). `random_spec` draws a spec from the whole range companies have: from a
few units to thousands a month, flat to strongly seasonal, shrinking to growing, 24 to 72
months. The tests and ``make bench-sampler ARGS="--companies N"`` fit the demand models on
such companies to check that no fit ends failed and unannounced.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class CompanySpec:
    series: int = 12  # SKU x region (or channel) series
    months: int = 48
    families: int = 3
    level: float = 100.0  # median units a month of a series
    level_spread: float = 1.0  # sd of log level across series
    seasonality: float = 0.3  # amplitude of the yearly cycle, as a share of the level
    trend: float = 0.0  # yearly growth of the family (share per year; negative shrinks)
    dispersion: float = 10.0  # negative-binomial size: small is noisy
    intermittent_share: float = 0.0  # share of series that sell in only some months
    seed: int = 0
    end: str = "2026-10"  # last month of history

    def describe(self) -> str:
        """One line naming the spec's settings, for a benchmark's table or a failing test."""
        return ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in asdict(self).items())


def random_spec(rng: np.random.Generator, seed: int) -> CompanySpec:
    """A company drawn from the range real ones span (sizes, seasonality, trends, counts)."""
    return CompanySpec(
        series=int(rng.integers(4, 41)),
        months=int(rng.integers(24, 73)),
        families=int(rng.integers(1, 6)),
        level=float(np.exp(rng.uniform(np.log(2), np.log(3000)))),
        level_spread=float(rng.uniform(0.2, 1.5)),
        seasonality=float(rng.choice([0.0, rng.uniform(0.1, 0.8)])),
        trend=float(rng.uniform(-0.25, 0.35)),
        dispersion=float(np.exp(rng.uniform(np.log(2), np.log(60)))),
        intermittent_share=float(rng.choice([0.0, rng.uniform(0.05, 0.4)])),
        seed=seed,
    )


def demand_history(spec: CompanySpec) -> pd.DataFrame:
    """Monthly unit sales of every series of ``spec``: unique_id, ds, y, family."""
    rng = np.random.default_rng(spec.seed)
    months = pd.date_range(end=pd.Period(spec.end, "M").to_timestamp(), periods=spec.months, freq="MS")
    t = np.arange(spec.months) / 12
    family = rng.integers(0, spec.families, spec.series)
    peak = rng.uniform(0, 2 * np.pi, spec.families)  # each family peaks in its own month
    growth = spec.trend + rng.normal(0, 0.05, spec.families)
    level = spec.level * np.exp(rng.normal(0, spec.level_spread, spec.series))
    season = 1 + spec.seasonality * np.sin(2 * np.pi * months.month.to_numpy() / 12 + peak[family, None])
    mean = level[:, None] * np.clip(season, 0.05, None) * (1 + growth[family, None]) ** t[None, :]
    sold = rng.negative_binomial(spec.dispersion, spec.dispersion / (spec.dispersion + mean))
    sparse = rng.random(spec.series) < spec.intermittent_share
    if sparse.any():  # sells in a fifth to a half of its months, a few units at a time
        sells = rng.random((int(sparse.sum()), spec.months)) < rng.uniform(0.2, 0.5, (int(sparse.sum()), 1))
        sold[sparse] = np.where(sells, rng.poisson(rng.uniform(1, 6, (int(sparse.sum()), 1)), sells.shape) + 1, 0)
    ids = [f"S{k:03d}" for k in range(spec.series)]
    return pd.DataFrame(
        {
            "unique_id": np.repeat(ids, spec.months),
            "ds": np.tile(months, spec.series),
            "y": sold.ravel().astype(float),
            "family": np.repeat([f"F{f}" for f in family], spec.months),
        }
    )
