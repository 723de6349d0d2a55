"""Project-wide pytest set-up.

The notebooks are executed by nbval with their default parameters, which write into
``reports/sandbox``. Start every session from an empty sandbox so a stale one from an
older version of the code cannot make a notebook pass or fail.

`make test` runs on two workers (pytest-xdist). Each test file goes to one worker, so a
module's fixture (a demo cycle, a fitted model) is built once; the notebooks all go to one
worker, since they run in order into one sandbox. The longest files go first
(tests/durations.json).
"""

import json
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

SANDBOX = Path(__file__).parent / "reports" / "sandbox"
# Seconds each test file took in a whole run (`pytest --store-durations` rewrites it): the
# workers take the longest files first, so neither is left running a long one alone at the end.
DURATIONS = Path(__file__).parent / "tests" / "durations.json"


def pytest_addoption(parser):
    parser.addoption("--store-durations", action="store_true", help=f"write each test file's seconds to {DURATIONS.name}")


def _scope(nodeid: str) -> str:
    """A test file, or 'notebooks' for every notebook (they run in order into one sandbox)."""
    path = nodeid.split("::", 1)[0]
    return "notebooks" if path.endswith(".ipynb") else path


def pytest_collection_modifyitems(config, items):
    """Longest files first, by the stored seconds; a stable sort, so each file's tests and the
    notebooks keep their order (a file not measured yet goes last)."""
    known = json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}
    items.sort(key=lambda item: -known.get(_scope(item.nodeid), 0.0))


_spent: dict[str, float] = defaultdict(float)


def pytest_runtest_logreport(report):
    _spent[_scope(report.nodeid)] += report.duration


def pytest_sessionfinish(session):
    config = session.config
    if config.getoption("--store-durations") and not hasattr(config, "workerinput") and _spent:
        ranked = dict(sorted(((k, round(v, 1)) for k, v in _spent.items()), key=lambda kv: -kv[1]))
        DURATIONS.write_text(json.dumps(ranked, indent=1) + "\n", encoding="utf-8")


def pytest_configure(config):
    """Once, in the controller (workers start later), and only when notebooks are to run."""
    if not hasattr(config, "workerinput") and any("notebooks" in a or a.endswith(".ipynb") for a in config.args):
        shutil.rmtree(SANDBOX, ignore_errors=True)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Whole test files to a worker, and every notebook to the same one (they run in order
    into one sandbox). xdist's own ``loadgroup`` cannot rename items under pytest 9 (nodes keep
    their id in ``_id`` now), so the grouping is done here, on the items' ids."""
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return _scope(nodeid)

    config.option.loadscopereorder = False  # keep the collection's order: longest file first
    return ByFile(config, log)
