"""The layer kinds. Adding one: write its model (fields + rules) and list it here."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from .activation import Activation, Dropout
from .base import Inferred, LayerBase, Walker
from .composite import Concat, Repeat, Residual, Sequential
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

Layer = Annotated[Union[KINDS], Field(discriminator="type")]  # type: ignore[valid-type]

# The composites name "Layer" before it exists; let them find it in their module. Their
# schemas are built once, inside Network's, on first use (defer_build): rebuilding the
# recursive union per composite would cost tens of milliseconds at every start.
from . import composite as _composite  # noqa: E402

_composite.Layer = Layer  # type: ignore[attr-defined]

TYPE_NAMES: tuple[str, ...] = tuple(k.model_fields["type"].annotation.__args__[0]  # type: ignore
                                    for k in KINDS)

__all__ = ["KINDS", "Layer", "LayerBase", "Inferred", "Walker", "TYPE_NAMES"]
