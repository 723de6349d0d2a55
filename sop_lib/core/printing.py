"""Reports as PDF for the board pack: the rendered HTML printed by Chromium, laid out for A4.

Executives forward the review as a PDF. The reports' print style (`reporting.PRINT_CSS`) sets
A4 pages and keeps every chart, KPI card and table row whole on one page; Chromium's own
print engine does the layout, so the PDF is the page the executive sees in the browser.
Without a Chromium on the machine the cycle still completes, and says so.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PRINT_SECONDS = 120  # one report; Chromium prints the executive page in about 2 s


class PrintError(RuntimeError):
    """A report could not be printed to PDF: the message says why and what to install."""


def browser() -> str | None:
    """The first Chromium-like browser on PATH, or None."""
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def print_pdf(html: str | Path, pdf: str | Path, *, chrome: str | None = None, timeout: float = PRINT_SECONDS) -> Path:
    """Print ``html`` to ``pdf`` (A4, no browser header or footer); written whole or not at all."""
    html, pdf = Path(html).resolve(), Path(pdf)
    chrome = chrome or browser()
    if chrome is None:
        raise PrintError("no Chromium to print the PDF with (apt-get install chromium)")
    tmp = pdf.with_suffix(".pdf.partial")
    tmp.unlink(missing_ok=True)
    cmd = [
        chrome,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-pdf-header-footer",
        "--run-all-compositor-stages-before-draw",
        f"--print-to-pdf={tmp}",
        html.as_uri(),
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        tmp.unlink(missing_ok=True)
        raise PrintError(f"printing {html.name} took over {timeout:.0f} s; stopped") from None
    if done.returncode != 0 or not tmp.exists() or tmp.stat().st_size == 0:
        tmp.unlink(missing_ok=True)
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PrintError(f"{Path(chrome).name} could not print {html.name} (exit {done.returncode}): {last}")
    tmp.replace(pdf)
    return pdf
