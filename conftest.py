"""Project-wide pytest set-up.

The notebooks are executed by nbval with their default parameters, which write into
``reports/sandbox``. Start every session from an empty sandbox so a stale one from an
older version of the code cannot make a notebook pass or fail.

`make test` runs on two workers (pytest-xdist, ``--dist loadgroup``). Each test file is
one group, so a module's fixture (a demo cycle, a fitted model) is built once, on one
worker; the notebooks are one group too, since they run in order into one sandbox.
"""

import shutil
from pathlib import Path

import pytest

SANDBOX = Path(__file__).parent / "reports" / "sandbox"


def pytest_configure(config):
    """Once, in the controller (workers start later), and only when notebooks are to run."""
    if not hasattr(config, "workerinput") and any("notebooks" in a or a.endswith(".ipynb") for a in config.args):
        shutil.rmtree(SANDBOX, ignore_errors=True)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups to name the items
def pytest_collection_modifyitems(config, items):
    for item in items:
        path = Path(str(item.fspath))
        group = "notebooks" if path.suffix == ".ipynb" else str(path.relative_to(config.rootpath))
        item.add_marker(pytest.mark.xdist_group(group))
