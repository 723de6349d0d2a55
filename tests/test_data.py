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

from sop_lib.data import (
    DataError,
    LoadedData,
    load_sources,
    monthly_sales,
    quality_table,
    quality_warnings,
    raise_for_blocking,
    robust_outliers,
)
from sop_lib.demo import BACKLOG_CUSTOMERS, write_demo_company
from sop_lib.params import RunParams, load_params

ROOT = Path(__file__).resolve().parent.parent
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
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", lambda df: df.drop(columns=["units"])))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "month, sku, region, net_revenue_eur" in msg  # what the file does have
    assert "expected a column named 'units'" in msg
    assert "sources.sales_history.columns" in msg  # how to map a differently named column


def test_non_numeric_units(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "twelve")))
    msg = only_message(loaded, "sales_history")
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "line 6" in msg
    assert "'twelve'" in msg
    assert "expected a number" in msg


def test_non_numeric_value_gives_one_clear_problem(params, demo, tmp_path):
    """One bad cell should be one problem naming its line, not a duplicate and a
    Python TypeError without a line number."""
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "twelve")))
    msgs = messages(loaded, "sales_history")
    assert all("line 6" in m for m in msgs), msgs
    assert not any("TypeError" in m or "dtype(" in m for m in msgs), msgs
    assert len(msgs) == 1, msgs


def test_negative_units(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", set_cell(4, "units", "-3")))
    msgs = messages(loaded, "sales_history")
    assert len(msgs) == 1
    msg = msgs[0]
    assert "sales_history (sales_history.csv)" in msg
    assert "column 'units'" in msg
    assert "line 6" in msg
    assert "-3" in msg
    assert "expected a value >= 0" in msg


def test_unparseable_date(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", set_cell(10, "month", "2024-13")))
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
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "sales_history.csv", set_cell(0, "month", "2026-11")))
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
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: (f / "crm_pipeline.csv").write_text("opportunity_id,region,sku\n"))
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
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(2, "probability", "1.5")))
    msgs = messages(loaded, "pipeline")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("pipeline (crm_pipeline.csv)")
    assert "column 'probability'" in msg
    assert "line 4" in msg
    assert "1.5" in msg
    assert "expected a value in [0, 1]" in msg


def test_invalid_status_category(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "products.csv", set_cell(5, "status", "retired")))
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
        assert "no such file" in msg and str(tmp_path / "exports" / "erp.sqlite") in msg
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
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: sql(f, "UPDATE open_orders SET sku = 'ESP-PRO-999' WHERE order_id = 'SO-300005'"))
    msgs = messages(loaded, "open_orders")
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg.startswith("open_orders (erp.sqlite, table 'open_orders')")
    assert "column 'sku'" in msg
    assert "record 4006" in msg  # 4,000 backlog orders, then SO-300000 ... SO-300005
    assert "'ESP-PRO-999'" in msg
    assert "expected values listed in products.sku" in msg


def test_unknown_supplier_in_bom(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: sql(f, "UPDATE bom SET supplier_id = 'SUP-GHOST' WHERE rowid = 4"))
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
    return pd.DataFrame({
        "sku": skus,
        "family": ["Fam", "Fam", "Fam"],
        "discontinue_date": [pd.Timestamp(disc[s]) if s in disc else pd.NaT for s in skus],
    })


def _sales(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["month", "sku", "region", "units"])
    return df.assign(month=pd.to_datetime(df["month"]), units=df["units"].astype(float))


def test_monthly_sales_fills_missing_months_with_zero():
    sales = _sales([("2024-01-01", "A", "R1", 10), ("2024-03-01", "A", "R1", 30),
                    ("2024-02-01", "A", "R2", 4)])
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
    sales = _sales([("2024-01-01", "A", "R1", 10), ("2024-01-01", "B", "R1", 5),
                    ("2024-02-01", "B", "R1", 6)])
    out = monthly_sales(sales, _products(B="2024-04-01"), "2024-06")
    b = out[out["sku"] == "B"]
    # no zero-filled months after the product left the range
    assert list(b["month"].dt.strftime("%Y-%m")) == ["2024-01", "2024-02", "2024-03"]
    assert list(b["units"]) == [5, 6, 0]
    assert out.loc[out["sku"] == "A", "month"].max() == pd.Timestamp("2024-05-01")


def test_monthly_sales_keeps_units_sold_before_a_mid_month_discontinuation():
    """A SKU discontinued on 15 March that sold in early March: those units are real
    sales and must not vanish from the history."""
    sales = _sales([("2024-01-01", "C", "R1", 5), ("2024-02-01", "C", "R1", 5),
                    ("2024-03-01", "C", "R1", 4)])
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


# --- traffic lights -----------------------------------------------------------------


def test_quality_table_clean_demo_is_green(clean, clean_monthly, params):
    q = quality_table(clean, clean_monthly, CYCLE)
    assert set(q["source"]) == set(params.sources)
    assert (q["status"] == "green").all(), q[["source", "status"]]
    inv = q.set_index("source").loc["inventory"]
    assert inv["age_days"] == 1
    sales = q.set_index("source").loc["sales_history"]
    assert sales["age_days"] == 31  # October is the last closed month of the November cycle


def test_quality_table_stale_inventory_is_amber(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: sql(f, "UPDATE inventory SET as_of = '2026-09-01'"))
    assert [p for p in loaded.problems if p.severity == "block"] == []
    monthly = monthly_sales(loaded.tables["sales_history"], loaded.tables["products"], CYCLE)
    q = quality_table(loaded, monthly, CYCLE).set_index("source")
    assert q.loc["inventory", "status"] == "amber"
    assert q.loc["inventory", "age_days"] == 61
    assert q.loc["inventory", "warnings"] == 1
    assert (q.drop(index="inventory")["status"] == "green").all()


def test_quality_table_inventory_45_days_old_is_still_green(params, demo, tmp_path):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: sql(f, "UPDATE inventory SET as_of = '2026-09-17'"))
    monthly = monthly_sales(loaded.tables["sales_history"], loaded.tables["products"], CYCLE)
    q = quality_table(loaded, monthly, CYCLE).set_index("source")
    assert q.loc["inventory", "age_days"] == 45
    assert q.loc["inventory", "status"] == "green"


def test_quality_table_blocking_problem_is_red(params, demo, tmp_path, clean_monthly):
    loaded = load_variant(params, demo, tmp_path,
                          lambda f: edit_csv(f, "crm_pipeline.csv", set_cell(2, "probability", "1.5")))
    q = quality_table(loaded, clean_monthly, CYCLE).set_index("source")
    assert q.loc["pipeline", "status"] == "red"
    assert q.loc["pipeline", "blocking"] == 1
    assert q.loc["products", "status"] == "green"
