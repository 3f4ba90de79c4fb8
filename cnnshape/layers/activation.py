"""Activation functions, and the element-wise layers activation and dropout.

The activation functions also serve the ``activation`` field of conv, dense and
residual, so a fused activation is computed by the same code as a standalone one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from cnnshape.core.fields import Shape, choice, number
from cnnshape.core.tensor import Tensor, map_vectors
from cnnshape.layers.base import Inferred, LayerBase

if TYPE_CHECKING:
    from cnnshape.layers.base import Weights

FUNCTIONS = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid",
                   "hardsigmoid", "hardswish", "tanh", "softmax")


def _sigmoid(v: float) -> float:
    if v >= 0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


def _hardsigmoid(v: float) -> float:
    return min(max(v / 6.0 + 0.5, 0.0), 1.0)


_SCALAR: dict[str, Callable[[float], float]] = {
    "relu": lambda v: v if v > 0.0 else 0.0,
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "leaky_relu": lambda v: v if v > 0.0 else 0.01 * v,
    "elu": lambda v: v if v > 0.0 else math.expm1(v),
    "gelu": lambda v: 0.5 * v * (1.0 + math.erf(v / math.sqrt(2.0))),
    "silu": lambda v: v * _sigmoid(v),
    "sigmoid": _sigmoid,
    "hardsigmoid": _hardsigmoid,
    "hardswish": lambda v: v * _hardsigmoid(v),
    "tanh": math.tanh,
}


def _softmax(vector: list[float]) -> list[float]:
    top = max(vector)
    exps = [math.exp(v - top) for v in vector]
    total = sum(exps)
    return [e / total for e in exps]


def activate(function: str | None, x: Tensor) -> Tensor:
    """Apply an activation by name; softmax normalises the last (channel) axis."""
    if function is None:
        return x
    if function == "softmax":
        return map_vectors(x, _softmax)
    fn = _SCALAR[function]
    return map_vectors(x, lambda vector: list(map(fn, vector)))


class Activation(LayerBase):
    """A standalone non-linearity."""

    tag = "activation"
    category = "activation"
    dense_equivalent = False
    function: str = choice(FUNCTIONS)

    def details(self) -> str:
        return self.function

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        return activate(self.function, x)


class Dropout(LayerBase):
    """Identity at inference; the reference pass runs in inference mode."""

    tag = "dropout"
    category = "dropout"
    dense_equivalent = False
    rate: float = number(ge=0.0, lt=1.0, default=0.5)

    def details(self) -> str:
        return f"rate {self.rate:g}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred(shape)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        return x
