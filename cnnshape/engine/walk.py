"""Walking a network: the bookkeeping the calculator and the reference pass share.

Both walk the same tree in the same order; this class keeps the path of the layer
being visited (``layers[5].body[1]``), the repetition suffix of names inside a
``repeat``, and the outputs of named layers for ``from`` and ``merge``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import Any

from cnnshape.core.errors import LayerError
from cnnshape.layers import LayerBase


def here(path: str, layer: LayerBase, name: str) -> str:
    """`layers[3] (conv "CONV2")`, as every message names a layer."""
    return f"{path} ({layer.kind} {json.dumps(name)})"


class GraphWalker:
    """Subclasses say what visiting one layer means (``visit``) and how to fail."""

    def __init__(self, known: Collection[str]) -> None:
        self.outputs: dict[str, Any] = {}
        self.known = known
        self.path = ""
        self.suffix = ""
        self.scopes: list[tuple[str, set[str]]] = []
        """The repetitions being walked, innermost last: their suffix and the names they
        produced so far. Only these names resolve by suffix: a top-level "conv_1" is not
        repetition 1's "conv"."""

    def sequence(self, layers: list[Any], value: Any, where: str,
                 repetition: int | None = None) -> Any:
        base = f"{self.path}.{where}" if self.path else where
        outer = self.suffix
        if repetition is not None:
            self.suffix = f"{outer}_{repetition}"
            self.scopes.append((self.suffix, set()))
        try:
            for index, layer in enumerate(layers):
                path = f"{base}[{index}]"
                name = f"{layer.name}{self.suffix}"
                reads: list[str] = []
                wanted = layer.reads()
                if wanted:
                    found = [self._lookup(w, layer, path, name) for w in wanted]
                    reads = [n for n, _ in found]
                    value = [v for _, v in found] if layer.merges else found[0][1]
                value = self.visit(layer, value, path, name, reads)
                self.outputs[name] = value
                for _, produced in self.scopes:
                    produced.add(name)
        finally:
            self.suffix = outer
            if repetition is not None:
                self.scopes.pop()
        return value

    def descend(self, layer: LayerBase, value: Any, path: str) -> Any:
        """Walk a composite's children, one level deeper in the paths."""
        outer = self.path
        self.path = path
        try:
            return layer.walk(value, self)
        finally:
            self.path = outer

    def _lookup(self, wanted: str, layer: LayerBase, path: str, name: str) -> tuple[str, Any]:
        """A name as a layer inside a repeat sees it: its own repetition's layer first,
        then each enclosing repetition's, then the name as written."""
        for suffix, produced in reversed(self.scopes):
            full = wanted + suffix
            if full in produced:
                return full, self.outputs[full]
        if wanted in self.outputs:
            return wanted, self.outputs[wanted]
        field = "inputs" if layer.merges else "from"
        if wanted + self.suffix in self.known or wanted in self.known:
            problem = (f"{field}: {json.dumps(wanted)} is not computed yet at this point (it is "
                       "this layer, a later one, or one that contains it); a layer can only read "
                       "earlier layers")
        else:
            problem = f"{field}: no layer is named {json.dumps(wanted)}"
            if f"{wanted}_1" in self.known:
                problem += (f' (a repeat names its copies "{wanted}_1", "{wanted}_2", ...; '
                            "read one of those)")
        raise self.fail(here(path, layer, name), problem)

    def visit(self, layer: LayerBase, value: Any, path: str, name: str, reads: list[str]) -> Any:
        raise NotImplementedError

    def add(self, values: list[Any], labels: list[str]) -> Any:
        raise NotImplementedError

    def concat(self, values: list[Any], labels: list[str]) -> Any:
        raise NotImplementedError

    def activate(self, function: str | None, value: Any) -> Any:
        raise NotImplementedError

    def fail(self, where: str, problem: str) -> Exception:
        """The exception to raise for a problem at a layer."""
        return LayerError(f"{where}: {problem}")
