"""Views per department: one page each, built from the cycle's hand-over tables.

A view is declared in params (``views:``): a name, the sections it shows and its scope
(families, regions, suppliers; empty = everything). Adding a view for a new stakeholder is
a params change. Each section is a short sentence and a table filtered to the scope; the
pages are written to ``reports/<cycle>/views/`` and linked from the cycle's index.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sop_lib.core import handover
from sop_lib.core.reporting import CSS, esc, fmt_eur, fmt_eur_change, table_html
from sop_lib.data import planning_regions

SECTIONS = {
    "finance": "revenue and gross margin per family against target",
    "demand": "the forecast per family and month, with its P10-P90 range",
    "supply": "production, stock and customers waiting per SKU",
    "capacity": "line load from most-likely demand",
    "procurement": "supplier risk and the purchase orders to place",
    "people": "people needed against people employed, per role and region",
    "decisions": "the decisions the plan asks for and earlier actions",
    "scenarios": "what each what-if scenario changes against the plan",
}


class ViewError(ValueError):
    """A view names a family, region or supplier the cycle's data does not have."""


def check_views(views: list, tables: dict[str, pd.DataFrame], regions: list[str]) -> list[str]:
    """Every scope entry a view names that the data lacks; one message per problem."""
    known = {
        "families": ("products.family", set(tables["products"]["family"].astype(str))),
        "regions": ("data.regions", set(regions) | {"all"}),
        "suppliers": ("suppliers.supplier_id", set(tables["suppliers"]["supplier_id"].astype(str))),
    }
    out = []
    for i, v in enumerate(views):
        for key, (source, values) in known.items():
            for value in getattr(v, key):
                if value not in values:
                    out.append(
                        f"params: views[{i}] {v.name!r}.{key}: {value!r} is not in {source} "
                        f"(known: {', '.join(sorted(values)[:12]) or 'none'})"
                    )
    return out


NOT_KNOWN = "not known"  # a figure the product master's missing prices or costs leave out


def _eur(values: pd.Series) -> str:
    """The sum in euros, or 'not known' when no value is known."""
    return fmt_eur(values.sum()) if values.empty or values.notna().any() else NOT_KNOWN


def _in(df: pd.DataFrame, col: str, allowed: list[str]) -> pd.DataFrame:
    return df if not allowed or col not in df else df[df[col].astype(str).isin(allowed)]


def _section(name: str, art: dict[str, pd.DataFrame], view) -> str:
    """One section's sentence and table, filtered to the view's scope."""
    fam, reg, sup = view.families, view.regions, view.suppliers
    skus = set(art["products"].loc[art["products"]["family"].isin(fam), "sku"]) if fam else None
    if name == "finance":
        f = _in(art["financial_plan"], "family", fam)
        t = f.groupby("family")[["revenue_eur", "revenue_target_eur", "gross_margin_eur"]].sum(min_count=1).reset_index()
        text = f"Revenue plan {_eur(f['revenue_eur'])}, gross margin {_eur(f['gross_margin_eur'])}" + (
            " (the financial plan is by family, not region: these figures are company-wide)." if reg else "."
        )
        if f["revenue_eur"].isna().any() or f["gross_margin_eur"].isna().any():
            text += " A figure not known, or a blank cell, is one the product master's missing prices or costs leave out."
        t = t.drop(columns=[c for c in ("revenue_eur", "gross_margin_eur") if t[c].isna().all() and len(t)])
        return text, table_html(t, formats={c: fmt_eur for c in t.columns if c.endswith("_eur")})
    if name == "demand":
        f = _in(art["demand_forecast"], "family", fam)
        f = _in(f, "region", reg)
        t = f.groupby(["family", "ds"])[["p10", "p50", "p90"]].sum().reset_index()
        t["ds"] = pd.to_datetime(t["ds"]).dt.strftime("%Y-%m")
        text = (
            f"Most likely demand {f['p50'].sum():,.0f} units over the horizon in scope "
            "(monthly P10 and P90 are summed per family: a conservative range)."
        )
        return text, table_html(t, formats={c: ",.0f" for c in ("p10", "p50", "p90")}, max_rows=40)
    if name == "supply":
        p = art["supply_plan"]
        p = p[p["sku"].isin(skus)] if skus is not None else p
        t = p.groupby("sku")[["demand", "production", "backorders"]].sum().reset_index()
        text = f"{p['production'].sum():,.0f} units planned; {p['backorders'].sum():,.0f} unit-months of backorders."
        return text, table_html(t, formats={c: ",.0f" for c in ("demand", "production", "backorders")})
    if name == "capacity":
        c = art["capacity_check"]
        red = c[c["status"] == "red"]
        text = f"{len(red)} line-months exceed regular hours plus overtime at most-likely demand."
        t = c.groupby("line_name")["utilisation"].max().reset_index().rename(columns={"utilisation": "peak load"})
        return text, table_html(t, formats={"peak load": ".0%"})
    if name == "procurement":
        r = _in(art["supplier_risk"], "supplier_id", sup)
        po = _in(art["purchase_orders"], "supplier_id", sup)
        text = (
            f"{(r['status'] == 'red').sum()} supplier(s) rated red; {len(po)} purchase orders suggested, "
            f"{(po['status'] != 'green').sum()} flagged."
        )
        cols = ["supplier_name", "financial_risk", "single_source", "revenue_at_risk_eur", "status"]
        return text, (
            table_html(r[cols], status_col="status", formats={"revenue_at_risk_eur": fmt_eur}, empty="No supplier in scope.")
            + table_html(
                po[["order_date", "component", "supplier_name", "quantity", "status"]],
                status_col="status",
                formats={"quantity": ",.0f"},
                max_rows=15,
                empty="No purchase order suggested.",
            )
        )
    if name == "people":
        pc = _in(art["people_check"], "region", [*reg, "all"] if reg else [])
        short = pc[pc["gap"] > 0]
        text = f"{len(short)} role-region(s) short of people at the peak."
        return text, table_html(
            pc,
            status_col="status",
            formats={"available": ",.0f", "required_at_peak": ",.0f", "gap": "+,.0f", "hiring_lead_months": ".0f"},
        )
    if name == "decisions":
        d, a = art["decisions"], art["actions"]
        text = f"{len(d)} decision(s) asked for; {(a['status'] == 'overdue').sum()} earlier action(s) overdue."
        return text, table_html(d, empty="No decision asked for.") + (table_html(a, status_col="status") if len(a) else "")
    if name == "scenarios":
        r = art["scenario_results"]
        op = r[(r["metric"] == "operating_profit_eur") & (r["scenario"] != "base")]
        if len(op) and op["delta_p50"].isna().all():
            return f"The scenarios' change in operating profit is {NOT_KNOWN}: the product master lacks prices or costs.", ""
        t = op[["scenario", "delta_p10", "delta_p50", "delta_p90"]].rename(
            columns={"delta_p10": "P10", "delta_p50": "most likely", "delta_p90": "P90"}
        )
        return "Change in operating profit against the plan, draw by draw.", table_html(
            t, formats={"P10": fmt_eur_change, "most likely": fmt_eur_change, "P90": fmt_eur_change}
        )
    raise ValueError(f"unknown section {name!r}")


def build_views(cycle_dir: str | Path, params) -> list[Path]:
    """Write one page per declared view; return their paths."""
    cycle_dir = Path(cycle_dir)
    if not params.views:
        return []
    art = {p.stem: handover.read_table(cycle_dir, p.stem) for p in handover.artifacts_dir(cycle_dir).glob("*.parquet")}
    out_dir = cycle_dir / "views"
    out_dir.mkdir(exist_ok=True)
    pages = []
    for v in params.views:
        scope = (
            "; ".join(f"{k}: {', '.join(getattr(v, k))}" for k in ("families", "regions", "suppliers") if getattr(v, k))
            or "the whole company"
        )
        parts = []
        for s in v.sections:
            text, table = _section(s, art, v)
            what = SECTIONS[s][0].upper() + SECTIONS[s][1:]
            parts.append(f"<h2>{esc(s.capitalize())}</h2><p class='sop-caption'>{esc(what)}. {esc(text)}</p>{table}")
        page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>{esc(v.name)} · S&amp;OP {esc(params.cycle)}</title>{CSS}
<style>body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:32px;max-width:1000px}}</style>
</head><body><p><a href="../index.html">← cycle {esc(params.cycle)}</a></p>
<h1>{esc(v.name)}</h1><p class="sop-caption">{esc(params.company)} · cycle {esc(params.cycle)} · scope: {esc(scope)}</p>
{"".join(parts)}</body></html>"""
        path = out_dir / v.page
        path.write_text(page, encoding="utf-8")
        pages.append(path)
    return pages


def raise_for_views(params, tables: dict[str, pd.DataFrame]) -> None:
    """Stop step 1 on a view that names what the data lacks, before any report is written."""
    problems = check_views(params.views, tables, planning_regions(params, tables))
    if problems:
        raise ViewError(f"{len(problems)} problem(s) in the department views:\n" + "\n".join(problems))
