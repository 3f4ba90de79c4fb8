"""The layer kinds. Adding one: write its model (fields + rules) and list it here."""

from __future__ import annotations

from .activation import Activation, Dropout
from .base import Inferred, LayerBase, Walker
from .composite import Concat, Repeat, Residual, Sequential, child_lists
from .conv import Conv, ConvTranspose
from .dense import Dense, Flatten
from .merge import Crop, Merge
from .norm import BatchNorm, LayerNorm, Scale
from .pool import AdaptivePool, GlobalPool, Pool
from .resize import Pad, Upsample

KINDS: tuple[type[LayerBase], ...] = (
    Conv, ConvTranspose, Pool, GlobalPool, AdaptivePool, Flatten, Dense, Activation, Dropout,
    BatchNorm, LayerNorm, Scale, Pad, Crop, Upsample, Merge, Sequential, Repeat, Residual, Concat,
)

BY_TYPE: dict[str, type[LayerBase]] = {kind.tag: kind for kind in KINDS}  # type: ignore[misc]
"""The model of each ``"type"``: the loader validates every layer against its own."""

TYPE_NAMES: tuple[str, ...] = tuple(BY_TYPE)

__all__ = ["KINDS", "BY_TYPE", "TYPE_NAMES", "LayerBase", "Inferred", "Walker", "child_lists"]
