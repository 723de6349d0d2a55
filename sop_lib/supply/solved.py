"""Plans solved once per cycle: the same LP from the same inputs is not solved again.

Step 3 builds the plan; step 4 asks for that same plan three more times (the launch on the
planners' date, the base of the scenario table, the allocation policy in params), each from
inputs it rebuilds itself. At 1,000 SKUs x 3 regions a plan takes about 9 s to build and solve.
`cached_plan` keys a plan by a hash of everything `build_plan` reads: the draws, every table,
every setting and the source of the code that builds it (the supply and core packages), and
keeps it as a pickle in the cycle's folder (`handover.PLANS_DIR`; the batch removes the folder
before it records the cycle's checksums). Inputs that differ in one bit are another plan: a
hit is the plan a solve would return, never a near one.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

CODE = [Path(__file__).parent, Path(__file__).parents[1] / "core"]  # what a plan is built with


def fingerprint(draws: xr.DataArray, tables: dict[str, pd.DataFrame], settings: dict) -> str | None:
    """A hash of a plan's inputs and code; None when an input cannot be hashed (then nothing is kept)."""
    h = hashlib.blake2b(digest_size=20)

    def add(value) -> None:
        if isinstance(value, pd.DataFrame | pd.Series):
            names = list(value.columns) if isinstance(value, pd.DataFrame) else [value.name]
            h.update(repr((type(value).__name__, names, str(value.dtypes))).encode())
            h.update(pd.util.hash_pandas_object(value, index=True).to_numpy().tobytes())
        elif isinstance(value, np.ndarray):
            h.update(repr((value.dtype.str, value.shape)).encode())
            h.update(np.ascontiguousarray(value).tobytes())
        else:
            h.update(repr(value).encode())

    try:
        add(draws.values)
        for dim in draws.dims:
            add(np.asarray(draws[dim].values).astype(str))
        for name in sorted(tables):
            add(name)
            add(tables[name])
        for key in sorted(settings):
            add(key)
            add(settings[key])
    except TypeError:  # a cell holding a list or a dict: no hash, no cache
        return None
    for folder in CODE:
        for source in sorted(folder.glob("*.py")):
            h.update(source.read_bytes())
    return h.hexdigest()


def cached_plan(folder: str | Path, solve: Callable[[], tuple], draws: xr.DataArray, tables: dict, settings: dict) -> tuple:
    """``solve()``'s result from ``folder`` when the same inputs were solved before, else solved and kept."""
    key = fingerprint(draws, tables, settings)
    if key is None:
        return solve()
    path = Path(folder) / f"{key}.pkl"
    try:
        with open(path, "rb") as f:
            return pickle.load(f)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass  # not solved yet, or unreadable: solve it
    result = solve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")  # two processes may solve the same plan: each writes its own
    with open(tmp, "wb") as f:
        pickle.dump(result, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, path)
    return result
