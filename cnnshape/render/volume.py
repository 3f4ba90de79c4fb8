"""The volume-style diagram: every activation a 3-D box, as the course draws LeNet.

Left to right, each activation (the input first) is a box in oblique projection:

* height on the page = H (a 1-D spec's length L),
* depth into the page (drawn up and to the right) = W,
* width along the row = C, the channels.

Sides scale with ``sqrt`` (default), ``log`` (1 + log2 n) or ``linear`` of the size. Each
axis is normalized to the network's largest size on that axis (largest H or W -> the
tallest box, largest C -> the widest), so LeNet's 32x32x3 and VGG-16's 224x224x64 both
fill the picture; ratios within one picture follow the scale exactly, except where a side
is clamped to a few pixels so 1x1 maps stay visible. Flat outputs ([units], after flatten
or dense) are tall thin bars whose height scales the same way with the units. A 3-D
activation (D x H x W x C) draws its H x W x C box with a stacked outline and an "xD" tag.

A conv or pool draws its kernel on the previous box (a conv kernel spans every input
channel, so it is a slab across the box's width; a pooling window is a patch on the box's
H x W face) with two lines to a point of the next box, and its label ("5x5 conv, s1",
"max 2x2, s2") in the gap between them. The style is for chains: sequential and repeat
composites are opened, other composites (residual, concat, nested sequentials) fold to
their output box, labelled with the block name and kind. Long networks wrap to rows no
wider than ``max_width``; the same spec always gives the same bytes.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

from cnnshape.engine.analysis import Report, Row, analyze
from cnnshape.layers import registry
from cnnshape.render.svg import Svg, text_width
from cnnshape.spec.loader import Source

Points = list[tuple[float, float]]

SCALES: dict[str, Callable[[int], float]] = {
    "sqrt": lambda n: math.sqrt(n),
    "log": lambda n: 1.0 + math.log2(n),
    "linear": lambda n: float(n),
}
"""Size -> relative side length; log is 1 + log2(n) so a size of 1 still has a side."""

SPATIAL_MAX, SPATIAL_MIN = 120.0, 4.0
"""Pixel range of the H and W sides."""
CHANNEL_MAX, CHANNEL_MIN = 72.0, 3.0
"""Pixel range of the C side (width along the row)."""
BAR_MAX, BAR_MIN, BAR_WIDTH, BAR_DEPTH = 150.0, 4.0, 8.0, 8.0
"""Flat outputs: height range, fixed width and depth."""
DEPTH_DX, DEPTH_DY = 0.5, 0.35
"""Oblique projection: one pixel into the page moves this far right and up."""

MARGIN = 20.0
GAP = 28.0
"""Least horizontal gap between two boxes' slots."""
LINE = 13.0
"""Spacing of the label lines under a box."""
NAME_CHARS = 26
LINE_CLASSES = ("shape", "name", "kind", "reads")
"""The label lines under a box, top to bottom (the last only for non-chain reads)."""
KERNEL_MIN = 4.0
"""Least drawn side of a kernel."""
STACK = 6.0
"""Offset of the outline behind a 3-D activation's box."""

CATEGORIES: dict[str, tuple[str, str]] = {
    "input": ("input", "#d0d0d0"),
    "conv": ("conv", "#7fb2e5"),
    "pool": ("pool", "#f4b183"),
    "dense": ("dense", "#8fd19e"),
    "elementwise": ("norm / activation", "#cdb8e8"),
    "composite": ("merge / composite", "#ef9a9a"),
    "reshape": ("reshape", "#e8dc8c"),
}
"""Category -> (legend text, fill); the legend lists them in this order."""

STYLE_OF: dict[str, str] = {
    "input": "input", "conv": "conv", "conv_transpose": "conv", "pool": "pool",
    "dense": "dense", "norm": "elementwise", "activation": "elementwise",
    "dropout": "elementwise", "merge": "composite", "composite": "composite",
    "reshape": "reshape",
}
"""Registry category -> this drawing's category: fewer colours than the graph diagram."""

_WINDOW = re.compile(r"(?:^|\s)k(\d+(?:x\d+)*) s(\d+(?:x\d+)*)")


def volume_svg(source: Source | Report, *, scale: str = "sqrt",
               max_layers: int | None = None, max_width: float = 1600.0) -> str:
    """The network as a row (or rows) of activation volumes, as SVG text.

    ``source`` is anything ``cnnshape.analyze`` reads, or a Report. ``scale`` is "sqrt",
    "log" or "linear"; ``max_layers`` draws only the first layers (the input is extra);
    rows wrap so no row is wider than ``max_width`` pixels (a row holds at least one box,
    about 170 pixels at most). Raises ValueError for an unknown scale or a negative
    ``max_layers``, SpecError for an invalid spec.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {scale!r}")
    if max_layers is not None and max_layers < 0:
        raise ValueError("max_layers must be >= 0")
    report = source if isinstance(source, Report) else analyze(source, receptive=False)
    rows = chain_rows(report.rows)
    hidden = 0
    if max_layers is not None and len(rows) - 1 > max_layers:
        hidden = len(rows) - 1 - max_layers
        rows = rows[:max_layers + 1]
    items = _items(rows, SCALES[scale])
    title = report.name or "network"
    return _render(items, title, hidden, max_width)


def chain_rows(rows: list[Row]) -> list[Row]:
    """The rows the volume style draws: top-level sequentials and repeats are opened
    (they are chains), every other composite is one box, and what it contains is hidden."""
    drawn: list[Row] = []
    parents: list[tuple[int, bool]] = []  # (depth, opened) of the composites around a row
    for row in rows:
        while parents and parents[-1][0] >= row.depth:
            parents.pop()
        inside_folded = any(not opened for _, opened in parents)
        opened = row.composite and _opens(row)
        if not inside_folded and not opened:
            drawn.append(row)
        if row.composite:
            parents.append((row.depth, opened))
    return drawn


def _opens(row: Row) -> bool:
    """Repeats are chains of blocks; only a top-level sequential is a stage worth opening
    (a nested one is a block: a Fire module, an MBConv, a DenseNet transition)."""
    return row.type == "repeat" or (row.type == "sequential" and row.depth == 1)


@dataclass
class _Op:
    """How the previous box becomes this one, when it is a windowed layer."""

    label: str
    window: tuple[int, int] | None = None
    """Kernel height and width (length and 1 for 1-D); None draws no kernel."""
    slab: bool = True
    """A conv kernel spans every input channel; a pooling window is per channel."""


@dataclass
class _Item:
    """One box or bar: its sizes in pixels, labels and, once laid out, its position."""

    row: Row
    category: str
    bar: bool
    h: float
    d: float
    c: float
    lines: list[str]
    stack: int = 0
    op: _Op | None = None
    linked: bool = True
    """It reads the box drawn before it (else no kernel or arrow joins them); reads of
    other boxes are drawn as arcs when they are on the same row."""
    x: float = 0.0
    axis: float = 0.0
    labels_y: float = 0.0
    row_index: int = 0
    first_in_row: bool = False
    slot_x: float = 0.0
    slot_w: float = 0.0
    gap: float = 0.0

    @property
    def box_w(self) -> float:
        return self.c + self.d * DEPTH_DX

    @property
    def above(self) -> float:
        """Pixels above the axis (front half-height plus the depth's rise)."""
        return self.h / 2 + self.d * DEPTH_DY + (STACK if self.stack else 0.0)

    @property
    def top(self) -> float:
        """y of the front face's top edge."""
        return self.axis - self.h / 2

    def label_width(self) -> float:
        return max(text_width(line, 11 if i == 0 else 10) for i, line in enumerate(self.lines))


def _short(name: str) -> str:
    """Long names keep their head and tail; the tooltip has them whole."""
    if len(name) <= NAME_CHARS:
        return name
    return name[:11] + "..." + name[-(NAME_CHARS - 14):]


def _dims(shape: list[int]) -> tuple[int, int, int, int]:
    """(H, W, C, D) of a volume; 1-D [L, C] is H=L, W=1; D is 0 unless 3-D."""
    if len(shape) == 2:
        return shape[0], 1, shape[1], 0
    if len(shape) == 4:
        return shape[1], shape[2], shape[3], shape[0]
    return shape[0], shape[1], shape[2], 0


def _sizer(f: Callable[[int], float], largest: int, top: float,
           low: float) -> Callable[[int], float]:
    """Size -> pixels: proportional to f(size), f(largest) at ``top``, never below ``low``."""
    unit = top / f(max(largest, 1))
    return lambda n: min(max(unit * f(n), low), top)


def _items(rows: list[Row], f: Callable[[int], float]) -> list[_Item]:
    volumes = [_dims(r.output_shape) for r in rows if len(r.output_shape) > 1]
    flats = [r.output_shape[0] for r in rows if len(r.output_shape) == 1]
    spatial = _sizer(f, max((max(h, w) for h, w, _, _ in volumes), default=1),
                     SPATIAL_MAX, SPATIAL_MIN)
    channels = _sizer(f, max((c for _, _, c, _ in volumes), default=1), CHANNEL_MAX, CHANNEL_MIN)
    units = _sizer(f, max(flats, default=1), BAR_MAX, BAR_MIN)
    items: list[_Item] = []
    for index, row in enumerate(rows):
        shape = row.output_shape
        category = STYLE_OF[registry.category(row.type)]
        lines = ["x".join(map(str, shape)), _short(row.name), registry.label(row.type)]
        previous = rows[index - 1].name if index else None
        linked = index > 0 and (not row.inputs or previous in row.inputs)
        if any(name != previous for name in row.inputs):
            lines.append(_short("reads " + ", ".join(row.inputs)))
        if len(shape) == 1:
            item = _Item(row, category, True, units(shape[0]), BAR_DEPTH, BAR_WIDTH, lines)
        else:
            h, w, c, depth = _dims(shape)
            item = _Item(row, category, False, spatial(h), spatial(w), channels(c), lines,
                         stack=depth)
        item.op = _op(row)
        item.linked = linked
        items.append(item)
    return items


def _op(row: Row) -> _Op | None:
    """The label (and kernel) of a windowed layer, read from the row's details."""
    if row.type in ("global_pool", "adaptive_pool"):
        return _Op(f"{'global ' if row.type == 'global_pool' else ''}{row.details}")
    if row.type not in ("conv", "conv_transpose", "pool"):
        return None
    match = _WINDOW.search(row.details)
    if match is None:
        return _Op(row.type)
    spatial_dims = max(len(row.input_shape) - 1, 1)
    kernel = _per_dim(match.group(1), spatial_dims)
    stride = match.group(2)
    if row.type == "pool":
        mode = row.details.split()[0]
        label = f"{mode} {'x'.join(map(str, kernel))}, s{stride}"
    else:
        verb = "conv" if row.type == "conv" else "up-conv"
        label = f"{'x'.join(map(str, kernel))} {verb}, s{stride}"
    window = (kernel[0], 1) if len(kernel) == 1 else (kernel[-2], kernel[-1])
    return _Op(label, window, slab=row.type != "pool")


def _per_dim(text: str, dims: int) -> list[int]:
    """"5" or "1x2x2" -> one size per spatial dim."""
    values = [int(v) for v in text.split("x")]
    return values * dims if len(values) == 1 else values


@dataclass
class _Layout:
    width: float
    height: float
    legend_y: float
    note_y: float
    arcs: list[tuple[_Item, _Item]]


def _gap(item: _Item) -> float:
    """Room before a box for the operation's label (or just an arrow)."""
    if item.op is None:
        return GAP
    return max(GAP, text_width(item.op.label, 10) + 20)


def _rows(items: list[_Item], max_width: float) -> list[list[_Item]]:
    """Greedy wrapping: a box goes on the current row while the row stays narrow enough."""
    rows: list[list[_Item]] = [[]]
    x = MARGIN
    for item in items:
        item.slot_w = max(item.box_w, item.label_width())
        item.gap = _gap(item) if item is not items[0] else 0.0
        if rows[-1] and x + item.gap + item.slot_w > max_width - MARGIN:
            rows.append([])
            x = MARGIN
        item.first_in_row = not rows[-1]
        item.slot_x = x + item.gap
        x = item.slot_x + item.slot_w
        rows[-1].append(item)
    return rows


def _skip_arcs(items: list[_Item]) -> list[tuple[_Item, _Item]]:
    """(source, reader) pairs for reads of an earlier box on the same row."""
    by_name = {item.row.name: item for item in items}
    arcs = []
    for previous, item in itertools.pairwise(items):
        for name in item.row.inputs:
            source = by_name.get(name)
            if source is not None and source is not previous \
                    and source.row_index == item.row_index:
                arcs.append((source, item))
    return arcs


def _arc_lift(source: _Item, reader: _Item) -> float:
    return min(16.0 + 0.12 * (reader.x - source.x), 70.0)


def _layout(items: list[_Item], title: str, max_width: float, hidden: int) -> _Layout:
    rows = _rows(items, max_width)
    for index, row in enumerate(rows):
        for item in row:
            item.row_index = index
            item.x = item.slot_x + (item.slot_w - item.box_w) / 2
    arcs = _skip_arcs(items)
    legend_y = MARGIN + 26.0
    y = legend_y + 22.0
    for index, row in enumerate(rows):
        lifts = [_arc_lift(s, r) for s, r in arcs if r.row_index == index]
        above = max(item.above for item in row) + max(lifts, default=0.0)
        axis = y + above + 10.0
        below = max(item.h / 2 for item in row)
        lines = max(len(item.lines) for item in row)
        for item in row:
            item.axis = axis
            item.labels_y = axis + below + 15.0
        y = axis + below + 15.0 + lines * LINE + 12.0
    note_y = y + 4.0
    height = note_y + (LINE if hidden else 0.0) + MARGIN / 2
    used = max(item.slot_x + item.slot_w for item in items) + MARGIN
    width = max(used, text_width(title, 15) + 2 * MARGIN, _legend_width(items) + 2 * MARGIN)
    return _Layout(math.ceil(width), math.ceil(height), legend_y, note_y, arcs)


def _legend_entries(items: list[_Item]) -> list[str]:
    present = {item.category for item in items}
    return [category for category in CATEGORIES if category in present]


def _legend_width(items: list[_Item]) -> float:
    return sum(18 + text_width(CATEGORIES[c][0], 10) + 14 for c in _legend_entries(items))


def _shade(color: str, amount: float) -> str:
    """Lighter (amount > 0, towards white) or darker (< 0) for the box's other faces."""
    rgb = [int(color[i:i + 2], 16) for i in (1, 3, 5)]
    target = 255 if amount > 0 else 0
    mixed = [round(v + (target - v) * abs(amount)) for v in rgb]
    return "#" + "".join(f"{v:02x}" for v in mixed)


def _render(items: list[_Item], title: str, hidden: int, max_width: float) -> str:
    layout = _layout(items, title, max_width, hidden)
    svg = Svg(layout.width, layout.height, title=title)
    svg.text(MARGIN, MARGIN + 8, title, 15, font_weight="bold", fill="#222")
    _legend(svg, items, layout.legend_y)
    arrow = svg.marker_arrow("volume-arrow", "#666")
    boxes = svg.group(class_="volumes")
    for item in items:
        _box(svg, boxes, item)
    overlays = svg.group(class_="operations")
    for previous, item in itertools.pairwise(items):
        _transition(svg, overlays, previous, item, arrow)
    for source, reader in layout.arcs:
        _arc(svg, overlays, source, reader, arrow)
    if hidden:
        svg.text(MARGIN, layout.note_y + LINE - 3,
                 f"... {hidden} more layer{'s' if hidden > 1 else ''} not drawn (max_layers)",
                 10, fill="#555", class_="truncated")
    return str(svg)


def _legend(svg: Svg, items: list[_Item], y: float) -> None:
    group = svg.group(class_="legend")
    x = MARGIN
    for category in _legend_entries(items):
        text, color = CATEGORIES[category]
        svg.rect(x, y - 10, 12, 12, group, fill=color, stroke="#333", stroke_width=0.6)
        svg.text(x + 18, y, text, 10, group, fill="#333")
        x += 18 + text_width(text, 10) + 14


def _box(svg: Svg, parent: ET.Element, item: _Item) -> None:
    """The box's three visible faces (a bar is a thin box), then its labels."""
    row = item.row
    fill = CATEGORIES[item.category][1]
    group = svg.group(parent, class_="bar" if item.bar else "volume",
                      data_kind=row.type, data_shape=item.lines[0])
    svg.title(group, _tooltip(row))
    x, top, c, h, d = item.x, item.top, item.c, item.h, item.d
    dx, dy = d * DEPTH_DX, d * DEPTH_DY
    stroke = {"stroke": "#333", "stroke_width": 0.8, "stroke_linejoin": "round"}
    if item.stack:
        ghost = [(x + STACK, top - STACK), (x + STACK + dx, top - STACK - dy),
                 (x + STACK + c + dx, top - STACK - dy), (x + STACK + c + dx, top - STACK - dy + h),
                 (x + STACK + c, top - STACK + h)]
        svg.polyline(ghost, group, stroke="#777", stroke_width=0.8, stroke_dasharray="3 2",
                     class_="stack")
    svg.rect(x, top, c, h, group, fill=fill, class_="front", **stroke)
    svg.polygon([(x, top), (x + dx, top - dy), (x + c + dx, top - dy), (x + c, top)], group,
                fill=_shade(fill, 0.35), class_="top", **stroke)
    svg.polygon([(x + c, top), (x + c + dx, top - dy), (x + c + dx, top + h - dy),
                 (x + c, top + h)], group, fill=_shade(fill, -0.18), class_="side", **stroke)
    if item.stack:
        svg.text(x + c + dx + 3, top - dy - STACK + 4, f"x{item.stack}", 10, group,
                 fill="#444", class_="depth")
    centre = item.slot_x + item.slot_w / 2
    for i, line in enumerate(item.lines):
        svg.text(centre, item.labels_y + i * LINE, line, 11 if i == 0 else 10, group,
                 anchor="middle", fill="#222" if i < 2 else "#666",
                 font_weight="bold" if i == 0 else None, class_=LINE_CLASSES[i])


def _tooltip(row: Row) -> str:
    text = f"{row.name} ({row.type}"
    text += f" {row.details})" if row.details else ")"
    shape = "x".join(map(str, row.output_shape))
    return f"{text}: {shape}, {row.activation_size:,} values, {row.params:,} parameters"


def _transition(svg: Svg, parent: ET.Element, previous: _Item, item: _Item, arrow: str) -> None:
    """What joins two boxes: the kernel and its projection, or an arrow; the op's label."""
    group = svg.group(parent, class_="operation")
    left = item.slot_x - item.gap
    if item.first_in_row:
        left = MARGIN
        svg.line(left, item.axis, item.x - 2, item.axis, group, stroke="#666",
                 stroke_width=0.8, stroke_dasharray="4 3", marker_end=arrow)
    elif item.op is not None and item.op.window is not None and item.linked and not previous.bar:
        _kernel(svg, group, previous, item, item.op.window, item.op.slab)
    elif item.linked:
        start = previous.x + previous.box_w + 3
        svg.line(start, item.axis, max(item.x - 3, start + 1), item.axis, group,
                 stroke="#666", stroke_width=0.8, marker_end=arrow)
    if item.op is not None:
        right = item.slot_x
        svg.text((left + right) / 2, item.labels_y, item.op.label, 10, group, anchor="middle",
                 fill="#333", font_style="italic", class_="op")


def _kernel(svg: Svg, group: ET.Element, previous: _Item, item: _Item,
            window: tuple[int, int], slab: bool) -> None:
    """A kernel on the previous box and two lines from it to one point of the next box."""
    height, width, _, _ = _dims(previous.row.output_shape)
    kh = _kernel_side(window[0], height, previous.h)
    kw = _kernel_side(window[1], width, previous.d)
    ky = previous.top + (previous.h - kh) * 0.3  # a little above the middle, as drawn by hand
    into = (previous.d - kw) / 2  # halfway into the page
    front, lid, face = _cuboid(previous.x, previous.x + previous.c, ky, kh, into, kw)
    style = {"stroke": "#7a5c00", "stroke_width": 0.8, "fill_opacity": 0.8}
    if slab:
        svg.polygon(front, group, fill="#ffd966", class_="kernel", **style)
        svg.polygon(lid, group, fill="#ffe699", class_="kernel", **style)
    svg.polygon(face, group, fill="#ffd966" if slab else "#ffffff",
                class_="kernel" if slab else "window", **style)
    fraction = (ky - previous.top + kh / 2) / previous.h
    tx, ty = item.x + item.c / 2, item.top + item.h * fraction
    for cx, cy in (face[1], face[3]):
        svg.line(cx, cy, tx, ty, group, stroke="#555", stroke_width=0.7, class_="projection")
    svg.path(f"M {tx - 1.6:.2f} {ty:.2f} a 1.6 1.6 0 1 0 3.2 0 a 1.6 1.6 0 1 0 -3.2 0",
             group, fill="#333")


def _cuboid(left: float, right: float, top: float, height: float, into: float,
            depth: float) -> tuple[Points, Points, Points]:
    """Front, top and right faces of a box spanning ``left``..``right`` along the row,
    ``top``..``top + height`` on the page, ``into``..``into + depth`` into the page."""
    def at(x: float, y: float, z: float) -> tuple[float, float]:
        return x + z * DEPTH_DX, y - z * DEPTH_DY

    bottom, back = top + height, into + depth
    front = [at(left, top, into), at(right, top, into), at(right, bottom, into),
             at(left, bottom, into)]
    lid = [at(left, top, into), at(left, top, back), at(right, top, back), at(right, top, into)]
    face = [at(right, top, into), at(right, top, back), at(right, bottom, back),
            at(right, bottom, into)]
    return front, lid, face


def _kernel_side(size: int, extent: int, pixels: float) -> float:
    """The part of a side the kernel covers (size/extent of it), at least 4 pixels so a
    3x3 kernel on a 224x224 box stays visible, never more than the side."""
    return min(max(pixels * size / extent, KERNEL_MIN), pixels)


def _arc(svg: Svg, parent: ET.Element, source: _Item, reader: _Item, arrow: str) -> None:
    """A dashed curve over the row from a box to a later box that reads it."""
    x1 = source.x + source.c / 2
    x2 = reader.x + reader.c / 2
    y1 = source.top - source.d * DEPTH_DY
    y2 = reader.top - reader.d * DEPTH_DY
    peak = min(y1, y2) - 2 * _arc_lift(source, reader)
    svg.path(f"M {x1:.2f} {y1:.2f} Q {(x1 + x2) / 2:.2f} {peak:.2f} {x2:.2f} {y2 - 2:.2f}",
             parent, fill="none", stroke="#b03a3a", stroke_width=1.0,
             stroke_dasharray="5 3", marker_end=arrow, class_="skip")
