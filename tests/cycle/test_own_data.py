"""The README's "Your own data" walkthrough, run exactly as written, on a company shaped
unlike the demo; its reports must speak of that company and never of the demo's."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Words only the demo company's data or demo-written text contains.
DEMO_WORDS = [
    "Brewline",
    "ThermoCore",
    "Espresso",
    "Grinder",
    "Barista",
    "DACH",
    "Benelux",
    "Nordics",
    "Iberia",
    "ESP-",
    "GRN-",
    "heating",
    "November-December",
    "best-seller",
    "Christmas",
    "SUP-",
]


def walkthrough() -> str:
    """The bash block of the README's "Your own data" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Your own data", 1)[1]
    return re.search(r"```bash\n(.*?)```", section, re.S).group(1)


@pytest.fixture(scope="module")
def cycle_dir(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("own_data")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", walkthrough()], cwd=work, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "0 blocking problem(s)" in done.stdout  # sop init read the exports as step 1 will
    (cycle,) = [p for p in (work / "reports").iterdir() if re.fullmatch(r"\d{4}-\d{2}", p.name)]
    return cycle


def report_text(path: Path) -> str:
    """What a reader sees: the HTML without embedded images (base64 can spell anything)."""
    return re.sub(r'src="data:[^"]*"', "", path.read_text(encoding="utf-8"))


def test_the_walkthrough_completes_a_cycle(cycle_dir):
    assert (cycle_dir / "index.html").exists()
    assert len(list(cycle_dir.glob("0[1-5]_*.html"))) == 5


def test_reports_never_speak_of_the_demo_company(cycle_dir):
    for page in [cycle_dir / "index.html", *sorted(cycle_dir.glob("0[1-5]_*.html"))]:
        text = report_text(page)
        leaked = [w for w in DEMO_WORDS if w.lower() in text.lower()]
        assert not leaked, f"{page.name} mentions {leaked}"


def test_reports_speak_of_this_company(cycle_dir):
    step1 = report_text(cycle_dir / "01_data_preparation.html")
    assert "1 region." in step1 and "1 regions" not in step1
    assert "first cycle" in step1.lower() or "No earlier cycle" in step1  # nothing to review yet, and it goes on
    step2 = report_text(cycle_dir / "02_demand_planning.html")
    assert "1 series has fewer than 18 months of history" in step2  # the article on sale for ten months
    assert "posterior mode: a MAP fit has no spread" in step2 and "sampler" not in step2.split("Fitted by MAP")[0][-200:]
    assert "Gießkanne 10 l" in step2  # product names beside the codes
    step3 = report_text(cycle_dir / "03_supply_planning.html")
    assert "Skipped for want of a source" in step3 and "routings (no capacity check" in step3
    assert "Asia Sourcing Ltd." in step3  # its own supplier, rated high risk
    assert not re.search(r">\s*-0\s*<", step3)  # no table cell says '-0'
    step5 = report_text(cycle_dir / "05_executive_review.html")
    assert "Qualify a second source" in step5
