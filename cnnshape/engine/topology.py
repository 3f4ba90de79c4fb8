"""A network as nodes and edges: what the graph-style diagram draws.

The calculator's rows are a table; a diagram needs the connections between them too.
This module walks the network with the calculator's own bookkeeping (``GraphWalker``:
paths, repeat suffixes, ``from`` and ``merge`` lookups), carrying node ids instead of
shapes, so every arrow points exactly where the calculator reads. Numbers (shapes,
parameters, MACs) come from the analysis rows, matched one to one in walk order and
checked by path and name.

At a given ``depth`` the nodes are the rows the table shows at that depth, except that
an unfolded composite is not a node of its own (its children are): a composite at the
depth limit is folded into one node, and an unfolded residual or concat gets an
explicit join node ("add" or "concat") where its branches meet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cnnshape.engine.analysis import Row, analyze
from cnnshape.engine.walk import GraphWalker
from cnnshape.layers import LayerBase
from cnnshape.spec.loader import Network, Source, load

FLOW = "flow"
"""An edge from the layer before (in a sequence, or a branch's input)."""
SKIP = "skip"
"""An edge made by a named connection (``from`` or a ``merge`` input) reading elsewhere."""
IDENTITY = "identity"
"""An empty branch: a residual's identity shortcut or a concat's identity branch."""


@dataclass(slots=True)
class Node:
    """One box (or join circle) of the diagram."""

    id: int
    name: str
    type: str
    """The layer kind; "input"; "add" or "concat" for the join of an unfolded block."""
    details: str
    output_shape: tuple[int, ...]
    params: int
    non_trainable_params: int
    macs: int
    path: str
    """The analysis row's path (``layers[4].body[0]``); a join's is its block's path with
    ``:add`` or ``:concat`` appended. A repeat's copies share paths: path and name
    together identify a row."""
    depth: int
    folded: bool = False
    """A composite drawn as one node (its children are deeper than the depth shown)."""
    merge: str = ""
    """"add", "multiply" or "concat" for nodes that combine several inputs."""


@dataclass(frozen=True, slots=True)
class Edge:
    """Data flows from ``source`` to ``target`` (node ids; source < target always)."""

    source: int
    target: int
    kind: str = FLOW


@dataclass
class GraphView:
    """The network at one depth: nodes in walk order (a topological order) and edges."""

    name: str | None
    depth: int | None
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def incoming(self, node: int) -> list[Edge]:
        return [e for e in self.edges if e.target == node]

    def outgoing(self, node: int) -> list[Edge]:
        return [e for e in self.edges if e.source == node]

    def by_name(self, name: str) -> Node:
        """The layer node called ``name`` (join nodes share their block's name; not these)."""
        for node in self.nodes:
            if node.name == name and node.type not in ("add", "concat"):
                return node
        raise KeyError(name)


def build(source: Source, depth: int | None = None) -> GraphView:
    """The network's nodes and edges, composites below ``depth`` folded (None: all shown).

    Raises SpecError for an invalid spec (the calculator checks it first) and
    ValueError for a depth below 1.
    """
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int)
                              or depth < 1):
        raise ValueError(f"depth must be an integer >= 1 or None, not {depth!r}")
    network = load(source)
    report = analyze(network, receptive=False)
    builder = _Builder(network, report.rows, depth)
    builder.run()
    return GraphView(report.name, depth, builder.nodes, builder.edges)


Out = tuple[int, int]
"""What the builder walks with: (the node drawn for the tensor, the tensor's own number).
Inside a folded block every tensor has the same node but its own number, so a read of
an inner layer is still told apart from a read of the block's output."""


class _Builder(GraphWalker):
    """Walks the network as the calculator does, carrying ``Out`` values."""

    def __init__(self, network: Network, rows: list[Row], depth: int | None) -> None:
        super().__init__(network.names)
        self.network = network
        self.rows = rows
        self.limit = depth
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self._row = 0
        self._flow: Out | None = None
        """What the layer being visited reads when it names nothing: the previous output."""
        self._folded: int | None = None
        """The folded node whose inside is being walked (every inner layer maps to it)."""
        self._blocks: list[tuple[LayerBase, Row]] = []
        """Unfolded composites being walked, innermost last: their joins take their rows."""
        self._fold_edges: set[tuple[int, int]] = set()
        self._tensors = 0
        self._entries: list[tuple[Out, Out | None]] = []
        """Per unfolded composite being walked: its input, and the previous layer's
        output when the composite read its input by name (``from``), else None."""

    def _out(self, node: int) -> Out:
        self._tensors += 1
        return node, self._tensors

    def run(self) -> None:
        start = self._out(self._node(self._next_row("input", "input")))
        self.outputs["input"] = start
        self.sequence(self.network.layers, start, "layers")
        if self._row != len(self.rows):
            raise RuntimeError("graph view: the walk and the analysis rows disagree")

    def _next_row(self, path: str, name: str) -> Row:
        """The calculator's row for the layer being visited (both walk in the same order)."""
        row = self.rows[self._row]
        if row.path != path or row.name != name:
            raise RuntimeError(f"graph view: expected row {path} {name!r}, found "
                               f"{row.path} {row.name!r}")
        self._row += 1
        return row

    def _node(self, row: Row, *, type_: str | None = None, merge: str = "",
              folded: bool = False, path: str | None = None) -> int:
        join = type_ is not None
        node = Node(len(self.nodes), row.name, type_ or row.type, "" if join else row.details,
                    tuple(row.output_shape), 0 if join else row.params,
                    0 if join else row.non_trainable_params, 0 if join else row.macs,
                    path or row.path, row.depth, folded, merge)
        self.nodes.append(node)
        return node.id

    def _edge(self, source: int, target: int, kind: str) -> None:
        self.edges.append(Edge(source, target, kind))

    # ------------------------------------------------------------ the walk

    def sequence(self, layers: list[Any], value: Any, where: str,
                 repetition: int | None = None) -> Any:
        """A sequence starts from its input: that is its first layer's flow, unless its
        composite read that input by name (then the first layer's edge is a skip)."""
        outer = self._flow
        self._flow = value
        if self._entries:
            entry, before = self._entries[-1]
            if before is not None and value == entry:
                self._flow = before
        try:
            return super().sequence(layers, value, where, repetition)
        finally:
            self._flow = outer

    def visit(self, layer: LayerBase, value: Any, path: str, name: str,
              reads: list[str]) -> Out:
        row = self._next_row(path, name)
        inputs: list[Out] = list(value) if layer.merges else [value]
        flow = self._flow
        if self._folded is not None:
            result = self._inside_fold(layer, inputs, value, path)
        elif layer.composite and self.limit is not None and row.depth >= self.limit:
            result = self._fold(layer, row, inputs, value, path, flow)
        elif layer.composite:
            self._blocks.append((layer, row))
            self._entries.append((value, flow if reads else None))
            try:
                result = self.descend(layer, value, path)
            finally:
                self._blocks.pop()
                self._entries.pop()
        else:
            node = self._node(row, merge=getattr(layer, "mode", "") if layer.merges else "")
            for source in inputs:
                self._edge(source[0], node, FLOW if source == flow else SKIP)
            result = self._out(node)
        self._flow = result
        return result

    def _fold(self, layer: LayerBase, row: Row, inputs: list[Out], value: Any, path: str,
              flow: Out | None) -> Out:
        """One node for the whole composite; walking its inside still resolves its names
        (to this node) and finds the layers outside it that its inside reads."""
        node = self._node(row, folded=True)
        for source in inputs:
            self._fold_edge(source[0], node, FLOW if source == flow else SKIP)
        self._folded = node
        try:
            self.descend(layer, value, path)
        finally:
            self._folded = None
        return self._out(node)

    def _inside_fold(self, layer: LayerBase, inputs: list[Out], value: Any, path: str) -> Out:
        folded = self._folded
        assert folded is not None
        for source in inputs:
            if source[0] != folded:
                self._fold_edge(source[0], folded, SKIP)
        if layer.composite:
            self.descend(layer, value, path)
        return self._out(folded)

    def _fold_edge(self, source: int, target: int, kind: str) -> None:
        """Edges into a folded node, once per source (its inside may read one many times)."""
        if (source, target) not in self._fold_edges:
            self._fold_edges.add((source, target))
            self._edge(source, target, kind)

    def _join(self, kind: str, values: list[Out], labels: list[str]) -> Out:
        if self._folded is not None:
            return self._out(self._folded)
        layer, row = self._blocks[-1]
        lists = dict(layer.children())
        node = self._node(row, type_=kind, merge=kind, path=f"{row.path}:{kind}")
        for source, label in zip(values, labels, strict=True):
            self._edge(source[0], node, FLOW if lists.get(label) else IDENTITY)
        return self._out(node)

    def add(self, values: list[Any], labels: list[str]) -> Any:
        return self._join("add", values, labels)

    def concat(self, values: list[Any], labels: list[str]) -> Any:
        return self._join("concat", values, labels)

    def activate(self, function: str | None, value: Any) -> Any:
        """A residual's activation after its add: noted on the add node."""
        if function and self._folded is None:
            node = self.nodes[value[0]]
            node.details = f"{node.details}, {function}" if node.details else function
        return value
