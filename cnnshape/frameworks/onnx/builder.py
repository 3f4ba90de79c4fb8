"""The graph Nodes being built from ONNX nodes: which Node holds each ONNX value, the
weights each layer owns, and the names the layers get.

Names are the most telling the graph keeps: PyTorch's module paths (from the dynamo
exporter's metadata or the TorchScript exporter's node names), else weights' or nodes'.
"""

from __future__ import annotations

from typing import Any

from cnnshape.frameworks.common.build import Node
from cnnshape.frameworks.onnx.constants import Constants
from cnnshape.frameworks.onnx.read import Problem, module_scope, name_scopes
from cnnshape.frameworks.onnx.shapes import Tensor, channels_last

PENDING = "<the layer being built>"
"""The owner of a weight claimed before its layer has a name."""


class Builder(Constants):
    """Nodes, the tensors they hold and the readers of every ONNX value."""

    def __init__(self, onnx: Any, model: Any, label: str, base: str | None) -> None:
        super().__init__(onnx, model, label, base)
        self.scope_ops: dict[tuple[str, ...], set[str]] = {}
        """The op types (not constants) exported from each PyTorch submodule."""
        for node in self.graph.node:
            scope = module_scope(node)
            if scope is not None and node.op_type != "Constant":
                self.scope_ops.setdefault(scope, set()).add(node.op_type)
        self.consumers: dict[str, list[int]] = {}
        for index, node in enumerate(self.graph.node):
            for name in node.input:
                self.consumers.setdefault(name, []).append(index)
        for output in self.graph.output:
            self.consumers.setdefault(output.name, []).append(-1)
        self.tensors: dict[str, Tensor] = {}
        self.nodes: dict[str, Node] = {}
        self.weights: dict[str, str] = {}
        """Initializer -> the layer that owns it (a second owner would share weights)."""
        self.cuts: dict[str, tuple[str, tuple[int, ...], list[tuple[int, int]]]] = {}
        """Crop Nodes from Slice or negative Pad: source Node, its spatial size, (before, after)."""
        self.unrolled: dict[str, tuple[Tensor, tuple[int, ...]]] = {}
        """Reshapes of a whole tensor into one axis: the tensor and its shape."""
        self.passthrough: set[int] = set()
        """ONNX nodes that only relabel a tensor (Identity, Transpose): not real readers."""
        self.notes: list[str] = []
        self.index = -1
        """The ONNX node being translated (its position in the graph)."""
        self.input_name = ""
        self.input_shape: tuple[int, ...] = ()


    def site(self, node: Any) -> str:
        return f"node {node.name or node.output[0]} ({node.op_type})"

    def tensor(self, name: str, units_ok: bool = False) -> Tensor:
        if name in self.tensors:
            t = self.tensors[name]
            if t.units and not units_ok:
                raise Problem(f"reads {name}, which has axes {list(t.units)} added by "
                               "Unsqueeze; only a global pool and a Squeeze may read those")
            return t
        if name in self.constants:
            raise Problem(f"reads the constant {name} where a computed tensor is expected")
        if name in self.unrolled:
            raise Problem(f"reads {name}, a tensor reshaped into one axis with its batch")
        raise Problem(f"reads {name!r}, which no earlier node computes")

    def own(self, weight: str, owner: str = PENDING) -> str | None:
        """Claim a weight for the layer being built (one weight, one layer); its
        initializer's name, if it has one. PyTorch's TorchScript exporter stores equal
        initializers once and gives each layer an Identity of it: distinct values here."""
        if weight in self.weights:
            raise Problem(f"reuses the weights {weight} of {self.weights[weight]}: a spec "
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
        scopes = name_scopes(node)
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
        scope = module_scope(node)
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
        self.tensors[out] = Tensor(name, last, units)
        shape = self.shapes.get(out)
        if shape is not None:
            self.expect[name] = channels_last(shape, last, units)
        return name

    def alias(self, node: Any, x: Tensor, last: bool | None = None,
              units: tuple[int, ...] | None = None) -> None:
        """``node``'s output is ``x`` itself, perhaps in another layout."""
        self.tensors[node.output[0]] = Tensor(x.node, x.last if last is None else last,
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
