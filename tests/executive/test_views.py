"""Views per department: declared in params, checked against the data before any report."""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from sop_lib.core.params import ParamsError, RunParams, View, load_params, page_name
from sop_lib.executive.views import ViewError, check_views, raise_for_views

TABLES = {
    "products": pd.DataFrame({"sku": ["A", "B"], "family": ["Pumps", "Valves"]}),
    "suppliers": pd.DataFrame({"supplier_id": ["S1"]}),
    "sales_history": pd.DataFrame({"region": ["North", "South"]}),
}


def test_a_view_naming_what_the_data_lacks_is_refused_with_the_key():
    views = [
        View(name="Sales", sections=["demand"], regions=["West"], families=["Pumps", "Hoses"]),
        View(name="Buyers", sections=["procurement"], suppliers=["S9"]),
    ]
    problems = check_views(views, TABLES, ["North", "South"])
    assert "params: views[0] 'Sales'.families: 'Hoses' is not in products.family (known: Pumps, Valves)" in problems
    assert any("views[0] 'Sales'.regions: 'West' is not in data.regions" in p for p in problems)
    assert any("views[1] 'Buyers'.suppliers: 'S9' is not in suppliers.supplier_id" in p for p in problems)
    params = RunParams.model_validate(
        {
            "company": "T",
            "cycle": "2027-01",
            "data": {"folder": "."},
            "sources": {"sales_history": {"kind": "csv", "path": "s"}, "products": {"kind": "csv", "path": "p"}},
            "views": [v.model_dump() for v in views],
        }
    )
    with pytest.raises(ViewError, match="3 problem"):
        raise_for_views(params, TABLES)


def _load(tmp_path, views) -> str:
    raw = {
        "company": "T",
        "cycle": "2027-01",
        "data": {"folder": "."},
        "sources": {"sales_history": {"kind": "csv", "path": "s.csv"}, "products": {"kind": "csv", "path": "p.csv"}},
        "views": views,
    }
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ParamsError) as info:
        load_params(path, check_files=False)
    return str(info.value)


def test_bad_view_params_get_one_clear_message(tmp_path):
    assert "views.0.sections.0" in _load(tmp_path, [{"name": "X", "sections": ["gossip"]}])
    assert "views.0.colour: unknown key" in _load(tmp_path, [{"name": "X", "sections": ["finance"], "colour": "red"}])
    assert "view names must differ" in _load(
        tmp_path, [{"name": "Sales", "sections": ["demand"]}, {"name": "sales", "sections": ["finance"]}]
    )


def test_page_names_are_safe_file_names():
    assert page_name("Sales Nordics / DACH") == "sales-nordics-dach" and page_name("<script>") == "script"
