"""Per-channel affine layers: batchnorm, layernorm and the learnable layer scale."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from cnnshape.core.fields import Shape, flag, number
from cnnshape.core.tensor import Tensor, map_vectors
from cnnshape.layers.base import Inferred, LayerBase

if TYPE_CHECKING:
    from cnnshape.layers.base import Weights


def channels_of(x: Any) -> int:
    while isinstance(x[0], list):
        x = x[0]
    return len(x)


class BatchNorm(LayerBase):
    """Per-channel scale and shift (trainable) plus running mean and variance (not).

    ``scale``/``center`` false drop the multiplier/offset, as Keras's flags do (Inception
    v3 has no multiplier: ReLU follows); both false is PyTorch's ``affine=False``.
    """

    tag = "batchnorm"
    category = "norm"
    dense_equivalent = False
    eps: float = number(gt=0.0, default=1e-5, description="Accepted, not counted.")
    momentum: float = number(ge=0.0, le=1.0, default=0.1, description="Accepted, not counted.")
    scale: bool = flag(True, "Learn a multiplier per channel (gamma).")
    center: bool = flag(True, "Learn an offset per channel (beta).")

    def details(self) -> str:
        dropped = [n for n, kept in (("scale", self.scale), ("center", self.center)) if not kept]
        return f"no {' or '.join(dropped)}" if dropped else ""

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        channels = shape[-1]
        return Inferred(shape, params=(self.scale + self.center) * channels,
                        non_trainable=2 * channels)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        channels = channels_of(x)
        gamma = ref.weights(channels, 1) if self.scale else [1.0] * channels
        beta = ref.weights(channels, 1) if self.center else [0.0] * channels
        mean = ref.weights(channels, 1)
        var = [abs(v) + 1.0 for v in ref.weights(channels, 1)]
        scale = [g / math.sqrt(v + self.eps) for g, v in zip(gamma, var, strict=False)]
        shift = [b - m * s for b, m, s in zip(beta, mean, scale, strict=False)]
        return map_vectors(x, lambda vector: [v * s + t for v, s, t
                                             in zip(vector, scale, shift, strict=True)])


class LayerNorm(LayerBase):
    """Normalise each position over its channels, then a per-channel scale and shift
    (ConvNeXt's LayerNorm2d; PyTorch's LayerNorm over the last axis)."""

    tag = "layernorm"
    category = "norm"
    dense_equivalent = False
    eps: float = number(gt=0.0, default=1e-6, description="Accepted, not counted.")

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape, params=2 * shape[-1])

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        channels = channels_of(x)
        gamma = ref.weights(channels, 1)
        beta = ref.weights(channels, 1)
        eps = self.eps

        def normalise(vector: list[float]) -> list[float]:
            mean = sum(vector) / len(vector)
            centred = [v - mean for v in vector]
            inv = 1.0 / math.sqrt(sum(c * c for c in centred) / len(vector) + eps)
            return [c * inv * g + b for c, g, b in zip(centred, gamma, beta, strict=False)]

        return map_vectors(x, normalise)


class Scale(LayerBase):
    """A learnable multiplier per channel (ConvNeXt's layer scale): C parameters."""

    tag = "scale"
    category = "norm"
    dense_equivalent = False

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape, params=shape[-1])

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        gamma = ref.weights(channels_of(x), 1)
        return map_vectors(x, lambda vector: [v * g for v, g in zip(vector, gamma, strict=False)])
