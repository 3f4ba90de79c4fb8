"""The reference pass, keeping each weight list it draws under the layer drawing it: the
framework tests load those weights into PyTorch or Keras and compare values."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from cnnshape.engine.reference import Reference


class Recording(Reference):
    def __init__(self, known: Any, seed: int = 3) -> None:
        super().__init__(known, seed=seed)
        self.draws: dict[str, list[list[float]]] = defaultdict(list)
        self.final: Any = None
        """The network's output, for callers that walk the layers themselves."""
        self._visiting: list[str] = []

    def weights(self, count: int, fan_in: int) -> list[float]:
        values = super().weights(count, fan_in)
        self.draws[self._visiting[-1]].append(values)
        return values

    def visit(self, layer: Any, x: Any, path: str, name: str, reads: list[str]) -> Any:
        self._visiting.append(name)
        try:
            return super().visit(layer, x, path, name, reads)
        finally:
            self._visiting.pop()
