"""Layers that change spatial size without weights: zero padding and upsampling."""

from __future__ import annotations

from itertools import product
from typing import TYPE_CHECKING

from cnnshape.core.fields import Shape, Spatial, choice, per_dim, spatial
from cnnshape.core.tensor import Tensor, from_grid, pad_grid, strides_of, to_grid
from cnnshape.layers.base import Inferred, LayerBase, spatial_dims
from cnnshape.layers.conv import _dims

if TYPE_CHECKING:
    from cnnshape.core.rf import RF
    from cnnshape.layers.base import Weights


class Pad(LayerBase):
    """Zero padding on both sides of every spatial dim."""

    tag = "pad"
    category = "reshape"
    dense_equivalent = False
    padding: Spatial = spatial(0)

    def details(self) -> str:
        return f"p{_dims(self.padding)}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "pad")
        pads = per_dim(self.padding, nd, "padding")
        return Inferred((*(n + 2 * p for n, p in zip(shape, pads, strict=False)), shape[-1]))

    def receptive(self, field: RF, shape: Shape) -> RF:
        return field.shifted([-p for p in per_dim(self.padding, len(shape) - 1, "padding")])

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        pads = per_dim(self.padding, len(dims), "padding")
        return from_grid(*pad_grid((dims, pix), pads, pads, [0.0] * len(pix[0])))


class Upsample(LayerBase):
    """Nearest-neighbour upsampling by an integer factor per spatial dim."""

    tag = "upsample"
    category = "reshape"
    dense_equivalent = False
    scale: Spatial = spatial(1)
    mode: str = choice(("nearest",), default="nearest")

    def details(self) -> str:
        return f"x{_dims(self.scale)} {self.mode}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "upsample")
        scale = per_dim(self.scale, nd, "scale")
        return Inferred((*(n * s for n, s in zip(shape, scale, strict=False)), shape[-1]))

    def receptive(self, field: RF, shape: Shape) -> RF:
        return field.upsampled(per_dim(self.scale, len(shape) - 1, "scale"))

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        dims, pix = to_grid(x)
        scale = per_dim(self.scale, len(dims), "scale")
        grid_strides = strides_of(dims)
        sources = [[i // s for i in range(n * s)] for n, s in zip(dims, scale, strict=False)]
        out = [pix[sum(i * t for i, t in zip(index, grid_strides, strict=True))]
               for index in product(*sources)]
        return from_grid(tuple(len(s) for s in sources), out)
