"""The customer backlog: who waits today, when they are served, and what a launch changes."""

from __future__ import annotations

import numpy as np
import pandas as pd


def most_waited_for(facts: dict[str, pd.Series], orders: pd.DataFrame) -> str | None:
    """The SKU most backordered customers wait for (else the one most open orders name; None without orders)."""
    waiting = facts["backlog_customers"]
    if len(waiting) and waiting.max() > 0:
        return str(waiting.idxmax())
    return str(orders["sku"].mode().iloc[0]) if len(orders) else None


def backlog_facts(facts: dict[str, pd.Series], sku: str) -> dict[str, float]:
    """Backlog units, stock on hand and units per waiting customer for one SKU.

    With no backlog the average order is taken as one unit, so customer counts stay defined.
    """
    units = float(facts["backlog"].get(sku, 0.0))
    customers = float(facts["backlog_customers"].get(sku, 0.0))
    return {
        "units": units,
        "on_hand": float(facts["on_hand"].get(sku, 0.0)),
        "customers": customers,
        "per_customer": units / customers if customers else 1.0,
    }


def backlog_burndown(
    plan: pd.DataFrame, sku: str, backlog_units: float, on_hand: float, units_per_customer: float
) -> pd.DataFrame:
    """Customers waiting at each month end: the original backlog (served first) and everyone.

    The original backlog is served first in order of arrival, so it shrinks as soon as
    stock arrives; ``all_waiting`` adds customers whose new orders the plan backorders.
    """
    p = plan[plan["sku"] == sku].sort_values("month")
    available = on_hand + p["production"].cumsum()
    remaining = np.maximum(backlog_units - available, 0).to_numpy()
    return pd.DataFrame(
        {
            "sku": sku,
            "month": p["month"].to_numpy(),
            "backlog_units": remaining,
            "backlog_customers": np.ceil(remaining / units_per_customer),
            "all_waiting_units": p["backorders"].to_numpy(),
            "all_waiting_customers": np.ceil(p["backorders"].to_numpy() / units_per_customer),
        }
    )


def caught_up_month(burn: pd.DataFrame):
    """First month after which nobody waits any more (NaT if people still wait at the end)."""
    waiting = burn.index[burn["all_waiting_customers"] > 0]
    if not len(waiting):
        return burn["month"].iloc[0] if len(burn) else pd.NaT
    last = burn.index.get_loc(waiting[-1])
    return burn["month"].iloc[last + 1] if last + 1 < len(burn) else pd.NaT


def launch_effect_on_backlog(with_launch: pd.DataFrame, without_launch: pd.DataFrame) -> pd.DataFrame:
    """Two burn-downs side by side: customers waiting with and without the new launch's demand.

    A launch that shares line hours or components with the product whose customers wait
    (`shared_resources`) can keep them waiting longer; ``extra_waiting`` says how many.
    """
    a = with_launch.set_index("month")[["backlog_customers", "all_waiting_customers"]]
    b = without_launch.set_index("month")[["backlog_customers", "all_waiting_customers"]]
    out = a.join(b, lsuffix="_with_launch", rsuffix="_without_launch", how="outer").fillna(0)
    out["extra_waiting"] = out["all_waiting_customers_with_launch"] - out["all_waiting_customers_without_launch"]
    return out.reset_index()


def shared_resources(
    new_sku: str, old_sku: str, routings: pd.DataFrame, bom: pd.DataFrame, lines: pd.DataFrame | None = None
) -> str:
    """What two SKUs compete for, in words from the company's own routings and BOM ('' if nothing)."""

    def of(table: pd.DataFrame, sku: str, key: str) -> set:
        return set(table.loc[table["sku"] == sku, key]) if len(table) and key in table else set()

    line_names = lines.set_index("line_id")["line_name"].to_dict() if lines is not None and len(lines) else {}
    parts = (
        bom.drop_duplicates("component").set_index("component")["component_name"].to_dict()
        if len(bom) and "component_name" in bom
        else {}
    )  # the name is an optional extra column
    shared_lines = sorted(of(routings, new_sku, "line_id") & of(routings, old_sku, "line_id"))
    shared_parts = sorted(of(bom, new_sku, "component") & of(bom, old_sku, "component"))
    words = []
    if shared_lines:
        words.append(f"line{'s' if len(shared_lines) > 1 else ''} " + ", ".join(str(line_names.get(x, x)) for x in shared_lines))
    if shared_parts:
        names = [str(parts.get(c, c)).lower() for c in shared_parts]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        words.append(f"component{'s' if len(names) > 1 else ''} ({shown})")
    return " and ".join(words)


def launch_delay_sentence(effect: pd.DataFrame, new_sku: str, old_sku: str, shared: str) -> str:
    """How much longer the launch keeps waiting customers waiting, and why (or why not)."""
    extra = effect["extra_waiting"].clip(lower=0)
    if extra.sum() < 0.5:
        return f"The {new_sku} launch keeps no one waiting longer" + (
            f", although it needs the same {shared}." if shared else f": it shares no line or component with {old_sku}."
        )
    return (
        f"The launch's demand adds {extra.sum():,.0f} customer-months of waiting (peak {extra.max():,.0f} more "
        f"customers in one month)"
        + (
            f", because {new_sku} needs the same {shared}."
            if shared
            else f", although {new_sku} shares no line or component with {old_sku}."
        )
    )


def backlog_sentence(
    burn: pd.DataFrame, effect: pd.DataFrame, waiting_now: int, label: str, new_sku: str | None, analog: str, shared: str
) -> str:
    """What the backlog chart says: who waits today, when they are served, and what a launch changes."""
    first_free = burn.loc[burn["backlog_customers"] == 0, "month"]
    clear = caught_up_month(burn)
    text = f"{waiting_now:,} customer{'' if waiting_now == 1 else 's'} {'is' if waiting_now == 1 else 'are'} waiting for {label} today"
    if waiting_now and len(first_free):
        text += f"; today's backlog is served by {first_free.min():%b %Y}"
    text += f" and everyone by {clear:%b %Y}. " if pd.notna(clear) else "; customers are still waiting at the horizon's end. "
    if new_sku is None:
        return text + "No launch is planned, so nothing else competes for its supply."
    return text + launch_delay_sentence(effect, new_sku, analog, shared)
