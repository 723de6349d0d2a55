"""Plan quality by replay: on tiny companies whose answer is known, the information barrier,
bad arguments, and `sop backtest` on the demo company."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from sop_lib.plan_quality import replay as backtest

COSTS = backtest.Costs(
    holding_pct_year=0.24,
    lateness_pct=0.08,
    stockout_pct=0.3,
    overtime_pct=0.1,
    overtime_cost=50.0,
    storage_limit=None,
    service_level=0.95,
    review_months=1.0,
)
REPLAYED = pd.date_range("2025-01-01", periods=6, freq="MS")


def company(units: dict[str, np.ndarray], months: pd.DatetimeIndex, hours: float = 10_000.0):
    """A tiny company: one region, one line with ``hours`` a month, one supplier with room to spare."""
    skus = list(units)
    history = pd.concat(
        [
            pd.DataFrame(
                {
                    "unique_id": f"{s}|R",
                    "ds": months,
                    "y": units[s].astype(float),
                    "family": "F",
                    "sku": s,
                    "region": "R",
                    "promo": 0.0,
                }
            )
            for s in skus
        ],
        ignore_index=True,
    )
    tables = {
        "products": pd.DataFrame({"sku": skus, "unit_cost_eur": 50.0, "list_price_eur": 100.0}),
        "routings": pd.DataFrame({"sku": skus, "line_id": "L", "hours_per_unit": 0.1}),
        "production_lines": pd.DataFrame({"line_id": ["L"], "line_name": ["Line"], "hours_per_month": [hours]}),
        "bom": pd.DataFrame({"sku": skus, "component": "C", "component_name": "Part", "qty_per_unit": 1.0, "supplier_id": "S"}),
        "suppliers": pd.DataFrame(
            {
                "supplier_id": ["S"],
                "supplier_name": ["Supplier"],
                "country": ["DE"],
                "lead_time_days": [7],
                "lead_time_sd_days": [0],
                "on_time_rate": [1.0],
                "financial_risk": ["low"],
                "capacity_units_per_month": [1e6],
            }
        ),
    }
    return history, tables


def truth_forecaster(history_all: pd.DataFrame, calls: list | None = None) -> backtest.Forecaster:
    """Draws equal to what will really sell (no spread): a forecast that cannot be beaten."""
    actual = backtest.sku_months(history_all).pivot_table(index="ds", columns="sku", values="y")

    def run(seen, future, origin, horizon):
        if calls is not None:
            calls.append((origin, seen["ds"].max()))
        months = pd.date_range(origin, periods=horizon, freq="MS")
        v = actual.reindex(months).ffill().fillna(0.0).to_numpy().T  # (sku, ds)
        return xr.DataArray(
            np.repeat(v[None], 20, axis=0),
            dims=("sample", "sku", "ds"),
            coords={"sample": np.arange(20), "sku": list(actual.columns), "ds": months},
        )

    return run


def replay(history, tables, forecaster, **kw):
    records, overtime = backtest.replay(
        history,
        history[["unique_id", "ds", "promo"]],
        tables,
        replayed=REPLAYED,
        horizon=3,
        costs=COSTS,
        naive_cover_weeks=kw.pop("cover", 2.0),
        forecaster=forecaster,
        **kw,
    )
    return records, overtime, backtest.summarise(records, overtime).set_index("policy")


def test_a_forecast_that_knows_the_truth_plans_as_perfect_foresight_does():
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    history, tables = company({"A": np.full(len(months), 100), "B": np.full(len(months), 40)}, months)
    records, _, s = replay(history, tables, truth_forecaster(history))
    assert s.loc["suite", "fill_rate"] == pytest.approx(1.0) and s.loc["perfect", "fill_rate"] == pytest.approx(1.0)
    suite, perfect = (records[records["policy"] == p].set_index(["month", "sku"]) for p in ("suite", "perfect"))
    # constant demand, no spread: no safety stock, so the suite makes exactly what perfect foresight makes
    assert suite["made"].to_numpy() == pytest.approx(perfect["made"].to_numpy(), abs=1e-3)
    assert s.loc["suite", "total_cost_eur"] == pytest.approx(s.loc["perfect", "total_cost_eur"], abs=1.0)
    assert s.loc["suite", "cost_gap_to_perfect_pct"] == pytest.approx(0.0, abs=1e-6) or s.loc["perfect", "total_cost_eur"] < 1


def test_after_a_step_in_demand_the_naive_policy_lags_and_customers_wait():
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    units = np.where(months >= "2025-02-01", 200, 100)
    history, tables = company({"A": units}, months)
    _, _, s = replay(history, tables, truth_forecaster(history))
    assert s.loc["perfect", "fill_rate"] == pytest.approx(1.0)
    assert s.loc["naive", "fill_rate"] < 0.8  # last year's 100 a month against 200
    assert s.loc["naive", "customer_months_waiting"] > 100 > s.loc["suite", "customer_months_waiting"]
    assert s.loc["naive", "total_cost_eur"] > s.loc["suite", "total_cost_eur"] + 1000


def test_capacity_that_binds_limits_even_perfect_foresight_and_it_prebuilds():
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    units = np.where(months == "2025-04-01", 300, 100)  # one peak above what the line makes in a month
    history, tables = company({"A": units}, months, hours=16.0)  # 160 units a month, 176 with overtime
    records, _, s = replay(history, tables, truth_forecaster(history))
    perfect = records[records["policy"] == "perfect"].set_index("month")
    assert perfect.loc["2025-03-01", "end_stock"] >= 300 - 176  # built ahead of the peak it knew about
    assert s.loc["perfect", "fill_rate"] == pytest.approx(1.0)
    assert s.loc["naive", "fill_rate"] < 1.0  # last year had no peak: customers wait in April


def seen_forecaster(calls: list | None = None) -> backtest.Forecaster:
    """Draws from what the forecaster was shown: each SKU's mean of its last three months, with spread."""

    def run(seen, future, origin, horizon):
        if calls is not None:
            calls.append((origin, seen["ds"].max()))
        level = backtest.sku_months(seen).pivot_table(index="ds", columns="sku", values="y").tail(3).mean()
        months = pd.date_range(origin, periods=horizon, freq="MS")
        noise = np.random.default_rng(0).lognormal(0, 0.2, (50, len(level), horizon))
        return xr.DataArray(
            level.to_numpy()[None, :, None] * noise,
            dims=("sample", "sku", "ds"),
            coords={"sample": np.arange(50), "sku": list(level.index), "ds": months},
        )

    return run


@pytest.mark.parametrize("warmup", [0, 2])
def test_no_month_sees_its_own_future(warmup):
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    rng = np.random.default_rng(1)
    clean, tables = company({"A": rng.poisson(100, len(months)), "B": rng.poisson(50, len(months))}, months)
    calls: list = []
    base, _, _ = replay(clean, tables, seen_forecaster(calls), warmup=warmup)
    starts = pd.date_range(REPLAYED[0] - pd.DateOffset(months=warmup), REPLAYED[-1], freq="MS")
    assert [c[0] for c in calls] == list(starts)
    assert all(seen < origin for origin, seen in calls)  # the forecaster never receives a row of its month or later
    # sales of the last replayed month changed a hundredfold: nothing made up to and in that month may move,
    # since what a month makes is decided at its start
    poisoned = clean.copy()
    poisoned.loc[poisoned["ds"] == REPLAYED[-1], "y"] *= 100
    after, _, _ = replay(poisoned, tables, seen_forecaster(), warmup=warmup)
    for policy in ("suite", "naive"):
        a = base[base["policy"] == policy]["made"].to_numpy()
        b = after[after["policy"] == policy]["made"].to_numpy()
        assert len(a) == 6 * 2 and a == pytest.approx(b), policy
    # ...and the poison is really read: the month's demand and what waits at its end do move
    assert after["demand"].sum() > 10 * base["demand"].sum() / 6


def test_a_product_discontinued_during_the_replay_is_planned_until_it_stops():
    months = pd.date_range("2023-01-01", "2025-06-01", freq="MS")
    units = {"A": np.full(len(months), 100), "B": np.where(months < "2025-03-01", 60, 0)}
    history, tables = company(units, months)
    tables["products"]["discontinue_date"] = [pd.NaT, pd.Timestamp("2025-03-01")]
    history = history[~((history["sku"] == "B") & (history["ds"] >= "2025-03-01"))]
    records, _, s = replay(history, tables, seen_forecaster())
    b = records[(records["sku"] == "B")].set_index(["policy", "month"])
    assert b.loc[("naive", pd.Timestamp("2025-02-01")), "made"] > 0
    assert b.xs(pd.Timestamp("2025-04-01"), level="month")["made"].sum() == pytest.approx(0.0, abs=1e-6)


def test_naive_plans_a_product_launched_within_the_year_at_its_recent_level():
    months = pd.date_range("2024-06-01", "2025-01-01", freq="MS")
    seen = pd.DataFrame({"sku": "N", "ds": months, "y": 30.0})
    view = backtest.naive_view(seen, pd.date_range("2025-02-01", periods=2, freq="MS"), ["N"])
    assert list(view["units"]) == [30.0, 30.0]


def test_bad_arguments_get_one_clear_line():
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    history, tables = company({"A": np.full(len(months), 10)}, months)
    with pytest.raises(
        backtest.BacktestError,
        match=r"starts 2024-01: replaying 6 months from 2025-01 leaves 12 "
        r"months to forecast from; expected at least 18",
    ):
        backtest.check_span(history, REPLAYED, 12, 18)
    with pytest.raises(backtest.BacktestError, match="ends 2025-06, before the last replayed month 2025-08"):
        backtest.check_span(history, pd.date_range("2025-03-01", periods=6, freq="MS"), 12, 6)
    with pytest.raises(backtest.BacktestError, match="unknown policy oracle"):
        replay(history, tables, truth_forecaster(history), policies=("suite", "oracle"))
    with pytest.raises(backtest.BacktestError, match="no product with sales history has a routing"):
        replay(history, {**tables, "routings": tables["routings"].assign(sku="Z")}, truth_forecaster(history))
    with pytest.raises(backtest.BacktestError, match="the limit policy needs the true demand distribution"):
        replay(history, tables, truth_forecaster(history), policies=("suite", "limit"))


def test_auto_replays_counts_with_the_trend_model_by_advi_and_other_units_or_many_series_with_ets_by_map():
    counts = pd.DataFrame({"unique_id": ["a", "a", "b", "b"], "y": [3.0, 0.0, 12.0, np.nan]})
    assert backtest.replay_profile("auto", "auto", counts)[:2] == ("trend", "advi")
    assert backtest.replay_profile("auto", "auto", counts.assign(y=counts["y"] + 0.25))[:2] == ("ets", "map")  # kilograms
    many = pd.DataFrame({"unique_id": np.arange(backtest.TREND_MAX_SERIES + 1), "y": 5.0})
    model, method, why = backtest.replay_profile("auto", "auto", many)
    assert (model, method) == ("ets", "map") and f"{backtest.TREND_MAX_SERIES + 1} series" in why  # a re-plan stays seconds
    assert backtest.replay_profile("trend", "nuts", counts)[:2] == ("trend", "nuts")  # what the params name is kept


def test_the_verdict_names_what_costs_the_most():
    summary = pd.DataFrame(
        [
            {
                "policy": "suite",
                "fill_rate": 0.97,
                "cycle_service_level": 0.91,
                "customer_months_waiting": 10,
                "avg_inventory_eur": 800.0,
                "total_cost_eur": 300.0,
                "cost_gap_to_perfect_pct": 200.0,
                "holding_eur": 250.0,
                "waiting_eur": 40.0,
                "overtime_eur": 10.0,
                "below_safety_share": 0.6,
            },
            {
                "policy": "naive",
                "fill_rate": 0.95,
                "cycle_service_level": 0.88,
                "customer_months_waiting": 30,
                "avg_inventory_eur": 1000.0,
                "total_cost_eur": 400.0,
                "cost_gap_to_perfect_pct": 300.0,
                "holding_eur": 300.0,
                "waiting_eur": 90.0,
                "overtime_eur": 10.0,
                "below_safety_share": 0.5,
            },
            {
                "policy": "perfect",
                "fill_rate": 0.99,
                "cycle_service_level": 0.97,
                "customer_months_waiting": 2,
                "avg_inventory_eur": 100.0,
                "total_cost_eur": 100.0,
                "cost_gap_to_perfect_pct": 0.0,
                "holding_eur": 40.0,
                "waiting_eur": 50.0,
                "overtime_eur": 10.0,
                "below_safety_share": 0.0,
            },
        ]
    )
    text = " ".join(backtest.verdict(summary, 0.95))
    assert "(target 95%: not reached)" in text
    assert "+200% against perfect foresight" in text
    assert "Most of the gap (€210) is holding stock" in text
    assert "fill rate +2.0 points, average inventory -20%, cost -25%" in text
    assert "below its own safety stock in 60% of product-months" in text
    assert "Against naive, the suite loses nothing" in text


def test_the_verdict_holds_the_promise_against_the_outcome_and_says_what_the_limit_policy_does_better():
    rows = {
        "suite": (0.95, 0.86, 300.0, 0.93),
        "limit": (0.97, 0.94, 240.0, 0.95),
        "perfect": (0.99, 0.97, 100.0, float("nan")),
    }
    summary = pd.DataFrame(
        [
            {
                "policy": p,
                "fill_rate": f,
                "cycle_service_level": c,
                "total_cost_eur": cost,
                "promised_cycle_service_level": promised,
                "cost_gap_to_perfect_pct": 100 * (cost / 100 - 1),
                "holding_eur": cost / 2,
                "waiting_eur": cost / 2,
                "overtime_eur": 0.0,
                "below_safety_share": 0.1,
            }
            for p, (f, c, cost, promised) in rows.items()
        ]
    )
    text = " ".join(backtest.verdict(summary, 0.95))
    assert "promised a 93% cycle service level for the months they made and delivered 86%: -7 points off its promise" in text
    assert (
        "Against the forecaster's limit, the suite loses 2.0 points of fill rate, 8.0 points of cycle service level, €60 of cost (+25%)."
        in text
    )


def test_the_limit_policy_plans_from_the_true_distribution_and_every_drawn_policy_makes_a_promise():
    months = pd.date_range("2024-01-01", "2025-06-01", freq="MS")
    history, tables = company({"A": np.full(len(months), 10), "B": np.full(len(months), 4)}, months)
    _, _, s = replay(
        history, tables, truth_forecaster(history), policies=("suite", "limit", "perfect"), truth=truth_forecaster(history)
    )
    assert s.loc["limit", "fill_rate"] == pytest.approx(1.0) and s.loc["suite", "fill_rate"] == pytest.approx(1.0)
    assert s.loc["suite", "promised_cycle_service_level"] == pytest.approx(1.0)  # a sure forecast promises what it delivers
    assert np.isnan(s.loc["perfect", "promised_cycle_service_level"])


@pytest.fixture(scope="module")
def demo_backtest(tmp_path_factory):
    """`sop backtest` on the demo company, two months (the engine's fast profile) after two warm-up months
    set for this replay only (`--set`), into a fresh reports folder."""
    import yaml

    from sop_lib.batch import cli

    root = Path(__file__).resolve().parents[2]
    tmp = tmp_path_factory.mktemp("backtest")
    params = yaml.safe_load((root / "params" / "default.yaml").read_text(encoding="utf-8"))
    params["data"]["folder"] = str(tmp / "demo")
    params["backtest"] = {**params.get("backtest", {}), "model": "ets", "method": "map"}  # not auto's trend/ADVI: seconds
    pfile = tmp / "run.yaml"
    pfile.write_text(yaml.safe_dump(params, sort_keys=False), encoding="utf-8")
    reports = tmp / "reports"
    run = ["backtest", "--params", str(pfile), "--months", "2", "--reports", str(reports), "--quiet"]
    assert cli.main([*run, "--set", "backtest.warmup_months=2"]) == 0
    return {"params": pfile, "reports": reports, "folder": reports / "backtest-2026-11"}


def test_sop_backtest_writes_the_report_and_one_summary_row_per_policy(demo_backtest):
    folder = demo_backtest["folder"]
    summary = pd.read_csv(folder / "backtest_summary.csv")
    assert list(summary.columns[:7]) == [
        "policy",
        "fill_rate",
        "cycle_service_level",
        "customer_months_waiting",
        "avg_inventory_eur",
        "total_cost_eur",
        "cost_gap_to_perfect_pct",
    ]
    assert list(summary["policy"]) == ["suite", "naive", "limit", "perfect"]  # the demo's true demand is known: the limit too
    assert summary["fill_rate"].between(0, 1).all() and (summary["avg_inventory_eur"] >= 0).all()
    months = pd.read_csv(folder / "backtest_months.csv", parse_dates=["month"])
    assert set(months["month"]) == {pd.Timestamp("2026-09-01"), pd.Timestamp("2026-10-01")}
    page = (folder / "backtest.html").read_text(encoding="utf-8")
    assert "Service against stock" in page and "ets model by MAP" in page and "Traceback" not in page
    assert page.count("data:image/png;base64") >= 2
    assert "Changed for this run (not in the params file): backtest.warmup_months = 2." in page
    assert "replaying 2 months" in (folder / "sop-backtest.log").read_text(encoding="utf-8")


def test_a_key_set_for_a_replay_is_validated_as_the_file_is(demo_backtest, capsys):
    from sop_lib.batch import cli

    run = ["backtest", "--params", str(demo_backtest["params"]), "--reports", str(demo_backtest["reports"]), "--quiet"]
    assert cli.main([*run, "--set", "backtest.warmup_months=40"]) == 2
    assert "(set for this run: backtest.warmup_months=40)" in capsys.readouterr().err


def test_a_backtest_that_cannot_run_says_why_and_keeps_the_earlier_one(demo_backtest, capsys):
    from sop_lib.batch import cli

    before = (demo_backtest["folder"] / "backtest_summary.csv").read_bytes()
    run = ["backtest", "--params", str(demo_backtest["params"]), "--reports", str(demo_backtest["reports"]), "--quiet"]
    assert cli.main([*run, "--months", "28"]) == 1  # 48 months of history, 28 + 6 warm-up replayed: 14 to forecast from
    err = capsys.readouterr().err
    assert "BacktestError" in err
    assert "after 6 warm-up months from 2024-01 leaves 14 months to forecast from; expected at least 18" in err
    assert f"{demo_backtest['folder']} is unchanged" in err
    assert (demo_backtest["folder"] / "backtest_summary.csv").read_bytes() == before
    assert cli.main([*run, "--months", "40"]) == 1
    assert "--months must be between 2 and 36, got 40" in capsys.readouterr().err


def test_the_replay_plans_and_costs_a_thin_product_master_with_step_3s_stand_ins():
    from sop_lib.plan_quality.replay import valuation

    t = {
        "products": pd.DataFrame({"sku": ["A", "B"], "list_price_eur": [np.nan, np.nan], "unit_cost_eur": [np.nan, np.nan]}),
        "inventory": pd.DataFrame(columns=["sku", "on_hand"]),
        "open_orders": pd.DataFrame(columns=["sku", "qty", "customer_id", "status"]),
        "routings": pd.DataFrame({"sku": ["A", "B"], "line_id": "L1", "hours_per_unit": [0.5, 1.0]}),
        "production_lines": pd.DataFrame({"line_id": ["L1"], "hours_per_month": [100.0]}),
        "headcount": pd.DataFrame(columns=["role", "headcount", "capacity_per_head", "hiring_lead_months"]),
    }
    v = valuation(t, COSTS, ["A", "B"])
    assert v.price.to_dict() == {"A": COSTS.overtime_cost / COSTS.lateness_pct, "B": COSTS.overtime_cost / COSTS.lateness_pct}
    assert "values every unit alike" in v.sentence("the replay's waiting and holding costs")
