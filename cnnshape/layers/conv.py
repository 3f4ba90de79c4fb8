"""Convolution and transposed convolution, in 1, 2 and 3 spatial dimensions.

Shapes follow Dumoulin & Visin, "A guide to convolution arithmetic": a window of
effective size d(k-1)+1 slides over the padded input with stride s. "same" padding is
TensorFlow/Keras's: output ceil(n/s), the odd pixel of padding going after.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from itertools import chain, product
from math import gcd
from operator import mul
from typing import TYPE_CHECKING

from cnnshape.core import window
from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, Spatial, choice, flag, integer, per_dim, spatial
from cnnshape.core.tensor import (
    Tensor,
    from_grid,
    offsets,
    pad_grid,
    positions,
    strides_of,
    to_grid,
)
from cnnshape.layers.activation import FUNCTIONS, activate
from cnnshape.layers.base import Inferred, LayerBase, prod, spatial_dims

same_pads = window.same_pads
"""Re-exported: the importers and exporters match TensorFlow's "same" pads with it."""

if TYPE_CHECKING:
    from cnnshape.core.rf import RF
    from cnnshape.layers.base import Weights

DIM_NAMES = {1: ("length",), 2: ("height", "width"), 3: ("depth", "height", "width")}


def resolve_pads(padding: int | tuple[int, ...] | str, dims: tuple[int, ...],
                 effective: tuple[int, ...], stride: tuple[int, ...]) -> list[tuple[int, int]]:
    """(before, after) padding per spatial dim: the window rule (core.window) per dim."""
    if isinstance(padding, str):
        return [window.resolve(padding, n, e, s)
                for n, e, s in zip(dims, effective, stride, strict=False)]
    return [(p, p) for p in per_dim(padding, len(dims), "padding")]


@lru_cache(maxsize=4096)
def _window_pads(padding: int | tuple[int, ...] | str, dims: tuple[int, ...],
                 kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...]) -> tuple[tuple[int, ...], list[tuple[int, int]]]:
    """Cached: networks repeat the same few geometries thousands of times."""
    effective = tuple([window.effective(k, d) for k, d in zip(kernel, dilation, strict=False)])
    return effective, resolve_pads(padding, dims, effective, stride)


def dropped_warning(span: int, stride: int, after: int) -> str | None:
    """The classic bug: a stride that does not divide the span leaves the last positions
    of the padded input unread; it only matters when they are real input, not padding."""
    left = span % stride
    if not left:
        return None
    head = f"(n+2p-d(k-1)-1) = {span} is not divisible by stride {stride}; "
    real = left - after
    if real <= 0:
        return (head + f"the last {left} position{'s' if left > 1 else ''} of the padded input "
                f"{'are' if left > 1 else 'is'} never read, but only padding: every input "
                "position is still read")
    return (head + f"the last {real} input position{'s' if real > 1 else ''} "
            f"{'are' if real > 1 else 'is'} never read (silently dropped)")


def per_dim_warnings(dims: int, texts: list[str | None]) -> list[str]:
    """One line per distinct warning, naming the dims it holds for: `height, width: ...`."""
    grouped: dict[str, list[str]] = {}
    for name, text in zip(DIM_NAMES[dims], texts, strict=False):
        if text:
            grouped.setdefault(text, []).append(name)
    return [f"{', '.join(names)}: {text}" for text, names in grouped.items()]


def conv_channels(cin: int, filters: int, groups: int, cap: int | None) -> tuple[int, int]:
    """Filters and groups, reduced under a channel cap so groups still divide both."""
    if cap is None:
        return filters, groups
    capped = min(filters, cap)
    return capped, gcd(groups, gcd(cin, capped))


class _ConvBase(LayerBase):
    filters: int = integer(1)
    kernel: Spatial = spatial(1)
    stride: Spatial = spatial(1, default=1)
    dilation: Spatial = spatial(1, default=1)
    groups: int = integer(1, default=1)
    bias: bool = flag(True)
    activation: str | None = choice(FUNCTIONS, optional=True)

    def details(self) -> str:
        parts = [f"k{_dims(self.kernel)} s{_dims(self.stride)}"]
        padding = self.padding  # type: ignore[attr-defined]
        if padding:
            parts[0] += f" p{_dims(padding)}" if not isinstance(padding, str) else f" {padding}"
        parts.append(f"{self.filters} filters")
        if self.dilation != 1:
            parts.append(f"dilation {_dims(self.dilation)}")
        if self.groups != 1:
            parts.append(f"groups {self.groups}")
        if self.activation:
            parts.append(self.activation)
        return ", ".join(parts)

    def _geometry(self, shape: Shape, cap: int | None) -> tuple[
            int, int, int, int, tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        dims = spatial_dims(shape, self.type)
        cin = shape[-1]
        if cap is None:
            if cin % self.groups:
                raise LayerError(f"groups {self.groups} does not divide the {cin} input channels")
            if self.filters % self.groups:
                raise LayerError(f"groups {self.groups} does not divide filters {self.filters}")
        filters, groups = conv_channels(cin, self.filters, self.groups, cap)
        return (dims, cin, filters, groups, *self.window(dims))

    def window(self, dims: int) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
        """Kernel, stride and dilation, one entry per spatial dim."""
        return (per_dim(self.kernel, dims, "kernel"), per_dim(self.stride, dims, "stride"),
                per_dim(self.dilation, dims, "dilation"))

    def _params(self, cin: int, filters: int, groups: int, kernel: tuple[int, ...]) -> int:
        return prod(kernel) * (cin // groups) * filters + (filters if self.bias else 0)


class Conv(_ConvBase):
    """Cross-correlation with learned filters, as every framework's ConvNd."""

    tag = "conv"
    category = "conv"
    dense_equivalent = True
    padding: Spatial | str = spatial(0, words=("valid", "same"), default=0)

    def dense_counts(self, input_shape: Shape, output_shape: Shape) -> tuple[int, int | None]:
        """Each filter is reused at every output position and reads its window's taps on
        its group's channels."""
        taps = prod(per_dim(self.kernel, len(input_shape) - 1, "kernel"))
        return prod(output_shape[:-1]), taps * input_shape[-1] // self.groups

    def _pads(self, dims: tuple[int, ...], kernel: tuple[int, ...], stride: tuple[int, ...],
              dilation: tuple[int, ...]) -> tuple[tuple[int, ...], list[tuple[int, int]]]:
        """The dilated kernel's extent and the (before, after) padding, per spatial dim."""
        return _window_pads(self.padding, tuple(dims), kernel, stride, dilation)

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        dims, cin, filters, groups, kernel, stride, dilation = self._geometry(shape, cap)
        effective, pads = self._pads(shape[:-1], kernel, stride, dilation)
        out: list[int] = []
        notes: list[str | None] = []
        for i, (n, k, s, d, (before, after)) in enumerate(
                zip(shape[:-1], kernel, stride, dilation, pads, strict=False)):
            try:
                out.append(window.output_length(n, k, s, (before, after), d))
            except LayerError as problem:
                raise LayerError(f"{DIM_NAMES[dims][i]}: {problem}") from None
            if not isinstance(self.padding, str) or self.padding == "valid":
                notes.append(dropped_warning(n + before + after - effective[i], s, after))
        macs = prod(out) * filters * prod(kernel) * (cin // groups)
        return Inferred((*out, filters), self._params(cin, filters, groups, kernel), 0, macs,
                        per_dim_warnings(dims, notes))

    def receptive(self, field: RF, shape: Shape) -> RF:
        kernel, stride, dilation = self.window(len(shape) - 1)
        _, pads = self._pads(shape[:-1], kernel, stride, dilation)
        return field.window(kernel, stride, [p[0] for p in pads], dilation)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        cin = len(pix[0])
        filters, groups = conv_channels(cin, self.filters, self.groups, ref.cap)
        kernel, stride, dilation = self.window(len(dims))
        effective, pads = self._pads(dims, kernel, stride, dilation)
        pdims, ppix = pad_grid((dims, pix), tuple(p[0] for p in pads), tuple(p[1] for p in pads),
                               [0.0] * cin)
        grid_strides = strides_of(pdims)
        taps = offsets(kernel, dilation, grid_strides)
        # Every window start at which the dilated kernel lies inside the padded input.
        starts = [range(0, n - e + 1, s) for n, e, s in zip(pdims, effective, stride, strict=False)]
        bases = [sum(i * t for i, t in zip(index, grid_strides, strict=False))
                 for index in product(*starts)]
        per_group = cin // groups
        fan_in = len(taps) * per_group
        weights = [ref.weights(fan_in, fan_in) for _ in range(filters)]
        biases = ref.weights(filters, fan_in) if self.bias else [0.0] * filters
        get = ppix.__getitem__
        out: list[list[float]] = []
        if groups == 1:
            pairs = list(zip(weights, biases, strict=False))
            for base in bases:
                patch = list(chain.from_iterable(map(get, [base + o for o in taps])))
                out.append([sum(map(mul, patch, w), b) for w, b in pairs])
        else:
            fg = filters // groups
            ntaps = len(taps)
            # Weights are drawn tap-major, as above; reorder them channel-major to match.
            weights = [[w[t * per_group + c] for c in range(per_group) for t in range(ntaps)]
                       for w in weights]
            slices = [(g * per_group, (g + 1) * per_group,
                       list(zip(weights[g * fg:(g + 1) * fg], biases[g * fg:(g + 1) * fg],
                                strict=False)))
                      for g in range(groups)]
            # Patches are channel-major here (all taps of one channel, then the next):
            # a depthwise patch is then one column of the window, with no copying.
            for base in bases:
                columns = list(zip(*map(get, [base + o for o in taps]), strict=False))
                vector: list[float] = []
                for lo, hi, pairs in slices:
                    taps_of_group: Sequence[float] = columns[lo] if hi - lo == 1 else \
                        list(chain.from_iterable(columns[lo:hi]))
                    vector.extend([sum(map(mul, taps_of_group, w), b) for w, b in pairs])
                out.append(vector)
        return activate(self.activation, from_grid(tuple(len(r) for r in starts), out))


class ConvTranspose(_ConvBase):
    """The gradient of a convolution: each input pixel scatters a kernel-sized stamp."""

    tag = "conv_transpose"
    category = "conv_transpose"
    dense_equivalent = True
    padding: Spatial | str = spatial(0, words=("valid", "same"), default=0)
    output_padding: Spatial = spatial(0, default=0)

    def dense_counts(self, input_shape: Shape, output_shape: Shape) -> tuple[int, int | None]:
        """Each weight is used once per input position it scatters from; how many inputs
        an output value reads varies with its position (None)."""
        return prod(input_shape[:-1]), None

    def crops(self, dims: int, kernel: tuple[int, ...], stride: tuple[int, ...],
              dilation: tuple[int, ...]) -> tuple[list[tuple[int, int]], tuple[int, ...]]:
        """(before, after) cropping of the scattered canvas, and the output padding."""
        extra = per_dim(self.output_padding, dims, "output_padding")
        for i, (op, s, d) in enumerate(zip(extra, stride, dilation, strict=False)):
            if not window.output_padding_ok(op, s, d):
                raise LayerError(f"output_padding {op} must be smaller than stride {s} or "
                                 f"dilation {d} ({DIM_NAMES[dims][i]})")
        if self.padding == "same" and any(extra):
            raise LayerError('output_padding cannot be combined with padding "same"')
        if self.padding == "valid" and any(extra):
            return [(0, 0)] * dims, extra
        pads: list[int | str] = [self.padding] * dims if isinstance(self.padding, str) else \
            list(per_dim(self.padding, dims, "padding"))
        return [window.transposed_crops(p, k, s, d)
                for p, k, s, d in zip(pads, kernel, stride, dilation, strict=False)], extra

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        dims, cin, filters, groups, kernel, stride, dilation = self._geometry(shape, cap)
        crops, extra = self.crops(dims, kernel, stride, dilation)
        out = []
        for i, (n, k, s, d, (before, after), op) in enumerate(
                zip(shape[:-1], kernel, stride, dilation, crops, extra, strict=False)):
            try:
                out.append(window.transposed_length(n, k, s, (before, after), d, op))
            except LayerError as problem:
                raise LayerError(f"{DIM_NAMES[dims][i]}: {problem}") from None
        macs = prod(shape[:-1]) * cin * prod(kernel) * (filters // groups)
        return Inferred((*out, filters), self._params(cin, filters, groups, kernel), 0, macs)

    def receptive(self, field: RF, shape: Shape) -> RF:
        nd = len(shape) - 1
        kernel, stride, dilation = self.window(nd)
        crops, _ = self.crops(nd, kernel, stride, dilation)
        return field.transposed(kernel, stride, [c[0] for c in crops], dilation)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        cin = len(pix[0])
        filters, groups = conv_channels(cin, self.filters, self.groups, ref.cap)
        nd = len(dims)
        kernel, stride, dilation = self.window(nd)
        crops, extra = self.crops(nd, kernel, stride, dilation)
        # The canvas reaches the last tap of the last input pixel.
        canvas_dims = tuple((n - 1) * s + (k - 1) * d + 1
                            for n, s, k, d in zip(dims, stride, kernel, dilation, strict=False))
        canvas_strides = strides_of(canvas_dims)
        canvas = [[0.0] * filters for _ in range(prod(canvas_dims))]
        taps = offsets(kernel, dilation, canvas_strides)
        per_group, fg = cin // groups, filters // groups
        fan_in = per_group * len(taps)
        # weights[g][tap][f]: the cin/groups weights from group g's inputs to its f-th output.
        weights = [[[ref.weights(per_group, fan_in) for _ in range(fg)] for _ in taps]
                   for _ in range(groups)]
        for index, vector in zip(positions(dims), pix, strict=False):
            base = sum(i * s * t for i, s, t in zip(index, stride, canvas_strides, strict=False))
            for g in range(groups):
                part = vector[g * per_group:(g + 1) * per_group]
                first = g * fg
                for offset, tap_weights in zip(taps, weights[g], strict=False):
                    target = canvas[base + offset]
                    for f, w in enumerate(tap_weights, first):
                        target[f] += sum(map(mul, part, w))
        biases = ref.weights(filters, fan_in) if self.bias else [0.0] * filters
        # Crop `before` from the start and `after` from the end; output_padding adds
        # positions at the end, which read the canvas where it exists and zero beyond.
        spans = [range(before, n - after + op) for n, (before, after), op in
                 zip(canvas_dims, crops, extra, strict=False)]
        zero = [0.0] * filters
        out = []
        for index in product(*spans):
            inside = all(i < n for i, n in zip(index, canvas_dims, strict=False))
            src = canvas[sum(i * t for i, t in zip(index, canvas_strides, strict=False))] \
                if inside else zero
            out.append([v + b for v, b in zip(src, biases, strict=False)])
        return activate(self.activation, from_grid(tuple(len(r) for r in spans), out))


def _dims(value: int | tuple[int, ...] | str) -> str:
    return str(value) if isinstance(value, int) else "x".join(map(str, value))
