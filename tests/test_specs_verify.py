"""Every spec in specs/ is valid and its reference forward pass agrees with the calculator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import cnnshape

SPECS = sorted(p for p in (Path(__file__).parent.parent / "specs").iterdir()
               if p.suffix in (".json", ".yaml", ".yml"))


def test_there_are_specs() -> None:
    assert {p.name for p in SPECS} >= {"lenet.json"}


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_spec_verifies(spec: Path, verified: Any) -> None:
    result = verified(spec)
    bad = [(c.name, c.expected, c.produced) for c in result.checks if not c.ok]
    assert not bad
    assert len(result.checks) == len(cnnshape.analyze(spec).rows)
    # Under the budget, or capped to it: the pass never runs the full-size network blindly.
    assert result.run_macs <= 20_000_000 or result.channel_cap == 1
