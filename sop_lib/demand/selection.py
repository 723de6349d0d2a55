"""Which model for which family: chosen from held-out evidence, averaged where none wins.

``demand.model: auto`` fits both engine models on the backtest's training months — the
``ets`` model by MAP (always: it is the fast path) and the ``trend`` model by NUTS when
that fit finishes inside ``demand.time_budget_s`` (`sop_lib.demand.model.OverBudget`) —
and scores each family's held-out months. A family takes the model whose WAPE is lower
by more than ``margin`` (relative); where neither is that much better it takes an equal
mixture of both models' draws (the M-competitions' lesson: a combination is rarely worse
than its members, and a mixture's intervals stay honest). The forecast then fits each
model on the series that use it (`forecast_chosen`) and blends the draws. Intermittent
series take the count model whatever their family chose (`series_models`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from sop_lib.demand import trusted
from sop_lib.demand.draws import ForecastResult, summarise_draws
from sop_lib.demand.engine import forecast
from sop_lib.demand.intermittent import ADI_INTERMITTENT, is_intermittent
from sop_lib.demand.sampling import OverBudget

MODELS = {"trend": "nuts", "ets": "map"}  # each candidate with the inference auto gives it
MIX = "mix"
MARGIN = 0.10  # relative WAPE gap that counts as a clear win


def family_wape(actual: pd.DataFrame, tables: dict[str, pd.DataFrame], family_of: pd.Series) -> pd.DataFrame:
    """Held-out WAPE of each model's mean forecast per family: one row per family, a column per model."""
    rows = {}
    for name, table in tables.items():
        m = actual.merge(table[["unique_id", "ds", "mean"]], on=["unique_id", "ds"], how="inner")
        m["family"] = m["unique_id"].map(family_of)
        err = (m["mean"] - m["y"]).abs().groupby(m["family"]).sum()
        rows[name] = err / m["y"].abs().groupby(m["family"]).sum().clip(lower=1e-9)
    return pd.DataFrame(rows).rename_axis("family")


def choose(
    wape: pd.DataFrame, families: list[str], *, margin: float = MARGIN, unavailable: dict[str, str] | None = None
) -> pd.DataFrame:
    """One row per family: the model it takes (a model name or ``mix``) and why, in words.

    ``wape`` has a row per family that has held-out months and a column per fitted model;
    ``unavailable`` maps a model that could not be fitted to the reason (e.g. the time budget)."""
    unavailable = unavailable or {}
    fitted = [m for m in MODELS if m in wape.columns and m not in unavailable]
    rows = []
    for fam in families:
        scores = {m: float(wape.at[fam, m]) for m in fitted if fam in wape.index and pd.notna(wape.at[fam, m])}
        if len(fitted) == 1:
            (only,) = fitted
            why = "; ".join(f"the {m} model was not fitted: {r}" for m, r in unavailable.items())
            rows.append((fam, only, f"only the {only} model was fitted" + (f"; {why}" if why else "")))
        elif len(scores) < len(fitted):
            rows.append((fam, MIX, "no held-out months to compare on: an equal mixture of both models"))
        else:
            best, second = sorted(scores, key=scores.get)[:2]
            gap = (scores[second] - scores[best]) / max(scores[second], 1e-9)
            said = " against ".join(f"{m} {scores[m]:.1%}" for m in (best, second))
            if gap > margin:
                rows.append((fam, best, f"held-out WAPE {said}: {best} is clearly better"))
            else:
                rows.append((fam, MIX, f"held-out WAPE {said}, within {margin:.0%} of each other: an equal mixture of both"))
    out = pd.DataFrame(rows, columns=["family", "model", "reason"])
    out["trend_fitted"] = "trend" in fitted  # False when its fit was not run or stopped (time budget)
    for m in MODELS:
        out[f"wape_{m}"] = out["family"].map(wape[m]) if m in wape.columns and m not in unavailable else np.nan
    return out


def blend(draws: dict[str, xr.DataArray], series_choice: pd.Series, seed: int) -> xr.DataArray:
    """Draws per series from the model its family chose; a mixed series takes the first half of
    its samples from one model and the rest from the other. Returned in ``series_choice``'s order.

    Every model's samples are thinned to the smallest count with one seeded random subset per
    model (from every chain), shared by all series, so that series of the same model stay
    jointly drawn (sums over them keep their correlation)."""
    rng = np.random.default_rng(seed)
    n = min(d.sizes["sample"] for d in draws.values())
    picked = {
        m: d.isel(sample=rng.permutation(d.sizes["sample"])[:n]).assign_coords(sample=np.arange(n)) for m, d in draws.items()
    }
    ids = series_choice.index.astype(str)
    blocks = [picked[m].sel(unique_id=list(ids[(series_choice == m).to_numpy()])) for m in MODELS if (series_choice == m).any()]
    mixed = list(ids[(series_choice == MIX).to_numpy()])
    if mixed:
        first, second = (picked[m].sel(unique_id=mixed) for m in MODELS)
        blocks.append(
            xr.concat([first.isel(sample=slice(0, n // 2)), second.isel(sample=slice(n // 2, n))], dim="sample").assign_coords(
                sample=np.arange(n)
            )
        )
    out = xr.concat(blocks, dim="unique_id") if len(blocks) > 1 else blocks[0]
    return out.sel(unique_id=list(ids)).transpose("sample", "unique_id", "ds").rename("demand")


def family_of(history: pd.DataFrame, group_col: str) -> pd.Series:
    """unique_id -> family, both as text (the draws label series by text)."""
    fam = history.groupby("unique_id")[group_col].first().astype(str)
    fam.index = fam.index.astype(str)
    return fam


def series_choice(history: pd.DataFrame, choice: pd.DataFrame, group_col: str) -> pd.Series:
    """The model of every series in ``history``, from its family's choice."""
    return family_of(history, group_col).map(choice.set_index("family")["model"])


def intermittent(history: pd.DataFrame) -> pd.Index:
    """Series that sell less often than every 1.32 months on average (the Syntetos-Boylan cut-off)."""
    grid = history.pivot_table(index="unique_id", columns="ds", values="y", aggfunc="sum")  # nan where absent
    return grid.index[is_intermittent(grid.to_numpy(dtype=float))]


def series_models(history: pd.DataFrame, choice: pd.DataFrame, group_col: str) -> pd.Series:
    """The model of every series: its family's choice, except that intermittent series take the
    trend model (counts) wherever it was fitted: on simulated spare-part series the ets model's
    log scale, even with its Theta half, put its forecasts 3 to 12 times farther from the true demand
    (make bench-intermittent)."""
    per = series_choice(history, choice, group_col)
    if choice["trend_fitted"].all():
        per[per.index.isin(intermittent(history))] = "trend"
    return per


def forecast_chosen(
    history: pd.DataFrame,
    horizon: int,
    choice: pd.DataFrame | None,
    *,
    group_col: str,
    quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
    seed: int = 42,
    time_budget_s: float | None = None,
    future_regressors: pd.DataFrame | None = None,
    **fit_kwargs,
) -> ForecastResult:
    """Fit each chosen model on the series that use it and blend their draws.

    Without a choice (an explicit ``demand.model``) this is `named_model`. A trend fit that
    runs over its time budget here, or fails its sampler checks twice (`trusted`), leaves its
    series to the ets model, and the returned choice and notes say so."""
    draws, tune = fit_kwargs.pop("draws", 300), fit_kwargs.pop("tune", 300)
    common = dict(group_col=group_col, quantiles=quantiles, seed=seed, return_draws=True, **fit_kwargs)
    if choice is None:  # the model named in the params: no choice, and no budget (docs/steps/2-demand.md)
        return named_model(history, horizon, future_regressors=future_regressors, draws=draws, tune=tune, **common)
    common = {k: v for k, v in common.items() if k not in ("model", "method")}  # the choice says which
    if group_col is None:  # one family of everything, as `backtest(select=True)` treats it
        history, group_col = history.assign(_family="all"), "_family"
        common["group_col"] = group_col
    choice = choice.copy()
    history = history.assign(**{group_col: history[group_col].astype(str)})
    extra = sorted(set(history[group_col]) - set(choice["family"]))
    if extra:  # a family the backtest never saw (all its series too short for it)
        fallback = "ets" if (choice["model"] == "ets").all() else MIX
        choice = pd.concat(
            [
                choice,
                pd.DataFrame(
                    {
                        "family": extra,
                        "model": fallback,
                        "reason": "no held-out months to compare on",
                        "trend_fitted": choice["trend_fitted"].all(),
                    }
                ),
            ],
            ignore_index=True,
        )
    per = series_models(history, choice, group_col)
    parts: dict[str, ForecastResult] = {}

    def fit(model: str) -> ForecastResult:
        sub = history[history["unique_id"].isin(per.index[per.isin([model, MIX])])]
        budget = time_budget_s if model == "trend" else None

        def run(n_draws: int, n_tune: int) -> ForecastResult:
            return forecast(
                sub,
                horizon,
                future_regressors=future_regressors,
                model=model,
                method=MODELS[model],
                time_budget_s=budget,
                draws=n_draws,
                tune=n_tune,
                **common,
            )

        return trusted.checked(run, draws=draws, tune=tune, time_budget_s=budget)

    failed: tuple[trusted.FailedChecks, int] | None = None  # a fit rejected by its checks, and its series
    for model in MODELS:
        if not per.isin([model, MIX]).any():
            continue
        try:
            parts[model] = fit(model)
        except (OverBudget, trusted.FailedChecks) as why:
            users = family_of(history, group_col)[per.index[per.isin([model, MIX])]]
            touched = choice["family"].isin(users)  # the families of intermittent series too
            choice.loc[choice["model"].isin([model, MIX]), "model"] = "ets"
            if isinstance(why, OverBudget):
                choice.loc[touched, "reason"] = f"the {model} model's final fit ran over budget ({why}): ets model"
            else:
                choice.loc[touched, "reason"] = f"{why}: ets model"
                failed = (why, len(users))
            choice[f"{model}_fitted"] = False
            per[per.isin([model, MIX])] = "ets"
            parts = {"ets": fit("ets")}
            break
    res = combined(parts, per, choice, family_of(history, group_col), quantiles, seed)
    res.notes[:0] = [n for p in parts.values() for n in p.notes]
    res.rejected[:0] = [r for p in parts.values() for r in p.rejected]
    if failed is not None:
        trusted.gave_way(res, *failed)
    return res


def named_model(history: pd.DataFrame, horizon: int, *, draws: int, tune: int, **kwargs) -> ForecastResult:
    """The model the params name, fitted on every series; a NUTS fit that fails its checks twice
    gives way to the ets model by MAP (`trusted`), and the result says so."""
    try:
        return trusted.checked(
            lambda n_draws, n_tune: forecast(history, horizon, draws=n_draws, tune=n_tune, **kwargs),
            draws=draws,
            tune=tune,
        )
    except trusted.FailedChecks as failed:
        kwargs = {**kwargs, "model": trusted.FALLBACK, "method": "map", "likelihood": "auto", "time_budget_s": None}
        res = forecast(history, horizon, draws=draws, tune=tune, **kwargs)
        trusted.gave_way(res, failed, history["unique_id"].nunique())
        return res


def combined(
    parts: dict[str, ForecastResult],
    per_series: pd.Series,
    choice: pd.DataFrame,
    family: pd.Series,
    quantiles: tuple[float, ...],
    seed: int,
) -> ForecastResult:
    """One `ForecastResult` of the blended draws, keeping each model's fit in ``parts`` and
    counting in ``choice`` the intermittent series that left their family's model
    (``family``: unique_id -> family, `family_of`)."""
    used = set(per_series) - {MIX} | ({*MODELS} if (per_series == MIX).any() else set())
    parts = {m: r for m, r in parts.items() if m in used}
    draws = blend({m: r.draws for m, r in parts.items()}, per_series.sort_index(), seed)
    main = max(parts.values(), key=lambda r: r.draws.sizes["unique_id"])
    family = family.reindex(per_series.index)
    left = family[(per_series != family.map(choice.set_index("family")["model"])).to_numpy()]
    choice = choice.assign(intermittent_to_trend=choice["family"].map(left.value_counts()).fillna(0).astype(int))
    return ForecastResult(
        summarise_draws(draws, quantiles),
        draws,
        main.idata,
        sum(r.fit_seconds for r in parts.values()),
        main.likelihood,
        main.design,
        "chosen",
        parts=parts,
        choice=choice,
        series_model=per_series.sort_index(),
    )


def choose_on(
    actual: pd.DataFrame,
    fits: dict[str, ForecastResult],
    history: pd.DataFrame,
    group_col: str,
    *,
    margin: float,
    unavailable: dict[str, str],
) -> tuple[pd.DataFrame, pd.Series]:
    """Each family's model chosen on ``actual``'s months from the fits' forecasts of them, and
    every series' model (`series_models`)."""
    family = family_of(history, group_col)
    wape = family_wape(actual, {m: r.table for m, r in fits.items()}, family)
    choice = choose(wape, sorted(family.unique()), margin=margin, unavailable=unavailable)
    return choice, series_models(history, choice, group_col)


def chosen_elsewhere(
    actual: pd.DataFrame,
    fits: dict[str, ForecastResult],
    keyed: pd.DataFrame,
    group_col: str,
    *,
    margin: float,
    unavailable: dict[str, str],
    quantiles: tuple[float, ...],
    seed: int,
) -> pd.DataFrame | None:
    """The held-out months forecast as the choice would have them had it been made on the other
    half of those months: each half's families choose on the other half (no extra fit). Its
    accuracy estimates the choice's without scoring it on the months it was made on. None
    with a single held-out month (no other half to choose on)."""
    months = sorted(actual["ds"].unique())
    if len(months) < 2:
        return None
    halves = (months[: len(months) // 2], months[len(months) // 2 :])
    tables = []
    for chosen_on, score_on in ((halves[1], halves[0]), (halves[0], halves[1])):
        _, per_series = choose_on(
            actual[actual["ds"].isin(chosen_on)], fits, keyed, group_col, margin=margin, unavailable=unavailable
        )
        draws = blend({m: r.draws for m, r in fits.items()}, per_series.sort_index(), seed)
        tables.append(summarise_draws(draws.sel(ds=list(score_on)), quantiles))
    return pd.concat(tables, ignore_index=True)


def describe_choice(choice: pd.DataFrame | None, margin: float = MARGIN, named: int = 6) -> str:
    """The report's sentences: which model each family got and why (families named when few)."""
    if choice is None:
        return "The model is set in the params file (demand.model), so no choice was made from evidence."

    def label(model: str) -> str:
        return "an equal mixture of both models" if model == MIX else f"the {model} model"

    fitted_alone = choice["reason"].str.startswith("only the ")
    if fitted_alone.all():
        return f"{choice['reason'].iloc[0][0].upper()}{choice['reason'].iloc[0][1:]}, so every family takes it."
    if len(choice) <= named:
        said = "; ".join(f"{r['family']}: {label(r['model'])}" for _, r in choice.iterrows())
    else:
        said = ", ".join(
            f"{n} famil{'y takes' if n == 1 else 'ies take'} {label(m)}" for m, n in choice["model"].value_counts().items()
        )
    text = (
        f"Each product family's model was chosen on its held-out months (demand.model: auto) — {said}. "
        f"A model is chosen where its held-out WAPE is more than {margin:.0%} below the other's; a family "
        "without held-out months takes the mixture."
    )
    skipped = choice.loc[
        ~choice["trend_fitted"] & choice["reason"].str.contains("not fitted|over budget|failed its checks"), "reason"
    ]
    if len(skipped):
        text += f" {skipped.iloc[0][0].upper()}{skipped.iloc[0][1:]}."
    moved = int(choice.get("intermittent_to_trend", pd.Series(dtype=int)).sum())
    if moved:
        text += (
            f" {moved} intermittent series (a sale less often than every {ADI_INTERMITTENT} months on average) "
            f"take{'s' if moved == 1 else ''} the trend model, a count model, whatever their family's choice "
            "(with part of their draws from TSB)."
        )
    return text


def posterior_files(res: ForecastResult, main_file: str) -> dict[str, object]:
    """File name -> posterior of each fit: the main one under ``main_file``, others beside it."""
    stem = main_file.removesuffix(".nc")
    out = {}
    for name, fit in res.fits().items():
        for k, part in enumerate(fit.partitions or [fit]):
            label = f"{name}_{k + 1}" if fit.partitions else name
            out[main_file if part.idata is res.idata else f"{stem}_{label}.nc"] = part.idata
    return out
