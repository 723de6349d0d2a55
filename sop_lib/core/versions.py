"""The versions a cycle ran with: the suite's, Python's and the packages whose releases change its figures."""

from __future__ import annotations

import platform
from importlib import metadata

import sop_lib

# the libraries whose release can move a forecast, a plan or a check (the rest only draws or moves files)
FIGURE_PACKAGES = (
    "numpy",
    "pandas",
    "scipy",
    "pymc",
    "pytensor",
    "numba",  # PyTensor 3 compiles the models with Numba by default: its release moves the fits' last digits
    "arviz",
    "xarray",
    "statsforecast",
    "pandera",
    "papermill",
)


def suite_version() -> str:
    """The installed distribution's version (pyproject.toml), else the package's own."""
    try:
        return metadata.version("sop-workbooks")
    except metadata.PackageNotFoundError:
        return sop_lib.__version__


def stack_versions(packages: tuple[str, ...] = FIGURE_PACKAGES) -> dict[str, str]:
    """{'sop-workbooks': ..., 'python': ..., package: version or 'not installed'}."""
    out = {"sop-workbooks": suite_version(), "python": platform.python_version()}
    for name in packages:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def version_line() -> str:
    """What `sop --version` prints: the suite, then the interpreter and the modelling stack."""
    v = stack_versions(("pymc", "arviz", "pandas"))
    return f"sop {v['sop-workbooks']} (Python {v['python']}, PyMC {v['pymc']}, ArviZ {v['arviz']}, pandas {v['pandas']})"
