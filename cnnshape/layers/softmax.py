"""Softmax as a layer of its own: ``{"type": "softmax"}``, over the channel (last) axis.

The same computation as the ``softmax`` activation function (``activation.activate``): a
classifier's last layer reads as a layer in tables and diagrams, and exports as the
frameworks' own softmax layers (torch ``nn.Softmax(dim=1)``, Keras ``layers.Softmax``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from cnnshape.core.fields import Shape
from cnnshape.core.tensor import Tensor
from cnnshape.layers.activation import activate
from cnnshape.layers.base import Inferred, LayerBase

if TYPE_CHECKING:
    from cnnshape.layers.base import Weights


class Softmax(LayerBase):
    """exp(x_c - max) / sum over channels of exp(x_c' - max), at every position; no
    parameters, no MACs (only conv, conv_transpose and dense count MACs)."""

    tag = "softmax"
    category = "activation"
    dense_equivalent = False
    exports: ClassVar[Mapping[str, str]] = {
        "pytorch": "nn.Softmax(dim=1)",  # dim 1: the channels of (N, C, spatial...)
        "keras": "layers.Softmax(axis=-1)",
    }

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        """Max-subtracted, so large logits do not overflow exp."""
        return activate("softmax", x)
