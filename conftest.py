"""Project-wide pytest set-up.

The notebooks are executed by nbval with their default parameters, which write into
``reports/sandbox``. Start every session from an empty sandbox so a stale one from an
older version of the code cannot make a notebook pass or fail.
"""

import shutil
from pathlib import Path

SANDBOX = Path(__file__).parent / "reports" / "sandbox"


def pytest_collection_finish(session):
    if any(str(item.fspath).endswith(".ipynb") for item in session.items):
        shutil.rmtree(SANDBOX, ignore_errors=True)
