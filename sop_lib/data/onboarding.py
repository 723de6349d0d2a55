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
import fnmatch
import re
import sqlite3
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from sop_lib.core import entries
from sop_lib.core.contracts import CONTRACTS
from sop_lib.core.params import CodeRule, SourceSpec, load_params
from sop_lib.data import DataError, code_text, load_sources, parse_dates, parse_numbers, read_source
from sop_lib.data.reading import (
    EXCEL_DAYS,
    bare_number,
    excluded_rows,
    header_names,
    leading_minus,
    note_rows,
    number_text,
    to_dates,
)
from sop_lib.data.shapes import detect_month_format, file_parts, header_position, joined_month, melt_months, month_columns

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
        "itemcode",
        "itemid",
        "partnumber",
        "partno",
        "part",
        "productno",
        "productnumber",
        "articlenumber",
        "articlecode",
        "materialno",
        "materialnumber",
        "skucode",
        "skuid",
        "sachnummer",
        "codearticle",
        "referencearticle",
        "reference",
        "ref",
        "articulo",
        "codigo",
        "codigoarticulo",
        "codice",
        "codicearticolo",
    ),
    "month": (
        "month",
        "monat",
        "period",
        "periode",
        "buchungsmonat",
        "date",
        "datum",
        "belegdatum",
        "buchungsdatum",
        "rechnungsdatum",
        "lieferdatum",
        "invoicedate",
        "orderdate",
        "week",
        "woche",
        "kw",
        "weekstart",
        "postingdate",
        "shipdate",
        "shippingdate",
        "deliverydate",
        "billingdate",
        "documentdate",
        "transactiondate",
        "salesdate",
        "invoicedatum",
        "calendaryearmonth",
        "calyearmonth",
        "yearmonth",
        "calmonth",
        "salesmonth",
        "periodmonth",
        "buchungsperiode",
        "jahrmonat",
        "mois",
        "periode",
        "datefacture",
        "datedefacture",
        "datelivraison",
        "mes",
        "fecha",
        "fechafactura",
        "mese",
    ),
    "region": (
        "region",
        "gebiet",
        "vertriebsgebiet",
        "verkaufsgebiet",
        "market",
        "markt",
        "salesregion",
        "country",
        "land",
        "countrycode",
        "laenderkennzeichen",
        "territory",
        "area",
        "salesarea",
        "bezirk",
        "pays",
        "zone",
        "secteur",
        "pais",
        "paese",
        "gebied",
    ),
    "units": (
        "units",
        "menge",
        "absatz",
        "qty",
        "quantity",
        "stueck",
        "stk",
        "anzahl",
        "volume",
        "absatzmenge",
        "salesqty",
        "soldqty",
        "qtysold",
        "unitssold",
        "verkaufsmenge",
        "fakturiertemenge",
        "liefermenge",
        "invoicedqty",
        "shippedqty",
        "billedquantity",
        "billingquantity",
        "shipqty",
        "shippedquantity",
        "quantityshipped",
        "quantityinvoiced",
        "invoicedquantity",
        "deliveredqty",
        "deliveredquantity",
        "salesunits",
        "soldunits",
        "salesquantity",
        "unitsshipped",
        "netunits",
        "netqty",
        "netquantity",
        "pieces",
        "pcs",
        "qtyshipped",
        "qtyinvoiced",
        "qtydelivered",
        "billedqty",
        "invoicedunits",
        "unitspcs",
        "qtypcs",
        "mengeme",
        "qtybaseunit",
        "quantitybaseunit",
        "baseunitqty",
        "quantite",
        "qte",
        "quantitevendue",
        "cantidad",
        "unidades",
        "quantita",
        "aantal",
    ),
    "net_revenue_eur": (
        "netrevenueeur",
        "netrevenue",
        "revenue",
        "umsatz",
        "nettoumsatz",
        "umsatzeur",
        "sales",
        "netsales",
        "salesvalue",
    ),
    "name": (
        "name",
        "bezeichnung",
        "artikelbezeichnung",
        "description",
        "productname",
        "beschreibung",
        "kurztext",
        "itemdescription",
        "itemname",
        "materialdescription",
        "materialtext",
        "materialkurztext",
        "articlename",
        "articledescription",
        "productdescription",
        "skudescription",
        "skuname",
        "designation",
        "libelle",
        "libellearticle",
        "descripcion",
        "nombre",
        "descrizione",
        "omschrijving",
    ),
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
        "range",
        "productrange",
        "productline",
        "segment",
        "gruppe",
        "group",
        "famille",
        "gamme",
        "familia",
        "famiglia",
        "categorie",
        "groupe",
    ),
    "status": (
        "status",
        "zustand",
        "lifecyclestatus",
        "artikelstatus",
        "auftragsstatus",
        "orderstatus",
        "itemstatus",
        "productstatus",
        "materialstatus",
        "skustatus",
        "lifecycle",
        "statut",
        "estado",
        "stato",
    ),
    "launch_date": ("launchdate", "einfuehrung", "einfuehrungsdatum", "markteinfuehrung", "launch", "startdatum"),
    "discontinue_date": ("discontinuedate", "auslauf", "auslaufdatum", "enddatum", "phaseout", "discontinued"),
    "replaces": ("replaces", "ersetzt", "nachfolgervon", "vorgaenger", "predecessor"),
    "list_price_eur": (
        "listpriceeur",
        "listprice",
        "listenpreis",
        "vkpreis",
        "verkaufspreis",
        "price",
        "preis",
        "prix",
        "prixdevente",
        "precio",
        "prezzo",
        "prijs",
    ),
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
        "cogs",
        "selbstkosten",
        "cout",
        "coutunitaire",
        "prixdachat",
        "coste",
        "costo",
        "kostprijs",
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
    "obsolete": "discontinued",
    "inactive": "discontinued",
    "eol": "discontinued",
    "endoflife": "discontinued",
    "phaseout": "discontinued",
    "phasedout": "discontinued",
    "blocked": "discontinued",
    "delisted": "discontinued",
    "new": "planned",
    "upcoming": "planned",
    "comingsoon": "planned",
    "prelaunch": "planned",
    "released": "active",
    "current": "active",
    "available": "active",
    "live": "active",
    "freigegeben": "active",
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
DATE_FORMATS = (
    "%Y-%m-%d",
    "%d.%m.%Y",
    "%Y-%m",
    "%d/%m/%Y",
    "%m/%d/%Y",
    "%d.%m.%y",
    "%m.%Y",
    "0%m.%Y",  # SAP's posting period: 001.2024
    "%m/%Y",
    "%Y/%m",
    "%m-%Y",
    "%Y%m",
    "%Y%m%d",
    "%d-%m-%Y",
    "%Y/%m/%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%b %Y",  # month names, in any language `shapes.month_text` knows: Jan 2024, janv. 2024, Mär-24
    "%b-%y",
    "%b-%Y",
    "%b %y",
    "%b.%Y",
)
ISO_WEEK_FORMATS = ("%G-W%V", "%GW%V", "%G/%V", "W%V/%G", "KW%V/%G", "KW %V/%G")  # weeks, read as their Monday
# Columns of a sales export that split the month further (summed over, or the planning region
# where the company has no region column).
CHANNEL_WORDS = ("channel", "kanal", "vertriebsweg", "vertriebskanal", "saleschannel", "absatzkanal", "segment")
MAX_CHANNELS = 12  # more distinct values than this is a customer list, not a planning region
ONE_FAMILY = "all products"  # the family of a company whose product master has none


def _norm(text: str) -> str:
    """A header or value as the vocabulary spells it: lower case, German umlauts as ae/oe/ue,
    other accents dropped (Région -> region, Désignation -> designation), no spaces or marks."""
    t = str(text).lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        t = t.replace(a, b)
    t = "".join(ch for ch in unicodedata.normalize("NFKD", t) if not unicodedata.combining(ch))
    return re.sub(r"[^a-z0-9]", "", t)


@dataclass(eq=False)
class Table:
    """One table found in the folder, read as text."""

    kind: str
    path: str  # relative to the folder
    frame: pd.DataFrame
    sheet: str | list[str] | None = None
    table: str | None = None
    read: dict = field(default_factory=dict)  # encoding, delimiter, decimal for a CSV
    notes: list[str] = field(default_factory=list)  # what each reading option rests on

    @property
    def label(self) -> str:
        return self.path + (f", sheet {self.sheet}" if self.sheet else "") + (f", table {self.table}" if self.table else "")


HEAD_LINES = 30  # lines (rows) searched for the header below a title


def _sniff(text: str) -> str:
    """The delimiter: the candidate that splits most lines into the same number of fields
    (a title line has none; a decimal comma splits a line unevenly)."""
    lines = [line for line in text.splitlines()[:200] if line.strip()]
    best, best_share = ",", 0.0
    for delimiter in (";", "\t", "|", ","):
        counts = pd.Series([len(row) for row in csv.reader(lines, delimiter=delimiter)])
        mode = int(counts.mode().iloc[0]) if len(counts) else 1
        share = float((counts == mode).mean()) if mode > 1 else 0.0
        if share > best_share + 0.05:
            best, best_share = delimiter, share
    return best


# How numbers are written, as whole cells (a leading minus, or a return in brackets, allowed).
_SURE_DECIMAL_COMMA = r"-?\d{1,3}(\.\d{3})+,\d+|-?\d+,(\d{1,2}|\d{4,})|-?\d{4,},\d+"  # 1.234,5  12,5  12,50  1234,500
_SURE_DECIMAL_POINT = r"-?\d{1,3}(,\d{3})+\.\d+|-?\d+\.(\d{1,2}|\d{4,})"  # 1,234.5  12.5  12.50
_COMMA_GROUPS = r"-?\d{1,3}(,\d{3})+"  # 1,234 or 12,000: thousands in English, three decimals in German
_DOT_GROUPS = r"-?\d{1,3}(\.\d{3})+"  # 1.234 or 12.000: thousands in German, three decimals in English
_SPACE_GROUPS = r"-?\d{1,3}([ \u00a0\u202f]\d{3})+([.,]\d+)?"  # 1 234 (also a no-break space), 1 234,5
_APOSTROPHE_GROUPS = r"-?\d{1,3}('\d{3})+(\.\d+)?"  # 1'234 (Swiss)


def _numbers_read(t: Table) -> None:
    """Decimal mark and thousands separator from the cells.

    A cell like '1,234' or '1.234' reads two ways; cells that read one way only ('12,5',
    '1.234,5', '1,234.5', '12.50') decide, and where none does, a ';'-separated file is
    taken as writing a decimal comma and any other as writing thousands with ','."""
    cells = pd.Series(t.frame.to_numpy().ravel()).astype(str).str.strip()
    cells = bare_number(leading_minus(cells).astype(str))  # '(5)', '€ 19,90', '12 pcs' are written as 5, 19,90 and 12 are
    cells = cells[~cells.str.fullmatch(r"\d{1,2}\.\d{4}|\d{1,2}\.\d{1,2}\.\d{2,4}")]  # dates: 10.2024, 03.11.26

    def count(pattern: str) -> int:
        return int(cells.str.fullmatch(pattern).sum())

    comma_dec, point_dec = count(_SURE_DECIMAL_COMMA), count(_SURE_DECIMAL_POINT)
    many_groups = count(r"-?\d{1,3}(,\d{3}){2,}(\.\d+)?")  # 1,234,567: thousands, whatever the delimiter
    comma_groups, dot_groups = count(_COMMA_GROUPS), count(_DOT_GROUPS)
    comma_groups += count(r"-?\d{1,3}(,\d{3})+\.\d+")  # 1,234.5: thousands and a decimal point
    if count(_SPACE_GROUPS):
        t.read["thousands"] = " "
        if comma_dec > point_dec:
            t.read["decimal"] = ","
        t.notes.append("thousands ' ': numbers are written like 1 234 (a space between thousands)")
    elif count(_APOSTROPHE_GROUPS):
        t.read["thousands"] = "'"
        t.notes.append("thousands \"'\": numbers are written like 1'234")
    elif comma_dec > point_dec or (dot_groups and not point_dec and not comma_groups):
        t.read["decimal"] = ","
        why = "numbers are written like 1234,56" if comma_dec else "numbers are written like 1.234 (a '.' between thousands)"
        t.notes.append(f"decimal ',': {why}")
    elif comma_groups:
        if point_dec or many_groups or t.read.get("delimiter", ",") != ";":
            t.read["thousands"] = ","
            t.notes.append("thousands ',': numbers are written like 1,234")
        else:  # Excel writes ';' between fields exactly where its locale writes a decimal comma
            t.read["decimal"] = ","
            t.notes.append(
                "decimal ',': a ';'-separated export writing numbers like 12,250, read as 12.25 with three decimals "
                "as SAP writes kilograms (set thousands: ',' and decimal: '.' if it means twelve thousand)"
            )


def _read_csv(path: Path, rel: str) -> Table:
    raw = path.read_bytes()[:200_000]
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # Excel's 'Unicode text' and SAP GUI's exports
        encoding, why = "utf-16", "the file starts with UTF-16's byte-order mark"
        raw = raw[: len(raw) // 2 * 2]
    else:
        try:
            raw.decode("utf-8")
            encoding, why = "utf-8", None
        except UnicodeDecodeError:
            encoding, why = "cp1252", "the file is not valid UTF-8 (Windows Western European assumed)"
    text = raw.decode(encoding, errors="replace")
    delimiter = _sniff(text)
    head = list(csv.reader(text.splitlines()[:HEAD_LINES], delimiter=delimiter))
    skip = header_position(head)
    frame = pd.read_csv(
        path, sep=delimiter, encoding=encoding, dtype=str, keep_default_na=False, nrows=SAMPLE_ROWS, skiprows=skip
    )
    frame.columns = header_names(frame)  # as step 1 reads them: no stray spaces
    t = Table("csv", rel, frame)
    if encoding != "utf-8":
        t.read["encoding"], t.notes = encoding, t.notes + [f"encoding: {why}"]
    if delimiter != ",":
        t.read["delimiter"] = delimiter
        t.notes.append(f"delimiter {delimiter!r}: the header splits into {frame.shape[1]} columns with it")
    if skip:
        t.read["header_row"] = skip + 1
        t.notes.append(f"header_row: the {skip} line(s) above it are a title")
    _numbers_read(t)
    return t


def _read_sheets(path: Path, rel: str) -> list[Table]:
    """Every sheet of a workbook, each with its header found below any title."""
    out = []
    with pd.ExcelFile(path, engine="openpyxl") as book:
        for sheet in book.sheet_names:
            head = book.parse(sheet, header=None, nrows=HEAD_LINES)
            skip = header_position(head.astype(object).where(head.notna(), None).values.tolist())
            frame = book.parse(sheet, header=skip, nrows=SAMPLE_ROWS)
            frame.columns = header_names(frame)  # as step 1 reads them: no stray spaces, an Excel date as YYYY-MM-DD
            t = Table("excel", rel, frame, sheet=sheet)
            if skip:
                t.read["header_row"] = skip + 1
                t.notes.append(f"header_row: the {skip} row(s) above it are a title")
            _numbers_read(t)  # numbers kept as text cells ('1.234,5')
            out.append(t)
    return out


def _wide(t: Table) -> Table:
    """A months-as-columns table as the long one the contracts describe (month, units)."""
    fmt = detect_month_format(list(t.frame.columns))
    if fmt is None:
        return t
    long, _ = melt_months(t.frame, fmt)
    t.read["months_as_columns"] = fmt
    months = month_columns(list(t.frame.columns), fmt)
    t.notes.append(
        f"months_as_columns: {len(months)} column headers read as months with it "
        f"({min(months.values()):%Y-%m} to {max(months.values()):%Y-%m})"
    )
    t.frame = long.assign(month=long["month"].dt.strftime("%Y-%m"))
    return t


def _fixed_headers(t: Table) -> tuple:
    return tuple(sorted(map(str, t.frame.columns)))


def _series(tables: list[Table]) -> list[Table]:
    """Files that differ only in a number of their name (a year, a part) and share their
    header become one table read through a wildcard (sales_2023.csv, sales_2024.csv -> sales_*.csv)."""
    groups: dict[tuple, list[Table]] = {}
    for t in tables:
        sheet = re.sub(r"\d+", "[0-9]*", t.sheet) if t.sheet else None  # '2024' -> '[0-9]*', never a bare '*'

        key = (t.kind, sheet, re.sub(r"\d+", "*", t.path), _fixed_headers(t), tuple(sorted(t.read.items())))
        groups.setdefault(key, []).append(t)
    out = []
    for (kind, sheet, pattern, _, _), members in groups.items():
        first = members[0]
        several_files = pattern != first.path and len({m.path for m in members}) == len(members)
        several_sheets = sheet is not None and sheet != first.sheet and len({m.path for m in members}) == 1
        if len(members) < 2 or kind == "sql" or not (several_files or several_sheets):
            out += members
            continue
        if several_files:
            out.append(_joined(members, path=pattern, sheet=first.sheet, by="path"))
        else:
            out.append(_joined(members, path=first.path, sheet=sheet, by="sheet"))
    return _named_parts(out)


def _joined(members: list[Table], *, path: str, sheet, by: str, frames: list[pd.DataFrame] | None = None) -> Table:
    """Tables with one header as one table read through ``path`` and ``sheet``, saying which ``by`` (path or sheet) joined them."""
    first = members[0]
    frame = pd.concat(frames or [m.frame for m in members], ignore_index=True)
    joined = Table(first.kind, path, frame, sheet=sheet, read=dict(first.read), notes=list(first.notes))
    names = [m.path if by == "path" else m.sheet for m in members]
    joined.notes.append(f"{by}: {len(members)} {'files' if by == 'path' else 'sheets'} with the same header ({', '.join(names)})")
    return joined


FILE_PART = "(part of the file name)"  # the column a file series by name carries in `sop init`


def _named_parts(tables: list[Table]) -> list[Table]:
    """Files that share their header and differ in a word of their name (sales_north.csv,
    sales_south.csv) become one table read through a wildcard, the word kept as a column:
    where the export has no region column, it is the region (``from_file_name``)."""
    groups: dict[tuple, list[Table]] = {}
    for t in tables:
        if t.kind in ("csv", "parquet") and not any(ch in t.path for ch in "*?["):
            groups.setdefault((t.kind, _fixed_headers(t), tuple(sorted(t.read.items()))), []).append(t)
    out = [t for t in tables if not any(t in g for g in groups.values() if len(g) > 1)]
    for members in (g for g in groups.values() if len(g) > 1):
        names = [m.path for m in members]
        parts, pattern = file_parts(names)
        if pattern is None or len({fnmatch.fnmatchcase(t.path, pattern) for t in tables if t not in members} - {False}):
            out += members  # no common stem, or the wildcard would take another file too
            continue
        frames = [m.frame.assign(**{FILE_PART: part}) for m, part in zip(members, parts)]
        out.append(_joined(members, path=pattern, sheet=None, by="path", frames=frames))
    return out


def find_tables(folder: Path) -> list[Table]:
    """Every table in the folder (not in sub-folders): CSV, Excel sheets, Parquet, SQLite/DuckDB
    tables; a header below a title found, months as columns melted, a file series joined."""
    tables: list[Table] = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        rel, suffix = path.name, path.suffix.lower()
        if suffix in UNREAD_SUFFIXES:
            tables.append(Table("skipped", rel, pd.DataFrame(), notes=[UNREAD_SUFFIXES[suffix]]))
        if suffix in (".csv", ".txt"):
            tables.append(_read_csv(path, rel))
        elif suffix in (".xlsx", ".xlsm"):
            tables += _read_sheets(path, rel)
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
    for t in tables:
        t.frame = t.frame[~note_rows(t.frame)]  # blank lines and a note below the table, as step 1 leaves them out
    return _series([_wide(t) for t in tables if t.kind != "skipped"]) + [t for t in tables if t.kind == "skipped"]


# Files of a kind step 1 does not read, and what to do with them.
UNREAD_SUFFIXES = {
    ".xls": "an Excel 97-2003 file: open it in Excel and save it as .xlsx (or .csv)",
    ".xlsb": "an Excel binary workbook: save it as .xlsx (or .csv)",
    ".ods": "an OpenDocument spreadsheet: save it as .xlsx (or .csv)",
    ".numbers": "a Numbers file: export it as .xlsx (or .csv)",
}


def match_columns(headers: list[str], source: str) -> dict[str, str]:
    """Their header -> our column for one contract: exact vocabulary matches first, then a
    header that starts with a longer name of ours; no header or column is used twice."""
    out: dict[str, str] = {}
    norm = {h: _norm(h) for h in headers}
    for ours in CONTRACTS[source].columns:
        names = (ours.replace("_", ""), *VOCABULARY.get(ours, ()))
        hit = next((h for h in headers if h not in out and norm[h] in names), None)
        if hit is None:
            starts = [h for h in headers if h not in out and any(len(n) >= 6 and norm[h].startswith(n) for n in names)]
            named = [h for h in starts if re.search(r"name|description|desc|bezeichnung|text|libelle", norm[h])]
            hit = (named or starts or [None])[0]  # 'Family name' over 'Family code' when both are there
        if hit is not None:
            out[hit] = ours
    return out


# Columns a proposal can give a constant when the export has none (and says so).
PROPOSABLE = {"region", "status", "family"}


def _needed(source: str) -> list[str]:
    """Contract columns a table must have (nullable ones may be absent; region, status and
    family can be proposed as one value for every row)."""
    return [c for c, col in CONTRACTS[source].columns.items() if col.required and not col.nullable and c not in PROPOSABLE]


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
    """The format that reads every sampled date, or None (let pandas guess). Where several
    do (01/02/2024 is 1 February or 2 January), the one under which the dates spread over the
    most months: a monthly export is the first of each month in one reading and twelve days of
    January in the other. Whole numbers from 20000 to 80000 are Excel's day numbers."""
    v = values.dropna().astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return None
    if v.str.fullmatch(r"[2-7]\d{4}(\.0)?").all():
        return EXCEL_DAYS
    fits = [(fmt, d) for fmt in DATE_FORMATS + ISO_WEEK_FORMATS if (d := to_dates(v, fmt)).notna().all()]
    if not fits:
        return None
    return max(fits, key=lambda fit: fit[1].dt.to_period("M").nunique())[0]  # the first of equals on a tie


def _numbers(values: pd.Series, read: dict) -> pd.Series:
    """The cells as numbers, read as the proposal reads them (decimal mark, thousands, returns)."""
    text = number_text(values.astype(str), read.get("decimal", "."), read.get("thousands", ""))
    return pd.to_numeric(text, errors="coerce")


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
    headers = [str(h) for h in table.frame.columns if h != FILE_PART]
    columns, channel = _channel_region(table, source, match_columns(headers, source))
    renamed = {theirs: ours for theirs, ours in columns.items() if theirs != ours}
    if renamed:
        spec["columns"] = renamed
        comments["columns"] = "matched by header name; check each pair" + (f"; {channel}" if channel else "")
    source_frame = table.frame
    split = _year_and_month(table, columns) if "month" in schema.columns else None
    if split is not None:
        year, month = split
        spec["year_and_month"] = [year, month]
        comments["year_and_month"] = f"the month is split over '{year}' (the year) and '{month}' (1-12 or a name)"
        columns = {k: v for k, v in columns.items() if k != month}
        source_frame = source_frame.drop(columns=[year, month]).assign(
            month=joined_month(source_frame[year], source_frame[month])
        )
        renamed = {theirs: ours for theirs, ours in columns.items() if theirs != ours}
        spec["columns"] = renamed
    frame = source_frame.rename(columns=columns)
    if FILE_PART in frame:
        if "region" in schema.columns and "region" not in frame:
            spec["from_file_name"] = "region"
            comments["from_file_name"] = (
                "the files differ in a word of their name and have no region column: that word is the region"
            )
            frame = frame.rename(columns={FILE_PART: "region"})
        else:
            frame = frame.drop(columns=[FILE_PART])
    unmapped = [
        f"{source}: no column for '{c}' ({schema.columns[c].description}) in {table.label}"
        for c in _needed(source)
        if c not in frame.columns
    ]
    dates = [c for c, col in schema.columns.items() if str(col.dtype).startswith("datetime") and c in frame]
    if "months_as_columns" in table.read:
        dates = [c for c in dates if c != "month"]  # the month comes from the headers
    dates = [c for c in dates if not pd.api.types.is_datetime64_any_dtype(frame[c])]  # Excel date cells need no format
    if dates:
        formats = {date_format(frame[c]) for c in dates} - {None}
        if len(formats) == 1:
            spec["date_format"] = formats.pop()
            comments["date_format"] = f"every sampled date in {', '.join(dates)} reads with it"
        elif formats:
            unmapped.append(f"{source}: date columns use different formats ({', '.join(sorted(formats))})")
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
            nums = _numbers(frame[col], table.read) if table.kind == "csv" else pd.to_numeric(frame[col], errors="coerce")
            if nums.max() > 1 and nums.max() <= 100:
                scale[col] = 0.01
                comments.setdefault("scale", f"{col} goes up to {nums.max():g}: percent")
    if values:
        spec["values"] = values
        comments["values"] = "their category values translated to ours"
    if scale:
        spec["scale"] = scale
    constants, said = {}, []
    if "region" in schema.columns and "region" not in frame:
        constants["region"] = ONE_REGION if source == "sales_history" or regions == {ONE_REGION} else "all"
        said.append("the export has no region column")
    if source == "products":
        if "status" not in frame:
            constants["status"] = "active"
            said.append("no life-cycle status column, so every product is taken as active")
        if "family" not in frame:
            constants["family"] = ONE_FAMILY
            said.append("no product family column, so one family for all")
        lacking = [c for c in ("list_price_eur", "unit_cost_eur") if c not in frame]
        if lacking:
            unmapped.append(
                f"products: no column for {' or '.join(lacking)} in {table.label}; the steps that need "
                "them say what they could not compute (revenue, margin, the plan's costs)"
            )
    if constants:
        spec["constants"] = constants
        comments["constants"] = "; ".join(said)
    if source == "sales_history":
        unmapped += unread_columns(frame, table.read)
        totals = total_rows(frame)
        if totals:
            spec["exclude"] = totals
            comments["exclude"] = "total rows, which would count their units twice"
            frame = frame[~excluded_rows(totals, frame)]
        _propose_grain(table, frame, spec, comments)
    return Proposal(spec, comments, unmapped)


UNIT_WORDS = ("uom", "unit", "unitofmeasure", "einheit", "mengeneinheit", "me", "baseunit")


def unread_columns(frame: pd.DataFrame, read: dict) -> list[str]:
    """Columns of a sales export that step 1 will not read but that may change its units: other
    quantities (returns, credit notes, another measure) and a unit of measure per row."""
    ours = set(CONTRACTS["sales_history"].columns)
    out = []
    for col in (c for c in frame.columns if c not in ours):
        values = frame[col].dropna().astype(str).str.strip()
        values = values[values != ""]
        if _norm(col) in UNIT_WORDS and values.nunique() > 1:
            units = ", ".join(sorted(values.unique())[:4])
            out.append(
                f"sales_history: column '{col}' gives each row's unit ({units}); step 1 counts every quantity as one "
                "unit: export the quantities in one unit, or check that this column does not matter"
            )
        elif len(values) and _numbers(values, read).notna().mean() > 0.9 and values.nunique() > 2:
            out.append(
                f"sales_history: column '{col}' holds numbers and is not read; if it holds returns, credit notes or "
                "another quantity, the units will be off: map it or net it in the export"
            )
    return out


def _propose_grain(table: Table, frame: pd.DataFrame, spec: dict, comments: dict[str, str]) -> None:
    """Rows finer than month x SKU x region (order lines, days, weeks, channel rows) or
    negative quantities (returns): propose summing to the month and say what over."""
    if not {"month", "sku", "units"} <= set(frame.columns):
        return
    days = to_dates(frame["month"], spec.get("date_format"))
    units = _numbers(frame["units"], table.read)
    keys = pd.DataFrame({"m": days.dt.to_period("M"), "sku": frame["sku"].astype(str).str.strip().str.upper()})
    if "region" in frame:
        keys["region"] = frame["region"].astype(str)
    reasons = []
    shared = int(keys.duplicated().sum())
    ours = set(CONTRACTS["sales_history"].columns)
    over = [c for c in frame.columns if c not in ours]
    if shared and not over and not (days.dt.day > 1).any() and not (units < 0).any():
        return  # monthly rows with nothing to tell them apart are the same rows twice (overlapping files): step 1 lists them
    if shared:
        reasons.append(f"{shared} of {len(frame)} sampled rows share a month, SKU and region with another")
    if (days.dt.day > 1).any():
        reasons.append("dates are days or weeks, not months")
    if (units < 0).any():
        reasons.append(f"{int((units < 0).sum())} negative quantities (returns, netted within their month)")
    if not reasons:
        return
    spec["sum_to_month"] = True
    comments["sum_to_month"] = "; ".join(reasons) + (f"; summed over {', '.join(over)}" if over else "")


YEAR_WORDS = ("year", "jahr", "geschaeftsjahr", "fiscalyear", "kalenderjahr", "yr", "buchungsjahr")
TOTAL_WORDS = {"total", "summe", "gesamt", "sum", "grandtotal", "gesamtsumme", "gesamtergebnis", "insgesamt", "ergebnis"}
SUBTOTAL_WORDS = {"total", "subtotal", "summe", "zwischensumme", "gesamt", "totaal", "totale"}  # a word of 'North Total'


def _year_and_month(table: Table, columns: dict[str, str]) -> tuple[str, str] | None:
    """A year column beside a month column of numbers 1-12 or month names: the month split in two."""
    month = next((h for h, o in columns.items() if o == "month"), None)
    year = next((str(h) for h in table.frame.columns if _norm(h) in YEAR_WORDS and h != month), None)
    if month is None or year is None:
        return None
    joined = joined_month(table.frame[year], table.frame[month])
    return (year, month) if joined.str.fullmatch(r"\d{4}-\d{2}").fillna(False).mean() > 0.9 else None


def says_total(cell: str) -> bool:
    """A cell that names a total or subtotal: 'Total', 'Grand total', 'North Total', 'Summe Nord'."""
    words = re.split(r"[^a-z0-9]+", str(cell).lower().replace("ü", "ue").replace("ä", "ae").replace("ö", "oe"))
    return _norm(cell) in TOTAL_WORDS or any(w in SUBTOTAL_WORDS for w in words)


def total_rows(frame: pd.DataFrame) -> dict[str, list[str]]:
    """Total rows in a sales export (an SKU or region cell that says Total/Summe/Gesamt, or
    an empty SKU in a row that says so elsewhere): the ``exclude`` that leaves them out."""
    out: dict[str, list[str]] = {}
    for col in ("sku", "region"):
        if col in frame:
            hits = sorted({v for v in frame[col].dropna().astype(str).str.strip() if says_total(v)})
            if hits:
                out[col] = hits
    if "sku" in frame:
        empty = frame["sku"].isna() | (frame["sku"].astype(str).str.strip() == "")
        said = frame[empty].astype(str).apply(lambda row: any(says_total(v) for v in row), axis=1)
        if len(said) and said.all():
            out["sku"] = out.get("sku", []) + [""]
    return out


def _channel_region(table: Table, source: str, columns: dict[str, str]) -> tuple[dict[str, str], str]:
    """Where a sales export has no region column, a channel-like column with a few values
    becomes the planning region (a guess the proposal says)."""
    if source != "sales_history" or "region" in columns.values():
        return columns, ""
    for header in map(str, table.frame.columns):
        if header in columns or not any(w in _norm(header) for w in CHANNEL_WORDS):
            continue
        values = table.frame[header].dropna().astype(str).str.strip()
        if 2 <= values.nunique() <= MAX_CHANNELS:
            return {**columns, header: "region"}, (
                f"no region column, so '{header}' ({values.nunique()} values) becomes the planning region "
                f"(to plan one region instead, drop '{header}' here and set constants: {{region: {ONE_REGION}}})"
            )
    return columns, ""


def _codes(table: Table, source: str) -> pd.Series:
    header = next((h for h, o in match_columns(list(map(str, table.frame.columns)), source).items() if o == "sku"), None)
    return pd.Series(dtype=object) if header is None else table.frame[header].dropna()


def code_rule(chosen: dict[str, Table]) -> tuple[dict[str, bool], str, list[str]]:
    """How SKU codes must be normalised for the sales' codes to meet the product master's
    (upper case, no leading zeros): the least rule that matches most, why, and the codes
    that match under none."""
    known_raw = _codes(chosen["products"], "products")
    sold_raw = _codes(chosen["sales_history"], "sales_history")
    text = sold_raw.astype(str).str.strip()
    sold_raw = sold_raw[(text != "") & ~text.map(says_total).astype(bool)]  # a total row is no product
    if known_raw.empty or sold_raw.empty:
        return {}, "", []
    best: tuple[int, dict[str, bool]] | None = None
    for rule in ({}, {"upper": True}, {"strip_zeros": True}, {"upper": True, "strip_zeros": True}):
        known = set(code_text(known_raw, CodeRule(**rule)).dropna())
        hits = int(code_text(sold_raw, CodeRule(**rule)).isin(known).sum())
        if best is None or hits > best[0]:
            best = (hits, rule)
    hits, rule = best
    final = CodeRule(**rule)
    sold = code_text(sold_raw, final)
    missing = sorted(set(sold[~sold.isin(set(code_text(known_raw, final).dropna()))]))
    why = ""
    if rule:
        words = {"upper": "in upper case", "strip_zeros": "without leading zeros"}
        why = f"{hits} of {len(sold)} sampled sales rows name a product of the master only with codes " + " and ".join(
            words[k] for k in rule
        )
    unmatched = (
        [f"sales_history.sku: {len(missing)} code(s) not in the product master, e.g. {', '.join(missing[:5])}"] if missing else []
    )
    return rule, why, unmatched


def _flow(value) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, sort_keys=False, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...")  # a scalar ends with YAML's document-end marker


def _region_plan(chosen: dict[str, Table]) -> tuple[list[str], dict[str, str], list[str]]:
    """Planning regions (from the sales history), aliases for other spellings, and values left unmapped."""
    sales = chosen["sales_history"]
    mapped, _ = _channel_region(sales, "sales_history", match_columns(list(map(str, sales.frame.columns)), "sales_history"))
    col = next((h for h, o in mapped.items() if o == "region"), None)
    col = col or (FILE_PART if FILE_PART in sales.frame else None)  # one file per region: the word in the name
    values = set(sales.frame[col].dropna().astype(str).str.strip()) if col else set()
    regions = sorted(v for v in values if v and not says_total(v)) or [ONE_REGION]
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


def _next_cycle(spec: dict, folder: Path) -> tuple[str, pd.Timestamp | None]:
    """The month after the last month in the whole sales export (a sample may miss the end),
    or that last month itself, with its last day, where the export was taken inside it: daily
    dates that stop a week or more before the month ends, with fewer units than the months before."""
    today = pd.Timestamp.today().strftime("%Y-%m")
    try:
        source = SourceSpec(**spec)
        sold = parse_numbers("sales_history", source, read_source("sales_history", source, folder)[["month", "units"]])
        sold["month"] = parse_dates("sales_history", source, sold)[0]["month"]
    except (DataError, KeyError):
        return today, None
    sold = sold.dropna(subset=["month"])
    if sold.empty:
        return today, None
    dates = sold["month"]
    last = dates.max()
    days_a_month = dates.groupby(dates.dt.to_period("M")).nunique().median()  # order lines: many; a month stamped on a day: 1
    daily = days_a_month >= 3 and not (dates.dt.dayofweek == 0).all()  # days, not months or week starts
    units = pd.to_numeric(sold["units"], errors="coerce").groupby(dates.dt.to_period("M")).sum().sort_index()
    thin = len(units) > 3 and units.iloc[-1] < 0.6 * units.iloc[-7:-1].median()  # far fewer units than the months before
    if daily and thin and last.day <= last.days_in_month - 7:
        return last.strftime("%Y-%m"), last
    return (last + pd.DateOffset(months=1)).strftime("%Y-%m"), None


def _sibling_sheets(master: Table, unused: list[Table]) -> tuple[Table, list[Table]]:
    """A product master kept over several sheets of one workbook with one header (active and
    discontinued items, one sheet per family): all of them read as one table (``sheet: [...]``),
    and the sheets it took."""
    same = [
        t
        for t in unused
        if master.kind == t.kind == "excel" and t.path == master.path and t.read == master.read
        and _fixed_headers(t) == _fixed_headers(master)
    ]  # fmt: skip
    if not same:
        return master, []
    members = [master, *same]
    return _joined(members, path=master.path, sheet=[m.sheet for m in members], by="sheet"), same


def propose(folder: Path, out: Path) -> tuple[str, list[str]]:
    """The params file's text for the exports in ``folder`` (paths relative to ``out``) and
    the list of what could not be mapped."""
    folder = folder.resolve()
    tables = find_tables(folder)
    chosen = assign(tables)
    missing = [s for s in ("sales_history", "products") if s not in chosen]
    if missing:
        found = (
            "; ".join(
                f"{t.label} ({t.notes[0] if t.kind == 'skipped' else ', '.join(map(str, t.frame.columns[:8]))})" for t in tables
            )
            or "no tables"
        )
        raise ValueError(
            f"{folder}: no table looks like {' or '.join(missing)} (needed columns: "
            f"{'; '.join(s + ': ' + ', '.join(_needed(s)) for s in missing)}); found: {found}"
        )
    if "products" in chosen:
        chosen["products"], taken = _sibling_sheets(chosen["products"], [t for t in tables if t not in chosen.values()])
        tables = [t for t in tables if t not in taken]
    regions, aliases, unmapped = _region_plan(chosen)
    codes, codes_why, code_misses = code_rule(chosen)
    unmapped += code_misses
    proposals = {s: propose_source(s, chosen[s], set(regions)) for s in CONTRACTS if s in chosen}
    cycle, open_until = _next_cycle(proposals["sales_history"].spec, folder)
    if open_until is not None:
        sales = proposals["sales_history"]
        sales.spec["severity"] = {"future_date": "warn"}
        sales.comments["severity"] = (
            f"the export ends on {open_until:%Y-%m-%d}, inside its month: {cycle} is not closed, so it is the cycle "
            "and its rows are left out and counted (export whole months to plan from them)"
        )
    for p in proposals.values():
        unmapped += p.unmapped
    unmapped += [
        f"{t.label}: not read, {t.notes[0]}"
        if t.kind == "skipped"
        else f"{t.label}: matches no source well enough (see `sop sources`)"
        for t in tables
        if t not in chosen.values()
    ]
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
        f'cycle: "{cycle}"  # guess: '
        + (
            "the export's last month, not closed yet"
            if "severity" in proposals["sales_history"].spec
            else "the month after the last sales month in the export"
        ),
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
    if codes:
        lines.append(f"  codes: {_flow(codes)}  # guess: {codes_why}")
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
        f"  overrides: {overrides_template(cycle)}  # the demand review's consensus overrides, one row each "
        "(sop init wrote it empty; its sheet 'How to fill' says what each column holds)",
    ]
    return "\n".join(lines) + "\n", unmapped


def overrides_template(cycle: str) -> str:
    """Where the proposal keeps the cycle's consensus overrides, relative to the params file."""
    return f"overrides/{cycle}.xlsx"


DECISIONS_TEMPLATE = "decisions/TEMPLATE.xlsx"  # not a cycle's name, so never read as decisions


def write_templates(params_dir: Path, cycle: str) -> list[Path]:
    """The spreadsheets a planner fills in beside the params file, where none is yet: the cycle's
    consensus overrides (empty, so the proposal runs) and a decisions template to copy to
    ``decisions/<cycle>.xlsx`` after the meeting."""
    written = []
    for rel, kind in ((overrides_template(cycle), "overrides"), (DECISIONS_TEMPLATE, "decisions")):
        path = Path(params_dir) / rel
        if not path.exists():
            written.append(entries.write_template(path, kind))
    return written


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
    write_templates(out.parent, str(yaml.safe_load(text)["cycle"]))
    return out, unmapped


# What to set in the proposal for each kind of blocking finding ({s}: source, {c}: column).
FIX_KEYS: dict[str, str] = {
    "unreadable": "sources.{s}.path, .encoding, .sheet or .header_row",
    "missing_column": "sources.{s}.columns (map the export's column to '{c}') or sources.{s}.constants.{c}",
    "wrong_type": "sources.{s}.decimal or sources.{s}.thousands (how numbers are written)",
    "empty_value": "sources.{s}.constants.{c} (one value for every row), or fill the cells in the export",
    "unparseable_date": "sources.{s}.date_format",
    "out_of_range": "sources.{s}.scale.{c} (another unit, e.g. percent), or sources.{s}.severity.out_of_range: warn",
    "invalid_category": "sources.{s}.values.{c} (their value -> ours)",
    "duplicate_key": "sources.{s}.sum_to_month: true (sales rows finer than the month), or remove the repeated rows",
    "duplicate_key products": "remove the repeated rows of the product master (one row per SKU), or data.codes if two spellings of one code met",
    "unknown_reference": "data.codes (strip_zeros, upper) if the codes differ only in writing; else sources.{s}.severity.unknown_reference: warn",
}


@dataclass
class Verdict:
    """What step 1 makes of a proposal: its sources, blocking findings, warnings and the keys to set."""

    sources: int
    blocking: list
    warnings: int
    keys: list[str]

    @property
    def runs(self) -> bool:
        return not self.blocking


def fix_keys(blocking: list) -> list[str]:
    """The params keys that would clear each blocking finding, once each."""
    keys = [
        FIX_KEYS.get(f"{p.check} {p.source}", FIX_KEYS.get(p.check, "sources.{s}.severity.{k}: warn")).format(
            s=p.source, c=p.column, k=p.check
        )
        for p in blocking
    ]
    return list(dict.fromkeys(keys))


def try_proposal(path: Path) -> Verdict:
    """Load the proposed params file and its sources exactly as step 1 of `sop run` will."""
    params = load_params(path)
    problems = load_sources(params).problems
    blocking = [p for p in problems if p.severity == "block"]
    return Verdict(len(params.sources), blocking, len(problems) - len(blocking), fix_keys(blocking))
