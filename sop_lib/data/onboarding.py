"""`sop init`: look at a folder of exports and propose a params file for them.

Every table found (CSV files, Excel sheets, SQLite/DuckDB tables, Parquet files) is read
as text; its header names are matched against each contract's columns through a
vocabulary of English and German ERP names, and each source takes the table that matches
most of its columns. How to read each file is detected from the file itself (encoding,
delimiter, decimal mark, date format), and so are value mappings (``aktiv`` -> ``active``),
percentages (``scale: 0.01``) and a missing region column (``constants``). Every guess is
written with a comment saying what it rests on; what could not be mapped is listed at the
top of the file and printed.
"""

from __future__ import annotations

import csv
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from sop_lib.core.contracts import CONTRACTS
from sop_lib.core.params import SourceSpec
from sop_lib.data import DataError, point_decimals, read_source

SAMPLE_ROWS = 2000
ONE_REGION = "company"  # the planning region of a company whose exports have no region column

# Our column -> other names for it (compared after `_norm`: lower case, umlauts folded, no spaces).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "sku": (
        "sku",
        "artikel",
        "artikelnummer",
        "artikelnr",
        "artnr",
        "article",
        "articleno",
        "item",
        "itemno",
        "itemnumber",
        "productid",
        "productcode",
        "material",
        "materialnummer",
        "materialnr",
    ),
    "month": ("month", "monat", "period", "periode", "buchungsmonat", "date", "datum"),
    "region": ("region", "gebiet", "vertriebsgebiet", "verkaufsgebiet", "market", "markt", "salesregion"),
    "units": ("units", "menge", "absatz", "qty", "quantity", "stueck", "stk", "anzahl", "volume", "absatzmenge"),
    "net_revenue_eur": ("netrevenueeur", "netrevenue", "revenue", "umsatz", "nettoumsatz", "umsatzeur", "sales"),
    "name": ("name", "bezeichnung", "artikelbezeichnung", "description", "productname", "beschreibung", "kurztext"),
    "family": (
        "family",
        "warengruppe",
        "produktgruppe",
        "artikelgruppe",
        "productgroup",
        "productfamily",
        "category",
        "kategorie",
        "familie",
        "sortiment",
    ),
    "status": ("status", "zustand", "lifecyclestatus", "artikelstatus", "auftragsstatus", "orderstatus"),
    "launch_date": ("launchdate", "einfuehrung", "einfuehrungsdatum", "markteinfuehrung", "launch", "startdatum"),
    "discontinue_date": ("discontinuedate", "auslauf", "auslaufdatum", "enddatum", "phaseout", "discontinued"),
    "replaces": ("replaces", "ersetzt", "nachfolgervon", "vorgaenger", "predecessor"),
    "list_price_eur": ("listpriceeur", "listprice", "listenpreis", "vkpreis", "verkaufspreis", "price", "preis"),
    "unit_cost_eur": (
        "unitcosteur",
        "unitcost",
        "einstandspreis",
        "ekpreis",
        "einkaufspreis",
        "standardkosten",
        "herstellkosten",
        "cost",
        "kosten",
        "standardcost",
    ),
    "uom": ("uom", "einheit", "mengeneinheit", "unitofmeasure", "me"),
    "units_per_case": ("unitspercase", "stueckprokarton", "vpe", "packsize", "casesize", "inhalt"),
    "order_id": (
        "orderid",
        "order",
        "orderno",
        "orderline",
        "auftragsnummer",
        "auftrag",
        "auftragsnr",
        "bestellnummer",
        "auftragsposition",
        "belegnummer",
    ),
    "customer_id": ("customerid", "customer", "customerno", "kunde", "kundennummer", "kundennr", "debitor"),
    "qty": ("qty", "quantity", "menge", "offenemenge", "restmenge", "anzahl", "units", "openqty"),
    "order_date": ("orderdate", "auftragsdatum", "bestelldatum", "erfasstam", "belegdatum"),
    "requested_date": ("requesteddate", "wunschtermin", "wunschdatum", "liefertermin", "requested", "duedate"),
    "warehouse": ("warehouse", "lager", "lagerort", "standort", "location", "werk"),
    "on_hand": ("onhand", "bestand", "lagerbestand", "stock", "menge", "quantity", "qty"),
    "as_of": ("asof", "stichtag", "datum", "date", "snapshotdate", "bestandsdatum"),
    "opportunity_id": ("opportunityid", "opportunity", "opportunityno", "chance", "chancennr", "chancennummer", "verkaufschance"),
    "stage": ("stage", "phase", "vertriebsphase", "salesstage", "verkaufsphase"),
    "probability": ("probability", "wahrscheinlichkeit", "abschlusswahrscheinlichkeit", "prob", "winprobability"),
    "amount_eur": ("amounteur", "amount", "betrag", "wert", "volumen", "value", "auftragswert"),
    "expected_close": ("expectedclose", "abschluss", "abschlussdatum", "closedate", "erwarteterabschluss"),
    "line_id": ("lineid", "line", "linie", "anlage", "arbeitsplatz", "workcenter", "linienid"),
    "line_name": ("linename", "linienname", "anlagenname", "bezeichnung", "name"),
    "hours_per_month": ("hourspermonth", "stundenjemonat", "stundenpromonat", "kapazitaet", "kapazitaetstunden"),
    "hours_per_unit": ("hoursperunit", "stundenjeeinheit", "stundenprostueck", "vorgabezeit"),
    "component": ("component", "komponente", "einkaufsartikel", "bauteil", "material", "componentid"),
    "qty_per_unit": ("qtyperunit", "mengejeeinheit", "mengeproeinheit", "quantityper", "menge"),
    "supplier_id": (
        "supplierid",
        "supplier",
        "supplierno",
        "lieferant",
        "lieferantennummer",
        "lieferantennr",
        "kreditor",
        "kreditorennummer",
    ),
    "supplier_name": ("suppliername", "lieferantenname", "name", "firma"),
    "lead_time_days": ("leadtimedays", "leadtime", "lieferzeit", "lieferzeittage", "wiederbeschaffungszeit"),
    "lead_time_sd_days": ("leadtimesddays", "leadtimesd", "streuung", "lieferzeitstreuung", "lieferzeitstdabw"),
    "on_time_rate": ("ontimerate", "ontime", "termintreue", "liefertreue", "puenktlichkeit", "otd"),
    "financial_risk": ("financialrisk", "risk", "risiko", "bonitaet", "finanzrisiko", "risikoklasse"),
    "revenue_target_eur": ("revenuetargeteur", "revenuetarget", "umsatzziel", "zielumsatz", "planumsatz"),
    "gross_margin_target_pct": ("grossmargintargetpct", "margintarget", "margenziel", "zielmarge", "dbziel"),
    "opex_budget_eur": ("opexbudgeteur", "opexbudget", "opex", "budget", "kostenbudget", "gemeinkosten"),
    "role": ("role", "rolle", "funktion", "abteilung", "department"),
    "headcount": ("headcount", "koepfe", "mitarbeiter", "anzahlmitarbeiter", "fte", "personal"),
    "capacity_per_head": ("capacityperhead", "kapazitaetjekopf", "kapazitaetprokopf", "capacity"),
    "hiring_lead_months": ("hiringleadmonths", "hiringlead", "vorlauf", "vorlaufmonate", "einstellungsvorlauf"),
    "start_date": ("startdate", "start", "beginn", "von", "aktionsbeginn"),
    "end_date": ("enddate", "end", "ende", "bis", "aktionsende"),
    "discount_pct": ("discountpct", "discount", "rabatt", "nachlass"),
    "campaign": ("campaign", "aktion", "kampagne", "aktionsname"),
    "analog_sku": ("analogsku", "analog", "vergleichsartikel", "referenzartikel"),
    "earliest_launch": ("earliestlaunch", "fruehesterstart", "fruehestens"),
    "likely_launch": ("likelylaunch", "geplanterstart", "wahrscheinlicherstart"),
    "latest_launch": ("latestlaunch", "spaetesterstart", "spaetestens"),
    "cannibalisation_pct": ("cannibalisationpct", "kannibalisierung", "cannibalisation"),
    "ramp_months": ("rampmonths", "anlaufmonate", "ramp"),
    "peak_units_per_month": ("peakunitspermonth", "spitzenmenge", "peakunits"),
    "regions": ("regions", "regionen", "gebiete"),
    "new_territory_share": ("newterritoryshare", "neugebietsanteil"),
}

# Their category value (normalised) -> ours, for the columns with an allowed list.
VALUE_VOCABULARY: dict[str, str] = {
    "aktiv": "active",
    "active": "active",
    "lieferbar": "active",
    "verfuegbar": "active",
    "geplant": "planned",
    "neu": "planned",
    "planned": "planned",
    "inplanung": "planned",
    "ausgelaufen": "discontinued",
    "auslauf": "discontinued",
    "inaktiv": "discontinued",
    "gesperrt": "discontinued",
    "discontinued": "discontinued",
    "offen": "open",
    "open": "open",
    "rueckstand": "backordered",
    "backorder": "backordered",
    "backordered": "backordered",
    "verzug": "backordered",
    "ueberfaellig": "backordered",
    "niedrig": "low",
    "gering": "low",
    "low": "low",
    "mittel": "medium",
    "medium": "medium",
    "hoch": "high",
    "high": "high",
    "vertrieb": "sales_rep",
    "aussendienst": "sales_rep",
    "verkauf": "sales_rep",
    "sales": "sales_rep",
    "salesrep": "sales_rep",
    "kundenservice": "service_agent",
    "innendienst": "service_agent",
    "service": "service_agent",
    "serviceagent": "service_agent",
    "produktion": "production_worker",
    "fertigung": "production_worker",
    "production": "production_worker",
    "productionworker": "production_worker",
    "stueck": "unit",
    "stk": "unit",
    "unit": "unit",
    "st": "unit",
    "karton": "case",
    "case": "case",
}
ALL_WORDS = {"gesamt", "alle", "total", "all", "company", "unternehmen", "gesamtunternehmen"}

# A table's name hints at its source (file, sheet or table name, normalised).
NAME_HINTS: dict[str, tuple[str, ...]] = {
    "sales_history": ("sales", "absatz", "verkauf", "umsatz"),
    "products": ("product", "artikel", "stamm"),
    "open_orders": ("order", "auftra", "bestell"),
    "inventory": ("inventory", "stock", "bestand", "lager"),
    "pipeline": ("pipeline", "crm", "chance", "opportunit"),
    "production_lines": ("line", "linie", "anlage"),
    "routings": ("routing", "arbeitsplan"),
    "bom": ("bom", "stueckliste", "bezugsquelle", "material"),
    "suppliers": ("supplier", "lieferant"),
    "targets": ("target", "ziel"),
    "budget": ("budget", "opex"),
    "headcount": ("headcount", "personal", "mitarbeiter"),
    "marketing_calendar": ("marketing", "aktion", "promo"),
    "launches": ("launch", "neuprodukt", "einfuehrung"),
}
DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m", "%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%m.%Y", "%Y%m", "%Y-%m-%d %H:%M:%S")


def _norm(text: str) -> str:
    t = str(text).lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    return re.sub(r"[^a-z0-9]", "", t)


@dataclass(eq=False)
class Table:
    """One table found in the folder, read as text."""

    kind: str
    path: str  # relative to the folder
    frame: pd.DataFrame
    sheet: str | None = None
    table: str | None = None
    read: dict = field(default_factory=dict)  # encoding, delimiter, decimal for a CSV
    notes: list[str] = field(default_factory=list)  # what each reading option rests on

    @property
    def label(self) -> str:
        return self.path + (f", sheet {self.sheet}" if self.sheet else "") + (f", table {self.table}" if self.table else "")


def _read_csv(path: Path, rel: str) -> Table:
    raw = path.read_bytes()[:200_000]
    try:
        raw.decode("utf-8")
        encoding, why = "utf-8", None
    except UnicodeDecodeError:
        encoding, why = "cp1252", "the file is not valid UTF-8 (Windows Western European assumed)"
    text = raw.decode(encoding, errors="replace")
    try:
        delimiter = csv.Sniffer().sniff("\n".join(text.splitlines()[:50]), delimiters=";,\t|").delimiter
    except csv.Error:
        delimiter = ","
    frame = pd.read_csv(path, sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False, nrows=SAMPLE_ROWS)
    t = Table("csv", rel, frame)
    if encoding != "utf-8":
        t.read["encoding"], t.notes = encoding, t.notes + [f"encoding: {why}"]
    if delimiter != ",":
        t.read["delimiter"] = delimiter
        t.notes.append(f"delimiter {delimiter!r}: the header splits into {frame.shape[1]} columns with it")
    cells = pd.Series(frame.to_numpy().ravel())
    if cells.str.fullmatch(r"-?\d{1,3}(\.\d{3})*,\d+|-?\d+,\d+").sum() > cells.str.fullmatch(r"-?\d+\.\d+").sum():
        t.read["decimal"] = ","
        t.notes.append("decimal ',': numbers are written like 1234,56")
    return t


def find_tables(folder: Path) -> list[Table]:
    """Every table in the folder (not in sub-folders): CSV, Excel sheets, Parquet, SQLite/DuckDB tables."""
    tables: list[Table] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        rel, suffix = path.name, path.suffix.lower()
        if suffix in (".csv", ".txt"):
            tables.append(_read_csv(path, rel))
        elif suffix in (".xlsx", ".xlsm", ".xls"):
            for sheet, df in pd.read_excel(path, sheet_name=None, nrows=SAMPLE_ROWS).items():
                tables.append(Table("excel", rel, df, sheet=sheet))
        elif suffix == ".parquet":
            tables.append(Table("parquet", rel, pd.read_parquet(path).head(SAMPLE_ROWS)))
        elif suffix in (".sqlite", ".sqlite3", ".db"):
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
                names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
                for name in names:
                    df = pd.read_sql_query(f'SELECT * FROM "{name}" LIMIT {SAMPLE_ROWS}', con)
                    tables.append(Table("sql", rel, df, table=name))
        elif suffix == ".duckdb":
            import duckdb

            with duckdb.connect(str(path), read_only=True) as con:
                for (name,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall():
                    df = con.execute(f'SELECT * FROM "{name}" LIMIT {SAMPLE_ROWS}').df()
                    tables.append(Table("sql", rel, df, table=name))
    return tables


def match_columns(headers: list[str], source: str) -> dict[str, str]:
    """Their header -> our column for one contract: exact vocabulary matches first, then a
    header that starts with a longer name of ours; no header or column is used twice."""
    out: dict[str, str] = {}
    norm = {h: _norm(h) for h in headers}
    for ours in CONTRACTS[source].columns:
        names = (ours.replace("_", ""), *VOCABULARY.get(ours, ()))
        hit = next((h for h in headers if h not in out and norm[h] in names), None)
        if hit is None:
            hit = next((h for h in headers if h not in out and any(len(n) >= 6 and norm[h].startswith(n) for n in names)), None)
        if hit is not None:
            out[hit] = ours
    return out


def _needed(source: str) -> list[str]:
    """Contract columns a table must have (nullable ones may be absent; a region may be constant)."""
    return [c for c, col in CONTRACTS[source].columns.items() if col.required and not col.nullable and c != "region"]


def score(table: Table, source: str) -> float:
    """Share of the source's needed columns found, plus a little for a telling name."""
    found = set(match_columns(list(map(str, table.frame.columns)), source).values())
    need = _needed(source)
    share = sum(c in found for c in need) / len(need)
    hint = any(h in _norm(table.label) for h in NAME_HINTS.get(source, ()))
    return share + (0.15 if hint else 0.0)


def assign(tables: list[Table], threshold: float = 0.75) -> dict[str, Table]:
    """Each source takes the best-scoring table; a table serves one source; weak matches are left out."""
    pairs = sorted(((score(t, s), i, s) for i, t in enumerate(tables) for s in CONTRACTS), reverse=True)
    chosen: dict[str, Table] = {}
    used: set[int] = set()
    for sc, i, source in pairs:
        if sc >= threshold and source not in chosen and i not in used:
            chosen[source] = tables[i]
            used.add(i)
    return chosen


def date_format(values: pd.Series) -> str | None:
    """The first format that reads every sampled date, or None (let pandas guess)."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return None
    for fmt in DATE_FORMATS:
        if pd.to_datetime(v, format=fmt, errors="coerce").notna().all():
            return fmt
    return None


def _numbers(values: pd.Series, decimal: str) -> pd.Series:
    v = values.astype(str).str.strip()
    return pd.to_numeric(point_decimals(v) if decimal == "," else v, errors="coerce")


@dataclass
class Proposal:
    """One source's proposed spec, the comments behind it and what was left unmapped."""

    spec: dict
    comments: dict[str, str]
    unmapped: list[str]


def propose_source(source: str, table: Table, regions: set[str] | None) -> Proposal:
    """The spec for one source, each key with the reason it was guessed."""
    spec: dict = {"kind": table.kind, "path": table.path}
    comments: dict[str, str] = {"kind": f"from {table.label}"}
    if table.sheet:
        spec["sheet"] = table.sheet
    if table.table:
        spec["table"] = table.table
    spec.update(table.read)
    for note in table.notes:
        comments[note.split(" ")[0].rstrip(":")] = note
    schema = CONTRACTS[source]
    columns = match_columns(list(map(str, table.frame.columns)), source)
    renamed = {theirs: ours for theirs, ours in columns.items() if theirs != ours}
    if renamed:
        spec["columns"] = renamed
        comments["columns"] = "matched by header name; check each pair"
    frame = table.frame.rename(columns=columns)
    unmapped = [
        f"{source}: no column for '{c}' ({schema.columns[c].description}) in {table.label}"
        for c in _needed(source)
        if c not in frame.columns
    ]
    dates = [c for c, col in schema.columns.items() if str(col.dtype).startswith("datetime") and c in frame]
    if table.kind == "csv" and dates:
        formats = {date_format(frame[c]) for c in dates} - {None}
        if len(formats) == 1:
            spec["date_format"] = formats.pop()
            comments["date_format"] = f"every sampled date in {', '.join(dates)} reads with it"
        elif formats:
            unmapped.append(f"{source}: date columns use different formats ({', '.join(sorted(formats))})")
    decimal = table.read.get("decimal", ".")
    values, scale = {}, {}
    for col, c in schema.columns.items():
        if col not in frame:
            continue
        stats = [ck.statistics for ck in (c.checks or [])]
        allowed = next((s["allowed_values"] for s in stats if "allowed_values" in s), None)
        if allowed is not None:
            seen = sorted(set(frame[col].dropna().astype(str)) - set(allowed))
            mapping = {v: VALUE_VOCABULARY[_norm(v)] for v in seen if VALUE_VOCABULARY.get(_norm(v)) in allowed}
            if mapping:
                values[col] = mapping
            unmapped += [f"{source}.{col}: value {v!r} (allowed: {', '.join(allowed)})" for v in seen if v not in mapping]
        upper = next((s.get("max_value") for s in stats if s.get("max_value") == 1), None)
        if upper == 1 and str(c.dtype).startswith("float"):
            nums = _numbers(frame[col], decimal) if table.kind == "csv" else pd.to_numeric(frame[col], errors="coerce")
            if nums.max() > 1 and nums.max() <= 100:
                scale[col] = 0.01
                comments.setdefault("scale", f"{col} goes up to {nums.max():g}: percent")
    if values:
        spec["values"] = values
        comments["values"] = "their category values translated to ours"
    if scale:
        spec["scale"] = scale
    constants = {}
    if "region" in schema.columns and "region" not in frame:
        constants["region"] = ONE_REGION if source == "sales_history" or regions == {ONE_REGION} else "all"
        comments["constants"] = "the export has no region column"
    if constants:
        spec["constants"] = constants
    return Proposal(spec, comments, unmapped)


def _flow(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...")  # a scalar ends with YAML's document-end marker


def _region_plan(chosen: dict[str, Table]) -> tuple[list[str], dict[str, str], list[str]]:
    """Planning regions (from the sales history), aliases for other spellings, and values left unmapped."""
    sales = chosen["sales_history"]
    col = next((h for h, o in match_columns(list(map(str, sales.frame.columns)), "sales_history").items() if o == "region"), None)
    regions = sorted(set(sales.frame[col].dropna().astype(str))) if col else [ONE_REGION]
    aliases, unmapped = {}, []
    for source, table in chosen.items():
        if source == "sales_history" or "region" not in CONTRACTS[source].columns:
            continue
        rcol = next((h for h, o in match_columns(list(map(str, table.frame.columns)), source).items() if o == "region"), None)
        for value in sorted(set(table.frame[rcol].dropna().astype(str))) if rcol else []:
            if value in regions or value == "all":
                continue
            if _norm(value) in ALL_WORDS:
                aliases[value] = "all"
            elif len(regions) == 1 and regions == [ONE_REGION]:
                aliases[value] = ONE_REGION
            else:
                unmapped.append(f"{source}.region: value {value!r} is not a region of the sales history")
    return regions, aliases, unmapped


def _next_cycle(spec: dict, folder: Path) -> str:
    """The month after the last month in the whole sales export (a sample may miss the end)."""
    try:
        months = read_source("sales_history", SourceSpec(**spec), folder)["month"]
    except (DataError, KeyError):
        return pd.Timestamp.today().strftime("%Y-%m")
    fmt = spec.get("date_format")
    last = pd.to_datetime(months.astype(str) if fmt else months, format=fmt, errors="coerce").max()
    return (last + pd.DateOffset(months=1)).strftime("%Y-%m") if pd.notna(last) else pd.Timestamp.today().strftime("%Y-%m")


def propose(folder: Path, out: Path) -> tuple[str, list[str]]:
    """The params file's text for the exports in ``folder`` (paths relative to ``out``) and
    the list of what could not be mapped."""
    folder = folder.resolve()
    tables = find_tables(folder)
    chosen = assign(tables)
    missing = [s for s in ("sales_history", "products") if s not in chosen]
    if missing:
        found = "; ".join(f"{t.label} ({', '.join(map(str, t.frame.columns[:8]))})" for t in tables) or "no tables"
        raise ValueError(
            f"{folder}: no table looks like {' or '.join(missing)} (needed columns: "
            f"{'; '.join(s + ': ' + ', '.join(_needed(s)) for s in missing)}); found: {found}"
        )
    regions, aliases, unmapped = _region_plan(chosen)
    proposals = {s: propose_source(s, chosen[s], set(regions)) for s in CONTRACTS if s in chosen}
    cycle = _next_cycle(proposals["sales_history"].spec, folder)
    for p in proposals.values():
        unmapped += p.unmapped
    unused = [t.label for t in tables if t not in chosen.values()]
    unmapped += [f"{label}: matches no source well enough (see `sop sources`)" for label in unused]
    try:
        rel = folder.relative_to(out.parent.resolve())
    except ValueError:
        rel = folder
    lines = [
        f"# Proposed by `sop init` for the exports in {folder}.",
        "# Every value marked '# guess' is one: check it, then run `sop run --params <this file>`.",
        "# `sop sources` lists every source and column the suite understands.",
    ]
    lines += ["# Could not map:"] + [f"#   - {u}" for u in unmapped] if unmapped else ["# Everything found was mapped."]
    lines += [
        "",
        f"company: {_flow(folder.name)}",
        f'cycle: "{cycle}"  # guess: the month after the last sales month in the export',
        "",
        "data:",
        f"  folder: {_flow(str(rel))}",
        f"  regions: {_flow(regions)}  # guess: "
        + (
            "the regions in the sales history"
            if regions != [ONE_REGION]
            else "the sales history has no region column, so one planning region"
        ),
    ]
    if aliases:
        lines.append(f"  region_aliases: {_flow(aliases)}  # guess: other sources' spellings")
    lines += ["", "sources:"]
    for source, p in proposals.items():
        lines.append(f"  {source}:  # {p.comments.get('kind', '')}")
        for key, value in p.spec.items():
            note = p.comments.get(key)
            lines.append(f"    {key}: {_flow(value)}" + (f"  # guess: {note}" if note and key != "kind" else ""))
    absent = [s for s in CONTRACTS if s not in proposals]
    if absent:
        lines.append(f"  # not found, so left out (optional): {', '.join(absent)}")
    lines += [
        "",
        "demand:",
        "  model: auto   # each family takes the model that forecast its held-out months better (docs/steps/2-demand.md);",
        "                # ets (MAP, seconds per hundred series) is the fast choice for a first look",
        "  time_budget_s: 300  # the most seconds one NUTS fit of the trend model may take; beyond, ets by MAP",
        "  horizon_months: 12",
        "  holdout_months: 6",
    ]
    return "\n".join(lines) + "\n", unmapped


def init(folder: str | Path, out: str | Path | None = None, *, force: bool = False) -> tuple[Path, list[str]]:
    """Write the proposed params file (``FOLDER/params.yaml`` by default); refuse to overwrite one."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder of exports")
    out = Path(out) if out else folder / "params.yaml"
    if out.exists() and not force:
        raise ValueError(f"{out} exists; choose another --out or pass --force to replace it")
    text, unmapped = propose(folder, out)
    out.write_text(text, encoding="utf-8")
    return out, unmapped
