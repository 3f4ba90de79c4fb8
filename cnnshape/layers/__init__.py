"""The layer kinds. Adding one: write its model (fields, rules and the class attributes
of ``LayerBase``) in a module of its own and list it here (docs/architecture.md)."""

from __future__ import annotations

from cnnshape.layers.activation import Activation, Dropout
from cnnshape.layers.base import Inferred, LayerBase, Walker
from cnnshape.layers.composite import Concat, Repeat, Residual, Sequential, child_lists
from cnnshape.layers.conv import Conv, ConvTranspose
from cnnshape.layers.dense import Dense, Flatten
from cnnshape.layers.lrn import LocalResponseNorm
from cnnshape.layers.merge import Crop, Merge
from cnnshape.layers.norm import BatchNorm, LayerNorm, Scale
from cnnshape.layers.normalization import Normalization
from cnnshape.layers.pool import AdaptivePool, GlobalPool, Pool
from cnnshape.layers.resize import Pad, Upsample
from cnnshape.layers.softmax import Softmax

KINDS: tuple[type[LayerBase], ...] = (
    Conv, ConvTranspose, Pool, GlobalPool, AdaptivePool, Flatten, Dense, Activation, Dropout,
    BatchNorm, LayerNorm, Scale, Pad, Crop, Upsample, Merge, Sequential, Repeat, Residual, Concat,
    Softmax, LocalResponseNorm, Normalization,
)

BY_TYPE: dict[str, type[LayerBase]] = {kind.tag: kind for kind in KINDS}  # type: ignore[misc]
"""The model of each ``"type"``: the loader validates every layer against its own."""

TYPE_NAMES: tuple[str, ...] = tuple(BY_TYPE)

__all__ = ["BY_TYPE", "KINDS", "TYPE_NAMES", "Inferred", "LayerBase", "Walker", "child_lists"]
