"""Reports printed to PDF for the board pack: A4 pages, and no chart cut across two of them."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from sop_lib.core import printing, reporting  # noqa: E402
from tests.core.pdf_pages import A4, font_sizes, images_per_page, page_texts, text_right_edges  # noqa: E402


def _chart_png(height_in: float) -> str:
    fig, ax = plt.subplots(figsize=(6, height_in), dpi=60)
    ax.plot([0, 1, 2], [1, 3, 2])
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def test_a_report_prints_on_a4_and_keeps_every_chart_whole(tmp_path):
    # six charts of a third of a page each, after a long paragraph: some must move to the next page
    charts = "".join(f'<p class="sop-caption">Chart {i}</p><img src="data:image/png;base64,{_chart_png(3.2)}">' for i in range(6))
    html = tmp_path / "report.html"
    html.write_text(f"<html><head>{reporting.CSS}</head><body><p>{'Words. ' * 400}</p>{charts}</body></html>", encoding="utf-8")
    out = printing.print_pdf(html, tmp_path / "report.pdf")
    images, sizes = images_per_page(out)
    assert len(sizes) >= 2 and all(abs(w - A4[0]) < 1 and abs(h - A4[1]) < 1 for w, h in sizes)
    assert sum(len(p) for p in images) == 6, "a chart split across pages is drawn twice"
    for page, (w, h) in zip(images, sizes):
        for left, bottom, right, top in page:
            assert left >= -0.5 and bottom >= -0.5 and right <= w + 0.5 and top <= h + 0.5, "a chart runs off its page"
    assert not (tmp_path / "report.pdf.partial").exists()


@pytest.mark.parametrize("render", ["report table", "pandas"])
def test_a_wide_table_prints_whole_on_a4(render, tmp_path):
    """Step 3's supplier table (nine columns, a long suggestion) as a report table or as pandas
    shows it: in the PDF every column is on the page, none cut off behind the scroll bar the
    browser shows, and the page is not shrunk to make room."""
    import nbformat

    from sop_lib.supply.commitments import SUPPLIER_COLUMNS

    columns = [*SUPPLIER_COLUMNS, "alternative_supplier", "open_purchase_orders"]  # step 3's, and two more
    table = pd.DataFrame({c: [f"qualify a second source now; build buffer stock of its components {r}" if c == "suggestion"
                              else f"{c.split('_')[0]} value {r}" for r in range(6)] for c in columns})  # fmt: skip
    shown = reporting.table_html(table) if render == "report table" else table.to_html()
    cell = nbformat.v4.new_code_cell("show(table)")
    cell.outputs = [
        nbformat.v4.new_output("display_data", {"text/html": reporting.CSS}),
        nbformat.v4.new_output("display_data", {"text/html": f"<p>{'Words in a sentence. ' * 30}</p>" + shown}),
    ]
    nb = tmp_path / "wide.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(nb))
    html = reporting.export_html(nb, tmp_path / "wide.html", title="Wide table")
    out = printing.print_pdf(html, tmp_path / "wide.pdf")
    text = "".join(page_texts(out)).replace("\r", "").replace("\n", "")
    missing = [c for c in table.columns if c not in text]
    assert not missing, f"columns cut off the printed page: {missing}"
    for right, width in text_right_edges(out):
        assert 0 < right <= width
    assert max(font_sizes(out)) >= 9.5, "the page was shrunk to fit a table: its text is no longer readable"


def test_without_a_browser_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(printing.shutil, "which", lambda name: None)
    with pytest.raises(printing.PrintError, match="apt-get install chromium"):
        printing.print_pdf(tmp_path / "x.html", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()
