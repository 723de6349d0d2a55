"""The decisions a plan asks executives for: step 3 and 4 results turned into short,
numbered asks, each with the figure that justifies it."""

from __future__ import annotations

import pandas as pd

from sop_lib.core.reporting import fmt_eur, fmt_eur_change
from sop_lib.reconciliation.finance import incomplete_revenue
from sop_lib.supply import PRICE, left_out_sentence


def _listing(items: str, shown: int = 3) -> str:
    """'A, B, C and 4 more' from a comma-separated list."""
    parts = [p.strip() for p in str(items).split(",") if p.strip()]
    return ", ".join(parts[:shown]) + (f" and {len(parts) - shown} more" if len(parts) > shown else "")


def decisions_to_ask(
    *,
    capacity: pd.DataFrame,
    line_use: pd.DataFrame,
    supplier_risk: pd.DataFrame,
    fin: pd.DataFrame,
    launch: pd.DataFrame,
    people: pd.DataFrame,
) -> pd.DataFrame:
    """Short asks for the executive meeting, each with its number and owner."""
    out = []
    short = capacity[capacity["status"] == "red"]
    if len(short):
        worst = short.sort_values("utilisation", ascending=False).iloc[0]
        ot = line_use["overtime_hours"].sum()
        out.append(
            (
                "Supply",
                f"Approve {ot:,.0f} overtime hours over the horizon and extra shifts on {worst['line_name']}",
                f"unconstrained demand needs {worst['utilisation']:.0%} of its hours in {worst['month']:%b %Y}",
            )
        )
    red = supplier_risk[supplier_risk["status"] == "red"]
    for _, s in red.iterrows():
        because = (
            f"{fmt_eur(s['revenue_at_risk_eur'])} of the horizon's revenue depends on a supplier rated {s['financial_risk']} risk"
            if pd.notna(s["revenue_at_risk_eur"])
            else f"a supplier rated {s['financial_risk']} risk; the revenue that depends on it is not known (no list prices)"
        )
        out.append(
            (
                "Procurement",
                f"Qualify a second source for {_listing(s['components'])} (today only {s['supplier_name']})",
                because,
            )
        )
    if len(launch) >= 2:
        base, late = launch.iloc[0], launch.iloc[-1]
        saved = base["backorder_unit_months_all_skus"] - late["backorder_unit_months_all_skus"]
        rev = late["revenue_eur"] - base["revenue_eur"]
        known = pd.notna(rev)
        if saved > 0:
            out.append(
                (
                    "Executive team",
                    f"Decide the launch month of the new product: pushing it back "
                    f"{int(late['launch_delay_months'])} months cuts {saved:,.0f} unit-months of backorders",
                    f"but revenue changes by {fmt_eur_change(rev)} over the horizon"
                    if known
                    else "its effect on revenue is not known (no list prices)",
                )
            )
        else:
            out.append(
                (
                    "Executive team",
                    "Keep the planned launch window",
                    f"pushing it back {int(late['launch_delay_months'])} months does not shorten the wait for "
                    + (f"supply and changes revenue by {fmt_eur_change(rev)}" if known else "supply"),
                )
            )
    tot = fin.groupby("family")[["revenue_eur", "revenue_target_eur"]].sum()
    incomplete = incomplete_revenue(fin).groupby(fin["family"]).any()  # SKUs without a list price: no gap to close
    for fam, r in tot[~incomplete.reindex(tot.index, fill_value=False)].iterrows():
        gap = r["revenue_eur"] - r["revenue_target_eur"]
        if gap < -0.02 * r["revenue_target_eur"]:
            out.append(
                (
                    "Finance & Sales",
                    f"Close or accept the {fam} revenue gap",
                    f"plan is {fmt_eur(-gap)} ({-gap / r['revenue_target_eur']:.0%}) below target",
                )
            )
    hire = people[people["gap"] > 0]
    for _, h in hire.iterrows():
        where = "company-wide" if h["region"] == "all" else f"in {h['region']}"
        out.append(
            (
                "HR",
                f"Hire {h['gap']:.0f} {h['role'].replace('_', ' ')}(s) {where}",
                f"needed at peak; hiring takes {h['hiring_lead_months']:.0f} months",
            )
        )
    return pd.DataFrame(out, columns=["owner", "decision", "because"])


def top_risks(
    *,
    inventory_risk: pd.DataFrame,
    supplier_risk: pd.DataFrame,
    gap: pd.DataFrame,
    products: pd.DataFrame,
    months: int = 3,
    n: int = 5,
) -> pd.DataFrame:
    """The largest risks in euros, of three kinds, ranked: stock-outs (expected units short in
    the next ``months`` months at list price), suppliers rated red or amber (the horizon's
    revenue that depends on them), and supply gaps (a family's orders waiting in its worst month)."""
    master = products.drop_duplicates("sku").set_index("sku")
    price = master[PRICE] if PRICE in master else pd.Series(dtype=float)  # a SKU without one: not ranked in euros
    name = master["name"].astype(str) + " (" + master.index.astype(str) + ")" if "name" in master else pd.Series(dtype=str)
    rows = []
    if len(inventory_risk):
        near = inventory_risk[inventory_risk["month"] < inventory_risk["month"].min() + pd.DateOffset(months=months)]
        short = (near["expected_units_short"] * near["sku"].map(price).fillna(0)).groupby(near["sku"]).sum()
        rows += [
            ("stock-out", f"{name.get(sku, sku)}: sales short in the next {months} months", eur) for sku, eur in short.items()
        ]
    for _, s in supplier_risk[supplier_risk["status"].isin(["red", "amber"])].iterrows():
        rows.append(
            (
                "supplier",
                f"{s['supplier_name']} ({s['financial_risk']} risk"
                f"{', single source' if s['single_source'] else ''}): revenue that depends on it",
                float(s["revenue_at_risk_eur"]),
            )
        )
    valued = gap.dropna(subset=["gap_eur"]) if len(gap) else gap  # a family of SKUs without a list price: not valued
    if len(valued):
        worst = valued.loc[valued.groupby("family")["gap_eur"].idxmax()]
        rows += [
            ("supply gap", f"{r['family']}: orders waiting in {r['month']:%b %Y}", float(r["gap_eur"]))
            for _, r in worst.iterrows()
        ]
    out = pd.DataFrame(rows, columns=["kind", "risk", "eur_at_risk"])
    return out[out["eur_at_risk"] > 0].sort_values("eur_at_risk", ascending=False).head(n).reset_index(drop=True)


def risks_left_out(products: pd.DataFrame, inventory_risk: pd.DataFrame) -> str | None:
    """Which SKUs' stock-outs and gaps `top_risks` cannot rank, having no list price to value them (None: none)."""
    skus = inventory_risk["sku"].unique() if len(inventory_risk) else []
    return left_out_sentence("Risks in euros", products, PRICE, skus)
