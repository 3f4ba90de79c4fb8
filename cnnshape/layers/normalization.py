"""Feature-wise standardisation with stored statistics, as Keras's ``Normalization``.

Keras's preprocessing layer (EfficientNet B0-B7 begin with one) computes (x - mean) /
sqrt(variance) per channel. Built without fixed ``mean`` and ``variance``, it keeps
the statistics that ``adapt()`` fills in as weights that are not trained: the mean and
the variance per channel and the count of samples seen, 2C + 1 values, which Keras's
``count_params()`` counts. (With fixed statistics it holds none: its importer writes
no layer then.)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, ClassVar

from cnnshape.core.fields import Shape
from cnnshape.core.tensor import Tensor, map_vectors
from cnnshape.layers.base import Inferred, LayerBase
from cnnshape.layers.norm import channels_of

if TYPE_CHECKING:
    from cnnshape.layers.base import Weights


class Normalization(LayerBase):
    """(x - mean) / sqrt(variance) per channel, with 2C + 1 stored statistics (mean,
    variance, count) that are not trained; no MACs."""

    tag = "normalization"
    category = "norm"
    dense_equivalent = False
    exports: ClassVar[Mapping[str, str]] = {
        # Not adapted: Keras builds the same 2C + 1 statistics (mean 0, variance 1).
        "keras": "layers.Normalization(axis=-1)",
    }
    export_refusals: ClassVar[Mapping[str, str]] = {
        "pytorch": "PyTorch has no normalisation layer with stored statistics "
                   "(torchvision normalises in its input transforms)",
    }

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape, non_trainable=2 * shape[-1] + 1)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        """With seeded statistics (variance at least 1), as batchnorm's running ones."""
        channels = channels_of(x)
        mean = ref.weights(channels, 1)
        scale = [1 / math.sqrt(abs(v) + 1.0) for v in ref.weights(channels, 1)]
        return map_vectors(x, lambda vector: [(v - m) * s for v, m, s
                                             in zip(vector, mean, scale, strict=True)])
