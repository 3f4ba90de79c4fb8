"""Layers made of layers: sequential, repeat, residual, concat.

Each says once, in ``walk``, how its children combine; the calculator walks shapes
and the reference pass walks tensors through the same code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal, Optional

from pydantic import Field

from .activation import Function
from .base import LayerBase, Walker

if TYPE_CHECKING:
    from . import Layer


class Sequential(LayerBase):
    """A named group of layers applied in order."""

    type: Literal["sequential"]
    layers: "list[Layer]"
    composite: ClassVar[bool] = True

    def children(self) -> list[tuple[str, list[Any]]]:
        return [("layers", self.layers)]

    def walk(self, value: Any, walker: Walker) -> Any:
        return walker.sequence(self.layers, value, "layers")


class Repeat(LayerBase):
    """The same layers ``times`` times in a row, each repetition with its own weights."""

    type: Literal["repeat"]
    times: int = Field(ge=1)
    layers: "list[Layer]"
    composite: ClassVar[bool] = True

    def details(self) -> str:
        return f"x{self.times}"

    def children(self) -> list[tuple[str, list[Any]]]:
        return [("layers", self.layers)]

    def walk(self, value: Any, walker: Walker) -> Any:
        for repetition in range(1, self.times + 1):
            value = walker.sequence(self.layers, value, "layers", repetition)
        return value


class Residual(LayerBase):
    """body(x) + shortcut(x), then an optional activation; an empty shortcut is identity."""

    type: Literal["residual"]
    body: "list[Layer]"
    shortcut: "list[Layer]" = Field(default_factory=list)
    activation: Optional[Function] = None
    composite: ClassVar[bool] = True

    def details(self) -> str:
        text = "body + " + ("projection" if self.shortcut else "identity")
        return text + (f", {self.activation}" if self.activation else "")

    def children(self) -> list[tuple[str, list[Any]]]:
        return [("body", self.body), ("shortcut", self.shortcut)]

    def walk(self, value: Any, walker: Walker) -> Any:
        body = walker.sequence(self.body, value, "body")
        shortcut = walker.sequence(self.shortcut, value, "shortcut")
        return walker.activate(self.activation, walker.add([body, shortcut], ["body", "shortcut"]))


class Concat(LayerBase):
    """Branches on the same input, concatenated on channels; an empty branch is identity."""

    type: Literal["concat"]
    branches: "list[list[Layer]]" = Field(min_length=1)
    composite: ClassVar[bool] = True

    def details(self) -> str:
        return f"{len(self.branches)} branches"

    def children(self) -> list[tuple[str, list[Any]]]:
        return [(f"branches[{i}]", branch) for i, branch in enumerate(self.branches)]

    def walk(self, value: Any, walker: Walker) -> Any:
        outputs = [walker.sequence(branch, value, where) for where, branch in self.children()]
        return walker.concat(outputs, [where for where, _ in self.children()])
