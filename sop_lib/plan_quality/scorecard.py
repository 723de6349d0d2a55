"""The replay's report: its sentences, the summary table in words, and the tables written
beside the report (`write_tables`), from what `replay.run` returns."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sop_lib.core.reporting import fmt_eur, plural
from sop_lib.plan_quality.replay import Backtest, verdict

LABELS = {  # policy names for a reader
    "suite": "the suite",
    "naive": "naive",
    "limit": "the forecaster's limit",
    "perfect": "perfect foresight",
}

# the summary's columns a reader sees, in words, and how each is written
SUMMARY_TABLE = {
    "policy": "policy",
    "fill_rate": "fill rate",
    "cycle_service_level": "cycle service level",
    "promised_cycle_service_level": "promised",
    "customer_months_waiting": "customer-months waiting",
    "avg_inventory_eur": "average inventory",
    "total_cost_eur": "total cost",
    "cost_gap_to_perfect_pct": "cost gap to perfect",
}


def percent_change(v: float) -> str:
    """'+12%': a cost gap in per cent, signed."""
    return f"{v:+,.0f}%"


SUMMARY_FORMATS = {
    "fill rate": ".1%",
    "cycle service level": ".1%",
    "promised": lambda v: "—" if pd.isna(v) else f"{v:.1%}",
    "customer-months waiting": ",.0f",
    "average inventory": fmt_eur,
    "total cost": fmt_eur,
    "cost gap to perfect": percent_change,
}
DEFINITIONS = (
    "Fill rate: the share of each month's demand served in that month. Cycle service level: the share of "
    "product-months with demand that ended with nobody waiting. Promised: the cycle service level each month's plan "
    "expected for the month it made, from its own demand draws (step 3's promise); it is calibrated when it matches "
    "the cycle service level reached. Cost: holding + waiting + overtime, in euros; "
    "the gap to perfect foresight in per cent."
)
FILES = {  # the tables behind the page, written beside the report
    "summary": "backtest_summary.csv",
    "monthly": "backtest_months.csv",
    "records": "backtest_records.parquet",
}
FILES_NOTE = (
    f"The tables behind this page: {FILES['summary']} (one row per policy), {FILES['monthly']} (per policy and "
    f"month) and {FILES['records']} (per policy, month and product), beside this report."
)


def opening(company: str, bt: Backtest, horizon_months: int) -> str:
    """What was replayed, for whom, how far ahead each month was planned, and how long it took (and the
    stand-ins for prices or costs the product master lacks, if any)."""
    return (
        f"{company}: {len(bt.replayed)} months replayed, {bt.replayed[0]:%b %Y} to {bt.replayed[-1]:%b %Y}, "
        f"{plural(bt.records['sku'].nunique(), 'product')}, each month re-planned {horizon_months} months "
        f"ahead. The suite's forecast in the replay: {bt.profile}. The replay took {bt.seconds:.0f} s."
    ) + (f" {bt.valuation}" if bt.valuation else "")


def service_caption(summary: pd.DataFrame, service_level: float) -> str:
    """The service-against-stock chart's caption: the verdict (`replay.verdict`) in one paragraph."""
    return " ".join(verdict(summary, service_level))


def summary_table(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per policy, named for a reader, with the columns of `SUMMARY_TABLE` (see `SUMMARY_FORMATS`);
    a column with nothing in it (no gap to a perfect foresight that cost nothing) is left out."""
    table = summary.assign(policy=summary["policy"].map(LABELS))[list(SUMMARY_TABLE)].rename(columns=SUMMARY_TABLE)
    return table.dropna(axis=1, how="all")


def monthly_caption(monthly: pd.DataFrame) -> str:
    """The month-by-month chart's caption, naming the suite's weakest month."""
    worst = monthly[monthly["policy"] == "suite"].sort_values("fill_rate").iloc[0]
    return (
        "Each line is one policy's month: the share of demand served (left) and the stock it held at month "
        f"end (right). The suite's weakest month was {worst['month']:%b %Y} ({worst['fill_rate']:.1%} served)."
    )


def write_tables(bt: Backtest, out_dir: str | Path) -> list[Path]:
    """Write the summary, the months and the per-product records into ``out_dir`` (`FILES`); return their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = [out / FILES[name] for name in ("summary", "monthly", "records")]
    bt.summary.to_csv(paths[0], index=False)
    bt.monthly.to_csv(paths[1], index=False)
    bt.records.to_parquet(paths[2], index=False)
    return paths
