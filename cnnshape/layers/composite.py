"""Layers made of layers: sequential, repeat, residual, concat.

Each says once, in ``walk``, how its children combine; the calculator walks shapes
and the reference pass walks tensors through the same code. Children arrive as raw
lists and are validated one layer at a time by the loader (spec.py), which keeps
start-up fast and nesting depth unbounded by pydantic's recursion.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from cnnshape.core.fields import branches, choice, integer, layers
from cnnshape.layers.activation import FUNCTIONS
from cnnshape.layers.base import LayerBase, Walker

_CONV3 = {"type": "conv", "filters": 16, "kernel": 3, "padding": 1}
"""The composites' examples' layer: keeps an 8x8x16 input's shape."""


class CompositeBase(LayerBase):
    composite: ClassVar[bool] = True
    child_fields: ClassVar[tuple[str, ...]] = ("layers",)
    """Fields holding layer lists; ``branches`` holds a list of them."""

    def children(self) -> list[tuple[str, list[Any]]]:
        return child_lists(type(self), self.__dict__)


def child_lists(kind: type[LayerBase], data: Mapping[str, Any]) -> list[tuple[str, list[Any]]]:
    """(path suffix, layer list) pairs of a composite's model or of its raw JSON object."""
    out: list[tuple[str, list[Any]]] = []
    for field in getattr(kind, "child_fields", ()):
        value = data.get(field)
        if not isinstance(value, list):
            continue
        if field == "branches":
            out.extend((f"branches[{i}]", v) for i, v in enumerate(value) if isinstance(v, list))
        else:
            out.append((field, value))
    return out


class Sequential(CompositeBase):
    """A named group of layers applied in order."""

    tag = "sequential"
    example: ClassVar[Mapping[str, Any] | None] = {
        "type": "sequential", "name": "stem", "layers": [_CONV3]}
    category = "composite"
    dense_equivalent = False
    layers: list[Any] = layers()

    def walk(self, value: Any, walker: Walker) -> Any:
        return walker.sequence(self.layers, value, "layers")


class Repeat(CompositeBase):
    """The same layers ``times`` times in a row, each repetition with its own weights."""

    tag = "repeat"
    example: ClassVar[Mapping[str, Any] | None] = {
        "type": "repeat", "times": 2, "layers": [_CONV3]}
    category = "composite"
    dense_equivalent = False
    times: int = integer(1)
    layers: list[Any] = layers()

    def details(self) -> str:
        return f"x{self.times}"

    def walk(self, value: Any, walker: Walker) -> Any:
        for repetition in range(1, self.times + 1):
            value = walker.sequence(self.layers, value, "layers", repetition)
        return value


class Residual(CompositeBase):
    """body(x) + shortcut(x), then an optional activation; an empty shortcut is identity."""

    tag = "residual"
    example: ClassVar[Mapping[str, Any] | None] = {
        "type": "residual", "body": [_CONV3, _CONV3], "activation": "relu"}
    category = "composite"
    dense_equivalent = False
    body: list[Any] = layers()
    shortcut: list[Any] = layers(optional=True, description="Default [] is the identity.")
    activation: str | None = choice(FUNCTIONS, optional=True)
    child_fields: ClassVar[tuple[str, ...]] = ("body", "shortcut")

    def details(self) -> str:
        text = "body + " + ("projection" if self.shortcut else "identity")
        return text + (f", {self.activation}" if self.activation else "")

    def walk(self, value: Any, walker: Walker) -> Any:
        body = walker.sequence(self.body, value, "body")
        shortcut = walker.sequence(self.shortcut, value, "shortcut")
        return walker.activate(self.activation, walker.add([body, shortcut], ["body", "shortcut"]))


class Concat(CompositeBase):
    """Branches on the same input, concatenated on channels; an empty branch is identity."""

    tag = "concat"
    example: ClassVar[Mapping[str, Any] | None] = {
        "type": "concat", "branches": [[{"type": "conv", "filters": 8, "kernel": 1}],
                                       [{"type": "conv", "filters": 8, "kernel": 3, "padding": 1}]]}
    category = "composite"
    dense_equivalent = False
    branches: list[list[Any]] = branches("Each a list of layers; [] is the identity.")
    child_fields: ClassVar[tuple[str, ...]] = ("branches",)

    def details(self) -> str:
        return f"{len(self.branches)} branches"

    def walk(self, value: Any, walker: Walker) -> Any:
        branches = self.children()
        outputs = [walker.sequence(branch, value, where) for where, branch in branches]
        return walker.concat(outputs, [where for where, _ in branches])
