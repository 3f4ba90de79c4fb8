"""The layer kinds. Adding one: write its model (fields + rules) and list it here."""

from __future__ import annotations

from cnnshape.layers.activation import Activation, Dropout
from cnnshape.layers.base import Inferred, LayerBase, Walker
from cnnshape.layers.composite import Concat, Repeat, Residual, Sequential, child_lists
from cnnshape.layers.conv import Conv, ConvTranspose
from cnnshape.layers.dense import Dense, Flatten
from cnnshape.layers.merge import Crop, Merge
from cnnshape.layers.norm import BatchNorm, LayerNorm, Scale
from cnnshape.layers.pool import AdaptivePool, GlobalPool, Pool
from cnnshape.layers.resize import Pad, Upsample

KINDS: tuple[type[LayerBase], ...] = (
    Conv, ConvTranspose, Pool, GlobalPool, AdaptivePool, Flatten, Dense, Activation, Dropout,
    BatchNorm, LayerNorm, Scale, Pad, Crop, Upsample, Merge, Sequential, Repeat, Residual, Concat,
)

BY_TYPE: dict[str, type[LayerBase]] = {kind.tag: kind for kind in KINDS}  # type: ignore[misc]
"""The model of each ``"type"``: the loader validates every layer against its own."""

TYPE_NAMES: tuple[str, ...] = tuple(BY_TYPE)

__all__ = ["BY_TYPE", "KINDS", "TYPE_NAMES", "Inferred", "LayerBase", "Walker", "child_lists"]
