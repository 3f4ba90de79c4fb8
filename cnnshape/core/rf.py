"""Receptive fields, by the recurrences of Araujo, Norris & Sim, "Computing Receptive
Fields of Convolutional Neural Networks" (Distill, 2019).

Per spatial dim: ``size`` (input positions one unit sees), ``jump`` (input positions
between adjacent units: the effective stride) and ``start`` (the centre of the first
unit's field, in input coordinates where input position i has centre i). Exact
fractions: transposed convolutions and upsampling make the jump fractional.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

Number = int | Fraction
"""Exact: ints while everything is whole (most networks), fractions where needed."""


def _half(value: Number) -> Number:
    if isinstance(value, int):
        return value // 2 if value % 2 == 0 else Fraction(value, 2)
    return value / 2


@dataclass(slots=True, eq=False)
class RF(Mapping[str, Any]):
    """Also a read-only mapping, as the JSON report shows it (``rf["size"]``): rows keep
    the object and convert only when a report is serialised."""

    size: tuple[Number, ...]
    jump: tuple[Number, ...]
    start: tuple[Number, ...]
    whole: bool = False
    """Sees the whole input (after flatten or global pooling): no window to speak of."""
    aligned: bool = True
    """False where merged paths disagree on centres or jumps."""

    @staticmethod
    def of_input(dims: int) -> RF:
        return RF((1,) * dims, (1,) * dims, (0,) * dims)

    def window(self, kernel: Sequence[int], stride: Sequence[Any], before: Sequence[int],
               dilation: Sequence[int]) -> RF:
        """A sliding window (conv, pool): r + (k_eff-1)j, j*s, start + ((k_eff-1)/2 - p)j."""
        if self.whole:
            return self
        size, jump, start = [], [], []
        for r, j, u, k, s, p, d in zip(self.size, self.jump, self.start, kernel, stride, before,
                                       dilation, strict=True):
            extent = d * (k - 1)
            size.append(r + extent * j)
            jump.append(j * s)
            start.append(u + _half((extent - 2 * p) * j))
        return RF(tuple(size), tuple(jump), tuple(start), aligned=self.aligned)

    def transposed(self, kernel: Sequence[int], stride: Sequence[int], crop: Sequence[int],
                   dilation: Sequence[int]) -> RF:
        """A transposed conv, as a conv over the input with s-1 zeros between positions:
        the jump divides by s."""
        if self.whole:
            return self
        size, jump, start = [], [], []
        for r, j, u, k, s, c, d in zip(self.size, self.jump, self.start, kernel, stride, crop,
                                       dilation, strict=True):
            step = Fraction(j) / s
            extent = d * (k - 1)
            size.append(r + extent * step)
            jump.append(step)
            start.append(u + _half((2 * c - extent) * step))
        return RF(tuple(size), tuple(jump), tuple(start), aligned=self.aligned)

    def shifted(self, offsets: Sequence[int]) -> RF:
        """Padding (negative offsets) or cropping moves the first unit."""
        if self.whole:
            return self
        return RF(self.size, self.jump, tuple(u + o * j for u, o, j in
                                              zip(self.start, offsets, self.jump, strict=True)),
                  aligned=self.aligned)

    def upsampled(self, scale: Sequence[int]) -> RF:
        """Nearest upsampling: each output copies one input unit; the jump divides."""
        if self.whole:
            return self
        return RF(self.size, tuple(Fraction(j) / s for j, s in zip(self.jump, scale, strict=True)),
                  self.start, aligned=self.aligned)

    def to_dict(self) -> dict[str, Any]:
        return dict(self)

    _KEYS = ("size", "stride", "start", "whole_input", "aligned")

    def __getitem__(self, key: str) -> Any:
        if key == "whole_input":
            return self.whole
        if key == "aligned":
            return self.aligned
        if key not in ("size", "stride", "start"):
            raise KeyError(key)
        if self.whole:
            return None
        return _nums(self.jump if key == "stride" else getattr(self, key))

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return len(self._KEYS)

    __hash__ = None  # type: ignore[assignment]


WHOLE = RF((), (), (), whole=True)


def merge(fields: Sequence[RF]) -> RF:
    """Paths meeting in an add, multiply or concat: the largest field, flagged when the
    paths disagree on where units are centred or how far apart they are."""
    if any(f.whole for f in fields):
        return WHOLE
    first = fields[0]
    aligned = all(f.aligned for f in fields) and all(
        f.jump == first.jump and f.start == first.start for f in fields[1:])
    size = tuple(max(sizes) for sizes in zip(*(f.size for f in fields), strict=True))
    return RF(size, first.jump, first.start, aligned=aligned)


def _nums(values: tuple[Number, ...]) -> list[Any]:
    if all(type(v) is int for v in values):
        return list(values)
    return [_num(v) for v in values]


def _num(value: Number) -> Any:
    if isinstance(value, int):
        return value
    return int(value) if value.denominator == 1 else float(value)
