"""The documentation holds by itself: the generated contract page is the code's, the site
builds with every link and anchor found, and the README fits a newcomer's first screens
with links that lead somewhere."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def _generator():
    spec = importlib.util.spec_from_file_location("docs_generate", ROOT / "docs" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_data_contract_page_is_what_the_code_generates_now():
    generate = _generator()
    committed = (ROOT / "docs" / "data-contracts.md").read_text(encoding="utf-8")
    assert committed == generate.render(), "docs/data-contracts.md is stale: run `python docs/generate.py`"


def test_the_contract_page_names_every_hand_over_and_the_step_that_writes_it():
    from sop_lib.core.handover import ARTIFACTS

    page = (ROOT / "docs" / "data-contracts.md").read_text(encoding="utf-8")
    for name, step in ARTIFACTS.items():
        assert re.search(rf"\| `{name}` \| \[{step} ", page), f"{name} (step {step}) missing from the hand-over table"


def test_the_site_builds_strictly_with_every_link_and_anchor_found(tmp_path):
    mkdocs = Path(sys.executable).with_name("mkdocs")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "site" / "index.html").exists()
    assert (tmp_path / "site" / "data-contracts" / "index.html").exists()


def test_the_readme_is_short_and_starts_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 300, f"README.md has {len(lines)} lines: move detail to docs/"
    first_screen = "\n".join(lines[:40])
    assert "make run" in first_screen and "make test" in first_screen


def test_every_relative_link_in_the_readme_leads_to_a_file():
    text = README.read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    relative = [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:", link) and not link.startswith("#")]
    assert relative, "the README links no documentation page"
    missing = [link for link in relative if not (ROOT / link.split("#", 1)[0]).exists()]
    assert not missing, f"README links to files that do not exist: {missing}"


def test_the_walkthrough_the_own_data_test_runs_is_in_the_readme():
    """tests/cycle/test_own_data.py runs this block; keep its heading and its three commands."""
    section = README.read_text(encoding="utf-8").split("## Your own data", 1)[1]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    commands = [line.split("#", 1)[0].strip() for line in block.splitlines() if line.strip()]
    assert [c.split()[:2] for c in commands] == [["sop", "demo"], ["sop", "init"], ["sop", "run"]]


def test_the_layout_page_names_every_module_of_the_library():
    page = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    modules = sorted(p.name for p in (ROOT / "sop_lib").rglob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert [m for m in modules if f" {m} " not in page] == []
