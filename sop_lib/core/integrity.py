"""Checksums that tell a cycle's files from corrupted or edited ones.

Every hand-over file a step writes gets its sha256 recorded in
``artifacts/checksums.json`` at once, and a later step that reads it checks it first, so a
truncated or hand-edited artifact stops the cycle with a message instead of feeding wrong
numbers to the plan. When a cycle completes, ``manifest.json`` lists the sha256 of every
file in it (artifacts, reports, executed notebooks); `verify` re-checks a stored cycle
against that list (``sop verify --cycle YYYY-MM``).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

CHECKSUMS = "checksums.json"
MANIFEST = "manifest.json"


class IntegrityError(RuntimeError):
    """A file whose content is not what was recorded when it was written."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_json_atomically(path: Path, data: dict) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
    tmp.replace(path)


def _recorded(folder: Path) -> dict[str, str]:
    f = folder / CHECKSUMS
    if not f.exists():
        return {}
    try:
        return json.loads(f.read_text())
    except ValueError:
        raise IntegrityError(
            f"{f} is not readable JSON: the record of the artifacts' checksums is damaged; re-run the cycle"
        ) from None


def record(path: Path) -> None:
    """Remember the sha256 of an artifact just written (in its folder's checksums.json)."""
    path = Path(path)
    sums = _recorded(path.parent)
    sums[path.name] = sha256_file(path)
    _write_json_atomically(path.parent / CHECKSUMS, sums)


def check(path: Path, written_by: str = "an earlier step") -> None:
    """Raise `IntegrityError` if ``path`` differs from what was recorded when it was written."""
    path = Path(path)
    expected = _recorded(path.parent).get(path.name)
    if expected is None:
        return  # written before checksums existed, or by hand in an analyst's sandbox
    actual = sha256_file(path)
    if actual != expected:
        raise IntegrityError(
            f"{path} has changed since {written_by} wrote it (sha256 {actual[:12]}..., recorded "
            f"{expected[:12]}...): the file is corrupted or was edited. Re-run that step (sop run --from-step N "
            "--force) instead of editing its output"
        )


def cycle_files(cycle_dir: Path) -> dict[str, str]:
    """sha256 of every file of a cycle folder except the manifest itself (relative paths)."""
    cycle_dir = Path(cycle_dir)
    return {
        p.relative_to(cycle_dir).as_posix(): sha256_file(p)
        for p in sorted(cycle_dir.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def verify(cycle_dir: Path) -> list[str]:
    """Problems of a stored cycle against its manifest (empty: every file is as it was written)."""
    cycle_dir = Path(cycle_dir)
    manifest = cycle_dir / MANIFEST
    if not manifest.exists():
        return [f"{manifest} is missing: {cycle_dir} is not a completed cycle"]
    try:
        recorded = json.loads(manifest.read_text()).get("files")
    except ValueError:
        return [f"{manifest} is not readable JSON"]
    if not recorded:
        return [f"{manifest} lists no checksums (a cycle made before checksums were recorded)"]
    actual = cycle_files(cycle_dir)
    problems = [f"missing: {name}" for name in sorted(set(recorded) - set(actual))]
    problems += [
        f"changed: {name} (sha256 {actual[name][:12]}..., recorded {recorded[name][:12]}...)"
        for name in sorted(set(recorded) & set(actual))
        if actual[name] != recorded[name]
    ]
    problems += [f"not in the manifest: {name}" for name in sorted(set(actual) - set(recorded))]
    return problems
