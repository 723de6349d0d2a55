"""Does the missing BLAS of a pip-installed PyTensor slow our models? Same fits, same run.

Each configuration runs in a fresh process (PyTensor reads its flags at import): once to
compile (cached), then timed. ``default`` is what pip gives (no BLAS linked, PyTensor
falls back to NumPy's C-API); ``openblas`` links Debian's libopenblas
(``apt-get install libopenblas-dev``) through ``PYTENSOR_FLAGS=blas__ldflags=-lopenblas``.

    python benchmarks/bench_blas.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time

FIT = r"""
import numpy as np, pandas as pd, sys
from sop_lib import demand
kind = sys.argv[1]
rng = np.random.default_rng(0)
months = pd.date_range("2019-01-01", periods=72, freq="MS")
rows = []
for i in range(150 if kind == "student" else 54):
    mu = rng.uniform(20, 400) * np.exp(0.3 * np.sin(2 * np.pi * months.month / 12))
    y = rng.gamma(20, mu / 20) if kind == "student" else rng.poisson(mu)
    rows.append(pd.DataFrame({"unique_id": f"s{i}", "ds": months, "y": np.asarray(y, float), "family": f"f{i % 2}"}))
h = pd.concat(rows)
if kind == "student":
    demand.forecast(h, 6, group_col="family", model="trend", method="advi", draws=200, seed=1)
else:
    demand.forecast(h, 6, group_col="family", model="trend", method="nuts", draws=200, tune=300, seed=1)
"""


def timed(kind: str, flags: str) -> float:
    env = {**os.environ, "PYTENSOR_FLAGS": flags} if flags else dict(os.environ)

    def fit() -> None:
        out = subprocess.run([sys.executable, "-c", FIT, kind], env=env, capture_output=True, text=True)
        if out.returncode:
            sys.exit(f"the {kind} fit failed:\n{out.stderr[-3000:]}")

    fit()  # compile + cache
    t0 = time.perf_counter()
    fit()
    return time.perf_counter() - t0


def main() -> None:
    for kind, label in (("negbin", "count model, 54 series, NUTS"), ("student", "Student-t AR model, 150 series, ADVI")):
        base = timed(kind, "")
        blas = timed(kind, "blas__ldflags=-lopenblas")
        print(f"{label}: default {base:.1f} s | OpenBLAS {blas:.1f} s | ratio {blas / base:.2f}", flush=True)


if __name__ == "__main__":
    main()
