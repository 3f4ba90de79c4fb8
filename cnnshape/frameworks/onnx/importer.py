"""From an ONNX model to a spec: one ONNX node at a time, then the shared graph builder.

Why ONNX: it is what every framework can write, so a network from anywhere (PyTorch,
Keras through tf2onnx, a model zoo) can be measured without its source code. The file is
read without its external weight data: a layer's kernel size and channel counts are in
the initializers' dims, so a model of any size imports in the time its graph takes.

The importer is a stack of one job per module, each class extending the one below:
``read`` (protobuf, attributes, module scopes) < ``shapes`` (ONNX shape inference,
layouts, the final check) < ``constants`` (folding) < ``builder`` (Nodes, weights,
names) < ``patterns`` (several ONNX nodes as one layer, merges, crops) < ``layout``
(ops that move data) < ``ops`` (layers, and the ``OPS`` table) < this module (the walk).

Every layer's shape is finally checked against the shape ONNX's own shape inference
gives its node: a graph the spec cannot mirror exactly stops with one line instead of
printing a wrong table.
"""

from __future__ import annotations

import os
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.frameworks.common.build import Node, build_spec
from cnnshape.frameworks.onnx.ops import OPS, Ops
from cnnshape.frameworks.onnx.read import (
    PLACEHOLDER_GRAPH_NAMES,
    Problem,
    attrs,
    load_onnx,
    read_model,
)
from cnnshape.frameworks.onnx.shapes import Tensor, channels_last

__all__ = ["from_onnx"]


class _Importer(Ops):
    """Walks the graph in order, turning each ONNX node into graph Nodes or folding it."""

    def _input(self) -> tuple[str, list[int], bool]:
        """The one graph input: its name, channels-last shape and whether ONNX holds it so."""
        inputs = [i for i in self.graph.input if i.name not in self.initializers]
        if len(inputs) != 1:
            listed = ", ".join(i.name for i in inputs) or "none"
            raise SpecError([f"{self.label}: the graph has {len(inputs)} inputs ({listed}); "
                             "a spec has exactly one"])
        name = inputs[0].name
        shape = self.shapes.get(name)
        if shape is None or len(shape) < 2:
            raise SpecError([f"{self.label}: input {name}: needs a shape [N, C, spatial...] "
                             f"(it has {'none' if shape is None else list(shape)})"])
        dims = inputs[0].type.tensor_type.shape.dim
        for axis, size in enumerate(shape[1:], 1):
            if size is None or size < 1:
                what = dims[axis].dim_param or "?"
                raise SpecError([f"{self.label}: input {name}: dimension {axis} is dynamic "
                                 f"({what!r}); export the model with a fixed input size"])
        if len(shape) > 5:
            raise SpecError([f"{self.label}: input {name}: rank {len(shape)} (a spec has at "
                             "most 3 spatial dims)"])
        last = self._fed_channels_last(name, len(shape))
        return name, [int(v) for v in channels_last(shape, last)], last  # type: ignore[arg-type]

    def _fed_channels_last(self, name: str, rank: int) -> bool:
        """A channels-last input (Keras, TensorFlow) goes through a Transpose to channels
        first before anything reads it."""
        readers = [self.graph.node[i] for i in self.consumers.get(name, []) if i >= 0]
        to_first = [0, rank - 1, *range(1, rank - 1)]
        return rank >= 3 and bool(readers) and all(
            n.op_type == "Transpose" and list(attrs(n).get("perm", [])) == to_first
            for n in readers)

    # -- the walk ------------------------------------------------------------------------------

    def run(self, name: str | None) -> dict[str, Any]:
        if len(self.graph.output) != 1:
            listed = ", ".join(o.name for o in self.graph.output)
            raise SpecError([f"{self.label}: the graph has {len(self.graph.output)} outputs "
                             f"({listed}); a spec has exactly one"])
        self.input_name, input_shape, input_last = self._input()
        self.input_shape = tuple(input_shape)
        self.tensors[self.input_name] = Tensor(self.input_name, input_last)
        for index, node in enumerate(self.graph.node):
            self.index = index
            try:
                self.translate(node)
            except Problem as exc:
                raise SpecError([f"{self.label}: {self.site(node)}: {exc}"]) from None
        output = self.graph.output[0].name
        if output not in self.tensors:
            raise SpecError([f"{self.label}: the graph's output {output} does not depend on "
                             "its input"])
        final = self.tensors[output].node
        if final == self.input_name:
            raise SpecError([f"{self.label}: the graph returns its input unchanged"])
        self._finish_crops()
        nodes = self._live(final)
        producer = self.model.producer_name or "an unknown producer"
        version = f" {self.model.producer_version}" if self.model.producer_version else ""
        description = (f"Imported from ONNX by cnnshape ({producer}{version}, opset "
                       f"{self.opset}).")
        if self.notes:
            description += " Note: " + "; ".join(self.notes) + "."
        spec = build_spec(nodes, self.input_name, input_shape, name=name or self._name(),
                          description=description, source=self.label)
        self._check(spec)
        return spec

    def _name(self) -> str | None:
        graph = self.graph.name
        if graph and graph not in PLACEHOLDER_GRAPH_NAMES:
            return str(graph)
        if self.base is not None:
            return os.path.splitext(os.path.basename(self.label))[0]
        return None

    def _live(self, final: str) -> list[Node]:
        """The Nodes the output depends on, in order, ending with the output's."""
        live = {final}
        for node in reversed(list(self.nodes.values())):
            if node.name in live:
                live.update(node.inputs)
        return [n for n in self.nodes.values() if n.name in live]

    def translate(self, node: Any) -> None:
        if node.domain not in ("", "ai.onnx"):
            raise Problem(f"unsupported ONNX op {node.domain}.{node.op_type} (a custom domain)")
        inputs = [n for n in node.input if n]
        if node.op_type == "CastLike":
            inputs = inputs[:1]  # the second input gives only the type
        if node.op_type == "Constant" or all(n in self.constants for n in inputs) or (
                node.op_type in ("Shape", "Size") and self._static(node.input[0])):
            self.constants.update(node.output)
            return
        handler = OPS.get(node.op_type)
        if handler is None:
            raise Problem(f"unsupported ONNX op {node.op_type}: cnnshape has no layer for it")
        for extra in node.output[1:]:
            if extra and self.consumers.get(extra):
                raise Problem(f"its output {extra} is read; a spec layer has one output")
        handler(self, node)


def from_onnx(source: Any, *, name: str | None = None) -> dict[str, Any]:
    """A spec computing what an ONNX model computes.

    ``source`` is a path to a ``.onnx`` file (of data stored beside it only small
    constants, such as a Reshape's target, are read: never the weights), the file's bytes
    or an ``onnx.ModelProto``. The model needs one input [N, C, spatial...] with fixed
    spatial sizes (the batch may be dynamic) and one output. ``name`` names the network
    (default: the graph's name, or the file's). Raises SpecError with one line naming the
    node that a spec cannot express.
    """
    onnx = load_onnx(source)
    model, label, base = read_model(onnx, source)
    importer = _Importer(onnx, model, label, base)
    return importer.run(name)
