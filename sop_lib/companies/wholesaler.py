"""A second synthetic company, shaped unlike the demo, as its ERP would export it.

A household-goods wholesaler: it buys finished goods and sells them in one market, so it
has no production lines, routings, launches, marketing calendar or budget; 36 months of
history (not 48); families with spring and summer peaks (not a winter one); German
exports as they come: ``;``-separated CSV in cp1252 with decimal commas and dd.mm.yyyy
dates, a DuckDB ERP file, an Excel workbook with German sheet names, German category
values, percentages in percent and no region column anywhere.

It exists so that `sop init`, the README's "Your own data" walkthrough (docs/own-data.md) and the tests meet
exports the suite was not written around (``sop demo --company wholesaler``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from sop_lib.companies import mark_generated

HISTORY_MONTHS = 36
NOISE_K = 8.0  # the negative binomial's shape: sales are drawn around the expected units with variance mu + mu^2 / k

# family -> (article names, seasonal profile Jan..Dec, typical units a month, price range EUR)
FAMILIES: dict[str, tuple[list[str], list[float], float, tuple[float, float]]] = {
    "Garten": (
        [
            "Gießkanne 10 l",
            "Rasensprenger",
            "Gartenschere",
            "Schlauchtrommel",
            "Pflanzkübel Ø 40 cm",
            "Laubrechen",
            "Gartenhandschuhe",
            "Hochbeet-Erde 40 l",
        ],
        [0.3, 0.4, 0.9, 1.5, 2.0, 2.1, 1.9, 1.4, 0.8, 0.5, 0.3, 0.3],
        180.0,
        (6.0, 45.0),
    ),
    "Reinigung": (
        ["Fensterwischer", "Mikrofasertuch 5er", "Schrubber", "Dampfreiniger", "Eimer 12 l", "Staubwedel", "Bodenwischer Set"],
        [0.8, 0.9, 1.5, 1.6, 1.1, 0.9, 0.8, 0.8, 0.9, 1.0, 0.9, 0.8],
        140.0,
        (3.0, 90.0),
    ),
    "Küche": (
        [
            "Schneidebrett Buche",
            "Topfset 4-tlg.",
            "Küchenwaage",
            "Messerblock",
            "Backform 26 cm",
            "Salatschleuder",
            "Sparschäler",
        ],
        [0.9, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 1.0, 1.1, 1.3, 1.5],
        120.0,
        (4.0, 120.0),
    ),
    "Bad": (["Duschvorhang", "Badematte", "Seifenspender", "Handtuchhalter", "Zahnputzbecher"], [1.0] * 12, 90.0, (4.0, 35.0)),
}
SUPPLIERS = [
    ("L-100", "Hausrat Import GmbH", 35, 6, 96, "niedrig"),
    ("L-200", "Garten & Co. KG", 60, 12, 88, "mittel"),
    ("L-300", "Asia Sourcing Ltd.", 95, 20, 74, "hoch"),
]
FAMILY_SUPPLIER = {"Garten": "L-200", "Reinigung": "L-100", "Küche": "L-300", "Bad": "L-100"}


def _month_starts(cycle: str, months: int) -> pd.DatetimeIndex:
    return pd.date_range(end=pd.Timestamp(f"{cycle}-01") - pd.DateOffset(months=1), periods=months, freq="MS")


def articles(rng: np.random.Generator) -> pd.DataFrame:
    """The article master: one row per article, with its family, price, cost and level."""
    rows, n = [], 0
    for family, (names, _, level, (lo, hi)) in FAMILIES.items():
        for name in names:
            n += 1
            price = round(float(rng.uniform(lo, hi)), 2)
            rows.append(
                {
                    "Artikelnummer": f"{family[:2].upper()}-{4000 + n}",
                    "Bezeichnung": name,
                    "Warengruppe": family,
                    "Listenpreis": price,
                    "Einstandspreis": round(price * float(rng.uniform(0.45, 0.7)), 2),
                    "level": level * float(rng.lognormal(0, 0.6)),
                }
            )
    return pd.DataFrame(rows)


def sales(art: pd.DataFrame, months: pd.DatetimeIndex, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly units: level x family season x slow trend, negative-binomial noise; one
    article phased out a year ago and one introduced ten months ago. ``mean_units`` is the
    expected demand the units are drawn around (not exported)."""
    out = []
    t = np.arange(len(months)) / 12
    for i, a in art.iterrows():
        season = np.array(FAMILIES[a["Warengruppe"]][1])[months.month - 1]
        mean = a["level"] * season * (1 + rng.normal(0.03, 0.05)) ** t
        units = rng.negative_binomial(NOISE_K, NOISE_K / (NOISE_K + mean))
        keep = np.ones(len(months), bool)
        if i == 3:
            keep = months < months[-12]  # phased out
        if i == 10:
            keep = months >= months[-10]  # new article
        out.append(
            pd.DataFrame(
                {
                    "Monat": months[keep],
                    "Artikelnummer": a["Artikelnummer"],
                    "Menge": units[keep],
                    "Umsatz": np.round(units[keep] * a["Listenpreis"] * 0.92, 2),
                    "mean_units": mean[keep],
                }
            )
        )
    return pd.concat(out, ignore_index=True)


def true_demand(cycle: str, seed: int = 7) -> pd.DataFrame:
    """The expected units the exported sales of ``cycle`` were drawn around: month, sku, mean_units."""
    rng = np.random.default_rng(seed)
    hist = sales(articles(rng), _month_starts(cycle, HISTORY_MONTHS), rng)
    return hist.rename(columns={"Monat": "month", "Artikelnummer": "sku"})[["month", "sku", "mean_units"]]


def _german_csv(df: pd.DataFrame, path: Path) -> None:
    """As a German ERP writes it: ';', decimal comma, dd.mm.yyyy, cp1252."""
    df = df.copy()
    for col in df.select_dtypes("datetime").columns:
        df[col] = df[col].dt.strftime("%d.%m.%Y").fillna("")
    df.to_csv(path, sep=";", decimal=",", index=False, encoding="cp1252")


def write_wholesaler(folder: str | Path, cycle: str, seed: int = 7) -> Path:
    """Write the wholesaler's raw exports for ``cycle`` into ``folder``; return it."""
    import duckdb

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    months = _month_starts(cycle, HISTORY_MONTHS)
    art = articles(rng)
    hist = sales(art, months, rng).drop(columns="mean_units")
    start = pd.Timestamp(f"{cycle}-01")

    master = art.drop(columns="level").assign(Status="aktiv", Einführung=pd.NaT, Auslauf=pd.NaT)
    master.loc[3, ["Status", "Auslauf"]] = ["ausgelaufen", months[-12]]
    master.loc[10, "Einführung"] = months[-10]
    master = master[
        ["Artikelnummer", "Bezeichnung", "Warengruppe", "Status", "Einführung", "Auslauf", "Listenpreis", "Einstandspreis"]
    ]
    _german_csv(hist, folder / "Absatz.csv")
    _german_csv(master, folder / "Artikelstamm.csv")

    active = master[master["Status"] == "aktiv"].reset_index(drop=True)
    picks = rng.choice(len(active), size=60)
    orders = pd.DataFrame(
        {
            "Auftragsnummer": [f"A-{70000 + i}" for i in range(len(picks))],
            "Kundennummer": [f"K-{int(k)}" for k in rng.integers(1000, 1400, len(picks))],
            "Artikelnummer": active["Artikelnummer"].to_numpy()[picks],
            "Menge": rng.integers(2, 40, len(picks)).astype(float),
            "Auftragsdatum": start - pd.to_timedelta(rng.integers(1, 12, len(picks)), unit="D"),
        }
    )
    orders["Wunschtermin"] = orders["Auftragsdatum"] + pd.to_timedelta(rng.integers(3, 30, len(picks)), unit="D")
    orders["Status"] = np.where(orders["Wunschtermin"] < start, "Rückstand", "offen")
    stock = pd.DataFrame(
        {
            "Artikelnummer": active["Artikelnummer"],
            "Lager": "Zentrallager",
            "Bestand": np.round(
                rng.uniform(0.3, 1.5, len(active))
                * art.set_index("Artikelnummer").loc[active["Artikelnummer"], "level"].to_numpy()
            ),
            "Stichtag": start - pd.Timedelta(days=1),
        }
    )
    suppliers = pd.DataFrame(
        SUPPLIERS,
        columns=["Lieferantennummer", "Lieferantenname", "Lieferzeit_Tage", "Lieferzeit_Streuung", "Termintreue", "Risiko"],
    )
    sourcing = pd.DataFrame(
        {
            "Artikelnummer": master["Artikelnummer"],
            "Einkaufsartikel": master["Artikelnummer"],
            "Menge_je_Einheit": 1.0,
            "Lieferantennummer": master["Warengruppe"].map(FAMILY_SUPPLIER),
        }
    )
    sourcing = sourcing[master["Status"] == "aktiv"]
    db = folder / "ERP.duckdb"
    db.unlink(missing_ok=True)
    with duckdb.connect(str(db)) as con:
        for name, df in {"Auftraege": orders, "Lagerbestand": stock, "Lieferanten": suppliers, "Bezugsquellen": sourcing}.items():
            con.register("frame", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM frame')
            con.unregister("frame")

    horizon = pd.date_range(start, periods=12, freq="MS")
    last_year = hist.assign(Warengruppe=hist["Artikelnummer"].map(art.set_index("Artikelnummer")["Warengruppe"]))
    last_year = last_year[last_year["Monat"] >= months[-12]].groupby(["Warengruppe", last_year["Monat"].dt.month])["Umsatz"].sum()
    targets = pd.DataFrame(
        [
            {"Monat": m, "Warengruppe": f, "Umsatzziel": round(last_year.get((f, m.month), 0) * 1.05, -2), "Margenziel": 38.0}
            for m in horizon
            for f in FAMILIES
        ]
    )
    people = pd.DataFrame(
        {
            "Rolle": ["Vertrieb", "Kundenservice"],
            "Region": ["gesamt", "gesamt"],
            "Köpfe": [4.0, 3.0],
            "Kapazität je Kopf": [15.0, 250.0],
            "Vorlauf Monate": [3.0, 2.0],
        }
    )
    chances = pd.DataFrame(
        {
            "Chance": [f"VC-{i:03d}" for i in range(12)],
            "Artikelnummer": active["Artikelnummer"].to_numpy()[rng.choice(len(active), 12)],
            "Phase": rng.choice(["Angebot", "Verhandlung", "Qualifiziert"], 12),
            "Wahrscheinlichkeit": rng.choice([25.0, 50.0, 75.0], 12),
            "Menge": rng.integers(50, 400, 12).astype(float),
            "Abschluss": start + pd.to_timedelta(rng.integers(10, 80, 12), unit="D"),
        }
    )
    chances["Betrag"] = chances["Menge"] * 12.5
    _german_csv(chances, folder / "Verkaufschancen.csv")
    with pd.ExcelWriter(folder / "Planung.xlsx", engine="openpyxl") as xl:
        targets.to_excel(xl, sheet_name="Umsatzziele", index=False)
        people.to_excel(xl, sheet_name="Personal", index=False)
    mark_generated(folder, "wholesaler", cycle, seed)  # not an export: lets `sop backtest` find the true demand

    exported = (start - pd.Timedelta(hours=6)).timestamp()  # the evening before the cycle
    for file in folder.iterdir():
        os.utime(file, (exported, exported))
    return folder
