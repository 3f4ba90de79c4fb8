"""The graph-style diagram: a top-to-bottom block diagram laid out here, without Graphviz.

The layout is the layered (Sugiyama) scheme, in small steps one can check:

1. ranks: each node one rank below its deepest input (longest path), so every edge
   points down;
2. an edge spanning several ranks gets a placeholder ("lane") in every rank between,
   which reserves room beside the nodes there: long skips run down the side instead of
   through boxes;
3. order within each rank: start with reading order (layers before lanes, so the main
   column stays left and skips run to its right), then a few barycenter sweeps down and
   up, keeping the order with the fewest crossings;
4. x coordinates in columns: each node continues the column of its main input (its
   first flow input: a branch's main path, not a skip or an identity shortcut), and a
   long edge's lanes stay in one column (the alignment step of Brandes and Koepf,
   "Fast and Simple Horizontal Coordinate Assignment", 2001, with the main path taken
   from the network instead of from medians). Columns are packed left as far as their
   neighbours in every rank allow, then each moves towards the mean x of what it
   connects to, within the room its neighbours leave. The main path comes out as one
   straight line, branches side by side, skips down the side, and no two neighbours in
   a rank ever come closer than their separation;
5. edges: a vertical line through every band they cross and an S-curve between bands,
   from a port on the source's bottom to a port on the target's top.

Coordinates are kept in a ``Layout`` so tests (and other drawings) can check geometry
without parsing the SVG.
"""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from bisect import bisect_right, insort
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cnnshape.core.fields import show_shape
from cnnshape.engine.topology import FLOW, SKIP, Edge, GraphView, Node, build
from cnnshape.layers import registry
from cnnshape.render.svg import Svg, number, text_width
from cnnshape.spec.loader import Source

MARGIN = 24.0
BAND_GAP = 36.0
"""Vertical space between ranks, where the edges curve from one column to another."""
NODE_GAP = 28.0
LANE_GAP = 14.0
"""Horizontal space next to a lane (a long edge passing through a rank)."""
BOX_H = 56.0
BOX_MIN_W = 120.0
BOX_MAX_W = 300.0
BOX_PAD = 10.0
RADIUS = 13.0
JOIN_H = 32.0
LABEL_GAP = 6.0
LABEL_MAX_W = 260.0
SWEEPS = 4
SETTLE_ROUNDS = 40

NAME_SIZE, TEXT_SIZE, SMALL_SIZE, TITLE_SIZE = 12.0, 11.0, 10.0, 16.0

GROUPS: dict[str, tuple[str, str, str]] = {
    # group: (legend label, fill, stroke)
    "input": ("input", "#eeeeee", "#666666"),
    "conv": ("convolution", "#dbe9f6", "#2f6fad"),
    "conv_transpose": ("transposed conv", "#d3efed", "#1f8a85"),
    "pool": ("pooling", "#e2f2d8", "#4d8f2a"),
    "dense": ("dense", "#fde3c8", "#c2660a"),
    "norm": ("normalization", "#ececec", "#7a7a7a"),
    "activation": ("activation", "#fff3bf", "#a88700"),
    "dropout": ("dropout", "#f5e1ee", "#a64d79"),
    "reshape": ("reshape", "#e9e7f6", "#5b55a0"),
    "block": ("folded block", "#e7dcf4", "#6a3d9a"),
    "merge": ("merge", "#ffffff", "#444444"),
    "skip": ("named connection", "none", "#d95f02"),
}
GROUP_OF: dict[str, str] = {
    "input": "input", "conv": "conv", "conv_transpose": "conv_transpose", "pool": "pool",
    "dense": "dense", "norm": "norm", "activation": "activation", "dropout": "dropout",
    "reshape": "reshape", "merge": "merge", "composite": "block",
}
"""Registry category -> group. A composite is a node only when folded, so it is a block."""
JOINS = ("add", "concat")
"""Node types of the joins of unfolded residual and concat blocks (not layer kinds)."""
SYMBOLS = {"add": "+", "multiply": "\u00d7", "concat": "\u2016"}
EDGE_COLOUR = "#555555"
SKIP_COLOUR = GROUPS["skip"][2]
PREFIX = "graph-"
"""Element ids start with this, so the diagram can share an HTML page with other SVGs."""


# ---------------------------------------------------------------- the layout's data

@dataclass(slots=True)
class Place:
    """A node's geometry: centre, drawn size, and the room it takes in its rank."""

    node: Node
    x: float
    y: float
    w: float
    h: float
    circle: bool
    left: float
    """Room taken left of the centre (half the box; the radius for a join)."""
    right: float
    """Room taken right of the centre (a join's label sits to the right of its circle)."""
    lines: tuple[str, ...]
    rank: int = 0

    @property
    def radius(self) -> float:
        return self.w / 2

    def bounds(self) -> tuple[float, float, float, float]:
        """The drawn shape's box: x0, y0, x1, y1."""
        return (self.x - self.w / 2, self.y - self.h / 2, self.x + self.w / 2, self.y + self.h / 2)

    def extent(self) -> tuple[float, float, float, float]:
        """Everything drawn for the node, its label included: x0, y0, x1, y1."""
        half = max(self.h, JOIN_H if self.circle else self.h) / 2
        return (self.x - self.left, self.y - half, self.x + self.right, self.y + half)


@dataclass(slots=True)
class Route:
    """One edge's path: SVG path data and its end points (on the two nodes' outlines)."""

    edge: Edge
    d: str
    start: tuple[float, float]
    end: tuple[float, float]
    lanes: int
    """Ranks the edge passes through between its ends (0: adjacent ranks)."""


@dataclass
class Layout:
    """Everything ``render`` draws, in SVG coordinates (y down)."""

    width: float
    height: float
    places: list[Place]
    routes: list[Route]
    title: str
    legend: list[str]
    header: float
    """Height of the title and legend above the first rank."""


# ---------------------------------------------------------------- sizes and labels

def _fit(text: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` (the full text is in the tooltip)."""
    if text_width(text, size) <= width:
        return text
    keep = max(int(width / (size * 0.6)) - 1, 1)
    return text[:keep] + "\u2026"


def _kind_text(node: Node) -> str:
    if node.type == "input":
        return "input"
    word = node.type if node.type in JOINS else registry.label(node.type)
    return f"{word} {node.details}".strip()


def _measure(node: Node, degree: int) -> Place:
    """Size a node from its text: boxes for layers and blocks, circles for joins (larger
    when many edges meet there, so that their arrowheads stay apart)."""
    shape = show_shape(node.output_shape)
    if node.merge:
        op = node.details if node.type == "merge" else ", ".join(
            filter(None, [node.type, node.details]))
        lines: tuple[str, ...] = (_fit(node.name, TEXT_SIZE, LABEL_MAX_W),
                                  _fit(f"{op} \u00b7 {shape}", SMALL_SIZE, LABEL_MAX_W))
        label = max(text_width(lines[0], TEXT_SIZE), text_width(lines[1], SMALL_SIZE))
        radius = min(RADIUS + 4.0 * max(degree - 2, 0), 2 * RADIUS)
        return Place(node, 0.0, 0.0, 2 * radius, 2 * radius, True, radius,
                     radius + LABEL_GAP + label, lines)
    inner = BOX_MAX_W - 2 * BOX_PAD
    lines = (_fit(node.name, NAME_SIZE, inner), _fit(_kind_text(node), TEXT_SIZE, inner),
             _fit(shape, TEXT_SIZE, inner))
    widest = max(text_width(lines[0], NAME_SIZE), text_width(lines[1], TEXT_SIZE),
                 text_width(lines[2], TEXT_SIZE))
    w = min(max(widest + 2 * BOX_PAD, BOX_MIN_W), BOX_MAX_W)
    return Place(node, 0.0, 0.0, w, BOX_H, False, w / 2, w / 2, lines)


# ---------------------------------------------------------------- ranks and lanes

@dataclass
class _Graph:
    """Nodes and lanes (ids from ``real`` up) in ranks, with their neighbours."""

    real: int
    rank: list[int]
    ups: list[list[int]]
    downs: list[list[int]]
    left: list[float]
    right: list[float]
    chains: list[list[int]]
    """Per edge: source, its lanes top to bottom, target."""
    layers: list[list[int]]

    def sep(self, a: int, b: int) -> float:
        """Least distance between the centres of ``a`` and ``b`` (``a`` left of ``b``)."""
        gap = NODE_GAP if a < self.real and b < self.real else LANE_GAP
        return self.right[a] + gap + self.left[b]


def _ranks(view: GraphView) -> list[int]:
    """Longest path from the input: nodes come in walk order, a topological order."""
    rank = [0] * len(view.nodes)
    for edge in view.edges:
        if edge.source >= edge.target:
            raise RuntimeError(f"graph view: edge {edge} does not follow the walk order")
    preds: list[list[int]] = [[] for _ in view.nodes]
    for edge in view.edges:
        preds[edge.target].append(edge.source)
    for node in range(len(view.nodes)):
        if preds[node]:
            rank[node] = 1 + max(rank[p] for p in preds[node])
    return rank


def _graph(view: GraphView, places: list[Place]) -> _Graph:
    rank = _ranks(view)
    n = len(view.nodes)
    g = _Graph(n, list(rank), [[] for _ in range(n)], [[] for _ in range(n)],
               [p.left for p in places], [p.right for p in places], [], [])
    for edge in view.edges:
        chain = [edge.source]
        for r in range(rank[edge.source] + 1, rank[edge.target]):
            lane = len(g.rank)
            g.rank.append(r)
            g.ups.append([])
            g.downs.append([])
            g.left.append(0.0)
            g.right.append(0.0)
            chain.append(lane)
        chain.append(edge.target)
        for upper, lower in itertools.pairwise(chain):
            g.downs[upper].append(lower)
            g.ups[lower].append(upper)
        g.chains.append(chain)
    g.layers = [[] for _ in range(max(rank, default=0) + 1)]
    for vertex, r in enumerate(g.rank):
        g.layers[r].append(vertex)
    return g


# ---------------------------------------------------------------- order within ranks

def _positions(layers: list[list[int]], size: int) -> list[int]:
    pos = [0] * size
    for layer in layers:
        for i, v in enumerate(layer):
            pos[v] = i
    return pos


def _barycenter(neighbours: list[int], pos: list[int], default: float) -> float:
    return sum(pos[u] for u in neighbours) / len(neighbours) if neighbours else default


def _crossings(layers: list[list[int]], downs: list[list[int]], pos: list[int]) -> int:
    """Edge crossings between consecutive ranks (inversions of lower positions)."""
    total = 0
    for layer in layers[:-1]:
        seen: list[int] = []
        for u in layer:
            for w in sorted(pos[w] for w in downs[u]):
                total += len(seen) - bisect_right(seen, w)
            for w in downs[u]:
                insort(seen, pos[w])
    return total


def _order(g: _Graph) -> list[list[int]]:
    """Reading order first (layers before lanes), then barycenter sweeps; fewest crossings."""
    layers = [list(layer) for layer in g.layers]
    pos = _positions(layers, len(g.rank))
    for layer in layers[1:]:
        layer.sort(key=lambda v: (_barycenter(g.ups[v], pos, 0.0), v >= g.real, v))
        for i, v in enumerate(layer):
            pos[v] = i
    best = [list(layer) for layer in layers]
    fewest = _crossings(layers, g.downs, pos)
    for _ in range(SWEEPS):
        if fewest == 0:
            break
        for sweep in (range(1, len(layers)), range(len(layers) - 2, -1, -1)):
            for r in sweep:
                nb = g.ups if sweep.step > 0 else g.downs
                layers[r].sort(key=lambda v: _barycenter(nb[v], pos, pos[v]))
                for i, v in enumerate(layers[r]):
                    pos[v] = i
        count = _crossings(layers, g.downs, pos)
        if count < fewest:
            fewest, best = count, [list(layer) for layer in layers]
    return best


# ---------------------------------------------------------------- x: columns, then balance

def _primary(view: GraphView) -> tuple[dict[int, int], dict[int, int]]:
    """Per node, the edge its column arrives by (its first flow input: a branch's main
    path, not a skip or an identity shortcut) and the edge its column leaves by (its first
    out edge that is the target's arriving one; else its first out edge, whose lanes then
    continue the column straight down)."""
    into: dict[int, int] = {}
    for index, edge in enumerate(view.edges):
        known = into.get(edge.target)
        if known is None or (view.edges[known].kind != FLOW and edge.kind == FLOW):
            into[edge.target] = index
    out: dict[int, int] = {}
    for index, edge in enumerate(view.edges):
        if into.get(edge.target) == index and edge.source not in out:
            out[edge.source] = index
    for index, edge in enumerate(view.edges):
        out.setdefault(edge.source, index)
    return into, out


def _columns(view: GraphView, g: _Graph, layers: list[list[int]]) -> list[int]:
    """Vertical blocks: each vertex's root is the top of the straight column it belongs to.
    A column follows the main path through every node, and a long edge's lanes stay in
    one column; two column links between the same ranks never cross."""
    into, out = _primary(view)
    pos = _positions(layers, len(g.rank))
    wanted: dict[int, list[tuple[int, int]]] = {}
    for index, chain in enumerate(g.chains):
        last = len(chain) - 2
        for k, (upper, lower) in enumerate(itertools.pairwise(chain)):
            if k == 0 and out.get(chain[0]) != index:
                continue
            if k == last and into.get(chain[-1]) != index:
                continue
            wanted.setdefault(g.rank[upper], []).append((upper, lower))
    up = [-1] * len(g.rank)
    for links in wanted.values():
        links.sort(key=lambda link: pos[link[1]])
        reached = -1
        for upper, lower in links:
            if pos[upper] > reached:
                up[lower] = upper
                reached = pos[upper]
    root = list(range(len(g.rank)))
    for layer in layers:
        for v in layer:
            if up[v] >= 0:
                root[v] = root[up[v]]
    return root


def _compact(layers: list[list[int]], root: list[int],
             sep: Callable[[int, int], float]) -> list[float] | None:
    """Columns as far left as their left neighbours allow (a longest path over columns);
    None if the columns are not acyclic (then the caller packs ranks plainly)."""
    after: dict[int, list[tuple[int, float]]] = {}
    indegree: dict[int, int] = {}
    for layer in layers:
        for v in layer:
            indegree.setdefault(root[v], 0)
        for a, b in itertools.pairwise(layer):
            after.setdefault(root[a], []).append((root[b], sep(a, b)))
            indegree[root[b]] += 1
    x = dict.fromkeys(indegree, 0.0)
    ready = [r for r, k in indegree.items() if k == 0]
    done = 0
    while ready:
        r = ready.pop()
        done += 1
        for s, gap in after.get(r, ()):
            x[s] = max(x[s], x[r] + gap)
            indegree[s] -= 1
            if indegree[s] == 0:
                ready.append(s)
    if done != len(indegree):
        return None
    return [x[root[v]] for v in range(len(root))]


def _packed(layers: list[list[int]], sep: Callable[[int, int], float], size: int) -> list[float]:
    """Every rank packed from x = 0: the fallback, always valid."""
    x = [0.0] * size
    for layer in layers:
        for a, b in itertools.pairwise(layer):
            x[b] = x[a] + sep(a, b)
    return x


def _settle(g: _Graph, layers: list[list[int]], root: list[int],
            x: list[float]) -> list[float]:
    """Move each column towards the mean x of the vertices it connects to, as far as its
    neighbours in every rank allow (coordinate descent: order and spacing always hold)."""
    size = len(root)
    members: dict[int, list[int]] = {}
    for v in range(size):
        members.setdefault(root[v], []).append(v)
    before, after = [-1] * size, [-1] * size
    for layer in layers:
        for a, b in itertools.pairwise(layer):
            after[a], before[b] = b, a
    pulls = {r: [u for v in vs for u in g.ups[v] + g.downs[v] if root[u] != r]
             for r, vs in members.items()}
    at = {r: x[r] for r in members}
    order = sorted(members, key=at.__getitem__)
    for round_ in range(SETTLE_ROUNDS):
        moved = False
        for r in order if round_ % 2 == 0 else reversed(order):
            if not pulls[r]:
                continue
            want = sum(at[root[u]] for u in pulls[r]) / len(pulls[r])
            lo = max((at[root[before[v]]] + g.sep(before[v], v)
                      for v in members[r] if before[v] >= 0), default=-math.inf)
            hi = min((at[root[after[v]]] - g.sep(v, after[v])
                      for v in members[r] if after[v] >= 0), default=math.inf)
            new = min(max(want, lo), hi)
            if abs(new - at[r]) > 0.25:
                at[r] = new
                moved = True
        if not moved:
            break
    return [at[root[v]] for v in range(size)]


def _coordinates(view: GraphView, g: _Graph, layers: list[list[int]]) -> list[float]:
    root = _columns(view, g, layers)
    x = _compact(layers, root, g.sep)
    if x is None:
        root = list(range(len(g.rank)))
        x = _packed(layers, g.sep, len(g.rank))
    return _settle(g, layers, root, x)


# ---------------------------------------------------------------- header

def _legend(view: GraphView) -> list[str]:
    """The kinds present, in a fixed order; named connections when there are any."""
    seen = {_group(node) for node in view.nodes}
    if any(edge.kind == SKIP for edge in view.edges):
        seen.add("skip")
    return [g for g in GROUPS if g in seen]


def _group(node: Node) -> str:
    if node.folded:
        return "block"
    if node.type in JOINS:
        return "merge"
    return GROUP_OF[registry.category(node.type)]


def _title(view: GraphView) -> str:
    name = view.name or "network"
    depth = "all levels" if view.depth is None else f"depth {view.depth}"
    return f"{name} ({depth})"


LEGEND_ROW = 20.0


def _legend_width(legend: Sequence[str]) -> list[float]:
    return [18 + text_width(GROUPS[g][0], SMALL_SIZE) + 16 for g in legend]


def _legend_rows(legend: Sequence[str], width: float) -> int:
    rows, x = 1, 0.0
    for w in _legend_width(legend):
        if x and x + w > width:
            rows, x = rows + 1, 0.0
        x += w
    return rows


# ---------------------------------------------------------------- layout

def layout(view: GraphView) -> Layout:
    """Positions of every node and the path of every edge."""
    ins, outs = [0] * len(view.nodes), [0] * len(view.nodes)
    for edge in view.edges:
        outs[edge.source] += 1
        ins[edge.target] += 1
    places = [_measure(node, max(i, o)) for node, i, o in zip(view.nodes, ins, outs, strict=False)]
    g = _graph(view, places)
    layers = _order(g)
    xs = _coordinates(view, g, layers)
    shift = MARGIN - min((xs[v] - g.left[v] for v in range(len(xs))), default=0.0)
    xs = [x + shift for x in xs]
    content = max((xs[v] + g.right[v] for v in range(len(xs))), default=0.0) + MARGIN
    title = _title(view)
    legend = _legend(view)
    width = max(content, MARGIN * 2 + text_width(title, TITLE_SIZE), 360.0)
    header = MARGIN + TITLE_SIZE + 10 + _legend_rows(legend, width - 2 * MARGIN) * LEGEND_ROW
    tops, heights = _bands(g, places, header, xs)
    for place, rank in zip(places, g.rank, strict=False):
        place.rank = rank
        place.x = xs[place.node.id]
        place.y = tops[rank] + heights[rank] / 2
    routes = _routes(view, g, places, xs, tops, heights)
    height = tops[-1] + heights[-1] + MARGIN if tops else header + MARGIN
    return Layout(width, height, places, routes, title, legend, header)


def _bands(g: _Graph, places: list[Place], header: float,
           xs: list[float]) -> tuple[list[float], list[float]]:
    """Top and height of each rank's band; the gap below a band grows with the widest
    step an edge takes there, so that curves do not run flat."""
    heights = [0.0] * len(g.layers)
    widest = [0.0] * len(g.layers)
    for chain in g.chains:
        for upper, lower in itertools.pairwise(chain):
            r = g.rank[upper]
            widest[r] = max(widest[r], abs(xs[upper] - xs[lower]))
    for place, rank in zip(places, g.rank, strict=False):
        _, y0, _, y1 = place.extent()
        heights[rank] = max(heights[rank], y1 - y0)
    tops, y = [], header + 10
    for h in heights:
        tops.append(y)
        y += h + min(max(BAND_GAP, widest[len(tops) - 1] * 0.15), 2.5 * BAND_GAP)
    return tops, heights


def _port(place: Place, slot: float, span: float, top: bool) -> tuple[float, float]:
    """Where an edge meets the node's top or bottom outline: ``slot`` steps from the
    centre (negative: left), ``span`` the largest slot used on that side."""
    if place.circle:
        angle = slot * math.radians(min(40.0, 80.0 / max(span, 1.0)))
        dy = place.radius * math.cos(angle)
        return place.x + place.radius * math.sin(angle), place.y - dy if top else place.y + dy
    step = min(16.0, place.w * 0.4 / max(span, 1.0))
    y = place.y - place.h / 2 if top else place.y + place.h / 2
    return place.x + slot * step, y


def _slots(here: float, items: list[tuple[float, int]]) -> dict[int, float]:
    """Ports for edges whose next points lie at the given x: an edge going straight on
    takes the centre and the others step aside on their own side; otherwise spread
    evenly. Ordered by x so that edges leaving or arriving together never cross."""
    items = sorted(items)
    straight = min(items, key=lambda item: abs(item[0] - here))
    if abs(straight[0] - here) >= 0.5:
        return {index: i - (len(items) - 1) / 2 for i, (_, index) in enumerate(items)}
    at = items.index(straight)
    slots = {straight[1]: 0.0}
    for k, (_, index) in enumerate(reversed(items[:at])):
        slots[index] = -1.0 - k
    for k, (_, index) in enumerate(items[at + 1:]):
        slots[index] = 1.0 + k
    return slots


def _ports(g: _Graph, xs: list[float], outgoing: bool) -> dict[int, tuple[float, float]]:
    """Per edge, its slot and the span of slots at one end."""
    ends: dict[int, list[tuple[float, int]]] = {}
    for index, chain in enumerate(g.chains):
        node, other = (chain[0], chain[1]) if outgoing else (chain[-1], chain[-2])
        ends.setdefault(node, []).append((xs[other], index))
    out: dict[int, tuple[float, float]] = {}
    for node, items in ends.items():
        slots = _slots(xs[node], items)
        span = max(abs(s) for s in slots.values())
        for index, slot in slots.items():
            out[index] = (slot, span)
    return out


def _routes(view: GraphView, g: _Graph, places: list[Place], xs: list[float],
            tops: list[float], heights: list[float]) -> list[Route]:
    leaving = _ports(g, xs, outgoing=True)
    arriving = _ports(g, xs, outgoing=False)
    routes = []
    for index, (edge, chain) in enumerate(zip(view.edges, g.chains, strict=False)):
        start = _port(places[edge.source], *leaving[index], top=False)
        end = _port(places[edge.target], *arriving[index], top=True)
        x, y = start
        parts = [f"M {number(x)} {number(y)}"]
        bottom = tops[g.rank[chain[0]]] + heights[g.rank[chain[0]]]
        if y < bottom:
            parts.append(f"L {number(x)} {number(bottom)}")
            y = bottom
        for vertex in chain[1:]:
            r = g.rank[vertex]
            nx = end[0] if vertex < g.real else xs[vertex]
            parts.append(_bend(x, y, nx, tops[r]))
            x, y = nx, tops[r]
            stop = end[1] if vertex < g.real else tops[r] + heights[r]
            if stop > y:
                parts.append(f"L {number(x)} {number(stop)}")
                y = stop
        routes.append(Route(edge, " ".join(parts), start, end, len(chain) - 2))
    return routes


def _bend(x0: float, y0: float, x1: float, y1: float) -> str:
    """Down across the gap between bands: straight if aligned, else an S-curve that
    leaves and arrives vertically."""
    if abs(x1 - x0) < 0.01:
        return f"L {number(x1)} {number(y1)}"
    mid = (y0 + y1) / 2
    return f"C {number(x0)} {number(mid)} {number(x1)} {number(mid)} {number(x1)} {number(y1)}"


# ---------------------------------------------------------------- SVG

def graph_svg(source: Source, *, depth: int | None = None) -> str:
    """The network as a top-to-bottom block diagram, composites folded below ``depth``
    (None: every level). A self-contained SVG document as text."""
    return render(layout(build(source, depth)))


def render(lay: Layout) -> str:
    """The SVG text of a layout: edges first, then nodes over them."""
    svg = Svg(lay.width, lay.height, title=lay.title)
    arrow = svg.marker_arrow(f"{PREFIX}arrow", EDGE_COLOUR)
    skip_arrow = svg.marker_arrow(f"{PREFIX}arrow-skip", SKIP_COLOUR)
    svg.text(MARGIN, MARGIN + TITLE_SIZE - 2, lay.title, TITLE_SIZE, font_weight="bold",
             class_="title")
    _draw_legend(svg, lay)
    edges = svg.group(class_="edges", fill="none")
    for route in lay.routes:
        skip = route.edge.kind == SKIP
        svg.path(route.d, edges, class_=f"edge {route.edge.kind}",
                 data_from=f"{PREFIX}n{route.edge.source}",
                 data_to=f"{PREFIX}n{route.edge.target}",
                 stroke=SKIP_COLOUR if skip else EDGE_COLOUR, stroke_width=1.3,
                 stroke_dasharray="6 3" if skip else None,
                 marker_end=skip_arrow if skip else arrow)
    nodes = svg.group(class_="nodes")
    for place in lay.places:
        _draw_node(svg, nodes, place)
    return str(svg)


def _draw_legend(svg: Svg, lay: Layout) -> None:
    group = svg.group(class_="legend")
    x, y = MARGIN, MARGIN + TITLE_SIZE + 10
    for key, w in zip(lay.legend, _legend_width(lay.legend), strict=False):
        if x > MARGIN and x + w > lay.width - MARGIN:
            x, y = MARGIN, y + LEGEND_ROW
        label, fill, stroke = GROUPS[key]
        if key == "skip":
            svg.line(x, y + 6, x + 14, y + 6, group, stroke=stroke, stroke_width=1.5,
                     stroke_dasharray="4 2")
        else:
            svg.rect(x, y, 12, 12, group, rx=3, fill=fill, stroke=stroke)
        svg.text(x + 18, y + 10, label, SMALL_SIZE, group, fill="#333333")
        x += w


def _tooltip(node: Node) -> str:
    lines = [node.name, _kind_text(node) + (" (folded)" if node.folded else ""),
             f"output {show_shape(node.output_shape)}"]
    if node.params or node.non_trainable_params:
        frozen = node.non_trainable_params
        extra = f" + {frozen:,} non-trainable" if frozen else ""
        lines.append(f"params {node.params:,}{extra}")
    if node.macs:
        lines.append(f"MACs {node.macs:,}")
    return "\n".join(lines)


def _draw_node(svg: Svg, parent: ET.Element, place: Place) -> None:
    node = place.node
    _, fill, stroke = GROUPS[_group(node)]
    kind = "join" if node.type in ("add", "concat") else node.type
    group = svg.group(parent, class_=f"node {kind}" + (" folded" if node.folded else ""),
                      id=f"{PREFIX}n{node.id}")
    svg.title(group, _tooltip(node))
    if place.circle:
        svg.circle(place.x, place.y, place.radius, group, fill=fill, stroke=stroke,
                   stroke_width=1.5)
        svg.text(place.x, place.y + 5, SYMBOLS.get(node.merge, "+"), 15, group,
                 anchor="middle", fill=stroke, font_weight="bold")
        x = place.x + place.radius + LABEL_GAP
        svg.text(x, place.y - 2, place.lines[0], TEXT_SIZE, group, fill="#222222",
                 font_weight="bold")
        svg.text(x, place.y + 11, place.lines[1], SMALL_SIZE, group, fill="#444444")
        return
    x0, y0, _, _ = place.bounds()
    svg.rect(x0, y0, place.w, place.h, group, rx=8, fill=fill, stroke=stroke,
             stroke_width=2.5 if node.folded else 1.2,
             stroke_dasharray="5 2" if node.folded else None)
    svg.text(place.x, y0 + 17, place.lines[0], NAME_SIZE, group, anchor="middle",
             fill="#111111", font_weight="bold")
    svg.text(place.x, y0 + 33, place.lines[1], TEXT_SIZE, group, anchor="middle",
             fill="#333333")
    svg.text(place.x, y0 + 48, place.lines[2], TEXT_SIZE, group, anchor="middle",
             fill="#333333")

