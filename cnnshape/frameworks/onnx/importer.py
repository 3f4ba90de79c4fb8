"""From an ONNX model to a spec: one ONNX node at a time, then the shared graph builder.

Why ONNX: it is what every framework can write, so a network from anywhere (PyTorch,
Keras through tf2onnx, a model zoo) can be measured without its source code. The file is
read without its external weight data: a layer's kernel size and channel counts are in
the initializers' dims, so a model of any size imports in the time its graph takes.

ONNX is channels-first ([N, C, spatial...]); a spec is channels-last without the batch.
Each ONNX tensor is followed with its layout: a Transpose to channels-last (PyTorch's
permute before a LayerNorm or a Linear on channels, or before a flatten in the order
Keras uses) changes only the layout, not the spec. Initializers, Constant nodes and
whatever is computed from them alone (including the Shape of a tensor whose shape is
static) are data, folded here, never layers.

A few patterns are more than one ONNX node: MatMul + Add of a per-channel constant is a
dense layer with a bias; x * Sigmoid(x) is silu; consecutive Slices of spatial axes are one
crop, and crops that center every input of a Concat or Add on the smallest one are that
merge's ``crop``; a flat Concat of inputs sharing a branch point was a nested one
(Inception), and is nested again so the graph builder can fold it into concat blocks.
Activations after a conv or dense layer, residual and concat blocks are the graph
builder's work (graph.build_spec), not this module's.

Every layer's shape is finally checked against the shape ONNX's own shape inference
gives its node: a graph the spec cannot mirror exactly stops with one line instead of
printing a wrong table.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.frameworks.common.build import Node, build_spec
from cnnshape.layers.conv import same_pads

INSTALL = "pip install 'cnnshape[onnx]'"

REARRANGING = ("Identity", "Cast", "Transpose", "Reshape", "Unsqueeze", "Squeeze", "Flatten",
               "Expand")
"""Ops that move a weight's values without computing new ones (for a weight's name)."""

PENDING = "<the layer being built>"
"""The owner of a weight claimed before its layer has a name."""

SMALL = 4096
"""Values in a constant the importer may read or fold (pads, axes, scales; not weights)."""

PLACEHOLDER_GRAPH_NAMES = ("", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx")
"""Graph names exporters write whatever the model is: not worth a network's name."""


class _Problem(Exception):
    """What is wrong with one node; the importer adds the file and the node."""


@dataclass(frozen=True)
class _Tensor:
    """A computed ONNX value: the graph node holding it and its ONNX layout."""

    node: str
    """The Node (or the graph input) whose output this is."""
    last: bool
    """Channels-last in ONNX ([N, spatial..., C], after a Transpose); else [N, C, spatial...]."""
    units: tuple[int, ...] = ()
    """ONNX axes of size 1 that an Unsqueeze added and the spec's tensor does not have
    (PyTorch pools a 1-D map globally as a 2-D one: Unsqueeze, ReduceMean, Squeeze)."""


def _spatial(values: list[int]) -> int | list[int]:
    """An int when every dim agrees (as people write specs), else a list."""
    return values[0] if len(set(values)) == 1 else list(values)


def _channels_last(shape: tuple[int | None, ...], last: bool,
                   units: tuple[int, ...] = ()) -> tuple[int | None, ...]:
    """An ONNX shape with batch -> the spec's channels-last shape without it."""
    rest = tuple(v for i, v in enumerate(shape) if i and i not in units)
    if last or len(rest) <= 1:
        return rest
    return (*rest[1:], rest[0])


def _onnx(source: Any = None) -> Any:
    try:
        import onnx
    except ImportError:
        where = f"{os.fspath(source)}: " if isinstance(source, (str, os.PathLike)) else ""
        raise SpecError([f"{where}importing ONNX needs the onnx package: {INSTALL}"]) from None
    return onnx


def _read(onnx: Any, source: Any) -> tuple[Any, str, str | None]:
    """The model, a label for messages and the directory of its external data, if a file."""
    if isinstance(source, onnx.ModelProto):
        return source, "<onnx model>", None
    path: str | None = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, base = "<onnx bytes>", None
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label, base = path, os.path.dirname(os.path.abspath(path))
        if not os.path.isfile(path):
            raise SpecError([f"{label}: no such file"])
    else:
        raise TypeError(f"from_onnx reads a path, bytes or an onnx.ModelProto, "
                        f"not {type(source).__name__}")
    try:
        if path is None:
            model = onnx.load_from_string(bytes(source))
        else:  # the weights' external data stays where it is: only their dims are read
            model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, OSError: the file is not a model
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError([f"{label}: not an ONNX model ({reason})"]) from None
    if not model.graph.node or not model.graph.output:
        raise SpecError([f"{label}: not an ONNX model (no graph with nodes and an output)"])
    return model, label, base


def _attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        out[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return out


def _close(a: float, b: float) -> bool:
    """Attributes are float32 in ONNX: 1/6 comes back as 0.1666666716..."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def _float(value: float) -> float:
    """A float32 attribute as its shortest decimal (9.99999974e-06 -> 1e-05)."""
    import numpy as np

    return float(str(np.float32(value)))


class _Importer:
    """Walks the graph in order, turning each ONNX node into graph Nodes or folding it."""

    def __init__(self, onnx: Any, model: Any, label: str, base: str | None) -> None:
        self.onnx = onnx
        self.label = label
        self.base = base
        if model.functions:
            from onnx import inliner

            model = inliner.inline_local_functions(model)
        self.initializers = {t.name: t for t in model.graph.initializer}
        """The weights with their data (read only for small values: pads, scales, shapes)."""
        self.model = _repaired(_skeleton(model))
        self.graph = self.model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          1)
        self.types: dict[str, int] = {}
        """Value -> ONNX element type (CastLike of a constant takes a tensor's type)."""
        self.producer: dict[str, Any] = {out: node for node in self.graph.node
                                         for out in node.output if out}
        self.constants: set[str] = set(self.initializers)
        self.values: dict[str, Any] = {}
        self.shapes = self._infer_shapes(self.model)
        if any(out and not self._static(out) for node in self.graph.node for out in node.output):
            self.shapes = self._infer_shapes(self._folded())
        self.scope_ops: dict[tuple[str, ...], set[str]] = {}
        """The op types (not constants) exported from each PyTorch submodule."""
        for node in self.graph.node:
            scope = _module_scope(node)
            if scope is not None and node.op_type != "Constant":
                self.scope_ops.setdefault(scope, set()).add(node.op_type)
        self.consumers: dict[str, list[int]] = {}
        for index, node in enumerate(self.graph.node):
            for name in node.input:
                self.consumers.setdefault(name, []).append(index)
        for output in self.graph.output:
            self.consumers.setdefault(output.name, []).append(-1)
        self.tensors: dict[str, _Tensor] = {}
        self.nodes: dict[str, Node] = {}
        self.sites: dict[str, str] = {}
        """Node name -> 'node NAME (OpType)', for messages about it after the walk."""
        self.expect: dict[str, tuple[int | None, ...]] = {}
        """Node name -> the channels-last shape ONNX shape inference gives its output."""
        self.weights: dict[str, str] = {}
        """Initializer -> the layer that owns it (a second owner would share weights)."""
        self.cuts: dict[str, tuple[str, tuple[int, ...], list[tuple[int, int]]]] = {}
        """Crop Nodes from Slice or negative Pad: source Node, its spatial size, (before, after)."""
        self.unrolled: dict[str, tuple[_Tensor, tuple[int, ...]]] = {}
        """Reshapes of a whole tensor into one axis: the tensor and its shape."""
        self.passthrough: set[int] = set()
        """ONNX nodes that only relabel a tensor (Identity, Transpose): not real readers."""
        self.notes: list[str] = []
        self.index = -1
        """The ONNX node being translated (its position in the graph)."""
        self.input_name = ""
        self.input_shape: tuple[int, ...] = ()

    # -- set-up --------------------------------------------------------------------------------
    def _infer_shapes(self, model: Any) -> dict[str, tuple[int | None, ...]]:
        """Every value's ONNX shape as shape inference gives it (None: unknown dim)."""
        from onnx import shape_inference

        try:
            inferred = shape_inference.infer_shapes(model, data_prop=True)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise SpecError([f"{self.label}: ONNX shape inference fails on this model: "
                             f"{reason}"]) from None
        shapes: dict[str, tuple[int | None, ...]] = {}
        graph = inferred.graph
        for info in [*graph.input, *graph.value_info, *graph.output]:
            tensor = info.type.tensor_type
            self.types[info.name] = tensor.elem_type
            if tensor.HasField("shape"):
                shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                          for d in tensor.shape.dim)
        for name, init in self.initializers.items():
            shapes[name] = tuple(init.dims)
        return shapes

    def _folded(self) -> Any:
        """A copy of the model for a second round of shape inference, its small constant
        computations (a Slice's bounds built from Constant and Unsqueeze nodes, as PyTorch's
        exporter writes them without constant folding) replaced by Constant nodes: shape
        inference does not see through them, so every shape after them would be unknown."""
        from onnx import helper, numpy_helper

        constant = set(self.initializers)
        for node in self.graph.node:
            data = [n for n in node.input if n][:1] if node.op_type == "CastLike" else \
                [n for n in node.input if n]
            static = node.op_type in ("Shape", "Size") and self._static(node.input[0])
            if node.op_type == "Constant" or static or all(n in constant for n in data):
                constant.update(node.output)
        model = type(self.model)()
        model.CopyFrom(self.model)
        for index, node in enumerate(self.graph.node):
            if node.op_type == "Constant" or len(node.output) != 1 or \
                    node.output[0] not in constant or not self._small(node):
                continue
            try:
                value = self.value(node.output[0])
            except _Problem:
                continue
            if value.size > SMALL:
                continue  # weights: shape inference knows their dims already
            model.graph.node[index].CopyFrom(helper.make_node(
                "Constant", [], [node.output[0]],
                value=numpy_helper.from_array(value, node.output[0])))
        return model

    def _small(self, node: Any) -> bool:
        """A constant computation worth folding: a known, small output from small inputs
        (never a weight: a Transpose of a dense layer's kernel may be gigabytes)."""
        reads = [] if node.op_type in ("Shape", "Size") else [n for n in node.input if n]
        sizes = [self._size(n) for n in [node.output[0], *reads]]
        return sizes[0] is not None and all(v is None or v <= SMALL for v in sizes) and \
            sizes[0] <= SMALL

    def _size(self, name: str) -> int | None:
        """How many values a tensor holds, if shape inference knows."""
        shape = self.shapes.get(name)
        if shape is None or any(v is None for v in shape):
            return None
        return math.prod(v for v in shape if v is not None)

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
        return name, [int(v) for v in _channels_last(shape, last)], last  # type: ignore[arg-type]

    def _fed_channels_last(self, name: str, rank: int) -> bool:
        """A channels-last input (Keras, TensorFlow) goes through a Transpose to channels
        first before anything reads it."""
        readers = [self.graph.node[i] for i in self.consumers.get(name, []) if i >= 0]
        to_first = [0, rank - 1, *range(1, rank - 1)]
        return rank >= 3 and bool(readers) and all(
            n.op_type == "Transpose" and list(_attrs(n).get("perm", [])) == to_first
            for n in readers)

    # -- values --------------------------------------------------------------------------------
    def site(self, node: Any) -> str:
        return f"node {node.name or node.output[0]} ({node.op_type})"

    def tensor(self, name: str, units_ok: bool = False) -> _Tensor:
        if name in self.tensors:
            t = self.tensors[name]
            if t.units and not units_ok:
                raise _Problem(f"reads {name}, which has axes {list(t.units)} added by "
                               "Unsqueeze; only a global pool and a Squeeze may read those")
            return t
        if name in self.constants:
            raise _Problem(f"reads the constant {name} where a computed tensor is expected")
        if name in self.unrolled:
            raise _Problem(f"reads {name}, a tensor reshaped into one axis with its batch")
        raise _Problem(f"reads {name!r}, which no earlier node computes")

    def shape(self, name: str) -> tuple[int | None, ...]:
        shape = self.shapes.get(name)
        if shape is None:
            raise _Problem(f"ONNX shape inference gives no shape for {name}")
        return shape

    def dims(self, name: str) -> tuple[int, ...]:
        """A shape whose dims are all known, except perhaps the batch (taken as 1)."""
        shape = self.shape(name)
        if any(v is None for v in shape[1:]):
            raise _Problem(f"the shape of {name} is not static ({list(shape)})")
        return tuple(1 if v is None else v for v in shape)

    def value(self, name: str) -> Any:
        """A constant's value (small ones: pads, axes, scales; never a layer's weights)."""
        from onnx import numpy_helper

        if name in self.values:
            return self.values[name]
        if name in self.initializers:
            tensor = self.initializers[name]
            if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
                if self.base is None:
                    raise _Problem(f"needs the value of {name}, stored outside the model")
                from onnx import external_data_helper

                tensor = type(tensor)()
                tensor.CopyFrom(self.initializers[name])
                try:
                    external_data_helper.load_external_data_for_tensor(tensor, self.base)
                except Exception as exc:  # OSError, onnx's ValidationError: missing file
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise _Problem(f"needs the value of {name}, stored outside the model, "
                                   f"which cannot be read ({reason})") from None
            array = numpy_helper.to_array(tensor)
        elif name in self.producer:
            node = self.producer[name]
            if node.op_type == "Shape":
                array = self._shape_value(node)
            else:
                array = self._evaluate(node)
        else:
            raise _Problem(f"needs the value of {name}, which is not a constant")
        self.values[name] = array
        return array

    def _shape_value(self, node: Any) -> Any:
        import numpy as np

        data = node.input[0]
        dims = list(self.const_shape(data) if data in self.constants else self.dims(data))
        a = _attrs(node)
        start, end = a.get("start", 0), a.get("end", len(dims))
        return np.array(dims[start:end], dtype=np.int64)

    def _evaluate(self, node: Any) -> Any:
        from onnx.reference import ReferenceEvaluator

        if node.op_type == "CastLike" and node.input[1] not in self.constants:
            import numpy as np
            from onnx import helper

            dtype = helper.tensor_dtype_to_np_dtype(self.types.get(node.input[1], 1))
            feeds = {node.input[0]: self.value(node.input[0]),
                     node.input[1]: np.zeros((0,), dtype=dtype)}
        else:
            feeds = {n: self.value(n) for n in node.input if n}
        try:
            results = ReferenceEvaluator(node, opsets={"": self.opset}).run(None, feeds)
        except Exception as exc:
            raise _Problem(f"cannot fold the constant {node.output[0]} "
                           f"({node.op_type}: {str(exc).strip().splitlines()[0]})") from None
        for out, array in zip(node.output, results):
            self.values[out] = array
        return self.values[node.output[0]]

    def const_shape(self, name: str) -> tuple[int, ...]:
        """A constant's shape, without reading its data (weights may be kilobytes or gigabytes)."""
        if name not in self.constants:
            raise _Problem(f"reads a computed tensor where a constant weight is expected ({name})")
        shape = self.shapes.get(name)
        if shape is not None and all(v is not None for v in shape):
            return tuple(int(v) for v in shape)  # type: ignore[arg-type]
        return tuple(self.value(name).shape)

    def ints(self, name: str) -> list[int]:
        return [int(v) for v in self.value(name).reshape(-1)]

    def optional(self, node: Any, index: int) -> str | None:
        return node.input[index] if len(node.input) > index and node.input[index] else None

    def weight_root(self, name: str) -> str | None:
        """The initializer a weight comes from through folded ops (a Transpose of W, an
        Unsqueeze of a per-channel scale)."""
        seen = 0
        while name not in self.initializers and name in self.producer and seen < 8:
            producer = self.producer[name]
            if producer.op_type not in REARRANGING or not producer.input:
                return None
            name, seen = producer.input[0], seen + 1
        return name if name in self.initializers else None

    def own(self, weight: str, owner: str = PENDING) -> str | None:
        """Claim a weight for the layer being built (one weight, one layer); its
        initializer's name, if it has one. PyTorch's TorchScript exporter stores equal
        initializers once and gives each layer an Identity of it: distinct values here."""
        if weight in self.weights:
            raise _Problem(f"reuses the weights {weight} of {self.weights[weight]}: a spec "
                           "gives every layer its own weights")
        self.weights[weight] = owner
        return self.weight_root(weight)

    def bias(self, node: Any, index: int, owner: str = PENDING) -> bool:
        """Whether the layer has a bias. An exporter may feed a bias-free layer a bias of
        zeros computed from constants (PyTorch's, unoptimised): that is no parameter."""
        name = self.optional(node, index)
        if name is None:
            return False
        self.const_shape(name)
        if self.weight_root(name) is None and not self.value(name).any():
            return False
        self.own(name, owner)
        return True

    @staticmethod
    def per_channel(shape: tuple[int, ...], rank: int, axis: int, channels: int) -> bool:
        """A constant that broadcasts one value per channel: [C], [C, 1, 1], [1, 1, C]..."""
        if len(shape) > rank:
            return False
        padded = (1,) * (rank - len(shape)) + tuple(shape)
        return padded[axis] == channels and all(v == 1 for i, v in enumerate(padded)
                                                 if i != axis)

    # -- building nodes ------------------------------------------------------------------------
    def name_for(self, node: Any, weight: str | None) -> str:
        """The most telling name the graph keeps: PyTorch's module path (``layer1.0.conv1``,
        from the dynamo exporter's metadata or the TorchScript exporter's node names), for
        a top-level op its weight's name (without ``.weight``) or its own, else the ONNX
        node's name, its weight's, or its output's."""
        scopes = _scopes(node)
        path = node.name.split("/")
        torchscript = node.name.startswith("/") and all(path[1:])  # /layer1/layer1.0/conv1/Conv
        if len(scopes) >= 3 and scopes[-2]:
            return self.unique(scopes[-2])
        if torchscript and len(path) >= 3:
            return self.unique(path[-2])
        if weight is not None and (scopes or torchscript or not node.name):
            for suffix in (".weight", ".kernel", ".scale", ".gamma"):
                if weight.endswith(suffix) and len(weight) > len(suffix):
                    return self.unique(weight[:-len(suffix)])
            return self.unique(weight)
        if len(scopes) == 2 and scopes[-1]:
            return self.unique(scopes[-1])  # a function the top module calls: fx's name
        if torchscript:
            return self.unique(path[-1])
        return self.unique(node.name or node.output[0])

    def alone_in_scope(self, node: Any) -> bool:
        """Whether ``node``'s op is all the PyTorch module it came from computes (an
        nn.ReLU, however often it is called)."""
        scope = _module_scope(node)
        return scope is not None and self.scope_ops.get(scope) == {node.op_type}

    def unique(self, base: str) -> str:
        taken = set(self.nodes) | {self.input_name, "input"}
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        return candidate

    def add(self, node: Any, layer: dict[str, Any], inputs: list[str], last: bool,
            weight: str | None = None, output: str | None = None,
            units: tuple[int, ...] = (), name: str | None = None) -> str:
        """A new graph Node for ``node``'s output (or ``output``)."""
        name = name or self.name_for(node, weight)
        # an activation alone in a module's scope was an activation module (nn.ReLU): a row
        # of its own, as from_torch keeps it; elsewhere it may join the layer before it
        fuse = not (layer.get("type") == "activation" and self.alone_in_scope(node))
        self.nodes[name] = Node(name, layer, inputs, fuse=fuse)
        self.sites[name] = self.site(node)
        for root, owner in self.weights.items():
            if owner == PENDING:
                self.weights[root] = name
        out = output or node.output[0]
        self.tensors[out] = _Tensor(name, last, units)
        shape = self.shapes.get(out)
        if shape is not None:
            self.expect[name] = _channels_last(shape, last, units)
        return name

    def alias(self, node: Any, x: _Tensor, last: bool | None = None,
              units: tuple[int, ...] | None = None) -> None:
        """``node``'s output is ``x`` itself, perhaps in another layout."""
        self.tensors[node.output[0]] = _Tensor(x.node, x.last if last is None else last,
                                               x.units if units is None else units)
        self.passthrough.add(self.index)

    def sole_reader(self, node_name: str) -> bool:
        """Only the node being translated reads this Node's output (so it may be rewritten)."""
        readers: set[int] = set()
        for value, t in self.tensors.items():
            if t.node == node_name:
                readers.update(i for i in self.consumers.get(value, [])
                               if i not in self.passthrough)
        return readers == {self.index}

    def layer_of(self, name: str) -> Node | None:
        return self.nodes.get(name)

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def spatial_axes(self, name: str, t: _Tensor) -> list[int]:
        rank = self.rank(name)
        return list(range(1, rank - 1)) if t.last else list(range(2, rank))

    # -- the walk ------------------------------------------------------------------------------
    def run(self, name: str | None) -> dict[str, Any]:
        if len(self.graph.output) != 1:
            listed = ", ".join(o.name for o in self.graph.output)
            raise SpecError([f"{self.label}: the graph has {len(self.graph.output)} outputs "
                             f"({listed}); a spec has exactly one"])
        self.input_name, input_shape, input_last = self._input()
        self.input_shape = tuple(input_shape)
        self.tensors[self.input_name] = _Tensor(self.input_name, input_last)
        for self.index, node in enumerate(self.graph.node):
            try:
                self.translate(node)
            except _Problem as exc:
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
            raise _Problem(f"unsupported ONNX op {node.domain}.{node.op_type} (a custom domain)")
        inputs = [n for n in node.input if n]
        if node.op_type == "CastLike":
            inputs = inputs[:1]  # the second input gives only the type
        if node.op_type == "Constant" or all(n in self.constants for n in inputs) or (
                node.op_type in ("Shape", "Size") and self._static(node.input[0])):
            self.constants.update(node.output)
            return
        handler = getattr(self, f"op_{node.op_type}", None)
        if handler is None:
            raise _Problem(f"unsupported ONNX op {node.op_type}: cnnshape has no layer for it")
        for extra in node.output[1:]:
            if extra and self.consumers.get(extra):
                raise _Problem(f"its output {extra} is read; a spec layer has one output")
        handler(node)

    def op_Shape(self, node: Any) -> None:
        raise _Problem(f"reads the shape of {node.input[0]}, which is not static")

    op_Size = op_Shape

    def _static(self, name: str) -> bool:
        shape = self.shapes.get(name)
        return shape is not None and all(v is not None for v in shape[1:])

    # -- convolution and pooling ---------------------------------------------------------------
    def window_pads(self, node: Any, dims: tuple[int, ...], kernel: list[int], stride: list[int],
                    dilation: list[int], allow_same: bool = True) -> int | list[int] | str:
        """ONNX pads/auto_pad -> the spec's padding: symmetric numbers, or TensorFlow's
        "same" where the pads are exactly what it would choose for this input."""
        a = _attrs(node)
        nd = len(kernel)
        auto = a.get("auto_pad", "NOTSET")
        effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
        same = [same_pads(n, e, s) for n, e, s in zip(dims, effective, stride)]
        if auto == "VALID":
            return 0
        if auto == "SAME_UPPER":
            pairs = same
        elif auto == "SAME_LOWER":
            pairs = [(after, before) for before, after in same]
        elif auto == "NOTSET":
            pads = list(a.get("pads", [0] * (2 * nd)))
            pairs = list(zip(pads[:nd], pads[nd:]))
        else:
            raise _Problem(f"unknown auto_pad {auto!r}")
        if all(b == e for b, e in pairs):
            return _spatial([b for b, _ in pairs])
        if pairs == same and allow_same:
            return "same"
        raise _Problem(f"pads {[p[0] for p in pairs] + [p[1] for p in pairs]} differ before and "
                       "after: a spec pads both sides equally, or as TensorFlow's \"same\" "
                       f"(for this input {[p[0] for p in same] + [p[1] for p in same]})")

    def _window(self, node: Any, weights_first: int
                ) -> tuple[_Tensor, tuple[int, ...], tuple[int, ...], list[int], list[int],
                           list[int], int]:
        """What Conv and ConvTranspose share: the input, its shape, the weights' shape,
        kernel, stride, dilation and groups; the weights must read the input's channels."""
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last or len(shape) < 3:
            raise _Problem(f"convolves a {'channels-last' if x.last else 'flat'} tensor "
                           f"{list(shape)}: ONNX's {node.op_type} reads [N, C, spatial...]")
        w = self.const_shape(node.input[1])
        a = _attrs(node)
        nd = len(shape) - 2
        groups = int(a.get("group", 1))
        kernel = [int(v) for v in a.get("kernel_shape", w[2:])]
        stride = [int(v) for v in a.get("strides", [1] * nd)]
        dilation = [int(v) for v in a.get("dilations", [1] * nd)]
        reads = w[1] * groups if weights_first == 0 else w[0]  # Conv: [M, C/g, k...]
        if reads != shape[1]:
            raise _Problem(f"weights {list(w)} with group {groups} do not read the input's "
                           f"{shape[1]} channels")
        return x, shape, w, kernel, stride, dilation, groups

    def _finish_window(self, node: Any, layer: dict[str, Any], x: _Tensor, dilation: list[int],
                       groups: int) -> None:
        if any(d != 1 for d in dilation):
            layer["dilation"] = _spatial(dilation)
        if groups != 1:
            layer["groups"] = groups
        if not self.bias(node, 2):
            layer["bias"] = False
        self.add(node, layer, [x.node], False, weight=self.own(node.input[1]))

    def op_Conv(self, node: Any) -> None:
        x, shape, w, kernel, stride, dilation, groups = self._window(node, 0)
        layer: dict[str, Any] = {"type": "conv", "filters": w[0], "kernel": _spatial(kernel)}
        if any(s != 1 for s in stride):
            layer["stride"] = _spatial(stride)
        padding = self.window_pads(node, shape[2:], kernel, stride, dilation)
        if padding != 0:
            layer["padding"] = padding
        self._finish_window(node, layer, x, dilation, groups)

    def op_ConvTranspose(self, node: Any) -> None:
        x, shape, w, kernel, stride, dilation, groups = self._window(node, 1)
        extra = [int(v) for v in _attrs(node).get("output_padding", [0] * len(kernel))]
        layer: dict[str, Any] = {"type": "conv_transpose", "filters": w[1] * groups,
                                 "kernel": _spatial(kernel)}
        if any(s != 1 for s in stride):
            layer["stride"] = _spatial(stride)
        pairs = self._transpose_crops(_attrs(node), shape[2:], kernel, stride, dilation, extra)
        if all(b == e for b, e in pairs):
            if any(b for b, _ in pairs):
                layer["padding"] = _spatial([b for b, _ in pairs])
            if any(extra):
                layer["output_padding"] = _spatial(extra)
        else:
            # Keras's "same": output n*s, the canvas cropped (t//2, t - t//2), t = d(k-1)+1-s
            # (as cnnshape's conv_transpose crops it)
            keras = []
            for k, s, d in zip(kernel, stride, dilation):
                t = d * (k - 1) + 1 - s
                keras.append((t // 2, t - t // 2) if t >= 0 else (0, t))
            if pairs != keras or any(extra):
                raise _Problem(f"crops {pairs} (before, after) per dim: a spec crops both "
                               "sides equally, or as Keras's \"same\"")
            layer["padding"] = "same"
        self._finish_window(node, layer, x, dilation, groups)

    @staticmethod
    def _transpose_crops(a: dict[str, Any], dims: tuple[int, ...], kernel: list[int],
                         stride: list[int], dilation: list[int],
                         extra: list[int]) -> list[tuple[int, int]]:
        """(before, after) crops of ConvTranspose's canvas, from pads, auto_pad or output_shape."""
        nd = len(kernel)
        auto = a.get("auto_pad", "NOTSET")
        wanted = a.get("output_shape")
        if wanted is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
            outs = [int(v) for v in wanted][-nd:] if wanted is not None else \
                [n * s for n, s in zip(dims, stride)]
            pairs = []
            for n, k, s, d, e, o in zip(dims, kernel, stride, dilation, extra, outs):
                total = s * (n - 1) + e + d * (k - 1) + 1 - o
                if auto == "SAME_UPPER":
                    pairs.append((total // 2, total - total // 2))
                else:
                    pairs.append((total - total // 2, total // 2))
            return pairs
        if auto == "VALID":
            return [(0, 0)] * nd
        pads = [int(v) for v in a.get("pads", [0] * (2 * nd))]
        return list(zip(pads[:nd], pads[nd:]))

    def _pool(self, node: Any, mode: str) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last or len(shape) < 3:
            raise _Problem(f"pools a {'channels-last' if x.last else 'flat'} tensor "
                           f"{list(shape)}: ONNX's pools read [N, C, spatial...]")
        a = _attrs(node)
        nd = len(shape) - 2
        kernel = [int(v) for v in a["kernel_shape"]]
        stride = [int(v) for v in a.get("strides", [1] * nd)]
        if any(int(d) != 1 for d in a.get("dilations", [1] * nd)):
            raise _Problem("dilated pooling: a spec's pool has no dilation")
        ceil = bool(a.get("ceil_mode", 0))
        layer: dict[str, Any] = {"type": "pool", "mode": mode, "kernel": _spatial(kernel),
                                 "stride": _spatial(stride)}
        padding = self.window_pads(node, shape[2:], kernel, stride, [1] * nd,
                                   allow_same=not ceil)
        if mode == "avg" and padding != 0:
            padding = self._averaged(node, padding, shape[2:], kernel, stride, ceil)
        if padding != 0:
            layer["padding"] = padding
        if ceil:
            layer["ceil_mode"] = True
        self.add(node, layer, [x.node], False)

    def _averaged(self, node: Any, padding: int | list[int] | str, dims: tuple[int, ...],
                  kernel: list[int], stride: list[int], ceil: bool) -> int | list[int] | str:
        """A spec's average pool counts the padded cells with numeric padding (PyTorch's
        default), not with "same" (TensorFlow's). ONNX says which with count_include_pad:
        where the pads are the ones "same" picks, "same" is exact, values too; elsewhere
        the shapes are, and the description says the reference pass's values are not."""
        counted = bool(_attrs(node).get("count_include_pad", 0))
        if padding == "same" and counted:
            self.notes.append(f"{self.site(node)} averages the padded cells too: shapes are "
                              "exact; the reference pass leaves them out")
        elif padding != "same" and not counted:
            pads = [padding] * len(kernel) if isinstance(padding, int) else list(padding)
            same = [same_pads(n, k, s) for n, k, s in zip(dims, kernel, stride)]
            if not ceil and [(p, p) for p in pads] == same:
                return "same"
            self.notes.append(f"{self.site(node)} averages without the padded cells: shapes "
                              "are exact; the reference pass counts them")
        return padding

    def op_MaxPool(self, node: Any) -> None:
        if _attrs(node).get("storage_order", 0):
            raise _Problem("column-major storage_order")
        self._pool(node, "max")

    def op_AveragePool(self, node: Any) -> None:
        self._pool(node, "avg")

    def _global(self, node: Any, mode: str, keepdims: bool = True) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        if self.rank(node.input[0]) - len(x.units) < 3:
            raise _Problem("pools a tensor without spatial dims")
        name = self.add(node, {"type": "global_pool", "mode": mode}, [x.node], x.last,
                        units=x.units if keepdims else ())
        if not keepdims:
            flat = self.unique(f"{name}.flatten")
            self.nodes[flat] = Node(flat, {"type": "flatten"}, [name])
            self.sites[flat] = self.site(node)
            self.tensors[node.output[0]] = _Tensor(flat, False)
            shape = self.shapes.get(node.output[0])
            del self.expect[name]
            if shape is not None:
                self.expect[flat] = _channels_last(shape, False)

    def op_GlobalAveragePool(self, node: Any) -> None:
        if self.tensor(node.input[0]).last:
            raise _Problem("pools a channels-last tensor: ONNX's GlobalAveragePool reads "
                           "[N, C, spatial...]")
        self._global(node, "avg")

    def op_GlobalMaxPool(self, node: Any) -> None:
        if self.tensor(node.input[0]).last:
            raise _Problem("pools a channels-last tensor: ONNX's GlobalMaxPool reads "
                           "[N, C, spatial...]")
        self._global(node, "max")

    def _reduce(self, node: Any, mode: str) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        rank = self.rank(node.input[0])
        a = _attrs(node)
        axes_input = self.optional(node, 1)
        if axes_input is not None:
            axes = self.ints(axes_input)
        else:
            axes = [int(v) for v in a.get("axes", [])]
        if not axes and not a.get("noop_with_empty_axes", 0):
            axes = list(range(rank))
        spatial = self.spatial_axes(node.input[0], x)
        if rank - len(x.units) < 3 or sorted({v % rank for v in axes}) != spatial:
            raise _Problem(f"reduces axes {axes} of a rank-{rank} "
                           f"{'channels-last' if x.last else 'channels-first'} tensor; only a "
                           f"reduction over all spatial axes {spatial} is a global pool")
        self._global(node, mode, bool(a.get("keepdims", 1)))

    def op_ReduceMean(self, node: Any) -> None:
        self._reduce(node, "avg")

    def op_ReduceMax(self, node: Any) -> None:
        self._reduce(node, "max")

    # -- dense ---------------------------------------------------------------------------------
    def op_Gemm(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        a = _attrs(node)
        if a.get("transA", 0):
            raise _Problem("transA: a layer multiplies its input on the left")
        shape = self.dims(node.input[0])
        w = self.const_shape(node.input[1])
        units, inputs = (w[0], w[1]) if a.get("transB", 0) else (w[1], w[0])
        if len(shape) != 2 or shape[1] != inputs:
            raise _Problem(f"weights {list(w)} (transB={a.get('transB', 0)}) do not read the "
                           f"input {list(shape)}")
        layer: dict[str, Any] = {"type": "dense", "units": units}
        bias = self.optional(node, 2)
        if bias is not None and a.get("beta", 1.0) != 0.0:
            size = math.prod(self.const_shape(bias))
            if size != units:
                raise _Problem(f"bias {bias} has {size} values for {units} units")
        if bias is None or a.get("beta", 1.0) == 0.0 or not self.bias(node, 2):
            layer["bias"] = False
        self.add(node, layer, [x.node], False, weight=self.own(node.input[1]))

    def op_MatMul(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if node.input[1] not in self.constants:
            raise _Problem("multiplies two computed tensors; a dense layer multiplies by weights")
        w = self.const_shape(node.input[1])
        if len(w) != 2 or w[0] != shape[-1]:
            raise _Problem(f"weights {list(w)} do not map the input's last axis {list(shape)}")
        if len(shape) > 2 and not x.last:
            raise _Problem("multiplies the last axis of a channels-first tensor (its width), "
                           "not its channels")
        self.add(node, {"type": "dense", "units": w[1], "bias": False}, [x.node], x.last,
                 weight=self.own(node.input[1]))

    # -- element-wise --------------------------------------------------------------------------
    def _binary(self, node: Any, mode: str) -> tuple[_Tensor, str] | None:
        """A merge of two computed tensors; else the computed operand and the constant."""
        a_name, b_name = node.input[0], node.input[1]
        if a_name in self.constants:
            a_name, b_name = b_name, a_name
        a = self.tensor(a_name)
        if b_name in self.constants:
            return a, b_name
        self._merge(node, mode, [a_name, b_name])
        return None

    def _merge(self, node: Any, mode: str, names: list[str], output: str | None = None,
               name: str | None = None) -> None:
        tensors = [self.tensor(n) for n in names]
        ranks = {self.rank(n) for n in names}
        if len(ranks) != 1:
            raise _Problem(f"merges tensors of ranks {sorted(ranks)}; ONNX broadcasting across "
                           "ranks aligns other axes than a spec's")
        if ranks.pop() > 2 and len({t.last for t in tensors}) != 1:
            raise _Problem("merges a channels-last tensor with a channels-first one")
        inputs = [t.node for t in tensors]
        crop = self._crop_merge(inputs)
        layer: dict[str, Any] = {"type": "merge", "mode": mode}
        if crop is not None:
            inputs = crop
            layer["crop"] = True
        self.add(node, layer, inputs, tensors[0].last, output=output, name=name)

    def op_Add(self, node: Any) -> None:
        split = self._binary(node, "add")
        if split is None:
            return
        x, const = split
        # MatMul + Add is a dense layer with a bias (and Conv + Add a conv with one)
        before = self.layer_of(x.node)
        shape = self.const_shape(const)
        data = node.input[0] if node.input[0] != const else node.input[1]
        rank = self.rank(data)
        if before is not None and before.layer.get("bias") is False and \
                before.layer["type"] in ("dense", "conv", "conv_transpose") and \
                self.sole_reader(x.node):
            channels = int(before.layer.get("units", before.layer.get("filters", 0)))
            if self.per_channel(shape, rank, self.channel_axis(x, rank), channels):
                del before.layer["bias"]
                self.own(const, x.node)
                self.tensors[node.output[0]] = x
                self.passthrough.add(self.index)
                return
        raise _Problem(f"adds the constant {const} {list(shape)}: a spec has no layer that "
                       "adds a constant, except as a conv's or dense layer's bias")

    @staticmethod
    def channel_axis(x: _Tensor, rank: int) -> int:
        """The ONNX axis of the spec's channels."""
        return rank - 1 if (x.last or rank == 2) else 1

    def op_Sum(self, node: Any) -> None:
        if len([n for n in node.input if n]) == 1:
            self.alias(node, self.tensor(node.input[0]))
            return
        self._merge(node, "add", [n for n in node.input if n])

    def op_Mul(self, node: Any) -> None:
        a_name, b_name = node.input[0], node.input[1]
        if a_name not in self.constants and b_name not in self.constants:
            if self._swish(node, a_name, b_name) or self._swish(node, b_name, a_name):
                return
        split = self._binary(node, "multiply")
        if split is None:
            return
        x, const = split
        data = node.input[0] if node.input[0] != const else node.input[1]
        rank = self.rank(data)
        shape = self.const_shape(const)
        axis = self.channel_axis(x, rank)
        if self.per_channel(shape, rank, axis, self.dims(data)[axis]) and math.prod(shape) > 1:
            self.add(node, {"type": "scale"}, [x.node], x.last, weight=self.own(const))
            return
        raise _Problem(f"multiplies by the constant {const} {list(shape)}: a spec has no such "
                       "layer, except a per-channel scale (one value per channel)")

    def _swish(self, node: Any, x_name: str, gate_name: str) -> bool:
        """x * sigmoid(x) is silu; x * hardsigmoid(x) is hardswish (older exporters' form)."""
        x, gate = self.tensor(x_name), self.tensor(gate_name)
        before = self.layer_of(gate.node)
        if before is None or before.layer.get("type") != "activation" or \
                before.inputs != [x.node] or not self.sole_reader(gate.node):
            return False
        function = {"sigmoid": "silu", "hardsigmoid": "hardswish"}.get(before.layer["function"])
        if function is None:
            return False
        before.layer["function"] = function
        self.tensors[node.output[0]] = gate
        self.passthrough.add(self.index)
        return True

    def op_Concat(self, node: Any) -> None:
        names = [n for n in node.input if n]
        for n in names:
            if n in self.constants:
                raise _Problem(f"concatenates the constant {n}; a spec concatenates layers")
        if len(names) == 1:
            self.alias(node, self.tensor(names[0]))
            return
        x = self.tensor(names[0])
        rank = self.rank(names[0])
        axis = int(_attrs(node).get("axis", 1)) % rank
        if axis != self.channel_axis(x, rank):
            raise _Problem(f"concatenates on axis {axis}; a spec concatenates on channels")
        groups = self._nested(names)
        if len(groups) == 1:
            self._merge(node, "concat", names)
            return
        outer = self.name_for(node, None)
        inner = []
        for group in groups:
            if len(group) == 1:
                inner.append(group[0])
                continue
            value = f"{node.output[0]}/{len(inner)}"
            shape = list(self.dims(group[0]))
            shape[axis] = sum(self.dims(n)[axis] for n in group)
            self.shapes[value] = tuple(shape)
            self._merge(node, "concat", group, output=value,
                        name=self.unique(f"{outer}.{len(inner)}"))
            inner.append(value)
        self._merge(node, "concat", inner, name=outer)

    def _nested(self, names: list[str]) -> list[list[str]]:
        """Exporters flatten cat([a, cat([b1, b2]), c]) into one Concat. Inputs next to each
        other that share a layer no other input reads from (b1 and b2 from the same b0)
        were a nested concat: regroup them, so the spec has Inception's nested blocks."""
        ancestry = [self._ancestors(self.tensor(n).node) for n in names]
        common = set.intersection(*ancestry)
        groups = [[names[0]]]
        for i in range(1, len(names)):
            if (ancestry[i - 1] & ancestry[i]) - common:
                groups[-1].append(names[i])
            else:
                groups.append([names[i]])
        return groups

    def _ancestors(self, name: str) -> set[str]:
        """A Node and every Node it reads from, directly or not."""
        seen = {name}
        stack = [name]
        while stack:
            node = self.nodes.get(stack.pop())
            for read in node.inputs if node is not None else []:
                if read not in seen:
                    seen.add(read)
                    stack.append(read)
        return seen

    # -- activations ---------------------------------------------------------------------------
    def _activation(self, node: Any, function: str) -> None:
        x = self.tensor(node.input[0])
        self.add(node, {"type": "activation", "function": function}, [x.node], x.last)

    def op_Relu(self, node: Any) -> None:
        self._activation(node, "relu")

    def op_Sigmoid(self, node: Any) -> None:
        self._activation(node, "sigmoid")

    def op_Tanh(self, node: Any) -> None:
        self._activation(node, "tanh")

    def op_HardSwish(self, node: Any) -> None:
        self._activation(node, "hardswish")

    def op_Elu(self, node: Any) -> None:
        alpha = _attrs(node).get("alpha", 1.0)
        if not _close(alpha, 1.0):
            raise _Problem(f"alpha {alpha:g}: a spec's elu has alpha 1")
        self._activation(node, "elu")

    def op_LeakyRelu(self, node: Any) -> None:
        alpha = _attrs(node).get("alpha", 0.01)
        if not _close(alpha, 0.01):
            raise _Problem(f"alpha {_float(alpha):g}: a spec's leaky_relu has slope 0.01")
        self._activation(node, "leaky_relu")

    def op_HardSigmoid(self, node: Any) -> None:
        a = _attrs(node)
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if not (_close(alpha, 1 / 6) and _close(beta, 0.5)):
            raise _Problem(f"alpha {_float(alpha):g}, beta {_float(beta):g}: a spec's "
                           "hardsigmoid is x/6 + 1/2 (alpha 1/6, beta 0.5)")
        self._activation(node, "hardsigmoid")

    def op_Gelu(self, node: Any) -> None:
        approximate = _attrs(node).get("approximate", "none")
        if approximate != "none":
            raise _Problem(f"approximate={approximate!r}: a spec's gelu is the exact (erf) form")
        self._activation(node, "gelu")

    def op_Clip(self, node: Any) -> None:
        a = _attrs(node)
        low_name, high_name = self.optional(node, 1), self.optional(node, 2)
        low = float(self.value(low_name)) if low_name else a.get("min", -math.inf)
        high = float(self.value(high_name)) if high_name else a.get("max", math.inf)
        if low == 0.0 and high == 6.0:
            self._activation(node, "relu6")
        elif low == 0.0 and high == math.inf:
            self._activation(node, "relu")
        else:
            raise _Problem(f"clips to [{low:g}, {high:g}]: a spec clips only as relu6 [0, 6]")

    def op_Softmax(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axis = int(_attrs(node).get("axis", -1 if self.opset >= 13 else 1)) % rank
        channel = self.channel_axis(x, rank)
        # before opset 13 Softmax flattens from `axis` on: only the last axis is one axis
        if axis != channel or (self.opset < 13 and axis != rank - 1):
            raise _Problem(f"softmax over axis {axis} of a rank-{rank} tensor; a spec's softmax "
                           "normalises channels")
        self._activation(node, "softmax")

    # -- normalisation -------------------------------------------------------------------------
    def op_BatchNormalization(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last and len(shape) > 2:
            raise _Problem("normalises axis 1 of a channels-last tensor (not its channels)")
        scale = self.const_shape(node.input[1])
        if list(scale) != [shape[1]]:
            raise _Problem(f"scale {list(scale)} for {shape[1]} channels")
        a = _attrs(node)
        layer: dict[str, Any] = {"type": "batchnorm"}
        eps = _float(a.get("epsilon", 1e-5))
        momentum = round(1.0 - _float(a.get("momentum", 0.9)), 6)  # ONNX keeps 1 - torch's
        if eps != 1e-5:
            layer["eps"] = eps
        if momentum != 0.1:
            layer["momentum"] = momentum
        for stat in node.input[2:5]:
            self.own(stat)
        self.add(node, layer, [x.node], x.last, weight=self.own(node.input[1]))

    def op_LayerNormalization(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        axis = int(_attrs(node).get("axis", -1)) % rank
        if axis != rank - 1 or (rank > 2 and not x.last):
            raise _Problem(f"normalises axes {list(range(axis, rank))} of a "
                           f"{'channels-last' if x.last else 'channels-first'} rank-{rank} "
                           "tensor; a spec's layernorm normalises channels")
        if self.optional(node, 2) is None:
            raise _Problem("no bias: a spec's layernorm has a scale and a bias per channel")
        eps = _float(_attrs(node).get("epsilon", 1e-5))
        layer: dict[str, Any] = {"type": "layernorm"}
        if eps != 1e-6:
            layer["eps"] = eps
        self.const_shape(node.input[1])
        self.own(node.input[2])
        self.add(node, layer, [x.node], x.last, weight=self.own(node.input[1]))

    # -- layout, shape and pass-through --------------------------------------------------------
    def op_Identity(self, node: Any) -> None:
        self.alias(node, self.tensor(node.input[0]))

    def op_Cast(self, node: Any) -> None:
        self.alias(node, self.tensor(node.input[0]))

    def op_Dropout(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        ratio_name = self.optional(node, 1)
        rate = float(self.value(ratio_name)) if ratio_name else \
            float(_attrs(node).get("ratio", 0.5))
        self.add(node, {"type": "dropout", "rate": _float(rate)}, [x.node], x.last)

    def op_Transpose(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        perm = [int(v) % rank for v in _attrs(node).get("perm", list(range(rank))[::-1])]
        to_last = [0, *range(2, rank), 1]
        to_first = [0, rank - 1, *range(1, rank - 1)]
        if perm == list(range(rank)):
            self.alias(node, x)
        elif rank >= 3 and not x.last and perm == to_last:
            self.alias(node, x, last=True)
        elif rank >= 3 and x.last and perm == to_first:
            self.alias(node, x, last=False)
        else:
            raise _Problem(f"permutes {perm}; only channels-first <-> channels-last moves "
                           "no data a spec sees")

    def op_Flatten(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axis = int(_attrs(node).get("axis", 1)) % rank if rank else 0
        if axis != 1:
            raise _Problem(f"flattens from axis {axis}; a spec flattens all but the batch")
        self.add(node, {"type": "flatten"}, [x.node], False)

    def op_Reshape(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        target = self.ints(node.input[1])
        allowzero = bool(_attrs(node).get("allowzero", 0))
        out = _reshape(shape, target, allowzero)
        if out is None:
            raise _Problem(f"reshapes {list(shape)} to {target}, which does not fit")
        if out == list(shape):
            self.alias(node, x)
        elif len(out) == 1:
            # everything, batch included, in one axis: only read back by a Gather (below)
            self.unrolled[node.output[0]] = (x, shape)
            self.passthrough.add(self.index)
        elif len(out) == 2 and out[0] == shape[0] and len(shape) >= 2:
            self.add(node, {"type": "flatten"}, [x.node], False)
        else:
            raise _Problem(f"reshapes {list(shape)} to {out}; a spec reshapes only as a flatten "
                           "to [N, -1]")

    def _axes(self, node: Any) -> list[int] | None:
        """Squeeze's and Unsqueeze's axes: an input from opset 13, an attribute before."""
        if self.opset >= 13:
            name = self.optional(node, 1)
            return self.ints(name) if name else None
        axes = _attrs(node).get("axes")
        return None if axes is None else [int(v) for v in axes]

    def op_Unsqueeze(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axes = self._axes(node) or []
        out_rank = rank + len(axes)
        added = sorted(a % out_rank for a in axes)
        if x.last or rank < 3 or added != list(range(rank, out_rank)):
            raise _Problem(f"inserts axes {axes} into a rank-{rank} tensor; a spec's tensors "
                           "gain no axes (only trailing unit axes before a global pool are "
                           "understood)")
        self.alias(node, x, units=tuple(added))

    def op_Squeeze(self, node: Any) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        shape = self.dims(node.input[0])
        rank = len(shape)
        axes = self._axes(node)
        gone = sorted(a % rank for a in axes) if axes is not None else \
            [i for i, v in enumerate(shape) if v == 1 and i > 0]
        spatial = self.spatial_axes(node.input[0], x)
        if x.units and gone == sorted(x.units):
            self.alias(node, x, units=())
        elif not x.units and gone == spatial and all(shape[i] == 1 for i in gone):
            self.add(node, {"type": "flatten"}, [x.node], False)  # [N, C, 1, 1] -> [N, C]
        else:
            raise _Problem(f"removes axes {gone} of {list(shape)}; a spec drops unit spatial "
                           "axes only after a global pool")

    def op_Gather(self, node: Any) -> None:
        """PyTorch's as_strided on a contiguous tensor exports as a Reshape to one axis and
        a Gather of every index in order, back into the original shape: the identity."""
        import numpy as np

        unrolled = self.unrolled.get(node.input[0])
        if unrolled is None or node.input[1] not in self.constants:
            raise _Problem("gathers values of a computed tensor; a spec has no such layer")
        x, shape = unrolled
        if int(_attrs(node).get("axis", 0)) != 0 or \
                tuple(self.const_shape(node.input[1])) != tuple(shape) or \
                not np.array_equal(self.value(node.input[1]).reshape(-1),
                                   np.arange(math.prod(shape))):
            raise _Problem("gathers values out of their order; a spec has no such layer")
        self.alias(node, x)

    # -- padding, cropping, resizing -----------------------------------------------------------
    def op_Pad(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        a = _attrs(node)
        mode = a.get("mode", "constant")
        pads_name = self.optional(node, 1)
        pads = self.ints(pads_name) if pads_name else [int(v) for v in a.get("pads", [])]
        value_name = self.optional(node, 2)
        value = float(self.value(value_name).reshape(-1)[0]) if value_name else \
            float(a.get("value", 0.0))
        axes_name = self.optional(node, 3)
        axes = [v % rank for v in self.ints(axes_name)] if axes_name else list(range(rank))
        if mode != "constant" or value != 0.0:
            raise _Problem(f"pads with {mode} {value:g}; a spec pads with zeros")
        per_axis = {axis: (pads[i], pads[i + len(axes)]) for i, axis in enumerate(axes)}
        self._window_change(node, x, shape, per_axis, "pads")

    def _window_change(self, node: Any, x: _Tensor, shape: tuple[int, ...],
                       per_axis: dict[int, tuple[int, int]], verb: str) -> None:
        """Pad (positive) or crop (negative) each spatial axis by (before, after)."""
        spatial = self.spatial_axes(node.input[0], x)
        for axis, pair in per_axis.items():
            if axis not in spatial and pair != (0, 0):
                raise _Problem(f"{verb} axis {axis} ({'batch' if axis == 0 else 'channels'}); "
                               "a spec pads and crops spatial dims only")
        pairs = [per_axis.get(axis, (0, 0)) for axis in spatial]
        if all(p == (0, 0) for p in pairs):
            self.alias(node, x)
            return
        if all(b >= 0 and e >= 0 for b, e in pairs):
            if any(b != e for b, e in pairs):
                raise _Problem(f"pads {pairs} (before, after) per spatial dim; a spec pads "
                               "both sides equally")
            self.add(node, {"type": "pad", "padding": _spatial([b for b, _ in pairs])},
                     [x.node], x.last)
            return
        if any(b > 0 or e > 0 for b, e in pairs):
            raise _Problem(f"pads and crops at once {pairs}")
        self._crop(node, x, [shape[a] for a in spatial], [(-b, -e) for b, e in pairs])

    def _crop(self, node: Any, x: _Tensor, dims: list[int], cuts: list[tuple[int, int]]) -> None:
        """A crop Node; consecutive crops of one tensor (one Slice per axis) become one."""
        previous = self.cuts.get(x.node)
        if previous is not None and self.sole_reader(x.node):
            source, size, before = previous
            merged = [(b0 + b1, a0 + a1) for (b0, a0), (b1, a1) in zip(before, cuts)]
            self.cuts[x.node] = (source, size, merged)
            self.tensors[node.output[0]] = x
            shape = self.shapes.get(node.output[0])
            if shape is not None:
                self.expect[x.node] = _channels_last(shape, x.last)
            self.passthrough.add(self.index)
            return
        name = self.add(node, {"type": "crop", "cropping": 0}, [x.node], x.last)
        self.cuts[name] = (x.node, tuple(dims), cuts)

    def op_Slice(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        a = _attrs(node)
        if self.opset < 10:
            starts, ends = [int(v) for v in a["starts"]], [int(v) for v in a["ends"]]
            axes = [int(v) for v in a.get("axes", range(len(starts)))]
            steps = [1] * len(starts)
        else:
            starts, ends = self.ints(node.input[1]), self.ints(node.input[2])
            axes_name, steps_name = self.optional(node, 3), self.optional(node, 4)
            axes = self.ints(axes_name) if axes_name else list(range(len(starts)))
            steps = self.ints(steps_name) if steps_name else [1] * len(starts)
        per_axis: dict[int, tuple[int, int]] = {}
        for start, end, axis, step in zip(starts, ends, axes, steps):
            axis %= rank
            n = shape[axis]
            if step != 1:
                raise _Problem(f"slices axis {axis} with step {step}; a spec crops contiguous "
                               "ranges")
            begin = min(max(start + n if start < 0 else start, 0), n)
            stop = min(max(end + n if end < 0 else end, 0), n)
            if stop <= begin:
                raise _Problem(f"slices axis {axis} to nothing ({start}:{end} of {n})")
            per_axis[axis] = (-begin, -(n - stop))
        self._window_change(node, x, shape, per_axis, "slices")

    def _crop_merge(self, inputs: list[str]) -> list[str] | None:
        """Crops that only feed this merge and center every input on the smallest size are
        the merge's own ``crop`` (U-Net's skips): their sources, or None."""
        if not any(i in self.cuts for i in inputs):
            return None
        sources, sizes, outs = [], [], []
        for name in inputs:
            if name in self.cuts:
                if not self.sole_reader(name):
                    return None
                source, size, cuts = self.cuts[name]
                sources.append(source)
                sizes.append(size)
                outs.append(tuple(n - b - e for n, (b, e) in zip(size, cuts)))
            else:
                shape = self.input_shape if name == self.input_name else self.expect.get(name)
                if shape is None or any(v is None for v in shape):
                    return None
                sources.append(name)
                sizes.append(tuple(shape[:-1]))  # type: ignore[arg-type]
                outs.append(tuple(shape[:-1]))  # type: ignore[arg-type]
        target = tuple(min(dim) for dim in zip(*sizes))
        if any(o != target for o in outs):
            return None
        for name in inputs:
            if name in self.cuts:
                _, size, cuts = self.cuts[name]
                if any(b != (n - t) // 2 for n, t, (b, _) in zip(size, target, cuts)):
                    return None
        for name in inputs:
            if name in self.cuts:
                del self.cuts[name]
                del self.nodes[name]
        return sources

    def _finish_crops(self) -> None:
        """Crop Nodes left standing: a spec's crop cuts both ends of a dim equally."""
        for name, (_, _, cuts) in self.cuts.items():
            if any(b != e for b, e in cuts):
                raise SpecError([f"{self.label}: {self.sites[name]}: crops {cuts} (before, "
                                 "after) per spatial dim; a spec crops both ends equally "
                                 "(or center-crops at a merge)"])
            self.nodes[name].layer["cropping"] = _spatial([b for b, _ in cuts])

    def _resize(self, node: Any, scales_name: str | None, sizes_name: str | None,
                axes: list[int] | None) -> None:
        """Nearest resizing by whole factors repeats every value (whatever the coordinate
        transformation and rounding attributes say): the spec's upsample."""
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        mode = _attrs(node).get("mode", "nearest")
        if mode != "nearest":
            raise _Problem(f"{mode} interpolation; a spec upsamples by nearest neighbour")
        axes = [v % rank for v in axes] if axes else list(range(rank))
        factors: dict[int, float] = {}
        if scales_name is not None and math.prod(self.const_shape(scales_name)) > 0:
            factors = {ax: float(s) for ax, s in zip(axes, self.value(scales_name).reshape(-1))}
        elif sizes_name is not None:
            factors = {ax: int(s) / shape[ax] for ax, s in
                       zip(axes, self.value(sizes_name).reshape(-1))}
        else:
            raise _Problem("neither scales nor sizes")
        spatial = self.spatial_axes(node.input[0], x)
        scale = []
        for axis in range(rank):
            factor = factors.get(axis, 1.0)
            if axis not in spatial:
                if factor != 1.0:
                    raise _Problem(f"resizes axis {axis} by {factor:g}; a spec upsamples "
                                   "spatial dims only")
                continue
            if factor < 1 or factor != int(factor):
                raise _Problem(f"resizes by {factor:g}; a spec upsamples by whole factors")
            scale.append(int(factor))
        if all(s == 1 for s in scale):
            self.alias(node, x)
            return
        self.add(node, {"type": "upsample", "scale": _spatial(scale)}, [x.node], x.last)

    def op_Resize(self, node: Any) -> None:
        a = _attrs(node)
        if self.opset < 11:
            self._resize(node, self.optional(node, 1), None, None)
        else:
            axes = [int(v) for v in a["axes"]] if "axes" in a else None
            self._resize(node, self.optional(node, 2), self.optional(node, 3), axes)

    def op_Upsample(self, node: Any) -> None:
        a = _attrs(node)
        if "scales" in a:
            import numpy as np

            name = f"{node.output[0]}.scales"
            self.values[name] = np.array(a["scales"], dtype=np.float32)
            self.constants.add(name)
            self.shapes[name] = (len(a["scales"]),)
            self._resize(node, name, None, None)
        else:
            self._resize(node, self.optional(node, 1), None, None)

    # -- the final check -----------------------------------------------------------------------
    def _check(self, spec: dict[str, Any]) -> None:
        """Every layer's calculated shape equals the one ONNX's shape inference gives it."""
        from cnnshape.engine.analysis import analyze
        from cnnshape.spec.loader import load

        report = analyze(load(spec, name=self.label), receptive=False)
        rows = {row.name: row for row in report.rows if not row.composite}
        for name, expected in self.expect.items():
            row = rows.get(name)
            if row is None or any(v is None for v in expected):
                continue
            if tuple(row.output_shape) != tuple(expected):
                raise SpecError([f"{self.label}: {self.sites[name]}: ONNX computes "
                                 f"{list(expected)} (channels-last) but the spec gives "
                                 f"{list(row.output_shape)}; this graph cannot be mirrored "
                                 "exactly"])


def _skeleton(model: Any) -> Any:
    """The model with only the dims of its big weights: shape inference and copies of it
    cost the graph's size, not the weights' (VGG-16's are 550 MB)."""
    from onnx import TensorProto

    if all(math.prod(t.dims) <= SMALL or t.data_location == TensorProto.EXTERNAL
           for t in model.graph.initializer):
        return model
    light = type(model)(ir_version=model.ir_version, producer_name=model.producer_name,
                        producer_version=model.producer_version, domain=model.domain,
                        model_version=model.model_version)
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph, full = light.graph, model.graph
    graph.name = full.name
    for part in ("node", "input", "output", "value_info", "sparse_initializer"):
        getattr(graph, part).extend(getattr(full, part))
    for tensor in full.initializer:
        if math.prod(tensor.dims) <= SMALL or tensor.data_location == TensorProto.EXTERNAL:
            graph.initializer.append(tensor)
            continue
        stub = graph.initializer.add(name=tensor.name, data_type=tensor.data_type,
                                     dims=tensor.dims)
        stub.data_location = TensorProto.EXTERNAL
        stub.external_data.add(key="location", value="(not read)")
    return light


def _repaired(model: Any) -> Any:
    """PyTorch's TorchScript exporter writes ``permute(0, -1, 1, 2)`` as a Transpose with a
    negative perm, which shape inference rejects: the same permutation, counted from 0."""
    broken = [i for i, n in enumerate(model.graph.node) if n.op_type == "Transpose"
              and any(a.name == "perm" and min(a.ints, default=0) < 0 for a in n.attribute)]
    if not broken:
        return model
    fixed = type(model)()
    fixed.CopyFrom(model)
    for index in broken:
        for attribute in fixed.graph.node[index].attribute:
            if attribute.name == "perm":
                rank = len(attribute.ints)
                perm = [v % rank for v in attribute.ints]
                del attribute.ints[:]
                attribute.ints.extend(perm)
    return fixed


def _module_scope(node: Any) -> tuple[str, ...] | None:
    """The submodule an op came from (dynamo's name scopes or the TorchScript exporter's
    ``/layer1/layer1.0/relu/Relu``); None for the top module's own ops and other producers."""
    scopes = _scopes(node)  # dynamo: the module path, then the op's own (fx) name
    if scopes:
        return tuple(scopes[:-1]) if len(scopes) >= 3 else None
    path = node.name.split("/")
    if node.name.startswith("/") and all(path[1:]) and len(path) >= 3:
        return tuple(path[1:-1])
    return None


def _scopes(node: Any) -> list[str]:
    """PyTorch's exporter records the module path of every node: ['', 'layer1', 'layer1.0',
    ..., fx's node name]."""
    import ast

    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            try:
                scopes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                return []
            return [str(s) for s in scopes] if isinstance(scopes, list) else []
    return []


def _reshape(shape: tuple[int, ...], target: list[int], allowzero: bool) -> list[int] | None:
    """ONNX Reshape's output shape (0 copies the input's dim, -1 takes the rest)."""
    out = [shape[i] if v == 0 and not allowzero and i < len(shape) else v
           for i, v in enumerate(target)]
    total = math.prod(shape)
    if out.count(-1) > 1:
        return None
    if -1 in out:
        known = math.prod(v for v in out if v != -1)
        if known == 0 or total % known:
            return None
        out[out.index(-1)] = total // known
    return out if math.prod(out) == total else None


def from_onnx(source: Any, *, name: str | None = None) -> dict[str, Any]:
    """A spec computing what an ONNX model computes.

    ``source`` is a path to a ``.onnx`` file (of data stored beside it only small
    constants, such as a Reshape's target, are read: never the weights), the file's bytes
    or an ``onnx.ModelProto``. The model needs one input [N, C, spatial...] with fixed
    spatial sizes (the batch may be dynamic) and one output. ``name`` names the network
    (default: the graph's name, or the file's). Raises SpecError with one line naming the
    node that a spec cannot express.
    """
    onnx = _onnx(source)
    model, label, base = _read(onnx, source)
    importer = _Importer(onnx, model, label, base)
    return importer.run(name)
