"""The walk every exporter shares: one statement list per network, in layer order.

Exporters write straight-line code, one statement per layer, so they need what the
calculator knows at each layer (the input variable and its channels-last shape, the
output shape) and nothing else. This walker reuses the calculator's bookkeeping
(GraphWalker: paths, repeat suffixes, ``from`` and ``merge`` lookups) and asks a
backend for each layer's code. Keeping framework rules out of the layer modules keeps
the core framework-free; a kind a backend does not know stops the export with one line.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cnnshape.core.errors import LayerError, SpecError
from cnnshape.core.fields import Shape
from cnnshape.engine.walk import GraphWalker, here
from cnnshape.layers import LayerBase
from cnnshape.spec.loader import Network

if TYPE_CHECKING:
    from cnnshape.engine.analysis import Report


class Unsupported(LayerError):
    """The backend cannot express this layer; the message says what and why."""


def writer(backend: Any, layer: LayerBase, framework: str, writers: dict[str, str],
           refusals: dict[str, str]) -> Any:
    """The backend method writing ``layer``: its exporter's WRITERS entry, else
    ``emit_declared`` for a kind declaring its ``framework`` layer itself; else refused
    with the exporter's or the kind's reason, never guessed."""
    kind = type(layer)
    name = writers.get(layer.kind) or ("emit_declared" if framework in kind.exports else "")
    method = getattr(backend, name, None)
    if method is None:
        reason = (refusals.get(layer.kind) or kind.export_refusals.get(framework)
                  or f"{layer.kind} layers have no {framework} equivalent here")
        raise Unsupported(f"export to {framework}: {reason}")
    return method


@dataclass(frozen=True)
class Value:
    """A tensor in the generated code: its variable and channels-last shape (no batch)."""

    var: str
    shape: Shape


@dataclass
class Code:
    """What a backend accumulates: constructor lines and forward lines."""

    init: list[str] = field(default_factory=list)
    forward: list[str] = field(default_factory=list)


def identifier(name: str, taken: set[str]) -> str:
    """A Python identifier for a layer name, unique among ``taken`` (which it joins)."""
    base = re.sub(r"\W", "_", name, flags=re.ASCII) or "layer"
    if base[0].isdigit() or keyword.iskeyword(base):
        base = f"_{base}"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate


class Backend:
    """One framework's code for each layer kind. Subclasses define ``<kind>`` methods.

    ``emit_<tag>(layer, ident, x, out)`` returns the output Value; ``x`` is a Value (a
    list of Values for merges); ``ident`` is the layer's unique Python identifier,
    used for its submodule and output variable.
    """

    framework = "?"

    def __init__(self) -> None:
        self.code = Code()
        self.taken: set[str] = {"x", "self", "input", "torch", "nn", "F", "keras", "layers"}

    def layer(self, layer: LayerBase, name: str, x: Any, out: Shape) -> Value:
        method = getattr(self, f"emit_{layer.kind}", None)
        if method is None:
            raise Unsupported(f"export to {self.framework}: {layer.kind} layers have no "
                              f"{self.framework} equivalent here")
        return method(layer, identifier(name, self.taken), x, out)  # type: ignore[no-any-return]

    def add(self, values: list[Value], ident: str) -> Value:
        raise NotImplementedError

    def concat(self, values: list[Value], ident: str) -> Value:
        raise NotImplementedError

    def activate(self, function: str, value: Value, ident: str) -> Value:
        raise NotImplementedError


class Emitter(GraphWalker):
    """Walks the network as the calculator does, handing each leaf layer to a backend."""

    def __init__(self, network: Network, backend: Backend) -> None:
        super().__init__(network.names)
        self.network = network
        self.backend = backend
        self._composite: list[str] = []
        """Names of the composites being walked: residual/concat code is named after them."""

    def run(self, input_var: str = "x") -> Value:
        start = Value(input_var, tuple(self.network.input))
        self.outputs["input"] = start  # `from: "input"` and merges of "input" read it
        return self.sequence(self.network.layers, start, "layers")  # type: ignore[no-any-return]

    def visit(self, layer: LayerBase, value: Any, path: str, name: str,
              reads: list[str]) -> Value:
        try:
            if layer.composite:
                self._composite.append(name)
                try:
                    return self.descend(layer, value, path)  # type: ignore[no-any-return]
                finally:
                    self._composite.pop()
            shapes = [v.shape for v in value] if layer.merges else value.shape
            out = tuple(layer.infer(shapes, None).shape)  # type: ignore[arg-type]
            return self.backend.layer(layer, name, value, out)
        except SpecError:
            raise
        except LayerError as exc:
            raise self.fail(here(path, layer, name), str(exc)) from None

    def _ident(self, what: str) -> str:
        owner = self._composite[-1] if self._composite else "block"
        return identifier(f"{owner}_{what}", self.backend.taken)

    def add(self, values: list[Value], labels: list[str]) -> Value:
        return self.backend.add(values, self._ident("add"))

    def concat(self, values: list[Value], labels: list[str]) -> Value:
        return self.backend.concat(values, self._ident("cat"))

    def activate(self, function: str | None, value: Value) -> Value:
        if function is None:
            return value
        return self.backend.activate(function, value, self._ident(function))

    def fail(self, where: str, problem: str) -> Exception:
        return SpecError([f"{self.network.source}: {where}: {problem}"])


def emit(network: Network, backend: Backend) -> tuple[Report, Value]:
    """Walk ``network`` into ``backend.code``, after the calculator's own checks (shapes
    that merge, ...); the report gives the totals the generated header states."""
    from cnnshape.engine.analysis import analyze

    report = analyze(network, receptive=False)
    return report, Emitter(network, backend).run("x")
