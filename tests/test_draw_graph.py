"""The graph-style diagram: nodes and edges (graphview) and their layout (draw_graph).

Every check reads the SVG text back with ElementTree and works from its coordinates; the
expected nodes come from the calculator's rows, counted here independently.
"""

from __future__ import annotations

import itertools
import math
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest

import cnnshape
from cnnshape.engine.analysis import Row, analyze
from cnnshape.engine.topology import build
from cnnshape.render.diagram import graph_svg

SPECS = Path(__file__).resolve().parent.parent / "specs"
ALL_SPECS = sorted(p.name for p in SPECS.glob("*.json"))
NS = "{http://www.w3.org/2000/svg}"
EPS = 0.02  # coordinates are written with two decimals


# ---------------------------------------------------------------- reading the SVG back

@dataclass
class Shape:
    id: str
    classes: list[str]
    name: str
    tooltip: str
    circle: bool
    x0: float
    y0: float
    x1: float
    y1: float
    extent: tuple[float, float, float, float] = (0, 0, 0, 0)
    """The shape and every text of the node (estimated widths: 0.6 font size per char)."""

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2

    @property
    def r(self) -> float:
        return (self.x1 - self.x0) / 2


@dataclass
class Link:
    source: str
    target: str
    classes: list[str]
    pieces: list[tuple[str, list[tuple[float, float]]]] = field(default_factory=list)
    """("L", [p0, p1]) or ("C", [p0, c1, c2, p1])."""

    @property
    def points(self) -> list[tuple[float, float]]:
        out = [self.pieces[0][1][0]]
        for _, pts in self.pieces:
            out.extend(pts[1:])
        return out

    @property
    def start(self) -> tuple[float, float]:
        return self.pieces[0][1][0]

    @property
    def end(self) -> tuple[float, float]:
        return self.pieces[-1][1][-1]


@dataclass
class Drawing:
    root: ET.Element
    width: float
    height: float
    nodes: dict[str, Shape]
    links: list[Link]


def _path(d: str) -> list[tuple[str, list[tuple[float, float]]]]:
    tokens = d.split()
    pieces: list[tuple[str, list[tuple[float, float]]]] = []
    i, here = 0, (0.0, 0.0)
    while i < len(tokens):
        command = tokens[i]
        count = {"M": 1, "L": 1, "C": 3}[command]
        values = [float(t) for t in tokens[i + 1:i + 1 + 2 * count]]
        pts = [(values[k], values[k + 1]) for k in range(0, len(values), 2)]
        if command != "M":
            pieces.append((command, [here, *pts]))
        here = pts[-1]
        i += 1 + 2 * count
    if not pieces:  # a path that only moves: keep its point so checks still see it
        pieces.append(("L", [here, here]))
    return pieces


def attr(element: ET.Element | None, name: str) -> str:
    assert element is not None
    value = element.get(name)
    assert value is not None, name
    return value


def _text_box(element: ET.Element) -> tuple[float, float, float, float]:
    size = float(element.get("font-size", "12"))
    x, y = float(element.get("x", "0")), float(element.get("y", "0"))
    width = len(element.text or "") * size * 0.6
    anchor = element.get("text-anchor", "start")
    left = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return (left, y - size * 0.8, left + width, y + size * 0.25)


def parse(text: str) -> Drawing:
    root = ET.fromstring(text.split("\n", 1)[1] if text.startswith("<?xml") else text)
    assert root.tag == f"{NS}svg"
    width, height = float(attr(root, "width")), float(attr(root, "height"))
    box = [float(v) for v in attr(root, "viewBox").split()]
    assert box == [0, 0, width, height]
    nodes: dict[str, Shape] = {}
    for group in root.iter(f"{NS}g"):
        classes = group.get("class", "").split()
        if "node" not in classes:
            continue
        title = group.find(f"{NS}title")
        tooltip = (title.text if title is not None else None) or ""
        rect, circle = group.find(f"{NS}rect"), group.find(f"{NS}circle")
        if rect is not None:
            x, y = float(attr(rect, "x")), float(attr(rect, "y"))
            shape = Shape(attr(group, "id"), classes, tooltip.split("\n")[0], tooltip, False,
                          x, y, x + float(attr(rect, "width")), y + float(attr(rect, "height")))
        else:
            cx, cy, r = (float(attr(circle, k)) for k in ("cx", "cy", "r"))
            shape = Shape(attr(group, "id"), classes, tooltip.split("\n")[0], tooltip, True,
                          cx - r, cy - r, cx + r, cy + r)
        boxes = [(shape.x0, shape.y0, shape.x1, shape.y1)]
        boxes += [_text_box(t) for t in group.iter(f"{NS}text")]
        shape.extent = (min(b[0] for b in boxes), min(b[1] for b in boxes),
                        max(b[2] for b in boxes), max(b[3] for b in boxes))
        assert shape.id not in nodes
        nodes[shape.id] = shape
    links = []
    for path in root.iter(f"{NS}path"):
        classes = path.get("class", "").split()
        if "edge" in classes:
            links.append(Link(attr(path, "data-from"), attr(path, "data-to"), classes,
                              _path(attr(path, "d"))))
    return Drawing(root, width, height, nodes, links)


@cache
def drawn(spec: str, depth: int | None) -> Drawing:
    return parse(graph_svg(SPECS / spec, depth=depth))


@cache
def rows(spec: str) -> list[Row]:
    return analyze(SPECS / spec).rows


def expected_names(rows: list[Row], depth: int | None) -> list[str]:
    """What the diagram must show: every row the table shows at ``depth``, except that a
    composite is a node only when folded (at the depth limit); an unfolded residual or
    concat adds its join node, named after the block."""
    names = []
    for row in rows:
        if depth is not None and row.depth > depth:
            continue
        folded = row.composite and depth is not None and row.depth == depth
        if not row.composite or folded:
            names.append(row.name)
        elif row.type in ("residual", "concat"):
            names.append(row.name)
    return names


# ---------------------------------------------------------------- geometry helpers

def on_outline(shape: Shape, point: tuple[float, float]) -> bool:
    x, y = point
    if shape.circle:
        return abs(math.hypot(x - shape.cx, y - shape.cy) - shape.r) < 0.05
    inside_x = shape.x0 - EPS <= x <= shape.x1 + EPS
    inside_y = shape.y0 - EPS <= y <= shape.y1 + EPS
    return ((inside_x and (abs(y - shape.y0) < EPS or abs(y - shape.y1) < EPS))
            or (inside_y and (abs(x - shape.x0) < EPS or abs(x - shape.x1) < EPS)))


def overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float],
            slack: float = 0.5) -> bool:
    return (a[0] < b[2] - slack and b[0] < a[2] - slack
            and a[1] < b[3] - slack and b[1] < a[3] - slack)


def samples(link: Link, steps: int = 12) -> list[tuple[float, float]]:
    out = []
    for kind, pts in link.pieces:
        for k in range(steps + 1):
            t = k / steps
            if kind == "L":
                (x0, y0), (x1, y1) = pts
                out.append((x0 + (x1 - x0) * t, y0 + (y1 - y0) * t))
            else:
                (x0, y0), (x1, y1), (x2, y2), (x3, y3) = pts
                u = 1 - t
                out.append((u ** 3 * x0 + 3 * u * u * t * x1 + 3 * u * t * t * x2 + t ** 3 * x3,
                            u ** 3 * y0 + 3 * u * u * t * y1 + 3 * u * t * t * y2 + t ** 3 * y3))
    return out


DEPTHS = (1, 2, None)


# ---------------------------------------------------------------- every spec, every depth

@pytest.mark.parametrize("spec", ALL_SPECS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_valid_svg_with_the_rows_of_the_table(spec: str, depth: int | None) -> None:
    drawing = drawn(spec, depth)
    names = Counter(shape.name for shape in drawing.nodes.values())
    assert names == Counter(expected_names(rows(spec), depth))
    assert len(drawing.links) >= len(drawing.nodes) - 1  # connected from the input
    text = graph_svg(SPECS / spec, depth=depth)
    for banned in ("<script", "href=", "@import", "url(http", "<image", "<foreignObject"):
        assert banned not in text


def assert_edges_on_their_nodes_going_down(drawing: Drawing) -> None:
    for link in drawing.links:
        source, target = drawing.nodes[link.source], drawing.nodes[link.target]
        assert on_outline(source, link.start), (link.source, link.start)
        assert on_outline(target, link.end), (link.target, link.end)
        assert link.start[1] >= source.cy and link.end[1] <= target.cy  # bottom out, top in
        ys = [y for _, y in link.points]
        assert all(b >= a - EPS for a, b in itertools.pairwise(ys)), "an edge turns upward"
        assert link.end[1] > link.start[1]


def assert_no_overlap(drawing: Drawing) -> None:
    """Every pair, labels included; sorted by top so that pairs far apart in y are
    skipped without being compared (they cannot overlap)."""
    shapes = sorted(drawing.nodes.values(), key=lambda s: s.extent[1])
    for i, a in enumerate(shapes):
        assert 0 <= a.extent[0] and a.extent[2] <= drawing.width
        assert 0 <= a.extent[1] and a.extent[3] <= drawing.height
        for b in shapes[i + 1:]:
            if b.extent[1] >= a.extent[3]:
                break
            assert not overlap(a.extent, b.extent), (a.name, b.name)


@pytest.mark.parametrize("spec", ALL_SPECS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_edges_start_and_end_on_their_nodes_and_go_down(spec: str,
                                                        depth: int | None) -> None:
    assert_edges_on_their_nodes_going_down(drawn(spec, depth))


@pytest.mark.parametrize("spec", ALL_SPECS)
@pytest.mark.parametrize("depth", DEPTHS)
def test_no_two_nodes_overlap(spec: str, depth: int | None) -> None:
    assert_no_overlap(drawn(spec, depth))


@pytest.mark.parametrize("spec", ALL_SPECS)
def test_every_join_has_one_edge_per_branch(spec: str) -> None:
    """An unfolded residual's add has two inputs (body, shortcut); a concat's join one per
    branch, as many as its row's details say ("4 branches")."""
    drawing = drawn(spec, None)
    blocks = {row.name: row for row in rows(spec) if row.type in ("residual", "concat")}
    into = Counter(link.target for link in drawing.links)
    joins = [s for s in drawing.nodes.values() if "join" in s.classes]
    assert len(joins) == len(blocks)
    for join in joins:
        row = blocks[join.name]
        wanted = 2 if row.type == "residual" else int(row.details.split()[0])
        assert into[join.id] == wanted, join.name


@pytest.mark.parametrize("spec", ["resnet50.json", "unet.json", "googlenet.json",
                                  "densenet121.json", "mobilenet_v3_large.json",
                                  "inception_v3.json", "squeezenet1_1.json"])
def test_edges_pass_beside_nodes_not_through_them(spec: str) -> None:
    """Sample every edge (curves included) and look for points inside any node other
    than its two ends; nodes are bucketed by height to keep this quick."""
    drawing = drawn(spec, None)
    bucket = 100.0
    buckets: dict[int, list[Shape]] = {}
    for shape in drawing.nodes.values():
        for k in range(int(shape.y0 // bucket), int(shape.y1 // bucket) + 1):
            buckets.setdefault(k, []).append(shape)
    for link in drawing.links:
        ends = {link.source, link.target}
        for x, y in samples(link):
            for shape in buckets.get(int(y // bucket), ()):
                if shape.id in ends:
                    continue
                inside = shape.x0 + 1 < x < shape.x1 - 1 and shape.y0 + 1 < y < shape.y1 - 1
                assert not inside, (link.source, link.target, shape.name)


# ---------------------------------------------------------------- particular networks

def names_of(drawing: Drawing, link: Link) -> tuple[str, str]:
    return drawing.nodes[link.source].name, drawing.nodes[link.target].name


def test_lenet_is_one_straight_column() -> None:
    drawing = drawn("lenet.json", None)
    assert len(drawing.nodes) == 9 and len(drawing.links) == 8
    xs = {round(s.cx, 1) for s in drawing.nodes.values()}
    assert len(xs) == 1
    order = [s.name for s in sorted(drawing.nodes.values(), key=lambda s: s.cy)]
    assert order == ["input", "CONV1", "POOL1", "CONV2", "POOL2", "flatten_1", "FC3", "FC4",
                     "Softmax"]
    for link in drawing.links:
        assert all(kind == "L" for kind, _ in link.pieces)  # straight lines
        assert link.start[0] == pytest.approx(link.end[0])


def test_resnet50_at_depth_1_is_a_short_column() -> None:
    drawing = drawn("resnet50.json", 1)
    assert [s.name for s in sorted(drawing.nodes.values(), key=lambda s: s.cy)] == [
        "input", "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4",
        "avgpool", "flatten", "fc"]
    assert len({round(s.cx, 1) for s in drawing.nodes.values()}) == 1
    folded = [s.name for s in drawing.nodes.values() if "folded" in s.classes]
    assert folded == ["layer1", "layer2", "layer3", "layer4"]


def test_resnet50_unfolded_add_nodes_have_body_and_shortcut() -> None:
    drawing = drawn("resnet50.json", None)
    adds = [s for s in drawing.nodes.values() if "join" in s.classes and "add" in s.tooltip]
    assert len(adds) == 16
    by_id = {s.id: s for s in adds}
    incoming: dict[str, list[str]] = {s.id: [] for s in adds}
    for link in drawing.links:
        if link.target in incoming:
            incoming[link.target].append(drawing.nodes[link.source].name)
    for ident, sources in incoming.items():
        assert len(sources) == 2, (by_id[ident].name, sources)
    first = next(s for s in adds if s.name == "layer1.0")
    assert sorted(incoming[first.id]) == ["layer1.0.bn3", "layer1.0.downsample.1"]
    second = next(s for s in adds if s.name == "layer1.block_1")
    assert sorted(incoming[second.id]) == ["layer1.0", "layer1.block.bn3_1"]  # identity
    kinds = Counter(c for link in drawing.links for c in link.classes if c != "edge")
    assert kinds["identity"] == 12  # 16 blocks, 4 with a projection shortcut


def test_unet_skips_join_encoder_to_decoder() -> None:
    drawing = drawn("unet.json", None)
    skips = {names_of(drawing, link) for link in drawing.links if "skip" in link.classes}
    assert skips == {("enc1b", "skip1"), ("enc2b", "skip2"), ("enc3b", "skip3"),
                     ("enc4b", "skip4")}
    into = Counter(drawing.nodes[link.target].name for link in drawing.links)
    for level in range(1, 5):
        assert into[f"skip{level}"] == 2
        merge = next(s for s in drawing.nodes.values() if s.name == f"skip{level}")
        assert merge.circle and "center crop" in merge.tooltip
    # the skips run down the side, nested: the longest outermost, all right of the column
    column = max(s.x1 for s in drawing.nodes.values() if not s.circle)
    reach = {names_of(drawing, link)[1]: max(x for x, _ in samples(link))
             for link in drawing.links if "skip" in link.classes}
    assert reach["skip1"] > reach["skip2"] > reach["skip3"] > reach["skip4"] > column


def legend_of(drawing: Drawing) -> list[str]:
    group = next(g for g in drawing.root.iter(f"{NS}g") if g.get("class") == "legend")
    return [t.text or "" for t in group.iter(f"{NS}text")]


def fill_of(drawing: Drawing, shape: Shape) -> str:
    group = next(g for g in drawing.root.iter(f"{NS}g") if g.get("id") == shape.id)
    element = group.find(f"{NS}circle" if shape.circle else f"{NS}rect")
    return attr(element, "fill") + attr(element, "stroke")


def test_one_colour_per_kind_and_a_legend_of_what_is_there() -> None:
    drawing = drawn("unet.json", None)
    colours: dict[str, set[str]] = {}
    for shape in drawing.nodes.values():
        kind = next(c for c in shape.classes if c != "node")
        colours.setdefault(kind, set()).add(fill_of(drawing, shape))
    assert set(colours) == {"input", "conv", "pool", "conv_transpose", "merge"}
    assert all(len(c) == 1 for c in colours.values())
    assert len(set.union(*colours.values())) == len(colours)
    assert legend_of(drawing) == ["input", "convolution", "transposed conv", "pooling",
                                  "merge", "named connection"]
    assert "named connection" not in legend_of(drawn("lenet.json", None))


def test_googlenet_concats_have_four_branches() -> None:
    drawing = drawn("googlenet.json", None)
    joins = [s for s in drawing.nodes.values() if "join" in s.classes]
    assert len(joins) == 9
    into = Counter(link.target for link in drawing.links)
    assert all(into[s.id] == 4 for s in joins)
    # the four branches of inception3a sit side by side: their first layers share a rank
    firsts = [s for s in drawing.nodes.values() if s.name in (
        "inception3a.branch1.conv", "inception3a.branch2.0.conv", "inception3a.branch3.0.conv",
        "inception3a.branch4.0")]
    assert len({round(s.cy, 1) for s in firsts}) == 1
    assert len({round(s.cx, 1) for s in firsts}) == 4


def test_densenet_concats_keep_their_identity_branch() -> None:
    drawing = drawn("densenet121.json", None)
    joins = {s.id for s in drawing.nodes.values() if "join" in s.classes}
    assert len(joins) == 58
    identity = Counter(link.target for link in drawing.links if "identity" in link.classes)
    assert set(identity) == joins and set(identity.values()) == {1}


def test_mobilenet_v3_squeeze_excitation_multiplies() -> None:
    drawing = drawn("mobilenet_v3_large.json", None)
    gates = [s for s in drawing.nodes.values() if s.name.endswith(".scale")]
    assert len(gates) == 8 and all(s.circle for s in gates)
    group = next(g for g in drawing.root.iter(f"{NS}g") if g.get("id") == gates[0].id)
    assert "\u00d7" in [t.text for t in group.iter(f"{NS}text")]
    for gate in gates:
        sources = {names_of(drawing, link)[0]: link.classes for link in drawing.links
                   if link.target == gate.id}
        block = gate.name.rsplit(".", 2)[0]  # features.4.block.2.scale -> features.4.block
        assert sources[f"{block}.1.2"] == ["edge", "skip"]  # the feature map, read by name
        assert sources[f"{block}.2.fc2"] == ["edge", "flow"]  # the gate


# ---------------------------------------------------------------- the node/edge model

def test_nodes_carry_the_rows_numbers() -> None:
    report = analyze(SPECS / "resnet50.json")
    # a repeat's copies share a path: the path and the name identify a row
    by_path = {(row.path, row.name): row for row in report.rows}
    assert len(by_path) == len(report.rows)
    for depth in DEPTHS:
        view = build(SPECS / "resnet50.json", depth)
        for node in view.nodes:
            if node.type in ("add", "concat"):
                assert node.params == 0 and node.macs == 0
                continue
            row = by_path[node.path, node.name]
            assert (node.name, node.type, node.output_shape, node.params, node.macs) == (
                row.name, row.type, tuple(row.output_shape), row.params, row.macs)
        # each layer counted once at any depth: the nodes add up to the totals
        assert sum(n.params for n in view.nodes) == report.totals.params
        assert sum(n.macs for n in view.nodes) == report.totals.macs
        assert all(e.source < e.target for e in view.edges)


NAMED = {
    "input": [16, 16, 3],
    "layers": [
        {"type": "conv", "name": "stem", "filters": 4, "kernel": 3, "padding": "same"},
        {"type": "sequential", "name": "blk", "layers": [
            {"type": "conv", "name": "inner", "filters": 4, "kernel": 3, "padding": "same"},
            {"type": "merge", "name": "mix", "mode": "add", "inputs": ["inner", "stem"]},
        ]},
        {"type": "conv", "name": "late", "from": "inner", "filters": 2, "kernel": 1},
        {"type": "merge", "name": "end", "mode": "concat", "inputs": ["late", "input"],
         "crop": True},
    ],
}


def test_named_connections_resolve_to_folded_blocks() -> None:
    unfolded = build(NAMED)
    edges = {(unfolded.nodes[e.source].name, unfolded.nodes[e.target].name, e.kind)
             for e in unfolded.edges}
    assert edges == {("input", "stem", "flow"), ("stem", "inner", "flow"),
                     ("inner", "mix", "flow"), ("stem", "mix", "skip"),
                     ("inner", "late", "skip"), ("late", "end", "flow"),
                     ("input", "end", "skip")}
    folded = build(NAMED, depth=1)
    edges = {(folded.nodes[e.source].name, folded.nodes[e.target].name, e.kind)
             for e in folded.edges}
    # inside "blk", "mix" reads "stem" (the block's input: one edge) and "late" reads
    # "inner", which is now the folded block
    assert edges == {("input", "stem", "flow"), ("stem", "blk", "flow"),
                     ("blk", "late", "skip"), ("late", "end", "flow"),
                     ("input", "end", "skip")}
    late = folded.by_name("late")
    assert [folded.nodes[e.source].name for e in folded.incoming(late.id)] == ["blk"]
    assert [folded.nodes[e.target].name for e in folded.outgoing(late.id)] == ["end"]
    assert parse(graph_svg(NAMED, depth=1)).nodes  # and it draws


def test_a_skip_into_a_folded_block_is_an_edge_to_it() -> None:
    spec = {"input": [8, 8, 2], "layers": [
        {"type": "conv", "name": "a", "filters": 2, "kernel": 1},
        {"type": "conv", "name": "b", "filters": 2, "kernel": 1},
        {"type": "sequential", "name": "blk", "layers": [
            {"type": "conv", "name": "c", "filters": 2, "kernel": 1},
            {"type": "merge", "name": "m", "mode": "add", "inputs": ["c", "a"]}]}]}
    view = build(spec, depth=1)
    edges = {(view.nodes[e.source].name, view.nodes[e.target].name, e.kind) for e in view.edges}
    assert ("a", "blk", "skip") in edges and ("b", "blk", "flow") in edges
    drawing = parse(graph_svg(spec, depth=1))
    into = [k for k in drawing.links if drawing.nodes[k.target].name == "blk"]
    assert len(into) == 2 and all(on_outline(drawing.nodes[k.target], k.end) for k in into)


ODD_GRAPH = {"input": [8, 8, 2], "layers": [
    {"type": "conv", "name": "a", "filters": 2, "kernel": 1},
    {"type": "merge", "name": "twice", "mode": "add", "inputs": ["a", "a"]},
    {"type": "residual", "name": "empty", "body": []},
    {"type": "concat", "name": "idcat", "branches": [[], [], []]},
    {"type": "conv", "name": "back", "from": "input", "filters": 6, "kernel": 1},
    {"type": "merge", "name": "m", "mode": "concat",
     "inputs": ["back", "idcat", "input", "a", "twice", "empty"]},
    {"type": "repeat", "name": "rep", "times": 2, "layers": [
        {"type": "repeat", "name": "inner", "times": 2, "layers": [
            {"type": "conv", "name": "c", "filters": 20, "kernel": 1},
            {"type": "merge", "name": "g", "mode": "multiply", "inputs": ["c", "m"]}]}]},
]}


@pytest.mark.parametrize("depth", (1, 2, 3, None))
def test_odd_graphs_draw_cleanly(depth: int | None) -> None:
    """The same input twice, blocks that are all identity, a `from` back to the input, a
    six-way merge, nested repeats reading a layer outside them."""
    drawing = parse(graph_svg(ODD_GRAPH, depth=depth))
    report = analyze(ODD_GRAPH)
    assert Counter(s.name for s in drawing.nodes.values()) == Counter(
        expected_names(report.rows, depth))
    assert_edges_on_their_nodes_going_down(drawing)
    assert_no_overlap(drawing)
    into = Counter(drawing.nodes[link.target].name for link in drawing.links)
    assert into["m"] == 6
    if depth is None:
        assert into["twice"] == 2 and into["idcat"] == 3 and into["empty"] == 2
        assert into["g_2_1"] == 2


def test_a_block_reading_by_name_starts_with_a_skip() -> None:
    spec = {"input": [8, 8, 2], "layers": [
        {"type": "conv", "name": "a", "filters": 2, "kernel": 1},
        {"type": "residual", "name": "r", "from": "input", "body": [
            {"type": "conv", "name": "b", "filters": 2, "kernel": 1}]},
        {"type": "repeat", "name": "rep", "times": 2, "from": "a", "layers": [
            {"type": "conv", "name": "c", "filters": 2, "kernel": 1}]}]}
    for depth, wanted in ((None, {("input", "a", "flow"), ("input", "b", "skip"),
                                  ("b", "r", "flow"), ("input", "r", "identity"),
                                  ("a", "c_1", "skip"), ("c_1", "c_2", "flow")}),
                          (1, {("input", "a", "flow"), ("input", "r", "skip"),
                               ("a", "rep", "skip")})):
        view = build(spec, depth)
        edges = {(view.nodes[e.source].name, view.nodes[e.target].name, e.kind)
                 for e in view.edges}
        assert edges == wanted


def test_depth_must_be_positive() -> None:
    with pytest.raises(ValueError):
        build(SPECS / "lenet.json", 0)
    with pytest.raises(cnnshape.SpecError):
        graph_svg({"input": [4, 4, 1], "layers": [{"type": "conv", "filters": 1,
                                                    "kernel": 9}]})


def test_input_only_network_draws_one_node() -> None:
    drawing = parse(graph_svg({"input": [4, 4, 1]}))
    assert [s.name for s in drawing.nodes.values()] == ["input"] and not drawing.links


# ---------------------------------------------------------------- text, output, speed

ODD = '<b>&"x"'


def test_names_are_escaped() -> None:
    spec = {"name": "</svg><script>alert(1)</script>", "input": [8, 8, 1], "layers": [
        {"type": "conv", "name": ODD, "filters": 2, "kernel": 3},
        {"type": "residual", "name": "r<&>'", "body": [
            {"type": "conv", "name": "q'&<", "filters": 2, "kernel": 1}]},
        {"type": "merge", "name": "m>&", "mode": "add", "inputs": [ODD, "r<&>'"]}]}
    text = graph_svg(spec)
    assert "<script" not in text and "<b>" not in text
    drawing = parse(text)
    names = {s.name for s in drawing.nodes.values()}
    assert {ODD, "r<&>'", "q'&<", "m>&"} <= names
    texts = [t.text for t in drawing.root.iter(f"{NS}text")]
    assert ODD in texts and "</svg><script>alert(1)</script> (all levels)" in texts
    skip = [k for k in drawing.links if "skip" in k.classes]
    assert [names_of(drawing, k) for k in skip] == [(ODD, "m>&")]


def test_long_names_are_shortened_but_kept_in_the_tooltip() -> None:
    name = "a" * 120
    drawing = parse(graph_svg({"input": [8, 8, 1], "layers": [
        {"type": "conv", "name": name, "filters": 2, "kernel": 3}]}))
    shape = next(s for s in drawing.nodes.values() if s.name == name)
    assert shape.x1 - shape.x0 <= 300
    group = next(g for g in drawing.root.iter(f"{NS}g") if g.get("id") == shape.id)
    first = next(group.iter(f"{NS}text")).text or ""
    assert first.endswith("\u2026") and len(first) < len(name)


def test_deterministic() -> None:
    path = SPECS / "inception_v3.json"
    assert graph_svg(path) == graph_svg(path)
    assert graph_svg(path, depth=2) == graph_svg(str(path), depth=2)


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    code = ("import sys; from cnnshape.render.diagram import graph_svg; "
            "sys.stdout.write(graph_svg(sys.argv[1], depth=2))")
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", code, str(SPECS / "googlenet.json")],
                              env=env, capture_output=True, text=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1] == graph_svg(SPECS / "googlenet.json", depth=2)


def test_plain_packing_fallback_draws_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    """If the columns ever could not be ordered, every rank is packed on its own; the
    result must still be a valid drawing."""
    import cnnshape.render.diagram as draw_graph

    monkeypatch.setattr(draw_graph, "_compact", lambda *args: None)
    drawing = parse(graph_svg(SPECS / "inception_v3.json"))
    assert_edges_on_their_nodes_going_down(drawing)
    assert_no_overlap(drawing)


def test_resnet152_fully_unfolded() -> None:
    """Every node drawn (its time is measured in bench/run.py's pictures section)."""
    text = graph_svg(SPECS / "resnet152.json")
    drawing = parse(text)
    assert len(drawing.nodes) == len(expected_names(rows("resnet152.json"), None))
