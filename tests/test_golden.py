"""Every CLI command's output, for every spec and every format, equals its golden file.

The golden files were written by the program before the package was restructured (issue 12),
so this pins that refactoring changed no output. A deliberate change of output rewrites them
with ``python tests/golden_cases.py`` and says so in its commit.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from golden_cases import GOLDEN, cases, run


def _check(rel: str, argv: list[str], tmp_path: Path) -> None:
    code, text = run(argv, tmp_path)
    expected = (GOLDEN / rel).read_text(encoding="utf-8")
    assert f"exit {code}\n{text}" == expected, f"{rel}: cnnshape {' '.join(argv)}"


@pytest.mark.parametrize("rel,argv", cases(), ids=[rel for rel, _ in cases()])
def test_golden(rel: str, argv: list[str], tmp_path: Path) -> None:
    _check(rel, argv, tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("rel,argv", cases(slow=True), ids=[rel for rel, _ in cases(slow=True)])
def test_golden_verify(rel: str, argv: list[str], tmp_path: Path) -> None:
    _check(rel, argv, tmp_path)


def test_every_golden_file_is_a_case() -> None:
    """A golden file no case writes is stale (a renamed spec or case)."""
    known = {rel for rel, _ in cases()} | {rel for rel, _ in cases(slow=True)}
    present = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file()}
    assert present == known


def test_a_changed_output_fails(tmp_path: Path) -> None:
    """The comparison sees a one-byte change (the golden test cannot pass vacuously)."""
    rel, argv = next((r, a) for r, a in cases() if r == "lenet/table.csv")
    code, text = run(argv, tmp_path)
    expected = (GOLDEN / rel).read_text(encoding="utf-8")
    assert f"exit {code}\n{text}" == expected
    assert "48120" in expected and f"exit {code}\n{text.replace('48120', '48121')}" != expected
