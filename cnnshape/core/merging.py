"""The shape rule of every merge: the ``merge`` kind (add, multiply, concat), the
``residual`` and ``concat`` composites, and the walkers that combine their branches.

One place decides which shapes combine and what the result is; callers only name
their inputs (``labels``), so each message reads as it always has. Labels are written
into the message as given: the composites pass ``"body output"``, the merge kind its
input names.
"""

from __future__ import annotations

from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, show_shape


def unequal(shapes: list[Shape]) -> int | None:
    """The index of the first shape that differs from the first, or None if all equal.

    >>> unequal([(4, 4, 2), (4, 4, 2)]), unequal([(4, 4, 2), (4, 4, 2), (4, 4, 3)])
    (None, 2)
    """
    first = tuple(shapes[0])
    return next((i for i, s in enumerate(shapes) if tuple(s) != first), None)


def spatial_mismatch(shapes: list[Shape]) -> int | None:
    """The index of the first shape whose rank or spatial sizes differ from the first's
    (channels may differ: they are what concat adds up), or None.

    >>> spatial_mismatch([(4, 4, 2), (4, 4, 5)]), spatial_mismatch([(4, 4, 2), (4, 2)])
    (None, 1)
    """
    first = tuple(shapes[0])
    return next((i for i, s in enumerate(shapes)
                 if len(s) != len(first) or tuple(s[:-1]) != first[:-1]), None)


def broadcast(shapes: list[Shape]) -> Shape:
    """NumPy broadcasting: axes aligned from the right, each equal or 1.

    >>> broadcast([(8, 8, 16), (1, 1, 16)]), broadcast([(8, 8, 16), (16,)])
    ((8, 8, 16), (8, 8, 16))
    >>> broadcast([(8, 8, 16), (4, 16)])
    Traceback (most recent call last):
    ...
    cnnshape.core.errors.LayerError: shapes (8, 8, 16), (4, 16) do not broadcast
    """
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for sizes in zip(*padded, strict=False):
        big = {n for n in sizes if n != 1}
        if len(big) > 1:
            raise LayerError("shapes " + ", ".join(show_shape(tuple(s)) for s in shapes)
                             + " do not broadcast")
        out.append(big.pop() if big else 1)
    return tuple(out)


def added(shapes: list[Shape], labels: list[str]) -> Shape:
    """A residual's sum: the shapes must be equal (no broadcasting: a shortcut that only
    broadcasts is a bug in the network, not a gate).

    >>> added([(4, 4, 2), (4, 4, 2)], ["a", "b"])
    (4, 4, 2)
    >>> added([(4, 4, 2), (4, 4, 3)], ["a", "b"])
    Traceback (most recent call last):
    ...
    cnnshape.core.errors.LayerError: cannot add a (4, 4, 2) and b (4, 4, 3): shapes differ
    """
    i = unequal(shapes)
    if i is not None:
        raise LayerError(f"cannot add {labels[0]} {show_shape(tuple(shapes[0]))} and "
                         f"{labels[i]} {show_shape(tuple(shapes[i]))}: shapes differ")
    return tuple(shapes[0])


def concatenated(shapes: list[Shape], labels: list[str]) -> Shape:
    """Channels concatenated: equal rank and spatial sizes, channels summed.

    >>> concatenated([(4, 4, 2), (4, 4, 3)], ["a", "b"])
    (4, 4, 5)
    >>> try:
    ...     concatenated([(4, 4, 2), (2, 2, 3)], ["a", "b"])
    ... except LayerError as problem:
    ...     print(problem)
    cannot concatenate a (4, 4, 2) and b (2, 2, 3): spatial sizes differ
    """
    i = spatial_mismatch(shapes)
    if i is not None:
        raise LayerError(f"cannot concatenate {labels[0]} {show_shape(tuple(shapes[0]))} and "
                         f"{labels[i]} {show_shape(tuple(shapes[i]))}: spatial sizes differ")
    return (*shapes[0][:-1], sum(s[-1] for s in shapes))


def broadcast_as(mode: str, shapes: list[Shape], labels: list[str]) -> Shape:
    """An element-wise merge (add, multiply) with NumPy broadcasting, its refusal naming
    every input.

    >>> broadcast_as("multiply", [(8, 8, 16), (1, 1, 16)], ["x", "gate"])
    (8, 8, 16)
    >>> try:
    ...     broadcast_as("add", [(2,), (3,)], ["x", "y"])
    ... except LayerError as problem:
    ...     print(problem)
    cannot add x (2,), y (3,): shapes must be equal or broadcast (each axis equal or 1)
    """
    try:
        return broadcast(shapes)
    except LayerError:
        listed = ", ".join(f"{n} {show_shape(tuple(s))}"
                           for n, s in zip(labels, shapes, strict=False))
        raise LayerError(f"cannot {mode} {listed}: shapes must be equal or broadcast "
                         "(each axis equal or 1)") from None
