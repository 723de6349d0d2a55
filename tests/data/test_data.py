"""Step 1 readers and contracts: the clean demo loads, and every kind of bad export
gives a message that tells its owner where (source, file, sheet/table, column,
line) and what was expected."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from sop_lib.companies.demo import BACKLOG_CUSTOMERS, write_demo_company
from sop_lib.core.params import RunParams, load_params
from sop_lib.data import (
    DataError,
    LoadedData,
    load_sources,
    monthly_sales,
    quality_table,
    quality_warnings,
    raise_for_blocking,
    reading,
    robust_outliers,
    skipped,
)

ROOT = Path(__file__).resolve().parents[2]
CYCLE = "2026-11"


# --- fixtures and helpers -----------------------------------------------------------


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Path:
    return write_demo_company(tmp_path_factory.mktemp("data_demo") / "demo", CYCLE)


@pytest.fixture(scope="session")
def params(demo, tmp_path_factory) -> RunParams:
    raw = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    raw["data"]["folder"] = str(demo)
    raw["data"]["demo"] = False
    path = tmp_path_factory.mktemp("data_params") / "run.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return load_params(path)


@pytest.fixture(scope="session")
def clean(params) -> LoadedData:
    return load_sources(params)


@pytest.fixture(scope="session")
def clean_monthly(clean) -> pd.DataFrame:
    return monthly_sales(clean.tables["sales_history"], clean.tables["products"], CYCLE)


def with_folder(params: RunParams, folder: Path, **source_updates: dict) -> RunParams:
    """The same run profile, reading from ``folder``; optionally changing some sources' specs."""
    update: dict = {"data": params.data.model_copy(update={"folder": str(folder)})}
    if source_updates:
        sources = dict(params.sources)
        for name, changes in source_updates.items():
            sources[name] = sources[name].model_copy(update=changes)
        update["sources"] = sources
    return params.model_copy(update=update)


def copy_demo(demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(demo, tmp_path / "exports"))


def edit_csv(folder: Path, file: str, fn, **to_csv) -> None:
    """Rewrite one CSV export after ``fn(df)``; df row i is file line i + 2."""
    df = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    df = fn(df)
    df.to_csv(folder / file, index=False, **to_csv)


def set_cell(row: int, column: str, value):
    def fn(df):
        df.loc[row, column] = value
        return df

    return fn


def sql(folder: Path, statement: str) -> None:
    with sqlite3.connect(folder / "erp.sqlite") as con:
        con.execute(statement)


def messages(loaded: LoadedData, source: str) -> list[str]:
    return [str(p) for p in loaded.problems if p.source == source]


def only_message(loaded: LoadedData, source: str) -> str:
    msgs = messages(loaded, source)
    assert msgs, f"no problem reported for {source}; got {[str(p) for p in loaded.problems]}"
    return msgs[0]


def load_variant(params, demo, tmp_path, edit=None, **source_updates) -> LoadedData:
    folder = copy_demo(demo, tmp_path)
    if edit is not None:
        edit(folder)
    return load_sources(with_folder(params, folder, **source_updates))


# --- the clean demo -----------------------------------------------------------------


def test_clean_demo_has_no_blocking_problems(clean, params):
    blocking = [str(p) for p in clean.problems if p.severity == "block"]
    assert blocking == []
    raise_for_blocking(clean.problems)  # does not raise
    assert set(clean.tables) == set(params.sources)
    assert len(clean.lineage) == len(params.sources)
    assert (clean.lineage["sha256"].str.len() == 16).all()
    sales = clean.tables["sales_history"]
    assert pd.api.types.is_datetime64_any_dtype(sales["month"])
    assert pd.api.types.is_float_dtype(sales["units"])
    assert sales["month"].max() == pd.Timestamp("2026-10-01")
    backlog = clean.tables["open_orders"].query("status == 'backordered'")
    assert backlog["customer_id"].nunique() == BACKLOG_CUSTOMERS


# --- bad exports: CSV ---------------------------------------------------------------


def test_missing_column(params, demo, tmp_path):
    loaded = load_variant(
        params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", lambda df: df.drop(columns=["units"]))
    )
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "month, sku, region, net_revenue_eur" in msg  # what the file does have
    assert "expected a column named 'units'" in msg
    assert "sources.sales_history.columns" in msg  # how to map a differently named column


def test_non_numeric_units(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "twelve")))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "line 6" in msg
    assert "'twelve'" in msg
    assert "expected a number" in msg


def test_non_numeric_value_gives_one_clear_problem(params, demo, tmp_path):
    """One bad cell should be one problem naming its line, not a duplicate and a
    Python TypeError without a line number."""
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "twelve")))
    msgs = messages(loaded, "sales_history")
    assert all("line 6" in m for m in msgs), msgs
    assert not any("TypeError" in m or "dtype(" in m for m in msgs), msgs
    assert len(msgs) == 1, msgs


def test_negative_units(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "-3")))
    msgs = messages(loaded, "sales_history")
    assert len(msgs) == 1
    msg = msgs[0]
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "line 6" in msg
    assert "-3" in msg
    assert "expected a value >= 0" in msg


def test_unparseable_date(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(10, "month", "2024-13")))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'month'" in msg
    assert "line 12" in msg
    assert "'2024-13'" in msg
    assert "expected dates like %Y-%m" in msg


def test_future_month_in_sales_history(params, demo, tmp_path):
    def edit(folder):
        edit_csv(folder, "sales_history.csv", lambda df: set_cell(len(df) - 1, "month", "2026-12")(df))

    loaded = load_variant(params, demo, tmp_path, edit)
    n_rows = len(pd.read_csv(demo / "sales_history.csv"))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'month'" in msg
    assert f"line {n_rows + 1}" in msg  # the last line of the file
    assert "2026-12-01" in msg
    assert "only closed months before the cycle (2026-11)" in msg


def test_current_cycle_month_is_not_closed_yet(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(0, "month", "2026-11")))
    msg = only_message(loaded, "sales_history")
    assert "line 2" in msg and "2026-11-01" in msg and "closed months" in msg


def _duplicate_row_7(folder):
    edit_csv(folder, "sales_history.csv", lambda df: pd.concat([df, df.iloc[[7]]], ignore_index=True))


def test_duplicate_key_rows(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, _duplicate_row_7)
    n_rows = len(pd.read_csv(demo / "sales_history.csv"))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'month+sku+region'" in msg
    assert f"lines 9, {n_rows + 2}" in msg  # the original and its copy at the end
    assert "2 rows share a key" in msg
    assert "expected one row per key" in msg


def test_duplicate_key_is_reported_once(params, demo, tmp_path):
    """One duplicated row is one problem, not one copy per key column."""
    loaded = load_variant(params, demo, tmp_path, _duplicate_row_7)
    msgs = messages(loaded, "sales_history")
    assert len(msgs) == 1, msgs


def test_empty_csv(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: (f / "crm_pipeline.csv").write_text(""))
    msg = only_message(loaded, "pipeline")
    assert msg.startswith("pipeline (crm_pipeline.csv)")
    assert "empty file" in msg
    assert "expected a header line and at least one data row" in msg
    assert "pipeline" not in loaded.tables


def test_csv_with_header_only(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: (f / "crm_pipeline.csv").write_text("opportunity_id,region,sku\n"))
    msg = only_message(loaded, "pipeline")
    assert msg.startswith("pipeline (crm_pipeline.csv)")
    assert "no data rows" in msg


def _latin1_products(folder):
    edit_csv(folder, "products.csv", set_cell(3, "name", "Café Crème 3000"), encoding="latin-1")


def test_latin1_csv_read_as_utf8_names_encoding_fix(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, _latin1_products)
    msg = only_message(loaded, "products")
    assert msg.startswith("products (products.csv)")
    assert "not utf-8" in msg
    assert "sources.products.encoding" in msg and "latin-1" in msg


def test_latin1_csv_read_as_utf8_names_the_line(params, demo, tmp_path):
    """The owner must be able to find the bad bytes: the message has to point at line 5
    (data row 3), where 'Café' is, not at a byte offset inside one field."""
    loaded = load_variant(params, demo, tmp_path, _latin1_products)
    msg = only_message(loaded, "products")
    assert "line 5" in msg, msg


def test_latin1_csv_loads_with_declared_encoding(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, _latin1_products, products={"encoding": "latin-1"})
    assert [p for p in loaded.problems if p.severity == "block"] == []
    assert loaded.tables["products"].loc[3, "name"] == "Café Crème 3000"


def _semicolon_pipeline(folder):
    edit_csv(folder, "crm_pipeline.csv", lambda df: df, sep=";")


def test_wrong_delimiter(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, _semicolon_pipeline)
    msgs = messages(loaded, "pipeline")
    msg = next(m for m in msgs if "column 'probability'" in m)
    assert msg.startswith("pipeline (crm_pipeline.csv)")
    assert "opportunity_id;account;region;sku" in msg  # the owner sees the one glued-together column
    assert "expected a column named 'probability'" in msg


def test_semicolon_file_loads_with_declared_delimiter(params, demo, tmp_path, clean):
    loaded = load_variant(params, demo, tmp_path, _semicolon_pipeline, pipeline={"delimiter": ";"})
    assert [p for p in loaded.problems if p.severity == "block"] == []
    assert len(loaded.tables["pipeline"]) == len(clean.tables["pipeline"])
    assert loaded.tables["pipeline"]["probability"].max() <= 1


def test_probability_above_one(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(2, "probability", "1.5")))
    msgs = messages(loaded, "pipeline")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("pipeline (crm_pipeline.csv)")
    assert "column 'probability'" in msg
    assert "line 4" in msg
    assert "1.5" in msg
    assert "expected a value in [0, 1]" in msg


def test_invalid_status_category(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "products.csv", set_cell(5, "status", "retired")))
    msgs = messages(loaded, "products")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("products (products.csv)")
    assert "column 'status'" in msg
    assert "line 7" in msg
    assert "'retired'" in msg
    assert "expected one of ['active', 'planned', 'discontinued']" in msg


def test_blocking_problems_raise_one_data_error_listing_all(params, demo, tmp_path):
    def edit(folder):
        edit_csv(folder, "products.csv", set_cell(5, "status", "retired"))
        edit_csv(folder, "crm_pipeline.csv", set_cell(2, "probability", "1.5"))

    loaded = load_variant(params, demo, tmp_path, edit)
    with pytest.raises(DataError) as info:
        raise_for_blocking(loaded.problems)
    text = str(info.value)
    assert text.startswith("2 blocking data problem(s); first: ")
    assert "products (products.csv), column 'status', line 7" in text
    assert "pipeline (crm_pipeline.csv), column 'probability', line 4" in text
    assert len(info.value.problems) == 2
    frame = loaded.problems_frame()
    assert set(frame["source"]) == {"products", "pipeline"}


# --- bad exports: Excel -------------------------------------------------------------


def test_missing_excel_sheet(params, demo, tmp_path):
    def edit(folder):
        wb = openpyxl.load_workbook(folder / "planning_inputs.xlsx")
        del wb["budget"]
        wb.save(folder / "planning_inputs.xlsx")

    loaded = load_variant(params, demo, tmp_path, edit)
    msg = only_message(loaded, "budget")
    assert msg.startswith("budget (planning_inputs.xlsx, sheet 'budget')")
    assert "no sheet 'budget'" in msg
    assert "targets, headcount" in msg  # the sheets that are there
    assert "expected a sheet named 'budget'" in msg
    assert messages(loaded, "targets") == []


def test_bad_excel_value_names_sheet_and_row(params, demo, tmp_path):
    def edit(folder):
        wb = openpyxl.load_workbook(folder / "planning_inputs.xlsx")
        ws = wb["budget"]
        col = [c.value for c in ws[1]].index("opex_budget_eur") + 1
        ws.cell(row=4, column=col, value=-5)  # Excel row 4 = data row index 2
        wb.save(folder / "planning_inputs.xlsx")

    loaded = load_variant(params, demo, tmp_path, edit)
    msg = only_message(loaded, "budget")
    assert msg.startswith("budget (planning_inputs.xlsx, sheet 'budget')")
    assert "column 'opex_budget_eur'" in msg
    assert "row 4" in msg
    assert "-5" in msg
    assert "expected a value >= 0" in msg


# --- bad exports: SQL ---------------------------------------------------------------


def test_missing_sqlite_database(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: (f / "erp.sqlite").unlink())
    sql_sources = [n for n, s in params.sources.items() if s.kind == "sql"]
    assert len(sql_sources) == 6
    for name in sql_sources:
        msg = only_message(loaded, name)
        assert msg.startswith(f"{name} (erp.sqlite, ")
        assert "no such database file" in msg and str(tmp_path / "exports" / "erp.sqlite") in msg
        assert "expected the file to exist" in msg
    assert "table 'open_orders'" in only_message(loaded, "open_orders")
    assert "query 'SELECT * FROM suppliers ORDER BY supplier_id'" in only_message(loaded, "suppliers")


def test_failing_sql_query(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, suppliers={"query": "SELECT * FROM supplierz"})
    msg = only_message(loaded, "suppliers")
    assert msg.startswith("suppliers (erp.sqlite, query 'SELECT * FROM supplierz')")
    assert "no such table: supplierz" in msg
    assert "expected a readable sql source" in msg


def test_unknown_sku_in_open_orders(params, demo, tmp_path):
    loaded = load_variant(
        params, demo, tmp_path, lambda f: sql(f, "UPDATE open_orders SET sku = 'ESP-PRO-999' WHERE order_id = 'SO-300005'")
    )
    msgs = messages(loaded, "open_orders")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("open_orders (erp.sqlite, table 'open_orders')")
    assert "column 'sku'" in msg
    assert "record 4006" in msg  # 4,000 backlog orders, then SO-300000 ... SO-300005
    assert "'ESP-PRO-999'" in msg
    assert "expected values listed in products.sku" in msg


def test_unknown_supplier_in_bom(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: sql(f, "UPDATE bom SET supplier_id = 'SUP-GHOST' WHERE rowid = 4"))
    msgs = messages(loaded, "bom")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("bom (erp.sqlite, table 'bom')")
    assert "column 'supplier_id'" in msg
    assert "record 4" in msg
    assert "'SUP-GHOST'" in msg
    assert "expected values listed in suppliers.supplier_id" in msg


# --- harmonisation ------------------------------------------------------------------


def _products(**disc) -> pd.DataFrame:
    skus = ["A", "B", "C"]
    return pd.DataFrame(
        {
            "sku": skus,
            "family": ["Fam", "Fam", "Fam"],
            "discontinue_date": [pd.Timestamp(disc[s]) if s in disc else pd.NaT for s in skus],
        }
    )


def _sales(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["month", "sku", "region", "units"])
    return df.assign(month=pd.to_datetime(df["month"]), units=df["units"].astype(float))


def test_monthly_sales_fills_missing_months_with_zero():
    sales = _sales([("2024-01-01", "A", "R1", 10), ("2024-03-01", "A", "R1", 30), ("2024-02-01", "A", "R2", 4)])
    out = monthly_sales(sales, _products(), "2024-06")
    r1 = out[(out["sku"] == "A") & (out["region"] == "R1")]
    assert list(r1["month"]) == list(pd.date_range("2024-01-01", "2024-05-01", freq="MS"))
    assert list(r1["units"]) == [10, 0, 30, 0, 0]
    r2 = out[(out["sku"] == "A") & (out["region"] == "R2")]
    assert list(r2["month"].dt.strftime("%Y-%m")) == ["2024-02", "2024-03", "2024-04", "2024-05"]
    assert list(r2["units"]) == [4, 0, 0, 0]
    assert list(out.columns) == ["family", "sku", "region", "month", "units"]
    assert (out["family"] == "Fam").all()


def test_monthly_sales_stops_a_discontinued_sku():
    sales = _sales([("2024-01-01", "A", "R1", 10), ("2024-01-01", "B", "R1", 5), ("2024-02-01", "B", "R1", 6)])
    out = monthly_sales(sales, _products(B="2024-04-01"), "2024-06")
    b = out[out["sku"] == "B"]
    # no zero-filled months after the product left the range
    assert list(b["month"].dt.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"]
    assert list(b["units"]) == [5, 6, 0]
    assert out.loc[out["sku"] == "A", "month"].max() == pd.Timestamp("2024-05-01")


def test_monthly_sales_keeps_units_sold_before_a_mid_month_discontinuation():
    """A SKU discontinued on 15 March that sold in early March: those units are real
    sales and must not vanish from the history."""
    sales = _sales([("2024-01-01", "C", "R1", 5), ("2024-02-01", "C", "R1", 5), ("2024-03-01", "C", "R1", 4)])
    out = monthly_sales(sales, _products(C="2024-03-15"), "2024-06")
    assert out["units"].sum() == sales["units"].sum() == 14
    assert out["month"].max() == pd.Timestamp("2024-03-01")


def test_monthly_sales_on_the_demo(clean, clean_monthly):
    m = clean_monthly
    # every series is a complete monthly grid
    for _, grp in m.groupby(["sku", "region"]):
        assert (grp["month"].diff().dropna().dt.days.between(28, 31)).all()
    # the niche grinder's unbooked zero months come back as zeros
    niche = m[m["sku"] == "GRN-SINGLE-35"]
    booked = clean.tables["sales_history"].query("sku == 'GRN-SINGLE-35'")
    assert len(niche) > len(booked)
    assert (niche["units"] == 0).sum() == len(niche) - len(booked)
    # the discontinued grinder stops the month before its discontinuation date
    disc = clean.tables["products"].set_index("sku").loc["GRN-CLASSIC-10", "discontinue_date"]
    classic = m[m["sku"] == "GRN-CLASSIC-10"]
    assert classic["month"].max() == disc - pd.DateOffset(months=1)
    # an ordinary SKU runs to the month before the cycle
    assert m.loc[m["sku"] == "ESP-PRO-200", "month"].max() == pd.Timestamp("2026-10-01")
    # total units are preserved
    assert m["units"].sum() == pytest.approx(clean.tables["sales_history"]["units"].sum())


_SEASON = np.array([0.82, 0.78, 0.88, 0.90, 0.92, 0.85, 0.80, 0.86, 0.96, 1.05, 1.38, 1.80])


def _seasonal_family() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    months = pd.date_range("2021-01-01", periods=48, freq="MS")
    rows = []
    for sku, base in (("X", 400), ("Y", 120), ("Z", 60), ("TINY", 2)):
        for i, m in enumerate(months):
            mu = base * _SEASON[m.month - 1] * 1.06 ** (i / 12)
            rows.append(("F", sku, "R", m, float(rng.poisson(mu))))
    return pd.DataFrame(rows, columns=["family", "sku", "region", "month", "units"])


def test_robust_outliers_ignores_seasonal_peaks():
    monthly = _seasonal_family()
    x = monthly[monthly["sku"] == "X"]
    dec = x[x["month"].dt.month == 12]["units"]
    assert dec.min() > 1.5 * x["units"].median()  # the peaks are real and large
    assert robust_outliers(monthly).empty


def test_robust_outliers_flags_a_tenfold_spike():
    monthly = _seasonal_family()
    spike = monthly.index[(monthly["sku"] == "X") & (monthly["month"] == "2023-06-01")][0]
    monthly.loc[spike, "units"] *= 10
    tiny = monthly.index[(monthly["sku"] == "TINY") & (monthly["month"] == "2022-06-01")][0]
    monthly.loc[tiny, "units"] = 20  # a series selling ~2 a month is too small to judge
    out = robust_outliers(monthly)
    assert list(zip(out["sku"], out["month"])) == [("X", pd.Timestamp("2023-06-01"))]
    assert out["robust_z"].iloc[0] > 5


def test_robust_outliers_on_the_demo(clean_monthly):
    out = robust_outliers(clean_monthly)
    flagged = set(zip(out["sku"], out["region"], out["month"].dt.strftime("%Y-%m")))
    # the planted fat-finger entry (x10) in the 21st history month
    assert ("GRN-HAND-5", "Nordics", "2024-07") in flagged
    # no Christmas / Black Friday peak is flagged as a high outlier
    high = out[out["robust_z"] > 0]
    assert not high["month"].dt.month.isin([11, 12]).any()
    assert len(out) <= 5


def test_quality_warnings_on_the_demo(clean, clean_monthly):
    warns = quality_warnings(clean_monthly, clean.tables["sales_history"])
    assert all(w.severity == "warn" for w in warns)
    text = [str(w) for w in warns]
    assert any("GRN-HAND-5 / Nordics / 2024-07" in t and "column 'units'" in t for t in text)
    assert any("GRN-SINGLE-35" in t and "months absent" in t for t in text)


# --- traffic lights ---------------------------------------------------------------


def test_quality_table_clean_demo(clean, params):
    q = quality_table(clean).set_index("source")
    assert set(q.index) == set(params.sources)
    assert (q.drop(index="sales_history")["status"] == "green").all(), q[["status", "findings"]]
    assert q.loc["inventory", "age_days"] == 1 and q.loc["inventory", "fresh_by"] == "latest as_of"
    assert q.loc["sales_history", "age_days"] == 31  # October is the last closed month of the November cycle
    assert q.loc["pipeline", "fresh_by"] == "file modified" and q.loc["pipeline", "age_days"] == 1
    assert q.loc["targets", "horizon"] == "12 of 12 months"
    assert q.loc["budget", "horizon"] == "12 of 12 months"


def test_quality_table_stale_inventory_is_amber(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: sql(f, "UPDATE inventory SET as_of = '2026-09-01'"))
    assert [p for p in loaded.problems if p.severity == "block"] == []
    q = quality_table(loaded).set_index("source")
    assert q.loc["inventory", "status"] == "amber"
    assert q.loc["inventory", "age_days"] == 61
    assert q.loc["inventory", "findings"] == "1 stale"
    assert (q.drop(index=["inventory", "sales_history"])["status"] == "green").all()
    msg = only_message(loaded, "inventory")
    assert msg == (
        "inventory (erp.sqlite, table 'inventory'), column 'as_of': found latest as_of 2026-09-01, "
        "61 days before the cycle start 2026-11-01; expected an export at most 7 days old "
        "(sources.inventory.freshness)"
    )


def test_inventory_at_its_freshness_limit_is_still_green(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: sql(f, "UPDATE inventory SET as_of = '2026-10-25'"))
    q = quality_table(loaded).set_index("source")
    assert q.loc["inventory", "age_days"] == 7
    assert q.loc["inventory", "status"] == "green"


def test_quality_table_blocking_problem_is_red(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(2, "probability", "1.5")))
    q = quality_table(loaded).set_index("source")
    assert q.loc["pipeline", "status"] == "red"
    assert q.loc["pipeline", "blocking"] == 1
    assert q.loc["pipeline", "findings"] == "1 values out of range (blocks)"
    assert q.loc["products", "status"] == "green"


# --- more bad exports: every message a user sees, exactly ------------------------------


def test_launch_dates_out_of_order(params, demo, tmp_path):
    def edit(folder):
        wb = openpyxl.load_workbook(folder / "planning_inputs.xlsx")
        ws = wb["launches"]
        col = [c.value for c in ws[1]].index("earliest_launch") + 1
        ws.cell(row=2, column=col, value=pd.Timestamp("2027-09-01").to_pydatetime())
        wb.save(folder / "planning_inputs.xlsx")

    loaded = load_variant(params, demo, tmp_path, edit)
    assert only_message(loaded, "launches") == (
        "launches (planning_inputs.xlsx, sheet 'launches'), column 'earliest_launch, likely_launch', row 2: "
        "found ESP-PRO-300: earliest_launch 2027-09-01 after likely_launch 2027-03-01; "
        "expected earliest_launch <= likely_launch <= latest_launch"
    )
    assert loaded.problems[0].severity == "block"


def test_bom_for_a_discontinued_sku_is_a_warning(params, demo, tmp_path):
    loaded = load_variant(
        params,
        demo,
        tmp_path,
        lambda f: sql(f, "INSERT INTO bom VALUES ('GRN-CLASSIC-10', 'BURR-SET', 'Burr set', 1, 'SUP-BURR')"),
    )
    [problem] = [p for p in loaded.problems if p.source == "bom"]
    assert str(problem) == (
        "bom (erp.sqlite, table 'bom'), column 'sku', record 57: found 'GRN-CLASSIC-10'; "
        "expected only SKUs that are active or planned in products.status"
    )
    assert (problem.severity, problem.check) == ("warn", "discontinued_reference")


def test_implausible_year(params, demo, tmp_path):
    loaded = load_variant(
        params, demo, tmp_path, lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(0, "expected_close", "2207-01-15"))
    )
    assert only_message(loaded, "pipeline") == (
        "pipeline (crm_pipeline.csv), column 'expected_close', line 2: found 2207-01-15; expected plausible dates (1990 to 2036)"
    )


def test_empty_required_cell(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: edit_csv(f, "sales_history.csv", set_cell(3, "sku", "")))
    msgs = messages(loaded, "sales_history")
    assert msgs[0] == ("sales_history (sales_history.csv), column 'sku', line 5: found nan; expected a value (not empty)")


def test_duplicate_id_in_a_database_table(params, demo, tmp_path):
    loaded = load_variant(
        params, demo, tmp_path, lambda f: sql(f, "UPDATE open_orders SET order_id = 'SO-100000' WHERE order_id = 'SO-100002'")
    )
    assert only_message(loaded, "open_orders") == (
        "open_orders (erp.sqlite, table 'open_orders'), column 'order_id', records 1, 3: "
        "found 2 rows share 'SO-100000'; expected unique values"
    )


def test_targets_that_stop_before_the_horizon_end(params, demo, tmp_path):
    def edit(folder):
        wb = openpyxl.load_workbook(folder / "planning_inputs.xlsx")
        ws = wb["targets"]
        for row in range(ws.max_row, 1, -1):
            if ws.cell(row=row, column=1).value >= pd.Timestamp("2027-09-01").to_pydatetime():
                ws.delete_rows(row)
        wb.save(folder / "planning_inputs.xlsx")

    loaded = load_variant(params, demo, tmp_path, edit)
    msgs = messages(loaded, "targets")
    assert msgs == [
        f"targets (planning_inputs.xlsx, sheet 'targets'), column 'month', family '{fam}': found no row for 2027-09, "
        "2027-10; expected a row for every month 2026-11 to 2027-10 (the 12-month planning horizon)"
        for fam in ("Espresso machines", "Grinders")
    ]
    assert {p.severity for p in loaded.problems if p.source == "targets"} == {"warn"}
    assert quality_table(loaded).set_index("source").loc["targets", "horizon"] == "10 of 12 months"


def test_unknown_region_and_region_aliases(params, demo, tmp_path):
    def edit(folder):
        edit_csv(folder, "crm_pipeline.csv", lambda df: set_cell(1, "region", "Nordic")(set_cell(0, "region", "Mars")(df)))

    loaded = load_variant(params, demo, tmp_path, edit)
    assert only_message(loaded, "pipeline") == (
        "pipeline (crm_pipeline.csv), column 'region', line 2: found 'Mars'; "
        "expected one of DACH, Benelux, Nordics, Iberia (or add the spelling to data.region_aliases)"
    )
    assert loaded.tables["pipeline"].loc[1, "region"] == "Nordics"  # the alias was applied


def test_database_url_with_unset_environment_variable(params, demo, tmp_path, monkeypatch):
    monkeypatch.delenv("ERP_DB_PASSWORD", raising=False)
    loaded = load_variant(
        params, demo, tmp_path, open_orders={"path": None, "url": "postgresql://planner:${ERP_DB_PASSWORD}@erp.example.com/erp"}
    )
    assert only_message(loaded, "open_orders") == (
        "open_orders (postgresql://***@erp.example.com/erp, table 'open_orders'): "
        "found environment variable(s) ERP_DB_PASSWORD not set; "
        "expected the variable(s) named in sources.open_orders.url set in the environment of the run"
    )


def test_credentials_never_appear_in_messages_lineage_or_report(params, demo, tmp_path, monkeypatch):
    secret = "s3cr3t-Pa55"
    monkeypatch.setenv("ERP_DB_PASSWORD", secret)
    monkeypatch.setenv("ERP_DB_HOST", "127.0.0.1")
    loaded = load_variant(
        params, demo, tmp_path, open_orders={"path": None, "url": "postgresql://planner:${ERP_DB_PASSWORD}@${ERP_DB_HOST}:1/erp"}
    )
    msg = only_message(loaded, "open_orders")
    assert msg.startswith("open_orders (postgresql://***@${ERP_DB_HOST}:1/erp, table 'open_orders'): found ")
    assert "expected a readable sql source" in msg
    everything = (
        "\n".join(
            [str(p) for p in loaded.problems],
        )
        + loaded.lineage.to_csv()
        + quality_table(loaded).to_csv()
    )
    assert secret not in everything


def test_redact_removes_secrets_a_driver_repeats():
    from sop_lib.data import redact

    text = "could not connect to postgresql://planner:hunter2@db:5432/erp (password hunter2 rejected)"
    assert redact(text, ["hunter2"]) == "could not connect to postgresql://planner:***@db:5432/erp (password *** rejected)"


def test_parquet_file_that_is_not_parquet(params, demo, tmp_path):
    def edit(folder):
        (folder / "sales.parquet").write_text("month,sku\n2026-01,X\n")

    loaded = load_variant(params, demo, tmp_path, edit, sales_history={"kind": "parquet", "path": "sales.parquet"})
    msg = only_message(loaded, "sales_history")
    assert msg.startswith("sales_history (sales.parquet): found ArrowInvalid: ")
    assert msg.endswith("; expected a readable parquet source")


def test_excel_file_that_is_not_a_workbook(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, lambda f: (f / "planning_inputs.xlsx").write_text("not a workbook"))
    msg = only_message(loaded, "budget")
    assert msg.startswith("budget (planning_inputs.xlsx, sheet 'budget'): found ")
    assert "zip file" in msg and msg.endswith("; expected a readable excel source")


def test_column_mapping_that_names_a_column_the_file_lacks(params, demo, tmp_path):
    loaded = load_variant(
        params,
        demo,
        tmp_path,
        lambda f: edit_csv(f, "sales_history.csv", lambda df: df.rename(columns={"units": "Mengen"})),
        sales_history={"columns": {"Menge": "units"}},
    )
    assert only_message(loaded, "sales_history") == (
        "sales_history (sales_history.csv), column 'units': found columns: month, sku, region, Mengen, net_revenue_eur; "
        "expected a column named 'Menge' (mapped to 'units' in sources.sales_history.columns)"
    )


def test_date_format_declared_wrong(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, sales_history={"date_format": "%d.%m.%Y"})
    msg = only_message(loaded, "sales_history")
    rows = len(pd.read_csv(demo / "sales_history.csv"))
    assert msg.startswith(
        f"sales_history (sales_history.csv), column 'month', lines 2, 3, 4, 5, 6 (+{rows - 5} more): found '2022-11', '2022-11'"
    )
    assert msg.endswith("; expected dates like %d.%m.%Y")
    assert len(messages(loaded, "sales_history")) == 1  # no second 'empty month' message for the same cells


def test_cases_without_a_pack_size(params, demo, tmp_path):
    def edit(folder):
        edit_csv(folder, "products.csv", set_cell(2, "units_per_case", ""))

    loaded = load_variant(params, demo, tmp_path, edit, inventory={"unit": "case"})
    assert only_message(loaded, "inventory") == (
        "inventory (erp.sqlite, table 'inventory'), column 'on_hand', records 5, 6: found 'ESP-HOME-60'; "
        "expected a units_per_case in products for every SKU (sources.inventory.unit is 'case')"
    )


def test_missing_duckdb_file(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, bom={"path": "erp.duckdb"})
    assert only_message(loaded, "bom") == (
        f"bom (erp.duckdb, table 'bom'): found no such database file: {tmp_path / 'exports' / 'erp.duckdb'}; "
        "expected the file to exist (check data.folder and the path in params)"
    )


# --- severity from params -------------------------------------------------------------


def test_severity_per_source_overrides_the_default(params, demo, tmp_path):
    edit = lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(2, "probability", "1.5"))  # noqa: E731
    loaded = load_variant(params, demo, tmp_path, edit, pipeline={"severity": {"out_of_range": "warn"}})
    [problem] = [p for p in loaded.problems if p.source == "pipeline"]
    assert problem.severity == "warn"
    raise_for_blocking(loaded.problems)  # a warning does not stop the cycle
    # the table is still handed over with the contract's types
    assert pd.api.types.is_float_dtype(loaded.tables["pipeline"]["probability"])
    assert quality_table(loaded).set_index("source").loc["pipeline", "status"] == "amber"


def test_data_checks_can_make_a_warning_block(params, demo, tmp_path):
    p2 = params.model_copy(update={"data": params.data.model_copy(update={"checks": {"stale": "block"}})})
    folder = copy_demo(demo, tmp_path)
    sql(folder, "UPDATE inventory SET as_of = '2026-09-01'")
    loaded = load_sources(with_folder(p2, folder))
    with pytest.raises(DataError, match=r"inventory \(erp.sqlite, table 'inventory'\), column 'as_of': found latest as_of"):
        raise_for_blocking(loaded.problems)


def test_unknown_sku_as_warning_leaves_the_rows_out(params, demo, tmp_path):
    loaded = load_variant(
        params,
        demo,
        tmp_path,
        lambda f: sql(f, "UPDATE open_orders SET sku = 'ESP-PRO-999' WHERE order_id = 'SO-300005'"),
        open_orders={"severity": {"unknown_reference": "warn"}},
    )
    raise_for_blocking(loaded.problems)
    assert "SO-300005" not in set(loaded.tables["open_orders"]["order_id"])
    assert len(loaded.tables["open_orders"]) == 4599


# --- sources declared in params: other formats, names and conventions -----------------


GERMAN_PARAMS = """
company: Test GmbH
cycle: "2026-11"
data: {folder: exports, regions: [DACH, Benelux, Nordics, Iberia]}
sources:
  sales_history:
    kind: csv
    path: Absatz_Export.csv
    delimiter: ";"
    decimal: ","
    encoding: cp1252
    date_format: "%d.%m.%Y"
    columns: {Monat: month, Artikelnummer: sku, "Vertriebsgebiet": region, Menge: units, "Umsatz netto (EUR)": net_revenue_eur}
"""


def _german_export(sales: pd.DataFrame, path: Path) -> None:
    """What an ERP with German settings writes: own column names, dd.mm.yyyy, decimal comma, ';', cp1252."""
    out = pd.DataFrame(
        {
            "Monat": sales["month"].dt.strftime("%d.%m.%Y"),
            "Artikelnummer": sales["sku"],
            "Vertriebsgebiet": sales["region"],
            "Menge": sales["units"].map(lambda v: f"{v:,.0f}".replace(",", ".")),
            "Umsatz netto (EUR)": sales["net_revenue_eur"].map(
                lambda v: f"{v:,.2f}".replace(",", "X").replace(".", ",").replace("X", ".")
            ),
        }
    )
    out.to_csv(path, sep=";", index=False, encoding="cp1252")


def test_german_export_loads_through_params_only(params, demo, tmp_path, clean):
    folder = copy_demo(demo, tmp_path)
    _german_export(clean.tables["sales_history"], folder / "Absatz_Export.csv")
    raw = yaml.safe_load((ROOT / "params" / "default.yaml").read_text(encoding="utf-8"))
    german = yaml.safe_load(GERMAN_PARAMS)
    raw["sources"]["sales_history"] = german["sources"]["sales_history"]
    raw["data"] = {**raw["data"], "folder": str(folder), "demo": False}
    path = tmp_path / "firma.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    loaded = load_sources(load_params(path))
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    ours, theirs = clean.tables["sales_history"], loaded.tables["sales_history"]
    pd.testing.assert_frame_equal(theirs[ours.columns], ours)
    assert theirs["units"].max() > 1000  # '1.234' read as one thousand two hundred and thirty-four
    assert "Menge -> units" in loaded.lineage.set_index("source").loc["sales_history", "columns_mapped"]


def test_parquet_source(params, demo, tmp_path, clean):
    def edit(folder):
        clean.tables["products"].rename(columns={"sku": "article"}).to_parquet(folder / "products.parquet")

    loaded = load_variant(
        params, demo, tmp_path, edit, products={"kind": "parquet", "path": "products.parquet", "columns": {"article": "sku"}}
    )
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    pd.testing.assert_frame_equal(
        loaded.tables["products"].fillna({"replaces": ""}), clean.tables["products"].fillna({"replaces": ""})
    )
    assert loaded.lineage.set_index("source").loc["products", "kind"] == "parquet"


def _duckdb_erp(folder: Path, clean) -> None:
    import duckdb

    with duckdb.connect(str(folder / "erp.duckdb")) as con:
        for name in ("bom", "suppliers"):
            df = clean.tables[name]  # noqa: F841 (duckdb reads the local frame by name)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM df")


def test_duckdb_source(params, demo, tmp_path, clean):
    loaded = load_variant(
        params,
        demo,
        tmp_path,
        lambda f: _duckdb_erp(f, clean),
        bom={"path": "erp.duckdb"},
        suppliers={"path": "erp.duckdb", "query": "SELECT * FROM suppliers WHERE on_time_rate > 0"},
    )
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    pd.testing.assert_frame_equal(loaded.tables["bom"], clean.tables["bom"])
    assert len(loaded.tables["suppliers"]) == 5


def test_duckdb_query_failing(params, demo, tmp_path, clean):
    loaded = load_variant(
        params,
        demo,
        tmp_path,
        lambda f: _duckdb_erp(f, clean),
        suppliers={"path": "erp.duckdb", "query": "SELECT * FROM supplierz"},
    )
    msg = only_message(loaded, "suppliers")
    assert msg.startswith("suppliers (erp.duckdb, query 'SELECT * FROM supplierz'): found CatalogException: ")
    assert "supplierz does not exist" in msg and msg.endswith("expected a readable sql source")


def test_sales_in_cases_are_converted_to_units(params, demo, tmp_path, clean):
    def edit(folder):
        per_case = clean.tables["products"].set_index("sku")["units_per_case"]
        edit_csv(
            folder,
            "sales_history.csv",
            lambda df: df.assign(units=(df["units"].astype(float) / df["sku"].map(per_case)).map(lambda v: f"{v:.6f}")),
        )

    loaded = load_variant(params, demo, tmp_path, edit, sales_history={"unit": "case"})
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    assert loaded.tables["sales_history"]["units"].to_numpy() == pytest.approx(
        clean.tables["sales_history"]["units"].to_numpy(), rel=1e-5
    )
    assert set(loaded.tables["products"]["uom"]) == {"unit"}


# --- lineage and the harmonised history -------------------------------------------------


def test_lineage_names_file_sheet_hash_rows_and_modification_time(clean, demo):
    lin = clean.lineage.set_index("source")
    assert lin.loc["targets", "file"] == str(demo / "planning_inputs.xlsx")
    assert lin.loc["targets", "detail"] == "sheet targets"
    assert lin.loc["suppliers", "detail"] == "query SELECT * FROM suppliers ORDER BY supplier_id"
    assert lin.loc["bom", "sha256"] == lin.loc["inventory", "sha256"]  # one database file
    assert lin.loc["sales_history", "rows"] == len(clean.tables["sales_history"])
    assert lin.loc["sales_history", "modified"] == pd.Timestamp("2026-10-31 18:00")


def test_zero_months_in_a_series_that_usually_sells(clean_monthly):
    from sop_lib.data import zero_months

    monthly = clean_monthly.copy()
    hit = monthly.index[(monthly["sku"] == "ESP-PRO-150") & (monthly["region"] == "DACH") & (monthly["month"] == "2025-03-01")]
    monthly.loc[hit, "units"] = 0
    z = zero_months(monthly)
    assert list(zip(z["sku"], z["region"], z["month"].dt.strftime("%Y-%m"))) == [("ESP-PRO-150", "DACH", "2025-03")]
    warns = [str(w) for w in quality_warnings(monthly, clean_monthly.rename(columns={}))]
    assert any("ESP-PRO-150 / DACH: found 0 units in 2025-03" in w for w in warns)


def test_export_file_older_than_its_rule_is_stale(params, demo, tmp_path):
    import os

    def edit(folder):
        old = pd.Timestamp("2026-10-01 09:00").timestamp()
        os.utime(folder / "crm_pipeline.csv", (old, old))

    loaded = load_variant(params, demo, tmp_path, edit)
    assert only_message(loaded, "pipeline") == (
        "pipeline (crm_pipeline.csv): found file modified 2026-10-01, 31 days before the cycle start 2026-11-01; "
        "expected an export at most 14 days old (sources.pipeline.freshness)"
    )
    q = quality_table(loaded).set_index("source")
    assert (q.loc["pipeline", "status"], q.loc["pipeline", "fresh_by"]) == ("amber", "file modified")


# --- sources are read, never written ---------------------------------------------------


@pytest.mark.parametrize("kind", ["sqlite", "duckdb"])
def test_the_database_file_is_opened_read_only(params, demo, tmp_path, clean, kind):
    """Defence in depth: even a writing statement that got past params cannot change the file (a DROP
    used to auto-commit in SQLite, whatever the transaction)."""
    from sop_lib.core.integrity import sha256_file
    from sop_lib.data import read_source

    folder = copy_demo(demo, tmp_path)
    _duckdb_erp(folder, clean)
    db = folder / ("erp.sqlite" if kind == "sqlite" else "erp.duckdb")
    before = sha256_file(db)
    spec = params.sources["suppliers"].model_copy(update={"path": db.name, "query": "DROP TABLE suppliers"})
    with pytest.raises(DataError) as err:
        read_source("suppliers", spec, folder)
    assert "read" in str(err.value).lower() and "only" in str(err.value).lower(), str(err.value)
    assert sha256_file(db) == before, "the database is unchanged"
    spec = spec.model_copy(update={"query": "SELECT COUNT(*) AS n FROM suppliers"})
    assert int(read_source("suppliers", spec, folder)["n"].iloc[0]) == 5, "every supplier is still there"


def test_a_file_too_large_for_memory_is_refused_with_its_size_not_read(params, demo, tmp_path, monkeypatch):
    from collections import namedtuple

    memory = namedtuple("memory", "available")
    monkeypatch.setattr(reading.psutil, "virtual_memory", lambda: memory(1024**2))  # 1 MiB free
    loaded = load_variant(params, demo, tmp_path)
    msg = only_message(loaded, "sales_history")
    assert msg.startswith("sales_history (sales_history.csv)") and "of memory and 1 MB are free" in msg
    assert "export fewer years or split it by year" in msg


# --- their values as ours: values, scale, constants (params only, no export rewritten) -------


def _germanise(folder: Path) -> None:
    """Categories in German, probabilities in percent, as a German ERP/CRM exports them."""
    edit_csv(
        folder,
        "products.csv",
        lambda df: df.assign(
            status=df["status"].replace({"active": "aktiv", "planned": "geplant", "discontinued": "ausgelaufen"})
        ),
    )
    edit_csv(folder, "crm_pipeline.csv", lambda df: df.assign(probability=(df["probability"].astype(float) * 100).round(0)))
    sql(
        folder,
        "UPDATE suppliers SET financial_risk = CASE financial_risk WHEN 'low' THEN 'niedrig' "
        "WHEN 'medium' THEN 'mittel' ELSE 'hoch' END",
    )
    sql(folder, "UPDATE open_orders SET status = CASE status WHEN 'open' THEN 'offen' ELSE 'Rückstand' END")


GERMAN = {
    "products": {"values": {"status": {"aktiv": "active", "geplant": "planned", "ausgelaufen": "discontinued"}}},
    "pipeline": {"scale": {"probability": 0.01}},
    "suppliers": {"values": {"financial_risk": {"niedrig": "low", "mittel": "medium", "hoch": "high"}}},
    "open_orders": {"values": {"status": {"offen": "open", "Rückstand": "backordered"}}},
}


def test_german_categories_and_percentages_are_mapped_through_params_alone(params, demo, tmp_path, clean):
    loaded = load_variant(params, demo, tmp_path, _germanise, **GERMAN)
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    for name in ("products", "suppliers", "open_orders"):
        pd.testing.assert_frame_equal(loaded.tables[name], clean.tables[name])
    pd.testing.assert_series_equal(loaded.tables["pipeline"]["probability"], clean.tables["pipeline"]["probability"], atol=0.005)


def test_a_value_still_not_allowed_after_mapping_names_column_and_value(params, demo, tmp_path):
    mapping = {"values": {"financial_risk": {"niedrig": "low", "mittel": "medium"}}}  # 'hoch' forgotten
    loaded = load_variant(params, demo, tmp_path, _germanise, **{**GERMAN, "suppliers": mapping})
    msg = only_message(loaded, "suppliers")
    assert "column 'financial_risk'" in msg and "'hoch'" in msg


def test_a_percentage_without_scale_is_refused_as_out_of_range(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, _germanise, **{k: v for k, v in GERMAN.items() if k != "pipeline"})
    msg = only_message(loaded, "pipeline")
    assert "column 'probability'" in msg and "found 25.0" in msg and "expected a value in [0, 1]" in msg
    assert "can be converted with sources.pipeline.scale.probability" in msg, "the message says how to fix it"


def test_a_one_region_company_sets_the_region_as_a_constant(params, demo, tmp_path, clean):
    def one_region(folder):
        edit_csv(folder, "crm_pipeline.csv", lambda df: df.drop(columns="region"))

    loaded = load_variant(params, demo, tmp_path, one_region, pipeline={"constants": {"region": "all"}})
    assert [str(p) for p in loaded.problems if p.severity == "block"] == []
    assert set(loaded.tables["pipeline"]["region"]) == {"all"}
    assert len(loaded.tables["pipeline"]) == len(clean.tables["pipeline"])


def test_a_constant_for_a_column_the_export_has_is_refused(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path, pipeline={"constants": {"region": "all"}})
    msg = only_message(loaded, "pipeline")
    assert "['region'] in the export and in sources.pipeline.constants" in msg


@pytest.mark.parametrize(
    "peak_months, says",
    [
        ((11, 12), "Demand peaks every November-December"),
        ((12, 1), "Demand peaks every December-January"),
        ((6,), "Demand peaks every June"),
        ((), "no strong seasonal peak"),
    ],
)
def test_seasonal_peak_is_read_from_the_data(peak_months, says):
    from sop_lib.data import seasonal_peak

    months = pd.date_range("2022-01-01", periods=48, freq="MS")
    total = pd.Series([200.0 if m.month in peak_months else 100.0 for m in months], index=months)
    assert says in seasonal_peak(total)


# --- optional sources ----------------------------------------------------------------


def test_a_company_with_only_sales_and_products_loads_cleanly(params):
    """Every other source is optional: it arrives as an empty table with the contract's typed
    columns, so the later steps run without special cases."""
    minimal = params.model_copy(update={"sources": {k: params.sources[k] for k in ("sales_history", "products")}})
    loaded = load_sources(minimal)
    assert not [p for p in loaded.problems if p.severity == "block"]
    orders = loaded.tables["open_orders"]
    assert orders.empty and {"sku", "qty", "status", "requested_date"} <= set(orders.columns)
    assert pd.api.types.is_datetime64_any_dtype(orders["requested_date"])
    assert pd.api.types.is_float_dtype(orders["qty"])
    assert len(loaded.tables["sales_history"]) > 0
    assert set(loaded.lineage["source"]) == {"sales_history", "products"}  # lineage lists what was read


def test_each_step_names_in_one_line_what_it_skipped(params):
    declared = {k: params.sources[k] for k in ("sales_history", "products", "routings", "production_lines")}
    step3 = skipped(declared, 3)
    assert step3.count("\n") == 0 and "open_orders (no backlog" in step3 and "budget" not in step3
    assert "routings" not in step3 and "sources:" in step3
    assert "marketing_calendar (no promotions" in skipped(declared, 2) and "open_orders" not in skipped(declared, 2)
    assert skipped(params.sources, 3) == ""  # the demo declares everything


def test_a_database_timestamp_with_time_zone_is_a_date_not_a_crash():
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import parse_dates

    spec = SourceSpec(kind="sql", url="postgresql+psycopg://u@h/db", table="inventory")
    df = pd.DataFrame({"as_of": pd.to_datetime(["2026-10-30 23:00", "2026-10-31 08:00"]).tz_localize("UTC")})
    parsed, problems = parse_dates("inventory", spec, df, pd.Timestamp("2026-11-01"))
    assert problems == [] and parsed["as_of"].dt.tz is None
    assert list(parsed["as_of"].dt.day) == [30, 31]


def _sales_file(path: Path, rows: list[tuple], header=("month", "sku", "region", "units")) -> None:
    pd.DataFrame(rows, columns=list(header)).to_csv(path, index=False)


def test_several_files_are_one_source_and_a_finding_names_the_file_and_its_line(tmp_path):
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import parse_dates, read_export

    _sales_file(tmp_path / "sales_2025.csv", [("2025-11", "A", "N", 3), ("2025-12", "A", "N", 4)])
    _sales_file(tmp_path / "sales_2026.csv", [("2026-01", "A", "N", 5), ("2026-13", "A", "N", 6)])
    for path in ("sales_*.csv", ["sales_2025.csv", "sales_2026.csv"]):
        df, spec = read_export("sales_history", SourceSpec(kind="csv", path=path), tmp_path)
        assert df["units"].tolist() == ["3", "4", "5", "6"]
        _, [problem] = parse_dates("sales_history", spec, df, pd.Timestamp("2026-11-01"))
        assert problem.rows == "sales_2026.csv line 3" and "'2026-13'" in problem.values


def test_files_of_one_source_whose_headers_disagree_are_refused_with_both_names(tmp_path):
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import read_source

    _sales_file(tmp_path / "sales_2025.csv", [("2025-11", "A", "N", 3)])
    _sales_file(tmp_path / "sales_2026.csv", [("2026-01", "A", "N", 5)], header=("month", "sku", "channel", "units"))
    with pytest.raises(DataError) as err:
        read_source("sales_history", SourceSpec(kind="csv", path="sales_*.csv"), tmp_path)
    msg = str(err.value.problems[0])
    assert "sales_2026.csv has other columns than sales_2025.csv (more: channel) (lacks: region)" in msg
    with pytest.raises(DataError, match="no file matches 'umsatz_\\*.csv'"):
        read_source("sales_history", SourceSpec(kind="csv", path="umsatz_*.csv"), tmp_path)


def test_a_header_below_a_title_gives_findings_with_the_files_own_line_numbers(tmp_path):
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import parse_dates, read_export

    (tmp_path / "sales.csv").write_text(
        "Sales report\nexported 03.11.2026\nmonth,sku,region,units\n2026-01,A,N,3\n2026-xx,A,N,4\n"
    )
    df, spec = read_export("sales_history", SourceSpec(kind="csv", path="sales.csv", header_row=3), tmp_path)
    _, [problem] = parse_dates("sales_history", spec, df, pd.Timestamp("2026-11-01"))
    assert problem.rows == "line 5"


def test_sap_numbers_and_iso_weeks_are_read_as_written(tmp_path):
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import parse_dates, parse_numbers

    spec = SourceSpec(kind="csv", path="s.csv", decimal=",", date_format="%G-W%V")
    df = pd.DataFrame({"month": ["2026-W01", "2025-W52"], "sku": ["A", "A"], "region": ["N", "N"], "units": ["1.234", "5-"]})
    numbers = parse_numbers("sales_history", spec, df)
    assert numbers["units"].tolist() == ["1234", "-5"]
    dates, problems = parse_dates("sales_history", spec, df, pd.Timestamp("2026-11-01"))
    assert problems == [] and list(dates["month"].dt.strftime("%Y-%m-%d")) == ["2025-12-29", "2025-12-22"]


def test_several_sheets_of_one_workbook_are_one_source(tmp_path):
    from sop_lib.core.params import SourceSpec
    from sop_lib.data import read_source

    with pd.ExcelWriter(tmp_path / "book.xlsx") as xl:
        for year in (2025, 2026):
            pd.DataFrame({"month": [f"{year}-01"], "sku": ["A"], "region": ["N"], "units": [year - 2020]}).to_excel(
                xl, sheet_name=f"Sales {year}", index=False
            )
        pd.DataFrame({"sku": ["A"]}).to_excel(xl, sheet_name="Products", index=False)
    df = read_source("sales_history", SourceSpec(kind="excel", path="book.xlsx", sheet="Sales [0-9]*"), tmp_path)
    assert df["units"].tolist() == [5, 6]
    with pytest.raises(DataError, match="no sheet 'Umsatz' in book.xlsx"):
        read_source("sales_history", SourceSpec(kind="excel", path="book.xlsx", sheet="Umsatz"), tmp_path)
