"""What a cycle records about the stack it ran on, and what `sop --version` says."""

from __future__ import annotations

import importlib.metadata
import platform

import pytest

from sop_lib.batch import cli
from sop_lib.core import versions


def test_stack_versions_name_the_suite_python_and_each_figure_package():
    v = versions.stack_versions()
    assert v["python"] == platform.python_version()
    assert v["sop-workbooks"] == importlib.metadata.version("sop-workbooks")
    assert set(versions.FIGURE_PACKAGES) <= set(v) and v["pymc"] == importlib.metadata.version("pymc")


def test_a_package_that_is_not_installed_says_so_instead_of_failing():
    assert versions.stack_versions(("no-such-package-here",))["no-such-package-here"] == "not installed"


def test_sop_version_prints_the_suite_and_its_modelling_stack(capsys):
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"sop {importlib.metadata.version('sop-workbooks')} (Python {platform.python_version()}, PyMC ")
