"""Nested-list tensors for the reference pass (channels-last, no NumPy).

A tensor is nested Python lists: [H][W][C] for 2-D. Layers that slide windows work on
a *grid*: the spatial sizes plus a row-major list of channel vectors ("pixels"), so a
window's patch is a few list concatenations.
"""

from __future__ import annotations

from itertools import product as cartesian
from math import prod
from typing import Any

Tensor = Any  # nested lists of floats

MAX_GRID = 50_000_000
"""Positions a padded grid may have; "same" padding of a huge kernel would exhaust memory."""


class TooLarge(ValueError):
    """The reference pass would need more memory than any budget allows."""
Grid = tuple[tuple[int, ...], list[list[float]]]


def measure(x: Tensor) -> tuple[int, ...]:
    """The shape of a nested list, checking that it is rectangular."""
    shape: list[int] = []
    level = [x]
    while isinstance(level[0], list):
        n = len(level[0])
        for item in level:
            if not isinstance(item, list) or len(item) != n:
                raise ValueError(f"ragged tensor at depth {len(shape)}")
        shape.append(n)
        if n == 0:
            break
        level = [v for item in level for v in item]
    return tuple(shape)


def to_grid(x: Tensor) -> Grid:
    """Split the spatial nesting off: sizes and the row-major list of channel vectors."""
    dims: list[int] = []
    pix = [x]
    while isinstance(pix[0][0], list):
        dims.append(len(pix[0]))
        pix = [row for block in pix for row in block]
    return tuple(dims), pix


def from_grid(dims: tuple[int, ...], pix: list[list[float]]) -> Tensor:
    """Rebuild the nesting; the inverse of to_grid."""
    out: Any = pix
    for n in reversed(dims[1:]):
        out = [out[i:i + n] for i in range(0, len(out), n)]
    if len(out) != dims[0]:
        raise ValueError("grid size does not match its dims")
    return out


def map_vectors(x: Tensor, fn: Any) -> Tensor:
    """Apply ``fn`` to every innermost (channel) vector."""
    if x and isinstance(x[0], list):
        return [map_vectors(v, fn) for v in x]
    return fn(x)


def leaves(x: Tensor) -> list[float]:
    """All values in channels-last order (what flatten produces)."""
    while x and isinstance(x[0], list):
        x = [v for item in x for v in item]
    return list(x)


def strides_of(dims: tuple[int, ...]) -> list[int]:
    """Row-major strides of a grid, in pixels."""
    strides = [1] * len(dims)
    for i in range(len(dims) - 2, -1, -1):
        strides[i] = strides[i + 1] * dims[i + 1]
    return strides


def offsets(kernel: tuple[int, ...], step: tuple[int, ...], strides: list[int]) -> list[int]:
    """Pixel offsets of a window's taps (dilation ``step``) inside a grid."""
    axes = [[k * d * st for k in range(kk)]
            for kk, d, st in zip(kernel, step, strides, strict=True)]
    return [sum(combo) for combo in cartesian(*axes)]


def pad_grid(grid: Grid, before: tuple[int, ...], after: tuple[int, ...], fill: Any) -> Grid:
    """Surround the spatial grid with ``fill`` pixels (shared, never mutated)."""
    dims, pix = grid
    if not any(before) and not any(after):
        return grid
    new_dims = tuple(n + b + a for n, b, a in zip(dims, before, after, strict=True))
    if prod(new_dims) > MAX_GRID:
        raise TooLarge(f"a padded input of {'x'.join(map(str, new_dims))} positions")
    new_strides = strides_of(new_dims)
    out = [fill] * prod(new_dims)
    for index, src in zip(cartesian(*(range(n) for n in dims)), pix, strict=True):
        out[sum((i + b) * s for i, b, s in zip(index, before, new_strides, strict=True))] = src
    return new_dims, out


def positions(dims: tuple[int, ...]) -> Any:
    """Every multi-index of a grid, row-major."""
    return cartesian(*(range(n) for n in dims))


def reshape(flat: list[float], shape: tuple[int, ...]) -> Tensor:
    """Nest a flat, row-major list into ``shape``."""
    out: Any = flat
    for n in reversed(shape[1:]):
        out = [out[i:i + n] for i in range(0, len(out), n)]
    return out


def broadcast_index(shape: tuple[int, ...], out: tuple[int, ...]) -> list[int]:
    """For each element of ``out`` (row-major), the flat index it reads in a tensor of
    ``shape`` under NumPy broadcasting (size-1 axes repeat, missing leading axes too)."""
    shape = (1,) * (len(out) - len(shape)) + shape
    strides = strides_of(shape)
    axes = [[i * st for i in range(n)] if size != 1 else [0] * n
            for size, n, st in zip(shape, out, strides, strict=True)]
    return [sum(combo) for combo in cartesian(*axes)]


def crop(x: Tensor, start: tuple[int, ...], size: tuple[int, ...]) -> Tensor:
    """The spatial window [start, start + size) of every spatial dim."""
    dims, pix = to_grid(x)
    grid_strides = strides_of(dims)
    ranges = [range(s, s + n) for s, n in zip(start, size, strict=True)]
    out = [pix[sum(i * t for i, t in zip(index, grid_strides, strict=True))]
           for index in cartesian(*ranges)]
    return from_grid(size, out)
