"""Project-wide pytest set-up.

The notebooks are executed by nbval with their default parameters, which write into
``reports/sandbox``. Start every session from an empty sandbox so a stale one from an
older version of the code cannot make a notebook pass or fail.

`make test` runs on two workers (pytest-xdist). Each test file goes to one worker, so a
module's fixture (a demo cycle, a fitted model) is built once; the notebooks all go to one
worker, since they run in order into one sandbox.
"""

import shutil
from pathlib import Path

import pytest

SANDBOX = Path(__file__).parent / "reports" / "sandbox"


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
            path = nodeid.split("::", 1)[0]
            return "notebooks" if path.endswith(".ipynb") else path

    return ByFile(config, log)
