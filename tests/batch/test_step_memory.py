"""A step's kernel reading step 2's draws: steps 3 and 4 are refused before they would run out of memory."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from sop_lib.batch import runner
from sop_lib.core import handover, memory
from sop_lib.core.params import load_params
from tests.core.test_memory import _draws

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("step, skus, refused", [(3, 30, False), (4, 30, False), (4, 150, True)])
def test_reading_the_draws_in_step_3_or_4_checks_first(tmp_path, monkeypatch, step, skus, refused):
    """Step 4 counts a plan worker per core from 100 SKUs up; with room for one process only it is refused."""
    handover.write_netcdf(tmp_path, _draws(2 * skus, skus))
    size, _ = memory.draws_size(handover.artifacts_dir(tmp_path) / handover.DRAWS_FILE)
    monkeypatch.setattr(runner, "plan_workers", lambda setting, n: 2 if n >= 100 else 1)
    room = memory.step_memory_gb(step, size, 1) + 1e-6
    monkeypatch.setattr("psutil.virtual_memory", lambda: SimpleNamespace(available=room * 1e9))
    params = load_params(ROOT / "params" / "default.yaml", check_files=False)
    ctx = runner.StepContext(step=runner.STEPS[step - 1], params=params, cycle_dir=tmp_path)
    if refused:
        with pytest.raises(memory.MemoryShortage, match="plan_workers: 1"):
            ctx.read_draws()
    else:
        assert ctx.read_draws()["demand"].shape == (50, 2 * skus, 12)
