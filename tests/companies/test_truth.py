"""The forecaster's limit: a generated company's true demand distribution, found from its
folder, and drawn around the expected units its sales were drawn around."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sop_lib.companies import GENERATOR_FILE, truth, wholesaler
from sop_lib.core.params import load_params

CYCLE = "2026-12"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    return wholesaler.write_wholesaler(tmp_path_factory.mktemp("w") / "exports", CYCLE)


def _params(folder):
    return load_params(
        ROOT / "params" / "default.yaml", settings={"data.folder": str(folder), "data.demo": False}, check_files=False
    )


def test_the_wholesalers_sales_scatter_around_its_true_demand(exports):
    sold = pd.read_csv(exports / "Absatz.csv", sep=";", decimal=",", encoding="cp1252")
    mean = wholesaler.true_demand(CYCLE)
    assert len(mean) == len(sold)  # the same article-months: the phased-out and the new article too
    assert sold["Menge"].sum() / mean["mean_units"].sum() == pytest.approx(1.0, abs=0.03)
    assert set(mean["sku"]) == set(sold["Artikelnummer"])


def test_a_generated_folder_names_its_generator_and_a_company_folder_has_no_truth(exports, tmp_path):
    assert (exports / GENERATOR_FILE).read_text().split() == ["wholesaler", CYCLE, "7"]
    assert truth.truth_of(_params(exports)) is not None
    (tmp_path / "own").mkdir()
    assert truth.truth_of(_params(tmp_path / "own")) is None


def test_limit_draws_are_the_true_mean_summed_over_regions_with_its_noise():
    months = pd.date_range("2026-01-01", periods=3, freq="MS")
    means = pd.DataFrame(
        {"month": list(months) * 2, "sku": "A", "region": ["N"] * 3 + ["S"] * 3, "mean_units": [10.0, 20, 30, 30, 20, 10]}
    )
    run = truth.forecaster_from_means(means, noise_k=8.0, seed=1, draws=4000)
    d = run(pd.DataFrame(), pd.DataFrame(), months[0], 4)
    assert d.dims == ("sample", "sku", "ds") and list(d.sku.values) == ["A"]
    assert np.allclose(d.mean("sample").sel(sku="A").values[:3], 40, rtol=0.03)
    assert float(d.isel(ds=3).max()) == 0  # a month past the calendar: nothing expected
    assert float(d.isel(ds=0).std()) == pytest.approx(np.sqrt(10 + 10**2 / 8 + 30 + 30**2 / 8), rel=0.08)
    again = run(pd.DataFrame(), pd.DataFrame(), months[0], 4)
    assert (again == d).all()  # seeded by the origin: the same replay gives the same limit
