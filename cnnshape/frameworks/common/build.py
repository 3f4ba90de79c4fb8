"""From a framework's graph to a spec: the step every importer shares.

An importer translates each framework op into a Node (a cnnshape layer and the names it
reads). This module turns the nodes into a spec a person would have written:

1. an activation right after a conv, conv_transpose or dense that nothing else reads
   becomes that layer's ``activation`` field (unless the source wrote it as a layer of
   its own: ``Node.fuse``);
2. every add or concat whose branches all start at one layer (its immediate
   dominator) and that nothing outside reads becomes a ``residual`` or ``concat``
   block, innermost first, so nested blocks fold too (an activation that alone reads
   a residual's sum becomes the residual's ``activation``);
3. whatever is left is written in order with named connections: ``from`` where a layer
   does not read the previous one, ``merge`` with ``inputs`` for the other merges;
4. consecutive layers of one PyTorch submodule (dotted names: ``layer1.0.conv1``) are
   grouped into a ``sequential`` named after it.

Nothing here knows any framework.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cnnshape.core.errors import SpecError

FUSES = ("conv", "conv_transpose", "dense")
"""Layer kinds with an ``activation`` field."""


@dataclass
class Node:
    """One layer of an imported graph."""

    name: str
    layer: dict[str, Any]
    """A cnnshape layer without ``name``/``from``; merges: {"type": "merge", "mode": ...}."""
    inputs: list[str]
    """The names of the nodes it reads, or the graph input's name."""
    fuse: bool = True
    """An activation that may become the ``activation`` of the layer it reads. Importers
    say False where the source wrote it as a layer of its own (an ``nn.ReLU`` module, a
    Keras ``Activation`` layer), so the spec keeps the source's rows."""


class _Graph:
    def __init__(self, nodes: list[Node], input_name: str, source: str) -> None:
        self.source = source
        self.input = input_name
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.name in self.nodes or node.name == input_name:
                raise SpecError([f"{source}: node {node.name}: two nodes have this name"])
            for read in node.inputs:
                if read != input_name and read not in self.nodes:
                    raise SpecError([f"{source}: node {node.name}: reads {read!r}, which is "
                                     "not computed before it (not a graph in order)"])
            self.nodes[node.name] = node
        if not self.nodes:
            raise SpecError([f"{source}: the graph has no layers"])
        # Layers the output (the last node) does not read stay: the source computes (and
        # counts) them.
        self.names = set(self.nodes) | {input_name}
        """Every name the spec will hold, at any depth."""
        self.shapes: dict[str, tuple[int, ...]] = {}
        """Every node's output shape (and the input's), from the calculator."""

    def readers(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {self.input: []}
        for name, node in self.nodes.items():
            out.setdefault(name, [])
            for read in node.inputs:
                out[read].append(name)
        return out

    def rename(self, old: str, new: str, among: list[str] | None = None) -> None:
        """Every reader of ``old`` (all nodes, or the names ``among``) reads ``new`` instead."""
        for node in (self.nodes[n] for n in among) if among is not None else self.nodes.values():
            node.inputs = [new if read == old else read for read in node.inputs]

    def fold_activations(self) -> None:
        readers = self.readers()  # kept up to date: one pass, however many activations fold
        for name, node in list(self.nodes.items()):
            layer = node.layer
            if layer.get("type") != "activation" or len(node.inputs) != 1 or not node.fuse:
                continue
            before = self.nodes.get(node.inputs[0])
            if (before is None or before.layer.get("type") not in FUSES
                    or before.layer.get("activation") or len(readers[before.name]) != 1):
                continue
            before.layer["activation"] = layer["function"]
            del self.nodes[name]
            readers[before.name] = readers.pop(name)
            self.rename(name, before.name, readers[before.name])

    def dominators(self) -> dict[str, str]:
        """Immediate dominators from the graph input (a DAG in order: one pass)."""
        order = {self.input: 0, **{n: i + 1 for i, n in enumerate(self.nodes)}}
        idom: dict[str, str] = {}

        def meet(a: str, b: str) -> str:
            while a != b:
                while order[a] > order[b]:
                    a = idom[a]
                while order[b] > order[a]:
                    b = idom[b]
            return a

        for name, node in self.nodes.items():
            first, *rest = node.inputs or [self.input]
            for other in rest:
                first = meet(first, other)
            idom[name] = first
        return idom

    def fold_blocks(self) -> None:
        """Residual and concat blocks, innermost first (a DAG in order lists inner merges first)."""
        for name in list(self.nodes):
            node = self.nodes.get(name)
            if node is None or node.layer.get("type") != "merge":
                continue
            mode = node.layer.get("mode")
            if node.layer.get("crop") or not (mode == "concat" or
                                               (mode == "add" and len(node.inputs) == 2)):
                continue
            self._try_block(node)

    def _try_block(self, merge: Node) -> None:
        fork = self.dominators()[merge.name]
        readers = self.readers()
        branches: list[list[str]] = []
        seen: set[str] = set()
        for start in merge.inputs:
            branch = self._branch(start, fork)
            if branch is None or seen & set(branch):
                return
            seen.update(branch)
            branches.append(branch)
        for member in seen:
            if any(r not in seen and r != merge.name for r in readers[member]):
                return  # read from outside the block: keep it a named connection
        order = list(self.nodes)
        position = {n: i for i, n in enumerate(order)}

        def members(branch: list[str]) -> list[Node]:
            return [self.nodes[n] for n in sorted(branch, key=position.__getitem__)]

        if merge.layer["mode"] == "add" and len({self.shapes.get(n) for n in merge.inputs}) != 1:
            return  # a broadcasting add: a residual adds equal shapes
        if merge.layer["mode"] == "concat":
            block: dict[str, Any] = {"type": "concat"}
            parts = [members(b) for b in branches]
        else:
            first, second = (members(b) for b in branches)
            body, shortcut = (first, second) if len(first) >= len(second) else (second, first)
            block = {"type": "residual"}
            parts = [body, shortcut]
        after = [self.nodes[r] for r in readers[merge.name]]
        absorbed: Node | None = None
        if (block["type"] == "residual" and len(after) == 1 and after[0].fuse
                and after[0].layer.get("type") == "activation"
                and after[0].inputs == [merge.name]):
            absorbed = after[0]
            block["activation"] = absorbed.layer["function"]
        inner = [n.name for part in parts for n in part]
        title = _block_name(merge.name, inner + ([absorbed.name] if absorbed else []), self.names)
        if title != merge.name:
            self.names.add(title)
        # the merge becomes the block node (members leave the top level), then the readers
        # of the merge (or of the absorbed activation) read the block
        merge.layer, merge.inputs = {**block, "_parts": parts}, [fork]
        for gone in seen:
            del self.nodes[gone]
        if absorbed is not None:
            del self.nodes[absorbed.name]
            self.rename(absorbed.name, merge.name)
        if title != merge.name:
            self.shapes[title] = self.shapes[merge.name]
            self.nodes = {(title if n == merge.name else n): v for n, v in self.nodes.items()}
            self.rename(merge.name, title)
            merge.name = title

    def _branch(self, start: str, fork: str) -> list[str] | None:
        """The nodes between ``fork`` and ``start`` (inclusive), or None if some path
        reaches the graph input without passing the fork."""
        found: list[str] = []
        stack = [start]
        seen = set()
        while stack:
            name = stack.pop()
            if name == fork or name in seen:
                continue
            if name == self.input:
                return None
            seen.add(name)
            found.append(name)
            stack.extend(self.nodes[name].inputs)
        return found


def _block_name(merge: str, members: list[str], taken: Any) -> str:
    """What the members' names share (``layer1.0`` of ``layer1.0.conv1``, Keras's
    ``conv2_block1`` of ``conv2_block1_1_conv``), else the merge's own name."""
    split = [re.split(r"([._/])", n) for n in members]
    if len(split) < 2:
        return merge
    common: list[str] = []
    for tokens in zip(*split, strict=False):
        if any(t != tokens[0] for t in tokens):
            break
        common.append(tokens[0])
    while common and common[-1] in "._/":
        common.pop()
    candidate = "".join(common)
    return candidate if candidate and candidate not in taken and candidate != "input" else merge


def _group(nodes: list[Node], prefix: str, names: set[str]) -> list[Node]:
    """Runs of layers from one PyTorch submodule (``layer1.0.conv1``, ``layer1.1``, ...)
    become a ``sequential`` named after it (``layer1``), level by level, so the spec reads
    like the module and ``table --depth 1`` shows its stages."""
    out: list[Node] = []
    i = 0
    while i < len(nodes):
        segment = _segment(nodes[i].name, prefix)
        j = i + 1
        while segment is not None and j < len(nodes) and \
                _segment(nodes[j].name, prefix) == segment:
            j += 1
        group = prefix + segment if segment is not None else ""
        if j - i >= 2 and group and group not in names:
            names.add(group)
            members = _group(nodes[i:j], group + ".", names)
            out.append(Node(group, {"type": "sequential", "_parts": [members]}, []))
        else:
            out.extend(nodes[i:j])
        i = j
    return out


def _segment(name: str, prefix: str) -> str | None:
    """The submodule of ``name`` one level below ``prefix`` (``layer1`` of ``layer1.0.conv1``
    under ""), None when ``name`` is not inside one."""
    if not name.startswith(prefix):
        return None
    head, dot, rest = name[len(prefix):].partition(".")
    return head if dot and head and rest else None


def _output(node: Node) -> str:
    """The name holding a node's output: a sequential's is its last member's."""
    if node.layer["type"] == "sequential":
        return _output(node.layer["_parts"][0][-1])
    return node.name


def _emit(nodes: list[Node], block_input: str, graph_input: str) -> list[dict[str, Any]]:
    """Layers in order; ``from``/``inputs`` only where a layer does not read the previous one."""
    out: list[dict[str, Any]] = []
    previous = block_input

    def ref(name: str) -> str:
        return "input" if name == graph_input else name

    for node in nodes:
        if node.layer["type"] == "sequential":
            out.append({"type": "sequential", "name": node.name,
                        "layers": _emit(node.layer["_parts"][0], previous, graph_input)})
            previous = _output(node)
            continue
        layer = {"type": node.layer["type"], "name": node.name}
        layer.update((k, v) for k, v in node.layer.items() if k not in ("type", "_parts"))
        if node.layer["type"] == "merge":
            layer["inputs"] = [ref(n) for n in node.inputs]
        elif node.inputs[0] != previous:
            layer["from"] = ref(node.inputs[0])
        parts = node.layer.get("_parts")
        if parts is not None:
            lists = [_emit(part, node.inputs[0], graph_input) for part in parts]
            if node.layer["type"] == "concat":
                layer["branches"] = lists
            else:
                layer["body"], layer["shortcut"] = lists
        out.append(layer)
        previous = node.name
    return out


def _shapes(nodes: list[Node], input_name: str,
            input_shape: Sequence[int]) -> dict[str, tuple[int, ...]]:
    """Each node's output shape, by the calculator on the graph as named connections."""
    from cnnshape.engine.analysis import analyze

    flat = {"input": list(input_shape), "layers": _emit(nodes, input_name, input_name)}
    report = analyze(flat, receptive=False)
    shapes = {row.name: tuple(row.output_shape) for row in report.rows[1:]}
    shapes[input_name] = tuple(input_shape)
    return shapes


def build_spec(nodes: list[Node], input_name: str, input_shape: Sequence[int], *,
               name: str | None = None, description: str | None = None,
               source: str = "<graph>") -> dict[str, Any]:
    """A spec dict (cnnshape.load accepts it) computing the last node from the input.

    ``nodes`` are in topological order; ``input_shape`` is channels-last, without batch.
    """
    graph = _Graph(nodes, input_name, source)
    graph.fold_activations()
    graph.shapes = _shapes(list(graph.nodes.values()), input_name, input_shape)
    graph.fold_blocks()
    spec: dict[str, Any] = {}
    if name:
        spec["name"] = name
    if description:
        spec["description"] = description
    spec["input"] = list(input_shape)
    names = list(graph.nodes)
    if "input" in names:
        raise SpecError([f"{source}: node input: a layer may not be named \"input\" "
                         "(it names the network's input)"])
    grouped = _group(list(graph.nodes.values()), "", graph.names | {"input"})
    spec["layers"] = _emit(grouped, input_name, input_name)
    return spec
