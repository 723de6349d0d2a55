"""Reports for people: captions, KPI cards, readable tables, HTML export, the cycle index.

Notebooks call these helpers instead of printing dataframes, so that every report
reads the same way: a chart with a title and units, one sentence under it saying what
it shows, and small tables with formatted numbers. All text that comes from data
(product names, comments, supplier names) is HTML-escaped here.
"""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import Iterable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from sop_lib.core import handover  # noqa: E402
from sop_lib.core.params import changed_sentence  # noqa: E402

PALETTE = {
    "p50": "#1f4e79",
    "band": "#9ecae1",
    "actual": "#222222",
    "target": "#d95f02",
    "good": "#1b9e77",
    "warn": "#e6ab02",
    "bad": "#d7301f",
    "grey": "#8c8c8c",
}
STATUS_COLOUR = {
    "green": PALETTE["good"],
    "amber": PALETTE["warn"],
    "red": PALETTE["bad"],
    "done": PALETTE["good"],
    "open": PALETTE["warn"],
    "overdue": PALETTE["bad"],
}  # actions

CSS = """
<style>
.sop-cards{display:flex;flex-wrap:wrap;gap:12px;margin:8px 0 16px}
.sop-card{border:1px solid #ddd;border-radius:8px;padding:10px 14px;min-width:128px;flex:1;background:#fafafa}
.sop-card .v{font-size:26px;font-weight:600;color:#1f4e79}
.sop-card .l{font-size:13px;color:#444}
.sop-card .n{font-size:12px;color:#666;margin-top:4px}
.sop-card.bad .v{color:#d7301f}.sop-card.warn .v{color:#b8860b}.sop-card.good .v{color:#1b9e77}
.sop-caption{color:#333;font-size:14px;margin:2px 0 18px;max-width:900px}
.sop-table{border-collapse:collapse;font-size:13px;margin:6px 0 14px}
.sop-table th{background:#f0f3f7;text-align:left;padding:4px 10px;border-bottom:1px solid #ccc}
.sop-table td{padding:3px 10px;border-bottom:1px solid #eee}
.sop-dot{display:inline-block;width:11px;height:11px;border-radius:6px;margin-right:6px;vertical-align:middle}
.sop-decision{border-left:4px solid #1f4e79;padding:6px 12px;margin:8px 0;background:#f7f9fc;max-width:900px}
details.sop-detail summary{cursor:pointer;color:#1f4e79;margin:6px 0}
.sop-comments{border-left:4px solid #b8860b;padding:6px 12px;margin:8px 0;background:#fdf8ee;max-width:900px;font-size:14px}
.sop-grid{display:grid;gap:6px 22px;margin:4px 0 10px}
.sop-grid figure{margin:0}.sop-grid img{width:100%;height:auto;display:block}
.sop-grid .sop-caption{font-size:13px;margin:2px 0 8px}
.sop-list{margin:4px 0 10px;padding-left:24px;max-width:1100px;font-size:14px;color:#333}.sop-list li{margin:3px 0}
@media print{
@page{size:A4;margin:12mm}
body{margin:0}
img{max-width:100%!important;height:auto!important}
img,figure,.sop-card,.sop-cards,.sop-table tr,.sop-decision,.sop-comments,.jp-OutputArea-output{break-inside:avoid;page-break-inside:avoid}
h1,h2,h3{break-after:avoid;page-break-after:avoid}
details.sop-detail{display:none}
.sop-table,table.dataframe{max-width:100%!important;font-size:7.5pt!important}
.sop-table th,.sop-table td,table.dataframe th,table.dataframe td{padding:2px 4px!important;white-space:normal!important;overflow-wrap:break-word}
table.dataframe th,table.dataframe td{overflow-wrap:anywhere}
.jp-Cell-outputWrapper,.jp-OutputArea,.jp-OutputArea-child,.jp-OutputArea-output{overflow:visible!important;max-width:100%}
}
</style>
"""


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _show(markup: str) -> None:
    from IPython.display import HTML, display

    display(HTML(markup))


def say(text: str, *, raw: bool = False) -> None:
    """Show one sentence for the reader; data-derived text is escaped unless ``raw``."""
    _show(f'<p class="sop-caption">{text if raw else esc(text)}</p>')


def style() -> None:
    """Inject the report CSS once at the top of a notebook."""
    _show(CSS)


def with_names(df: pd.DataFrame, products: pd.DataFrame, col: str = "sku") -> pd.DataFrame:
    """The table with each SKU's product name beside it: planners read names, not only codes."""
    names = products.drop_duplicates("sku").set_index("sku")["name"]
    out = df.copy()
    out.insert(out.columns.get_loc(col) + 1, "name", out[col].map(names).fillna(""))
    return out


def sku_label(sku: str, products: pd.DataFrame) -> str:
    """'Name (SKU)' for a chart title or sentence; the code alone when the name is unknown."""
    name = products.loc[products["sku"] == sku, "name"]
    return f"{name.iloc[0]} ({sku})" if len(name) and str(name.iloc[0]).strip() else str(sku)


def fmt_eur_change(x: float) -> str:
    """A change in euros with its sign: '+€1.2M', '-€45k'; a figure not known is '—'."""
    if pd.isna(x):
        return NOT_KNOWN
    return ("+" if x >= 0 else "-") + fmt_eur(abs(x))


def plural(n: int, word: str) -> str:
    """'1 region', '3 regions'."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


NOT_KNOWN = "—"  # a figure the data does not give (a thin product master has no prices): never €nan or €0


def fmt_eur(x: float) -> str:
    if pd.isna(x):
        return NOT_KNOWN
    if abs(x) >= 1e6:
        return f"€{x / 1e6:,.1f}M"
    if abs(x) >= 1e3:
        return f"€{x / 1e3:,.0f}k"
    return f"€{x:,.0f}"


def kpi_cards(cards: Iterable[dict]) -> str:
    """HTML for KPI cards: dicts with label, value, note and optional tone (good/warn/bad)."""
    parts = []
    for c in cards:
        tone = esc(c.get("tone", ""))
        parts.append(
            f'<div class="sop-card {tone}"><div class="v">{esc(c["value"])}</div>'
            f'<div class="l">{esc(c["label"])}</div><div class="n">{esc(c.get("note", ""))}</div></div>'
        )
    return '<div class="sop-cards">' + "".join(parts) + "</div>"


def show_kpis(cards: Iterable[dict]) -> None:
    _show(kpi_cards(cards))


def table_html(
    df: pd.DataFrame,
    *,
    formats: dict[str, str] | None = None,
    status_col: str | None = None,
    max_rows: int = 25,
    empty: str = "Nothing to list.",
    full: str | None = None,
) -> str:
    """A compact, escaped HTML table; ``formats`` maps column -> format spec. A table with no
    rows is the one line ``empty``, not a grid of headers. ``full`` links the whole table (a
    CSV file, `pipeline.StepContext.export_csv`) under the rows shown."""
    if df.empty:
        return f'<p class="sop-empty">{esc(empty)}</p>'
    formats = formats or {}
    head = "".join(f"<th>{esc(c).replace('_', '_<wbr>')}</th>" for c in df.columns)  # 'lead_time_days' may wrap at '_'
    rows = []
    for _, r in df.head(max_rows).iterrows():
        cells = []
        for c in df.columns:
            v = r[c]
            if c == status_col:
                txt = f'<span class="sop-dot" style="background:{STATUS_COLOUR.get(str(v), "#999")}"></span>{esc(v)}'
            elif pd.isna(v) if not isinstance(v, (list, tuple)) else False:
                txt = ""
            elif c in formats:
                txt = esc(format(v, formats[c]) if not callable(formats[c]) else formats[c](v))
            elif isinstance(v, pd.Timestamp):
                txt = esc(v.strftime("%Y-%m-%d"))
            else:
                txt = esc(v)
            cells.append(f"<td>{txt}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    link = f'<a href="{esc(full)}" download>{esc(full.rsplit("/", 1)[-1])}</a>' if full else ""
    if len(df) > max_rows:
        note = f"{max_rows:,} of {len(df):,} rows shown" + (f"; every row: {link}" if link else "")
    else:
        note = f"every row as a file: {link}" if link else ""
    more = f"<caption style='caption-side:bottom;color:#666'>{note}</caption>" if note else ""
    return f'<table class="sop-table">{more}<thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def show_table(
    df: pd.DataFrame,
    *,
    formats: dict | None = None,
    status_col: str | None = None,
    max_rows: int = 25,
    detail: str | None = None,
    full: str | None = None,
) -> None:
    """Show a table; with ``detail`` it sits folded under a one-click summary line. A table
    with no rows is one short line, not an empty grid of headers."""
    if df.empty:
        _show(f'<p class="sop-empty">{esc(detail or "This table")}: none.</p>')
        return
    t = table_html(df, formats=formats, status_col=status_col, max_rows=max_rows, full=full)
    if detail:
        t = f'<details class="sop-detail"><summary>{esc(detail)}</summary>{t}</details>'
    _show(t)


def new_chart(title: str, ylabel: str, *, width: float = 9.5, height: float = 3.6, ncols: int = 1):
    """A figure with the title and y-axis unit set: every chart in a report has both."""
    fig, axes = plt.subplots(1, ncols, figsize=(width, height), squeeze=False)
    fig.suptitle(title, fontsize=12, x=0.01, ha="left", fontweight="bold")
    for ax in axes[0]:
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.25)
        ax.spines[["top", "right"]].set_visible(False)
    return fig, (axes[0][0] if ncols == 1 else axes[0])


def _concise_dates(ax) -> None:
    """Short month labels ("Jan", "2027") on date axes, so ticks never overlap."""
    import matplotlib.dates as mdates

    get = getattr(ax.xaxis, "get_converter", None)
    converter = get() if get else getattr(ax.xaxis, "converter", None)
    if converter is not None and "Date" in type(converter).__name__:
        locator = mdates.AutoDateLocator(minticks=4, maxticks=8)
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _png(fig) -> bytes:
    """The finished chart as PNG bytes (short date ticks, tight layout); the figure is closed."""
    for ax in fig.axes:
        _concise_dates(ax)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return buf.getvalue()


def finish(fig, caption: str) -> None:
    """Show the chart, then the sentence that says what it shows; with no chart (``fig`` None:
    nothing to draw) only the sentence, which then says why."""
    from IPython.display import Image, display

    if fig is not None:
        display(Image(data=_png(fig), format="png"))
    say(caption)


def panel(fig, caption: str) -> str:
    """A half-width chart with its sentence, for `show_panels` (a page that must fit two screens)."""
    import base64

    title = fig.get_suptitle() or "chart"
    src = base64.b64encode(_png(fig)).decode("ascii")
    return f'<figure><img alt="{esc(title)}" src="data:image/png;base64,{src}"><p class="sop-caption">{esc(caption)}</p></figure>'


def show_panels(panels: Iterable[str], columns: int = 2) -> None:
    """Charts (from `panel`) and small tables (from `table_html`) side by side, ``columns`` to a row."""
    panels = list(panels)
    if panels:
        _show(
            f'<div class="sop-grid" style="grid-template-columns:repeat({max(int(columns), 1)},minmax(0,1fr))">'
            + "".join(panels)
            + "</div>"
        )


def fan_chart(
    ax, actual: pd.Series, fc: pd.DataFrame, *, lo: str = "p10", mid: str = "p50", hi: str = "p90", label: str = ""
) -> None:
    """History as a line, forecast as median plus shaded band between ``lo`` and ``hi``."""
    ax.plot(actual.index, actual.values, color=PALETTE["actual"], lw=1.4, label="actual")
    ax.fill_between(fc["ds"], fc[lo], fc[hi], color=PALETTE["band"], alpha=0.7, label=f"{lo.upper()}–{hi.upper()} band")
    ax.plot(fc["ds"], fc[mid], color=PALETTE["p50"], lw=2, label=f"most likely ({mid.upper()})")
    if label:
        ax.set_title(label, fontsize=10, loc="left")


def revenue_chart(title: str, total: pd.DataFrame, demand_band: pd.DataFrame, *, width: float = 9.5, height: float = 3.6):
    """Plan revenue and finance target per month over the unconstrained demand band (P10-P90).

    ``total``: month index, revenue_eur and revenue_target_eur; ``demand_band``: month, p10, p90.
    """
    fig, ax = new_chart(title, "€ per month", width=width, height=height)
    ax.fill_between(
        demand_band["month"],
        demand_band["p10"],
        demand_band["p90"],
        color=PALETTE["band"],
        alpha=0.6,
        label="demand worst–best (P10–P90), if supply were unlimited",
    )
    ax.plot(total.index, total["revenue_eur"], color=PALETTE["p50"], lw=2, marker="o", label="plan (what we can ship)")
    if total["revenue_target_eur"].fillna(0).gt(0).any():
        ax.plot(total.index, total["revenue_target_eur"], color=PALETTE["target"], lw=2, ls="--", label="finance target")
    ax.yaxis.set_major_formatter(lambda v, _: fmt_eur(v))
    ax.legend(frameon=False, fontsize=8)
    return fig, ax


# --- HTML export -------------------------------------------------------------------


def _up_to_failure(cells: list) -> list:
    """A failed run's cells up to the one that failed, without papermill's own error banners."""
    kept = []
    for cell in cells:
        if "papermill-error-cell-tag" in cell.get("metadata", {}).get("tags", []):
            continue
        kept.append(cell)
        if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            break
    return kept


def _stopped_here(error: dict):
    """A failed cell's traceback as one readable box: what stopped the step, not Python's stack."""
    import nbformat

    text = str(error.get("evalue", "")).strip()
    lines = "".join(f"<li>{esc(line.strip().lstrip('- '))}</li>" for line in text.splitlines()[1:] if line.strip())
    html = (
        f'<div class="sop-stopped" style="border-left:4px solid #c0392b;padding:8px 12px;background:#fdf0ee">'
        f"<strong>The step stopped here.</strong> {esc(error.get('ename', 'Error'))}: "
        f"{esc(text.splitlines()[0] if text else '')}{f'<ul>{lines}</ul>' if lines else ''}</div>"
    )
    return nbformat.v4.new_output("display_data", data={"text/html": html})


def export_html(notebook: str | Path, html_path: str | Path, *, title: str) -> Path:
    """Self-contained HTML with code, prompts and warnings hidden (nbconvert)."""
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(str(notebook), as_version=4)
    nb.cells = _up_to_failure(nb.cells)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                _stopped_here(o) if o.get("output_type") == "error" else o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]
    nb.metadata["title"] = title
    templates = Path(__file__).resolve().parents[1] / "templates"
    exporter = HTMLExporter(template_name="offline", extra_template_basedirs=[str(templates)])  # lab, no CDN
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    body, _ = exporter.from_notebook_node(nb)
    out = Path(html_path)
    out.write_text(body, encoding="utf-8")
    return out


def build_index(cycle_dir: str | Path, params, steps) -> Path:
    """``index.html``: the cycle's headline numbers and links to the five reports."""
    cycle_dir = Path(cycle_dir)
    headline = handover.read_table(cycle_dir, "headline").to_dict("records") if handover.has_table(cycle_dir, "headline") else []
    links = "".join(
        f'<li><a href="{esc(s.stem)}.html">Step {s.number}: {esc(s.title)}</a></li>'
        for s in steps
        if (cycle_dir / f"{s.stem}.html").exists()
    )
    views = [(v.page, v.name) for v in getattr(params, "views", []) if (cycle_dir / "views" / v.page).exists()]
    if views:
        links += '</ol><h2>Views per department</h2><ol style="list-style:none;padding-left:0">' + "".join(
            f'<li><a href="views/{esc(f)}">{esc(n)}</a></li>' for f, n in views
        )
    settings = getattr(params, "changed", None) or {}
    changed = f'<p class="sop-caption">{esc(changed_sentence(settings))}</p>' if settings else ""
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>S&amp;OP cycle {esc(params.cycle)} · {esc(params.company)}</title>{CSS}
<style>body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:32px;max-width:1000px}}
li{{margin:6px 0;font-size:16px}}</style></head><body>
<h1>S&amp;OP cycle {esc(params.cycle)}</h1>
<p class="sop-caption">{esc(params.company)} · the monthly plan in five steps. Start with the executive review;
the other reports hold the detail behind each number.</p>
{changed}{kpi_cards(headline)}
<h2>Reports</h2><ol style="list-style:none;padding-left:0">{links}</ol>
<p class="sop-caption">Each report has an executed notebook beside it (same name, <code>.ipynb</code>): the audit record of the run.
Hand-over tables are in <code>artifacts/</code>.</p>
</body></html>"""
    out = cycle_dir / "index.html"
    out.write_text(page, encoding="utf-8")
    return out


def scenario_effects_chart(results: pd.DataFrame, base: str = "base", *, width: float = 11, row_height: float = 0.5):
    """Dot-and-interval: each scenario's change against the plan, draw by draw (P50, P10-P90),
    in operating profit (EUR) and fill rate (points)."""
    r = results[(results["scenario"] != base)]
    names = list(dict.fromkeys(r["scenario"]))
    fig, (left, right) = new_chart(
        "What each scenario changes against the plan (P50 dot, P10–P90 line)",
        "",
        ncols=2,
        width=width,
        height=max(2.4, row_height * len(names) + 1.2),
    )
    for ax, metric, scale, unit in (
        (left, "operating_profit_eur", 1.0, "operating profit, €"),
        (right, "fill_rate", 100.0, "fill rate, points"),
    ):
        m = r[r["metric"] == metric].set_index("scenario").reindex(names)
        y = list(range(len(names)))[::-1]
        ax.hlines(y, m["delta_p10"] * scale, m["delta_p90"] * scale, color=PALETTE["p50"], lw=2)
        ax.plot(m["delta_p50"] * scale, y, "o", color=PALETTE["p50"])
        ax.axvline(0, color="k", lw=1)
        ax.set_yticks(y)
        ax.set_yticklabels(names if ax is left else [""] * len(names))
        ax.set_ylabel("")
        ax.set_xlabel(f"change in {unit}")
        if metric.endswith("_eur"):
            ax.xaxis.set_major_formatter(lambda v, _: ("-" if v < 0 else "") + fmt_eur(abs(v)))
    return fig, (left, right)


def tradeoff_chart(table: pd.DataFrame, current: str):
    """Allocation policies as points: customer-months the waiting customers wait (x) against the
    change in operating profit from the plan's policy (y); up and left is better. Policies that
    give the same plan share one point."""
    ref = table.set_index("policy").loc[current, "operating_profit_eur"]
    t = table.assign(
        dy=table["operating_profit_eur"] - ref, label=[f"{p} (the plan)" if p == current else p for p in table["policy"]]
    )
    points = t.groupby([t["backlog_customer_months"].round(0), t["dy"].round(0)], sort=False)["label"].agg(", ".join)
    fig, ax = new_chart(
        "Who gets scarce units: waiting customers against operating profit, per policy", "change in operating profit, €"
    )
    for (x, y), label in points.items():
        ax.scatter([x], [y], s=60, color=PALETTE["p50"], zorder=3)
        ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 6), fontsize=9)
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("customer-months of waiting for the products customers wait for today")
    ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
    ax.yaxis.set_major_formatter(lambda v, _: ("-" if v < 0 else "+" if v > 0 else "") + fmt_eur(abs(v)))
    ax.margins(x=0.2, y=0.3)
    return fig, ax


def show_comments(comments: pd.DataFrame) -> None:
    """Stakeholders' comments on this step (who, text), escaped; nothing when there are none."""
    if comments.empty:
        return
    items = "".join(f"<li><b>{esc(r.who)}:</b> {esc(r.text)}</li>" for r in comments.itertuples(index=False))
    _show(f'<div class="sop-comments"><b>Comments on this step</b><ul>{items}</ul></div>')


def _pct(x, spec: str) -> str:
    return NOT_KNOWN if x is None or pd.isna(x) else format(x, spec)


def kpi_change(value: float, previous: float | None, since: str | None, fmt) -> str:
    """'▲ +€1.2M since 2026-11' for a KPI card; 'first cycle' when there is nothing to compare."""
    if previous is None or since is None or pd.isna(previous):
        return "first cycle"
    if pd.isna(value):
        return f"not known (was {fmt(previous)} in {since})"
    delta = value - previous
    if fmt(abs(delta)) == fmt(0.0):  # too small to show at the card's precision
        return f"no change since {since}"
    return f"{'▲ +' if delta > 0 else '▼ -'}{fmt(abs(delta))} since {since}"


def _sparkline(values: list[float], width: int = 260, height: int = 60, second: list[float] | None = None) -> str:
    """A small inline SVG line (and an optional dashed second line), oldest cycle on the left."""
    series = [v for v in values + (second or []) if pd.notna(v)]
    if len(values) < 2 or not series:
        return '<svg width="0" height="0"></svg>'
    lo, hi = min(series), max(series)
    span = (hi - lo) or 1.0

    def points(vals: list[float]) -> str:
        step = (width - 8) / (len(vals) - 1)
        return " ".join(
            f"{4 + i * step:.1f},{height - 4 - (v - lo) / span * (height - 8):.1f}" for i, v in enumerate(vals) if pd.notna(v)
        )

    extra = (
        (
            f'<polyline fill="none" stroke="{PALETTE["target"]}" stroke-width="2" stroke-dasharray="5,3" '
            f'points="{points(second)}"/>'
        )
        if second and any(pd.notna(v) for v in second)
        else ""
    )
    return (
        f'<svg width="{width}" height="{height}" role="img"><polyline fill="none" stroke="{PALETTE["p50"]}" '
        f'stroke-width="2" points="{points(values)}"/>{extra}</svg>'
    )


def build_cycles_index(reports_root: str | Path) -> Path:
    """``reports/index.html``: every completed cycle, newest first, with its headline numbers,
    and how revenue plan, forecast error and waiting customers moved from cycle to cycle."""
    import json

    root = Path(reports_root)
    rows = []
    for folder in handover.completed_cycles(root, "kpis"):
        k = handover.read_table(folder, "kpis")
        rows.append(
            {
                "cycle": folder.name,
                "company": json.loads((folder / "manifest.json").read_text()).get("company", ""),
                **dict(zip(k["metric"], k["value"].astype(float))),
            }
        )
    table = pd.DataFrame(rows)
    out = root / "index.html"
    if table.empty:
        return out
    get = lambda col: [float(v) for v in table[col]] if col in table else [float("nan")] * len(table)  # noqa: E731
    c0, c1 = table["cycle"].iloc[0], table["cycle"].iloc[-1]

    def moved(values: list[float], fmt) -> str:
        return f"{fmt(values[0])} in {c0}, {fmt(values[-1])} in {c1}." if len(values) > 1 else f"{fmt(values[0])} in {c1}."

    charts = "".join(
        f'<div class="sop-card"><div class="l"><b>{title}</b></div>{_sparkline(a, second=b)}'
        f'<div class="n">{esc(note)}</div></div>'
        for title, a, b, note in (
            (
                "Revenue plan (line) and target (dashed), € per cycle",
                get("revenue_eur"),
                get("revenue_target_eur"),
                "Each cycle's plan for its next 12 months: " + moved(get("revenue_eur"), fmt_eur),
            ),
            (
                "Forecast error, WAPE on held-out months, %",
                [100 * v for v in get("wape")],
                None,
                "Lower is better: " + moved([100 * v for v in get("wape")], lambda v: f"{v:.0f}%"),
            ),
            (
                "Customers waiting at the cycle start",
                get("backlog_customers"),
                None,
                "Backordered customers: " + moved(get("backlog_customers"), lambda v: f"{v:,.0f}"),
            ),
        )
    )
    body = "".join(
        f'<tr><td><a href="{esc(r["cycle"])}/index.html">{esc(r["cycle"])}</a></td>'
        f"<td>{fmt_eur(r.get('revenue_eur', float('nan')))}</td>"
        f"<td>{fmt_eur(r['revenue_target_eur']) if pd.notna(r.get('revenue_target_eur')) and r.get('revenue_target_eur') else '—'}</td>"
        f"<td>{_pct(r.get('gross_margin_pct'), '.1%')}</td><td>{_pct(r.get('wape'), '.0%')}</td>"
        f"<td>{r.get('backlog_customers', 0):,.0f}</td></tr>"
        for r in table.iloc[::-1].to_dict("records")
    )
    company = table["company"].iloc[-1]
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>S&amp;OP cycles · {esc(company)}</title>{CSS}
<style>body{{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:32px;max-width:1000px}}</style>
</head><body><h1>S&amp;OP cycles</h1>
<p class="sop-caption">{esc(company)} · {len(table)} completed cycle(s), newest first. Open a cycle for its five reports.</p>
<div class="sop-cards">{charts}</div>
<table class="sop-table"><tr><th>cycle</th><th>revenue plan</th><th>target</th><th>gross margin</th>
<th>forecast error (WAPE)</th><th>customers waiting</th></tr>{body}</table>
</body></html>"""
    out.write_text(page, encoding="utf-8")
    return out


def waterfall_chart(steps: pd.DataFrame, title: str, *, width: float = 10, height: float = 3.6):
    """Bars from a start total through signed steps to an end total (``step``, ``eur``)."""
    fig, ax = new_chart(title, "revenue, €", width=width, height=height)
    level, xs = 0.0, range(len(steps))
    for x, (_name, eur) in zip(xs, steps[["step", "eur"]].itertuples(index=False)):
        total = x in (0, len(steps) - 1)
        bottom = 0.0 if total else (level if eur >= 0 else level + eur)
        colour = PALETTE["p50"] if total else (PALETTE["good"] if eur >= 0 else PALETTE["bad"])
        ax.bar(x, abs(eur) if not total else eur, bottom=bottom, color=colour, width=0.6)
        ax.annotate(
            fmt_eur(eur) if total else fmt_eur_change(eur),
            (x, bottom + (abs(eur) if not total else eur)),
            ha="center",
            va="bottom",
            fontsize=8,
            xytext=(0, 2),
            textcoords="offset points",
        )
        level = eur if total else level + eur
    ax.set_xticks(list(xs))
    ax.set_xticklabels(steps["step"], rotation=15 if width >= 8 else 30, ha="right", fontsize=9)
    ax.yaxis.set_major_formatter(lambda v, _: fmt_eur(v))
    lo = min(steps["eur"].iloc[0], steps["eur"].iloc[-1])
    ax.set_ylim(bottom=max(0.0, lo - 0.15 * abs(lo)))
    return fig, ax


_POLICY_COLOUR = {"suite": PALETTE["p50"], "naive": PALETTE["target"], "limit": PALETTE["good"], "perfect": PALETTE["grey"]}


def _crowded_before(x: np.ndarray, y: np.ndarray, k: int) -> int:
    """How many earlier points sit so near point ``k`` that their labels would overlap (within a
    third of the x span and a twentieth of the y span): its label goes that many lines lower."""
    near_x = np.abs(x[:k] - x[k]) < max(np.ptp(x), 1e-9) / 3
    near_y = np.abs(y[:k] - y[k]) < max(np.ptp(y), 1e-9) / 20 + 0.05
    return int((near_x & near_y).sum())


def policy_service_chart(summary: pd.DataFrame, labels: dict[str, str]):
    """Replayed policies as points: average inventory value (x) against fill rate (y), each
    labelled with its total cost; up and left is better."""
    ways = {2: "two", 3: "three", 4: "four", 5: "five"}.get(len(summary), str(len(summary)))
    fig, ax = new_chart(f"Service against stock: the same months planned {ways} ways", "fill rate, % of demand")
    x, y = summary["avg_inventory_eur"].to_numpy(float), 100 * summary["fill_rate"].to_numpy(float)
    for k, r in enumerate(summary.itertuples(index=False)):
        colour = _POLICY_COLOUR.get(r.policy, PALETTE["grey"])
        ax.scatter([x[k]], [y[k]], s=80, color=colour, zorder=3)
        ax.annotate(
            f"{labels.get(r.policy, r.policy)}: cost {fmt_eur(r.total_cost_eur)}",
            (x[k], y[k]),
            textcoords="offset points",
            xytext=(8, -4 - 13 * _crowded_before(x, y, k)),
            fontsize=9,
        )
    ax.set_xlabel("average inventory value, €")
    ax.xaxis.set_major_formatter(lambda v, _: fmt_eur(v))
    ax.margins(x=0.35, y=0.4)
    ax.set_xlim(left=0)  # no stock is worth less than nothing
    return fig, ax


def policy_lines_chart(monthly: pd.DataFrame, labels: dict[str, str]):
    """Month by month per replayed policy: fill rate (left) and inventory value at month end (right)."""
    fig, (left, right) = new_chart("Month by month: fill rate and stock held, per policy", "", ncols=2)
    for policy, m in monthly.groupby("policy", sort=False):
        kw = dict(color=_POLICY_COLOUR.get(policy, PALETTE["grey"]), marker="o", ms=3, label=labels.get(policy, policy))
        left.plot(m["month"], 100 * m["fill_rate"], **kw)
        right.plot(m["month"], m["inventory_eur"], **kw)
    left.set_ylabel("fill rate, % of the month's demand")
    right.set_ylabel("inventory value at month end, €")
    right.yaxis.set_major_formatter(lambda v, _: fmt_eur(v))
    left.legend(frameon=False, fontsize=8)
    return fig, (left, right)


def table_panel(df: pd.DataFrame, *, caption: str, formats: dict | None = None) -> str:
    """A small table with its sentence, as one cell of `show_panels`."""
    return f"<div>{table_html(df, formats=formats)}<p class='sop-caption'>{esc(caption)}</p></div>"


def show_decisions(decisions: pd.DataFrame) -> None:
    """The decisions a plan asks for as one numbered list: the decision in bold, why, and the owner; escaped."""
    items = "".join(
        f"<li><b>{esc(d['decision'])}</b> — {esc(d['because'])} <i>(owner: {esc(d['owner'])})</i></li>"
        for _, d in decisions.iterrows()
    )
    _show(f'<ol class="sop-list">{items}</ol>')
