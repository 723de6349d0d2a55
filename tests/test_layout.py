"""The layout holds by itself: steps import only the core and earlier steps, no import cycle,
no module name twice, and notebooks that read as memos."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "sop_lib"
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MAX_CELL_LINES = 15


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(LIB.rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> the sop_lib modules it imports, at the top or inside a function."""
    mods = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in mods.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in mods else node.module for a in node.names]
            graph[name].update(t for t in targets if t in mods and t != name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in list(graph):
        if v not in index:
            visit(v)
    return out


def test_the_cycle_finder_finds_a_cycle_it_is_shown():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_library_not_even_inside_a_function():
    assert cycles(import_graph()) == []


def test_import_linter_keeps_the_step_order_and_the_core_free_of_steps():
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "0 broken" in run.stdout


def test_no_module_name_is_used_twice():
    names = defaultdict(list)
    for p in LIB.rglob("*.py"):
        if p.name != "__init__.py":
            names[p.stem].append(str(p.relative_to(ROOT)))
    names.update(
        {
            p.name: [*names.get(p.name, []), str(p.relative_to(ROOT))]
            for p in LIB.iterdir()
            if p.is_dir() and (p / "__init__.py").exists() and p.name in names
        }
    )
    assert {n: ps for n, ps in names.items() if len(ps) > 1} == {}


def test_each_step_is_a_package():
    for step in ("data", "demand", "supply", "reconciliation", "executive"):
        assert (LIB / step / "__init__.py").is_file(), step
    assert sorted(p.name for p in LIB.glob("*.py")) == ["__init__.py", "__main__.py"]  # nothing loose at the top


def _cells(nb: Path) -> list[dict]:
    return json.loads(nb.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_code_cells_are_short_calls_into_the_library(nb):
    long = {
        i: len("".join(c["source"]).splitlines())
        for i, c in enumerate(_cells(nb))
        if c["cell_type"] == "code" and len("".join(c["source"]).splitlines()) > MAX_CELL_LINES
    }
    assert long == {}, f"cells longer than {MAX_CELL_LINES} lines (cell index: lines)"


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_every_notebook_cell_has_a_unique_id(nb):
    """nbformat 4.5 wants one (a cell without warns on every run and will become an error)."""
    ids = [c.get("id") for c in _cells(nb)]
    assert None not in ids and len(set(ids)) == len(ids)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_opens_with_its_question_what_it_reads_and_writes(nb):
    cells = _cells(nb)
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown"
    for word in ("**Question:**", "*Reads:*", "*Writes:*"):
        assert word in first, f"{nb.name}: the opening cell has no {word}"
    assert any("parameters" in c.get("metadata", {}).get("tags", []) for c in cells)
    assert not any(c.get("outputs") for c in cells if c["cell_type"] == "code"), "committed with outputs"


def test_hand_overs_are_read_through_the_handover_module_only():
    """A path into a cycle's artifacts/ folder is spelt in one place, so every read is checksum-checked."""
    spelt = [
        str(p.relative_to(ROOT))
        for p in [*LIB.rglob("*.py"), *NOTEBOOKS]
        if p.name != "handover.py"
        and ('"artifacts"' in p.read_text(encoding="utf-8") or "/ 'artifacts'" in p.read_text(encoding="utf-8"))
    ]
    assert spelt == []
