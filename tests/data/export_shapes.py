"""A generator of first exports in the shapes companies have, with the monthly truth behind them.

`company(seed)` draws a small company (products and monthly units per SKU and region);
`write_exports(shape, truth, folder)` writes its sales history and product master the way
one kind of company exports them: order lines or weekly rows instead of months, channel or
customer columns, one file per year, months as columns, a title above the header, codes with
leading zeros or in mixed case, German headers in cp1252 with thousands separators, one
workbook with several sheets, a thin product master. The truth is what every shape must
read back to, to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

CHANNELS = ["Online", "Handel", "Direkt"]


@dataclass(frozen=True)
class Truth:
    products: pd.DataFrame  # code, name, family, price, cost (code: the master's spelling)
    sales: pd.DataFrame  # code, region, month, units: the monthly truth (region None: no region)
    last_month: pd.Timestamp


@dataclass(frozen=True)
class Shape:
    """How one company exports: every field a way real exports differ."""

    name: str
    grain: str = "month"  # month | order_lines | weekly
    regions: int = 2  # 0: the export has no region column
    extra: tuple[str, ...] = ()  # dimension columns summed over: channel, customer, warehouse
    channel_is_region: bool = False  # no region column; the channel is what the company plans by
    per_year: bool = False  # one sales file per year
    wide: str | None = None  # months as columns: strftime format of the headers, or "excel" (date cells)
    title_rows: int = 0  # title lines above the header (sales and master)
    codes: str = "plain"  # plain | zeros (sales '000123', master 123) | messy (spaces, mixed case)
    german: bool = False  # German headers, ';', decimal comma, thousands '.', cp1252
    container: str = "csv"  # csv | workbook (sales and master as sheets of one xlsx, with a cover sheet)
    master: str = "full"  # full | no_status | thin (code and name) | planner (Article, Description, Range, Price, COGS)
    returns: bool = False  # returns booked as negative lines
    date_format: str = "%Y-%m"  # of the sales dates (month grain) or days (order lines, weeks)
    big: bool = False  # quantities in the thousands (thousands separators matter)
    year_month_split: bool = False  # the month in two columns: a year and a month number
    typed: bool = False  # Excel or Parquet with real date cells and numbers (not text)
    totals: bool = False  # a total row at the bottom (and a total column in a wide layout)
    sheets_per_year: bool = False  # a workbook with one sales sheet per year
    sap: bool = False  # returns written '5-' (a trailing minus) and weeks as '2024-W05'
    bom_tab_crlf: bool = False  # UTF-8 with a byte-order mark, tab-separated, Windows line ends
    numbers: str = "plain"  # plain | english ('1,234' quoted) | space ('1 234' with a no-break space) | swiss ("1'234")
    brackets: bool = False  # returns written '(5)', as accountants do
    footer: bool = False  # blank ',,,' lines and an ERP's 'Generated on ...' note below the table
    month_language: str = "en"  # en | fr | es | it | nl: month names in the headers or cells
    subtotals: bool = False  # a wide layout by region with a 'North Total' row after each region
    per_region: bool = False  # one sales file per region, the region only in the file's name
    excel_days: bool = False  # the dates as Excel's day numbers (45292) in a CSV
    erp_headers: bool = False  # English ERP names: Item Code, Posting Date, Quantity sold, Customer
    status_words: bool = False  # the master's status as an ERP writes it: Released, New


SHAPES = [
    Shape(
        "channel_rows_no_region",
        regions=0,
        extra=("channel",),
        channel_is_region=True,
        german=True,
        master="no_status",
        date_format="%m/%Y",
    ),
    Shape(
        "order_lines_per_year_files",
        grain="order_lines",
        regions=0,
        extra=("order", "customer"),
        per_year=True,
        returns=True,
        codes="zeros",
        title_rows=2,
        german=True,
        date_format="%d.%m.%Y",
    ),
    Shape("planner_workbook_wide", regions=0, wide="%b %Y", container="workbook", master="planner"),
    Shape("wide_csv_below_title", wide="%Y-%m", title_rows=3),
    Shape("order_lines_with_channel", grain="order_lines", extra=("order", "channel"), returns=True, date_format="%Y-%m-%d"),
    Shape("weekly_rows", grain="weekly", date_format="%d/%m/%Y"),
    Shape("messy_codes", codes="messy", regions=3),
    Shape("cp1252_thousands", german=True, big=True, date_format="%m.%Y"),
    Shape("workbook_several_sheets", container="workbook", regions=2, date_format="%Y-%m-%d"),
    Shape("wide_excel_dates_title", wide="excel", container="workbook", title_rows=1, regions=2),
    Shape("wide_german_months", wide="%b %Y", german=True, regions=0, master="no_status"),
    Shape("thin_master_one_family", master="thin", regions=2),
    Shape("wide_short_years_per_file", wide="%b-%y", per_year=True, regions=2),
    Shape(
        "order_lines_customer_warehouse",
        grain="order_lines",
        extra=("order", "customer", "warehouse"),
        returns=True,
        codes="messy",
        date_format="%Y-%m-%d",
    ),
]
SHAPES += [
    Shape("bi_export_year_and_month_columns", year_month_split=True, german=True, regions=2),
    Shape("excel_typed_dates_with_total_row", container="workbook", typed=True, totals=True, regions=2),
    Shape("wide_with_total_row_and_column", wide="%Y-%m", totals=True, regions=0),
    Shape("parquet_typed_numeric_codes", container="parquet", typed=True, codes="numbers", regions=3),
]
SHAPES += [
    Shape("workbook_one_sheet_per_year", container="workbook", sheets_per_year=True, regions=2, date_format="%d.%m.%Y"),
    Shape("sap_weeks_and_trailing_minus", grain="weekly", sap=True, returns=True, german=True, date_format="%G-W%V"),
    Shape("bom_tab_crlf_order_lines", grain="order_lines", extra=("order",), bom_tab_crlf=True, date_format="%Y-%m-%d"),
]
SHAPES += [  # shapes found by a maintainer's probe, each once silent or blocking
    Shape("english_thousands_quoted", big=True, numbers="english", regions=2),
    Shape("space_thousands_brackets_returns", grain="order_lines", extra=("order",), big=True, numbers="space",
          brackets=True, returns=True, date_format="%Y-%m-%d"),
    Shape("swiss_apostrophe_footer", big=True, numbers="swiss", footer=True, regions=2),
    Shape("us_month_dates_first_of_month", date_format="%m/%d/%Y", regions=2),
    Shape("wide_french_months", wide="%b %Y", month_language="fr", regions=0),
    Shape("wide_spanish_short_years", wide="%b-%y", month_language="es", regions=2),
    Shape("wide_region_subtotals", wide="%Y-%m", subtotals=True, regions=2),
    Shape("one_file_per_region", per_region=True, regions=3, erp_headers=True, date_format="%Y-%m-%d"),
    Shape("excel_day_numbers_in_csv", excel_days=True, grain="order_lines", extra=("order",), regions=2),
    Shape("sap_posting_period", date_format="0%m.%Y", german=True, regions=2, master="full", status_words=True),
    Shape("erp_names_month_words_footer", erp_headers=True, date_format="%b-%y", footer=True, regions=0),
]  # fmt: skip
WHOLE_CYCLE = ["channel_rows_no_region", "order_lines_per_year_files", "planner_workbook_wide"]


def company(seed: int, n_sku: int = 8, months: int = 30, last: str = "2026-10"):
    """A small company: SKUs in two or three families, some starting late, a seasonal mean
    per SKU and month; returns (products, means, last month, the random generator)."""
    rng = np.random.default_rng(seed)
    families = ["Outdoor", "Kitchen", "Tools"][: 2 + seed % 2]
    codes = rng.choice(np.arange(100, 9999), n_sku, replace=False)
    products = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Artikel {chr(65 + i)} Größe {c % 7}" for i, c in enumerate(codes)],
            "family": [families[i % len(families)] for i in range(n_sku)],
            "price": rng.uniform(20, 400, n_sku).round(2),
        }
    )
    products["cost"] = (products["price"] * rng.uniform(0.4, 0.7, n_sku)).round(2)
    end = pd.Timestamp(f"{last}-01")
    calendar = pd.date_range(end=end, periods=months, freq="MS")
    rows = []
    for i, code in enumerate(codes):
        start = 0 if i % 4 else int(rng.integers(4, months // 2))
        level = rng.uniform(8, 60)
        for m in calendar[start:]:
            season = 1 + 0.4 * np.sin(2 * np.pi * (m.month + i) / 12)
            rows.append({"code": code, "month": m, "mean": level * season})
    return products, pd.DataFrame(rows), end, rng


def _truth_units(base: pd.DataFrame, regions: list[str | None], rng, big: bool) -> pd.DataFrame:
    """Monthly units per code x region x month (Poisson around the mean, some zero months)."""
    out = []
    for region in regions:
        share = rng.uniform(0.5, 1.5)
        units = rng.poisson(base["mean"] * share * (40 if big else 1))
        out.append(base.assign(region=region, units=units.astype(float)))
    sales = pd.concat(out, ignore_index=True)
    return sales.drop(columns="mean")


def truth_for(shape: Shape, seed: int, n_sku: int = 8) -> Truth:
    """The monthly truth one shape's exports are generated from."""
    products, means, end, rng = company(seed, n_sku)
    if shape.channel_is_region:
        regions: list[str | None] = CHANNELS
    elif shape.regions:
        regions = ["North", "South", "West"][: shape.regions]
    else:
        regions = [None]
    return Truth(products, _truth_units(means, regions, rng, shape.big), end)


# --- rows finer than the month ---------------------------------------------------------------


def _split(total: int, parts: int, rng) -> np.ndarray:
    return rng.multinomial(total, np.ones(parts) / parts) if total > 0 else np.zeros(parts, dtype=int)


def _finer_rows(shape: Shape, sales: pd.DataFrame, rng) -> pd.DataFrame:
    """Each month's units as the rows the export has: order lines on days, weekly rows, one row per channel."""
    rows = []
    order_no = 100000
    for r in sales.itertuples(index=False):
        units = int(r.units)
        if shape.grain == "order_lines":
            k = int(rng.integers(1, 4))
            parts = _split(units, k, rng)
            days = rng.integers(1, r.month.days_in_month + 1, k)
            lines = [(r.month.replace(day=int(d)), int(p)) for d, p in zip(days, parts) if p > 0]
            if shape.returns and units >= 3 and rng.random() < 0.3:
                back = int(rng.integers(1, units // 3 + 1))
                lines[0] = (lines[0][0], lines[0][1] + back)
                lines.append((r.month.replace(day=int(rng.integers(1, r.month.days_in_month + 1))), -back))
        elif shape.grain == "weekly":
            mondays = pd.date_range(r.month, r.month + pd.offsets.MonthEnd(0), freq="W-MON")
            lines = [(d, int(p)) for d, p in zip(mondays, _split(units, len(mondays), rng))]
            if shape.returns and units >= 3 and rng.random() < 0.3:
                back = int(rng.integers(1, units // 3 + 1))
                lines = [(lines[0][0], lines[0][1] + back), *lines[1:], (lines[-1][0], -back)]
        else:
            lines = [(r.month, units)]
        for day, qty in lines:
            channels = [None]
            split = [qty]
            if "channel" in shape.extra and not shape.channel_is_region and qty > 0:
                channels = CHANNELS
                split = list(_split(qty, len(CHANNELS), rng))
            for channel, q in zip(channels, split):
                if q == 0 and shape.grain != "month":
                    continue
                order_no += 1
                rows.append(
                    {
                        "code": r.code,
                        "region": r.region,
                        "date": day,
                        "qty": q,
                        "order": f"A{order_no}",
                        "customer": f"K{int(rng.integers(1, 40)):04d}",
                        "warehouse": ["Lager Nord", "Lager Süd"][int(rng.integers(0, 2))],
                        "channel": r.region if shape.channel_is_region else channel,
                    }
                )
    return pd.DataFrame(rows)


# --- writing ---------------------------------------------------------------------------------------


def _sales_code(shape: Shape, code: int, rng) -> str:
    if shape.codes == "zeros":
        return f"{code:06d}"
    if shape.codes == "numbers":
        return int(code)
    if shape.codes == "messy":
        text = f"ab-{code}"
        return " " * int(rng.integers(0, 3)) + (text.upper() if rng.random() < 0.5 else text) + " " * int(rng.integers(0, 2))
    return f"SKU-{code}"


def master_code(shape: Shape, code: int) -> str:
    """The SKU as the product master writes it (what step 1's tables carry after normalising)."""
    if shape.codes in ("zeros", "numbers"):
        return str(code)
    if shape.codes == "messy":
        return f"AB-{code}"
    return f"SKU-{code}"


def _number(shape: Shape, x: float) -> str:
    if shape.sap and x < 0:
        return _number(shape, -x) + "-"
    if shape.brackets and x < 0:
        return f"({_number(shape, -x)})"
    if shape.numbers != "plain":
        text = f"{int(x):,}" if x == int(x) else f"{x:,.2f}"
        return text.replace(",", {"english": ",", "space": "\u00a0", "swiss": "'"}[shape.numbers])
    if not shape.german:
        return f"{x:.2f}" if x != int(x) else f"{int(x)}"
    text = f"{x:,.2f}" if x != int(x) else f"{int(x):,}"
    return text.replace(",", "X").replace(".", ",").replace("X", ".")


MONTHS = {
    "fr": "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
    "es": "ene feb mar abr may jun jul ago sep oct nov dic",
    "it": "gen feb mar apr mag giu lug ago set ott nov dic",
    "nl": "jan feb mrt apr mei jun jul aug sep okt nov dec",
}
ERP_HEADERS = {
    "code": "Item Code",
    "date": "Posting Date",
    "qty": "Quantity sold",
    "customer": "Customer",
    "order": "Document No",
}
HEADERS = {
    False: {"code": "Item", "date": "Date", "region": "Region", "qty": "Quantity", "order": "Order No",
            "customer": "Customer", "warehouse": "Warehouse", "channel": "Channel"},
    True: {"code": "Artikelnummer", "date": "Monat", "region": "Vertriebsgebiet", "qty": "Menge", "order": "Belegnummer",
           "customer": "Kunde", "warehouse": "Lager", "channel": "Kanal"},
}  # fmt: skip


def sales_frame(shape: Shape, truth: Truth, rng) -> pd.DataFrame:
    """The sales export as a table of text, in the shape's columns and spellings."""
    sales = truth.sales
    if shape.wide:
        keys = ["code"] + (["region"] if sales["region"].notna().any() else [])
        wide = sales.pivot_table(index=keys, columns="month", values="units", aggfunc="sum").reset_index()
        months = [c for c in wide.columns if isinstance(c, pd.Timestamp)]
        out = pd.DataFrame({HEADERS[shape.german]["code"]: [_sales_code(shape, c, rng) for c in wide["code"]]})
        if "region" in keys:
            out[HEADERS[shape.german]["region"]] = wide["region"]
        for m in months:
            header = m.to_pydatetime() if shape.wide == "excel" else _month_header(shape, m)
            out[header] = [("" if pd.isna(v) else _number(shape, v)) for v in wide[m]]
        if shape.subtotals and "region" in keys:
            region_col = HEADERS[shape.german]["region"]
            blocks = []
            for region, block in out.groupby(region_col, sort=True):
                sub = {c: "" for c in out.columns} | {region_col: f"{region} Total"}
                sub |= {h: _number(shape, wide.loc[block.index, m].sum()) for h, m in zip(out.columns[2:], months)}
                blocks += [block, pd.DataFrame([sub])]
            out = pd.concat(blocks, ignore_index=True)
        if shape.totals:
            out.insert(1, "Description", [f"Artikel {c}" for c in wide["code"]])
            out["Total"] = [_number(shape, v) for v in wide[months].sum(axis=1)]
            total = {c: "" for c in out.columns} | {"Description": "Total"}
            total |= {
                h: _number(shape, v)
                for h, v in zip(out.columns[-len(months) - 1 :], [*wide[months].sum(), wide[months].sum().sum()])
            }
            out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
        return out
    rows = _finer_rows(shape, sales, rng)
    if shape.typed:
        out = rows[["code", "region", "date", "qty"]].rename(
            columns={"code": "Item", "region": "Country", "date": "Date", "qty": "Quantity"}
        )
        out["Item"] = [_sales_code(shape, c, rng) for c in out["Item"]]
        if shape.totals:
            out = pd.concat([out, pd.DataFrame([{"Item": "Total", "Quantity": out["Quantity"].sum()}])], ignore_index=True)
        return out
    if shape.year_month_split:
        rows = rows.assign(year=rows["date"].dt.year, month_no=rows["date"].dt.month)
        out = pd.DataFrame(
            {"Jahr": rows["year"], "Monat": rows["month_no"], "Land": rows["region"],
             "Artikel": [_sales_code(shape, c, rng) for c in rows["code"]], "Absatz": [_number(shape, q) for q in rows["qty"]]}
        )  # fmt: skip
        return out
    cols = ["code"] + (["region"] if shape.regions and not shape.channel_is_region else [])
    cols += [c for c in ("order", "customer", "warehouse") if c in shape.extra]
    cols += ["channel"] if ("channel" in shape.extra or shape.channel_is_region) else []
    cols += ["date", "qty"]
    out = rows[cols].copy()
    out["code"] = [_sales_code(shape, c, rng) for c in out["code"]]
    if shape.excel_days:
        out["date"] = (out["date"] - pd.Timestamp("1899-12-30")).dt.days.astype(str)
    else:
        out["date"] = [_month_words(shape, d.strftime(shape.date_format), d) for d in out["date"]]
    out["qty"] = [_number(shape, q) for q in out["qty"]]
    return out.rename(columns={**HEADERS[shape.german], **(ERP_HEADERS if shape.erp_headers else {})})


def _month_words(shape: Shape, text: str, month: pd.Timestamp) -> str:
    """An English month abbreviation written in the shape's language."""
    if shape.month_language == "en":
        return text
    return text.replace(month.strftime("%b"), MONTHS[shape.month_language].split()[month.month - 1])


def _month_header(shape: Shape, month: pd.Timestamp) -> str:
    text = _month_words(shape, month.strftime(shape.wide), month)
    if shape.german:
        for en, de in (("Mar", "Mär"), ("May", "Mai"), ("Oct", "Okt"), ("Dec", "Dez")):
            text = text.replace(en, de)
    return text


def master_frame(shape: Shape, truth: Truth) -> pd.DataFrame:
    p = truth.products
    code = [int(c) if shape.codes in ("zeros", "numbers") else master_code(shape, c) for c in p["code"]]
    if shape.master == "thin":
        return pd.DataFrame({"Item": code, "Description": p["name"]})
    if shape.master == "planner":
        return pd.DataFrame(
            {"Article": code, "Description": p["name"], "Range": p["family"], "Price": p["price"], "COGS": p["cost"]}
        )
    if shape.german:
        out = pd.DataFrame(
            {"Artikelnummer": code, "Bezeichnung": p["name"], "Warengruppe": p["family"],
             "Listenpreis": [_number(shape, x) for x in p["price"]], "Einstandspreis": [_number(shape, x) for x in p["cost"]]}
        )  # fmt: skip
    else:
        out = pd.DataFrame(
            {"Item": code, "Name": p["name"], "Family": p["family"], "List price": p["price"], "Unit cost": p["cost"]}
        )
    if shape.master == "full":
        status = ["Released", "New"] if shape.status_words else ["aktiv"] if shape.german else ["active"]
        out["Status" if not shape.german else "Artikelstatus"] = [status[i % len(status)] for i in range(len(out))]
    return out


def _write_csv(df: pd.DataFrame, path, shape: Shape, title: str) -> None:
    if shape.footer:
        blank = pd.DataFrame([{c: "" for c in df.columns}] * 2)
        note = pd.DataFrame([{c: "" for c in df.columns} | {df.columns[0]: "Generated by ERP on 03.11.2026 08:14"}])
        df = pd.concat([df, blank, note], ignore_index=True)
    sep = "\t" if shape.bom_tab_crlf else ";" if shape.german else ","
    encoding = "utf-8-sig" if shape.bom_tab_crlf else "cp1252" if shape.german else "utf-8"
    if shape.bom_tab_crlf:
        df.to_csv(path, sep=sep, index=False, encoding=encoding, lineterminator="\r\n")
        return
    lines = [title, f"Stand: {pd.Timestamp('2026-11-03'):%d.%m.%Y}", ""][: shape.title_rows]
    with open(path, "w", encoding=encoding, newline="") as fh:
        for line in lines:
            fh.write(line + "\n")
        df.to_csv(fh, sep=sep, index=False)


def _write_sheets(path, sheets: dict[str, pd.DataFrame], shape: Shape) -> None:
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        pd.DataFrame({"Read me": ["Monthly planning workbook", "Owner: planning team"]}).to_excel(
            xl, sheet_name="Cover", index=False
        )
        for name, df in sheets.items():
            df.to_excel(xl, sheet_name=name, index=False, startrow=shape.title_rows)
            if shape.title_rows:
                xl.sheets[name].cell(row=1, column=1, value=f"{name}: export of 03.11.2026")


def write_exports(shape: Shape, truth: Truth, folder, seed: int = 0) -> None:
    """The company's sales history and product master, as this shape's company exports them."""
    rng = np.random.default_rng(seed + 1)
    folder.mkdir(parents=True, exist_ok=True)
    sales = sales_frame(shape, truth, rng)
    master = master_frame(shape, truth)
    if shape.container == "parquet":
        sales.to_parquet(folder / "sales.parquet", index=False)
        master.to_parquet(folder / "products.parquet", index=False)
        return
    if shape.container == "workbook":
        sheets = {"Sales": sales}
        if shape.sheets_per_year:
            year = pd.to_datetime(sales[HEADERS[shape.german]["date"]], format=shape.date_format).dt.year
            sheets = {f"Umsatz {y}": sales[year == y] for y in sorted(year.unique())}
        _write_sheets(folder / "planning.xlsx", {**sheets, "Products": master}, shape)
        return
    if shape.per_year:
        if shape.wide:
            for year in sorted({c.year for c in truth.sales["month"]}):
                cols = [c for c in sales.columns if not _is_month(shape, c) or _header_year(shape, c) == year]
                _write_csv(sales[cols], folder / f"sales_{year}.csv", shape, "Sales")
        else:
            year = pd.to_datetime(sales[HEADERS[shape.german]["date"]], format=shape.date_format).dt.year
            for y in sorted(year.unique()):
                _write_csv(sales[year == y], folder / f"umsatz_{y}.csv", shape, f"Umsatz {y}")
    elif shape.per_region:
        region = HEADERS[shape.german]["region"]
        for name, part in sales.groupby(region):
            _write_csv(part.drop(columns=[region]), folder / f"sales_{name.lower()}.csv", shape, f"Sales {name}")
    else:
        _write_csv(sales, folder / "sales.csv", shape, "Sales report")
    if shape.codes == "zeros":  # numbers in an Excel master, below a title
        _write_sheets(folder / "artikelstamm.xlsx", {"Artikel": master}, replace(shape, title_rows=max(shape.title_rows, 2)))
    else:
        _write_csv(master, folder / "products.csv", shape, "Product master")


def _is_month(shape: Shape, header) -> bool:
    return _header_year(shape, header) is not None


def _header_year(shape: Shape, header) -> int | None:
    try:
        return pd.Timestamp(pd.to_datetime(str(header), format=shape.wide)).year
    except (ValueError, TypeError):
        return None


def expected_monthly(shape: Shape, truth: Truth) -> pd.DataFrame:
    """Units per SKU (as the master spells it) and month: what step 1's monthly table must hold."""
    s = truth.sales.assign(sku=[master_code(shape, c) for c in truth.sales["code"]])
    return s.groupby(["sku", "month"], as_index=False)["units"].sum()
