"""The folded view of a report: the structure, not every layer.

Two rules, applied to the rows in table order:

- A block (a ``residual`` or ``concat`` composite: the units CNNs are built from) is one row;
  its layers are not listed.
- Consecutive sibling composites that are identical (the same layer structure, and the same
  shapes, parameters and MACs for each of their rows) are one row standing for ``count``
  blocks (marked with TIMES and N): ResNet-50's blocks 2..N of each stage, ConvNeXt's blocks
  of a stage.

Folding only leaves rows out of a listing: every number shown is a row's own, and the totals
are the report's (the same as the expanded listing's). ResNet-50 goes from 168 rows to 24.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnshape.engine.analysis import Row

TIMES = "\N{MULTIPLICATION SIGN}"
"""Marks a row standing for N blocks: layer3.block_1 … layer3.block_5 (...) <TIMES>5."""

BLOCKS = ("residual", "concat")
"""Composite kinds shown as one row when folded."""


@dataclass(frozen=True, slots=True)
class Folded:
    """One listed row: ``row`` itself, or the first of ``count`` identical blocks."""

    row: Row
    count: int = 1
    last: Row | None = None
    """The last of the identical blocks (None when count is 1)."""
    hidden: int = 0
    """Rows of the full listing that this one stands for besides itself."""

    @property
    def folded(self) -> bool:
        return self.hidden > 0


def _end(rows: Sequence[Row], i: int) -> int:
    """The index after the last row nested under rows[i]."""
    depth = rows[i].depth
    j = i + 1
    while j < len(rows) and rows[j].depth > depth:
        j += 1
    return j


def _signature(rows: Sequence[Row], i: int, end: int) -> tuple[Any, ...]:
    """What two blocks must share to be folded together: every row's kind, settings,
    relative depth, shapes and counts, and which rows of the block each reads (by position
    in the block; a row read from outside it by name). Names and receptive fields may differ."""
    base = rows[i].depth
    where = {rows[k].name: k - i for k in range(i, end)}
    return tuple(
        (r.type, r.details, r.depth - base, r.composite, tuple(r.input_shape),
         tuple(r.output_shape), r.activation_size, r.params, r.non_trainable_params, r.macs,
         tuple(where.get(name, name) for name in r.inputs))
        for r in rows[i:end])


def fold(rows: Sequence[Row]) -> list[Folded]:
    """The folded listing of ``rows`` (a report's rows, in order, with their depths)."""
    out: list[Folded] = []
    signatures: dict[int, tuple[Any, ...]] = {}

    def signature(i: int, end: int) -> tuple[Any, ...]:
        if i not in signatures:
            signatures[i] = _signature(rows, i, end)
        return signatures[i]

    i = 0
    while i < len(rows):
        row = rows[i]
        if not row.composite:
            out.append(Folded(row))
            i += 1
            continue
        end = _end(rows, i)
        count, last, j = 1, row, end
        while j < len(rows) and rows[j].depth == row.depth and rows[j].composite:
            after = _end(rows, j)
            if signature(j, after) != signature(i, end):
                break
            count, last, j = count + 1, rows[j], after
        if count > 1 or row.type in BLOCKS:
            out.append(Folded(row, count, last if count > 1 else None, j - i - 1))
            i = j
        else:
            out.append(Folded(row))
            i += 1
    return out


def listed(rows: Sequence[Row], depth: int | None = None, expand: bool = False) -> list[Folded]:
    """The rows a table lists: down to ``depth``, folded unless ``expand``."""
    items = [Folded(r) for r in rows] if expand else fold(rows)
    if depth is None:
        return items
    return [item for item in items if item.row.depth <= depth]


NOTE = (f"Folded: each residual and concat block is one row; a row marked {TIMES}N stands for N "
        "identical consecutive blocks and shows one block's numbers (--expand lists every layer).")
"""What the table, Markdown and HTML say under a folded listing."""
