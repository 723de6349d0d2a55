"""From the model's draws to the consensus plan, in one place.

Step 2 builds the plan's demand in a fixed order — the model's draws, then the external
shocks of params, the product launches, the CRM pipeline's series without history and
last the consensus overrides — and the what-ifs of step 4 (a launch moved, the plan without
launches) rebuild it the same way from step 2's ``base`` draws. Each stage draws from its
own seeded stream, so the same inputs give the same draws, bit for bit, wherever they are built.
"""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd
import xarray as xr

from sop_lib.demand.drivers import add_series, apply_overrides, apply_shocks, pipeline_demand
from sop_lib.demand.launches import apply_launches


class ConsensusDraws(NamedTuple):
    """The three layers of the plan's demand draws (sample, unique_id, ds)."""

    base: xr.DataArray  # the model's draws with the shocks: what a launch what-if re-plans from
    statistical: xr.DataArray  # plus launches and the pipeline's series: the forecast before judgement
    consensus: xr.DataArray  # plus the consensus overrides: the plan's demand

    def to_dataset(self) -> xr.Dataset:
        """The hand-over of step 2's draws: ``demand`` (the consensus), ``statistical`` and ``base``,
        which `reconciliation.series_without_launches` splits again for the what-ifs."""
        ids = self.consensus.indexes["unique_id"]  # the arrays on the consensus's series, each copied only if it differs
        others = [self.statistical, self.base]  # (an outer join copied all three at once)
        if all(a.indexes["unique_id"].isin(ids).all() for a in others):  # else a series the consensus lacks: joined as before
            others = [a if a.indexes["unique_id"].equals(ids) else a.reindex(unique_id=ids) for a in others]
        return xr.Dataset({"demand": self.consensus, "statistical": others[0], "base": others[1]})


def consensus_chain(
    draws: xr.DataArray,
    launches: pd.DataFrame,
    *,
    seed: int,
    shocks: list | tuple = (),
    pipeline: pd.DataFrame | xr.DataArray | None = None,
    overrides: pd.DataFrame | None = None,
    delay_months: int = 0,
) -> ConsensusDraws:
    """Model draws -> shocks -> launches -> CRM pipeline -> consensus overrides.

    ``pipeline`` is either the CRM opportunities (drawn here, for the series the draws do not
    have yet) or the pipeline-only series step 2 already drew (added as they are, so a what-if
    keeps them); None adds none. ``delay_months`` moves every launch window (a what-if).
    Overrides apply when there are any; no shocks leaves the draws' values as they are.
    """
    base = apply_shocks(draws, list(shocks), seed=seed)
    statistical = apply_launches(base, launches, seed=seed, delay_months=delay_months)
    if pipeline is not None:
        extra = pipeline_demand(pipeline, statistical, seed=seed) if isinstance(pipeline, pd.DataFrame) else pipeline
        statistical = add_series(statistical, extra)
    consensus = apply_overrides(statistical, overrides) if overrides is not None and len(overrides) else statistical
    return ConsensusDraws(base, statistical, consensus)
