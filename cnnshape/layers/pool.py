"""Pooling: windowed, global and adaptive.

Windowed pooling follows PyTorch for numeric padding (padding at most half the
kernel; in ceil mode the last window must start inside the input or the left
padding, and a window longer than the padded input still gives one output) and Keras for
"valid" and "same".
"""

from __future__ import annotations

from itertools import product
from math import gcd
from typing import TYPE_CHECKING

from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, Spatial, choice, flag, per_dim, spatial
from cnnshape.core.tensor import Tensor, from_grid, pad_grid, strides_of, to_grid
from cnnshape.core.window import output_length, resolve
from cnnshape.layers.base import Inferred, LayerBase, spatial_dims
from cnnshape.layers.conv import DIM_NAMES, _dims, dropped_warning, per_dim_warnings

if TYPE_CHECKING:
    from cnnshape.core.rf import RF
    from cnnshape.layers.base import Weights

MODES = ("max", "avg")


class Pool(LayerBase):
    """Max or average over sliding windows; no parameters."""

    tag = "pool"
    category = "pool"
    dense_equivalent = False
    mode: str = choice(MODES, default="max")
    kernel: Spatial = spatial(1)
    stride: Spatial | None = spatial(1, optional=True, description="Default: the kernel.")
    padding: Spatial | str = spatial(0, words=("valid", "same"), default=0)
    ceil_mode: bool = flag(False, "Count a last, partial window (PyTorch's ceil_mode).")

    def details(self) -> str:
        text = f"{self.mode} k{_dims(self.kernel)} s{_dims(self.stride or self.kernel)}"
        if self.padding:
            text += f" p{_dims(self.padding)}" if not isinstance(self.padding, str) \
                else f" {self.padding}"
        return text + (" ceil" if self.ceil_mode else "")

    def geometry(self, dims: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...],
                                                        list[tuple[int, int]]]:
        """Kernel, stride and (before, after) padding per spatial dim for input ``dims``."""
        nd = len(dims)
        kernel = per_dim(self.kernel, nd, "kernel")
        stride = per_dim(self.stride, nd, "stride") if self.stride is not None else kernel
        if isinstance(self.padding, str):
            if self.ceil_mode:
                raise LayerError(f'ceil_mode needs numeric padding, not "{self.padding}"')
            return kernel, stride, [resolve(self.padding, n, k, s)
                                    for n, k, s in zip(dims, kernel, stride, strict=False)]
        pads = per_dim(self.padding, nd, "padding")
        for i, (p, k) in enumerate(zip(pads, kernel, strict=False)):
            if p > k // 2:
                raise LayerError(f"{DIM_NAMES[nd][i]}: padding {p} is more than half the "
                                 f"kernel {k}")
        return kernel, stride, [(p, p) for p in pads]

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "pool")
        dims = shape[:-1]
        kernel, stride, pads = self.geometry(dims)
        out = []
        warnings: list[str | None] = []
        for i, (n, k, s, (before, after)) in enumerate(
                zip(dims, kernel, stride, pads, strict=False)):
            try:
                out.append(output_length(n, k, s, (before, after), ceil_mode=self.ceil_mode))
            except LayerError as problem:
                raise LayerError(f"{DIM_NAMES[nd][i]}: {problem}") from None
            if self.padding != "same" and not self.ceil_mode:
                warnings.append(dropped_warning(n + before + after - k, s, after))
        return Inferred((*out, shape[-1]), warnings=per_dim_warnings(nd, warnings))

    def receptive(self, field: RF, shape: Shape) -> RF:
        kernel, stride, pads = self.geometry(shape[:-1])
        return field.window(kernel, stride, [p[0] for p in pads], [1] * len(kernel))

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        kernel, stride, pads = self.geometry(dims)
        pdims, ppix = pad_grid((dims, pix), tuple(p[0] for p in pads),
                               tuple(p[1] for p in pads), None)
        windows = []
        for n, k, s, pair, size in zip(dims, kernel, stride, pads, pdims, strict=True):
            # The windows the calculator counts (core/window.py), each cut at the padded
            # input's end: in ceil mode the last may run past it (PyTorch's avg counts
            # the padding it covers, not what lies beyond).
            count = output_length(n, k, s, pair, ceil_mode=self.ceil_mode)
            windows.append([range(i * s, min(i * s + k, size)) for i in range(count)])
        count_padding = self.mode == "avg" and not isinstance(self.padding, str)
        grid_strides = strides_of(pdims)
        zero = [0.0] * len(pix[0])
        out = []
        for window in product(*windows):
            cells = [ppix[sum(i * t for i, t in zip(index, grid_strides, strict=False))]
                     for index in product(*window)]
            real = [c for c in cells if c is not None]
            if self.mode == "max":
                out.append([max(column) for column in zip(*real, strict=False)])
            else:
                divisor = len(cells) if count_padding else len(real)
                out.append([sum(column) / divisor for column in zip(*real, zero, strict=False)])
        return from_grid(tuple(len(w) for w in windows), out)


class GlobalPool(LayerBase):
    """Pool every spatial position into one: [1, ..., 1, C]."""

    tag = "global_pool"
    category = "pool"
    dense_equivalent = False
    mode: str = choice(MODES, default="avg")

    def details(self) -> str:
        return self.mode

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "global_pool")
        return Inferred((*(1,) * nd, shape[-1]))

    def receptive(self, field: RF, shape: Shape) -> RF:
        from cnnshape.core.rf import WHOLE

        return WHOLE

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        reduce = max if self.mode == "max" else (lambda column: sum(column) / len(column))
        return from_grid((1,) * len(dims), [[reduce(column) for column in zip(*pix, strict=False)]])


class AdaptivePool(LayerBase):
    """PyTorch's adaptive pooling: window i spans [floor(i*n/o), ceil((i+1)*n/o))."""

    tag = "adaptive_pool"
    category = "pool"
    dense_equivalent = False
    mode: str = choice(MODES, default="avg")
    output_size: Spatial = spatial(1)

    def details(self) -> str:
        return f"{self.mode} to {_dims(self.output_size)}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "adaptive_pool")
        return Inferred((*per_dim(self.output_size, nd, "output_size"), shape[-1]))

    def receptive(self, field: RF, shape: Shape) -> RF:
        """Windows [floor(i*n/o), ceil((i+1)*n/o)): the widest, at the mean stride n/o."""
        from fractions import Fraction

        if field.whole:  # after global pooling or flatten: still the whole input
            return field
        dims = shape[:-1]
        sizes = per_dim(self.output_size, len(dims), "output_size")
        # Window i is ceil((r + n)/o) long, r = i*n mod o; r reaches o - gcd(n, o) at most.
        kernel = [-(-(o - gcd(n, o) + n) // o) for n, o in zip(dims, sizes, strict=False)]
        first = [-(-n // o) for n, o in zip(dims, sizes, strict=False)]
        moved = field.window(first, [Fraction(n, o) for n, o in zip(dims, sizes, strict=False)],
                             [0] * len(dims), [1] * len(dims))
        widest = field.window(kernel, [1] * len(dims), [0] * len(dims), [1] * len(dims))
        return type(field)(widest.size, moved.jump, moved.start, aligned=field.aligned)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        sizes = per_dim(self.output_size, len(dims), "output_size")
        windows = [[range(i * n // o, -(-(i + 1) * n // o)) for i in range(o)]
                   for n, o in zip(dims, sizes, strict=False)]
        grid_strides = strides_of(dims)
        out = []
        for window in product(*windows):
            cells = [pix[sum(i * t for i, t in zip(index, grid_strides, strict=False))]
                     for index in product(*window)]
            if self.mode == "max":
                out.append([max(column) for column in zip(*cells, strict=False)])
            else:
                out.append([sum(column) / len(cells) for column in zip(*cells, strict=False)])
        return from_grid(tuple(len(w) for w in windows), out)
