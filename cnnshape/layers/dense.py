"""Flatten and fully connected layers."""

from __future__ import annotations

from operator import mul
from typing import TYPE_CHECKING

from cnnshape.core.fields import Shape, choice, flag, integer
from cnnshape.core.tensor import Tensor, leaves, map_vectors
from cnnshape.layers.activation import FUNCTIONS, activate
from cnnshape.layers.base import Inferred, LayerBase, prod

if TYPE_CHECKING:
    from cnnshape.core.rf import RF
    from cnnshape.layers.base import Weights


class Flatten(LayerBase):
    """All axes into one, channels-last (Keras's order; PyTorch flattens channels first,
    which changes the order of the values but never a count)."""

    tag = "flatten"
    category = "reshape"
    dense_equivalent = False

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        return Inferred((prod(shape),))

    def receptive(self, field: RF, shape: Shape) -> RF:
        from cnnshape.core.rf import WHOLE

        return WHOLE

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        return leaves(x)


class Dense(LayerBase):
    """A fully connected layer on the last axis, as Keras's Dense and PyTorch's Linear."""

    tag = "dense"
    category = "dense"
    dense_equivalent = True
    units: int = integer(1)
    bias: bool = flag(True)
    activation: str | None = choice(FUNCTIONS, optional=True)

    def dense_counts(self, input_shape: Shape, output_shape: Shape) -> tuple[int, int | None]:
        """Already dense on the last axis: its weights are reused at every other position
        and each output reads all the input channels."""
        return prod(output_shape[:-1]), input_shape[-1]

    def details(self) -> str:
        return f"{self.units} units" + (f", {self.activation}" if self.activation else "")

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        units = self.units if cap is None else min(self.units, cap)
        inputs = shape[-1]
        params = inputs * units + (units if self.bias else 0)
        return Inferred((*shape[:-1], units), params, 0, prod(shape) * units)

    def forward(self, x: Tensor, ref: Weights) -> Tensor:
        probe = x
        while isinstance(probe[0], list):
            probe = probe[0]
        inputs = len(probe)
        units = self.units if ref.cap is None else min(self.units, ref.cap)
        weights = [ref.weights(inputs, inputs) for _ in range(units)]
        biases = ref.weights(units, inputs) if self.bias else [0.0] * units
        pairs = list(zip(weights, biases, strict=False))
        y = map_vectors(x, lambda vector: [sum(map(mul, vector, w), b) for w, b in pairs])
        return activate(self.activation, y)
