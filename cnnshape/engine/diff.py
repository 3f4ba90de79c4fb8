"""What changed between two architectures: their rows aligned, each difference named.

Rows are aligned by name in order (the longest common run of names, as ``difflib``
matches lines), so an inserted or removed block shows as added or removed rows and the
layers around it still pair up. Inside a stretch where both sides have rows the other
lacks, rows pair by position when their kinds agree: that is a renamed layer, not a
removed one and an added one. Everything compared comes from the calculator's rows and
totals: no number here is computed a second time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from cnnshape.engine.analysis import Report, Row, analyze
from cnnshape.spec.loader import Source

COMPARED = ("type", "output_shape", "params", "non_trainable_params", "macs",
            "activation_size", "receptive_field")
"""The row fields a difference is looked for in, in the order they are reported."""

TOTALS = ("params", "non_trainable_params", "total_params", "macs", "layers",
          "activation_peak", "activations_stored")
"""The totals compared, with their deltas."""


@dataclass(frozen=True)
class Pair:
    """One aligned row: ``a`` and ``b`` are None where the row exists on one side only."""

    status: str
    """"same", "changed", "renamed" (paired by position; may also have changes),
    "added" (only in b) or "removed" (only in a)."""
    a: Row | None
    b: Row | None
    changes: tuple[str, ...] = ()
    """The fields of COMPARED whose values differ."""

    @property
    def name(self) -> str:
        """The row's name on the side that has it (b's when renamed: the newer name)."""
        row = self.b if self.b is not None else self.a
        assert row is not None
        return row.name


@dataclass(frozen=True)
class Total:
    """One total on both sides; ``percent`` is None when a is 0 (no ratio to give)."""

    name: str
    a: int
    b: int

    @property
    def delta(self) -> int:
        return self.b - self.a

    @property
    def percent(self) -> float | None:
        return None if self.a == 0 else 100.0 * (self.b - self.a) / self.a


@dataclass
class Diff:
    a: Report
    b: Report
    pairs: list[Pair]
    totals: list[Total] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        """Both networks have the same rows with the same numbers, and the same totals."""
        return all(p.status == "same" for p in self.pairs) and \
            all(t.delta == 0 for t in self.totals) and \
            self.a.input_shape == self.b.input_shape and self.a.output_shape == self.b.output_shape

    def differences(self) -> list[Pair]:
        """The pairs that are not "same"."""
        return [p for p in self.pairs if p.status != "same"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout of ``cnnshape diff --format json``."""
        return {
            "a": {"name": self.a.name, "input_shape": self.a.input_shape,
                  "output_shape": self.a.output_shape},
            "b": {"name": self.b.name, "input_shape": self.b.input_shape,
                  "output_shape": self.b.output_shape},
            "equal": self.equal,
            "layers": [_pair_dict(p) for p in self.pairs],
            "totals": {t.name: {"a": t.a, "b": t.b, "delta": t.delta, "percent": t.percent}
                       for t in self.totals},
        }


def _side(row: Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"name": row.name, "path": row.path, "depth": row.depth,
            **{f: _value(row, f) for f in COMPARED}}


def _pair_dict(pair: Pair) -> dict[str, Any]:
    return {"status": pair.status, "name": pair.name, "changes": list(pair.changes),
            "a": _side(pair.a), "b": _side(pair.b)}


def _value(row: Row, name: str) -> Any:
    """A compared field as plain data; the receptive field by its size (what a user reads)."""
    if name == "receptive_field":
        rf = dict(row.receptive_field)
        if not rf:
            return None
        if rf.get("whole_input"):
            return {"whole_input": True}
        return {"size": list(rf["size"]), "stride": list(rf["stride"])}
    return getattr(row, name)


def _changes(a: Row, b: Row) -> tuple[str, ...]:
    return tuple(f for f in COMPARED if _value(a, f) != _value(b, f))


def _pair(a: Row, b: Row, status: str | None = None) -> Pair:
    changes = _changes(a, b)
    if status is None:
        status = "changed" if changes else "same"
    return Pair(status, a, b, changes)


def _stretch(left: list[Row], right: list[Row]) -> Iterator[Pair]:
    """Rows of a stretch that only one side has by name: pair by position while kinds agree."""
    i = j = 0
    while i < len(left) and j < len(right):
        if left[i].type == right[j].type and left[i].depth == right[j].depth:
            yield _pair(left[i], right[j], "renamed")
            i, j = i + 1, j + 1
        elif len(left) - i > len(right) - j:
            yield Pair("removed", left[i], None)
            i += 1
        else:
            yield Pair("added", None, right[j])
            j += 1
    for row in left[i:]:
        yield Pair("removed", row, None)
    for row in right[j:]:
        yield Pair("added", None, row)


def align(a: list[Row], b: list[Row]) -> list[Pair]:
    """Every row of ``a`` and of ``b`` exactly once, in order, paired where they correspond."""
    matcher = SequenceMatcher(None, [r.name for r in a], [r.name for r in b], autojunk=False)
    pairs: list[Pair] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pairs.extend(_pair(x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True))
        else:
            pairs.extend(_stretch(a[i1:i2], b[j1:j2]))
    return pairs


def diff(a: Source | Report, b: Source | Report, *, depth: int | None = None) -> Diff:
    """Compare two networks (specs, paths, dicts or reports) row by row and in total.

    ``depth`` compares only rows down to that depth (1 = the top level), as
    ``table --depth`` shows them; the totals are always the whole networks'.
    """
    left = a if isinstance(a, Report) else analyze(a)
    right = b if isinstance(b, Report) else analyze(b)

    def rows(report: Report) -> list[Row]:
        return [r for r in report.rows if depth is None or r.depth <= depth]

    totals = [Total(name, getattr(left.totals, name), getattr(right.totals, name))
              for name in TOTALS]
    return Diff(left, right, align(rows(left), rows(right)), totals)
