"""Synthetic companies, written as their systems would export them: the embedded demo
(`demo`), the demo scaled to thousands of SKUs (`scaled`), and a differently shaped
wholesaler (`wholesaler`). Only these modules may name the demo's products."""

from pathlib import Path

GENERATOR_FILE = "GENERATOR"  # in a generated company's folder: "<generator> <cycle> <seed>" (`truth.truth_of` reads it)


def mark_generated(folder: Path, generator: str, cycle: str, seed: int) -> None:
    """Say in ``folder`` which generator wrote it, so the replay can find its true demand."""
    (folder / GENERATOR_FILE).write_text(f"{generator} {cycle} {seed}\n")
