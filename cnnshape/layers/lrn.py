"""Local response normalisation across channels (AlexNet), as PyTorch's LocalResponseNorm.

b_c = a_c / (k + alpha/size * sum of a_c'^2 over the window)^beta, the window running
from c - size//2 to c + (size-1)//2 (PyTorch pads size//2 zero channels before and
(size-1)//2 after, so an even size leans towards the lower channels); channels past
either end count as zero. The sum is divided by ``size`` even where the window is cut
off, as PyTorch's average pool over the padded squares does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from cnnshape.core.fields import Shape, integer, number
from cnnshape.core.tensor import Tensor, map_vectors
from cnnshape.layers.base import Inferred, LayerBase, spatial_dims

if TYPE_CHECKING:
    from cnnshape.layers.base import Weights


class LocalResponseNorm(LayerBase):
    """Each value divided by a power of its neighbouring channels' energy; no parameters,
    no MACs (only conv, conv_transpose and dense count MACs)."""

    tag = "lrn"
    category = "norm"
    dense_equivalent = False
    exports: ClassVar[Mapping[str, str]] = {
        # torch's LocalResponseNorm is this definition, window and defaults alike.
        "pytorch": "nn.LocalResponseNorm({size}, alpha={alpha!r}, beta={beta!r}, k={k!r})",
    }
    export_refusals: ClassVar[Mapping[str, str]] = {
        "keras": "Keras has no local response normalisation layer",
    }
    size: int = integer(1, description="Channels in the window (AlexNet: 5).")
    alpha: float = number(ge=0.0, default=1e-4, description="Multiplier of the mean energy.")
    beta: float = number(ge=0.0, default=0.75, description="Exponent of the divisor.")
    k: float = number(gt=0.0, default=1.0, description="Added to the divisor's base.")

    def details(self) -> str:
        return f"size {self.size}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        # PyTorch refuses inputs without spatial dims (fewer than 3 axes with the batch).
        spatial_dims(shape, "lrn")
        return Inferred(shape)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        before, after = self.size // 2, (self.size - 1) // 2
        scale, k, beta = self.alpha / self.size, self.k, self.beta

        def normalise(vector: list[float]) -> list[float]:
            squares = [v * v for v in vector]
            last = len(vector) - 1
            out = []
            for c, v in enumerate(vector):
                energy = sum(squares[max(c - before, 0):min(c + after, last) + 1])
                out.append(v / (k + scale * energy) ** beta)
            return out

        return map_vectors(x, normalise)
