"""Per-layer bar charts of activation size and parameters: SVG and terminal.

The lecture's point in one picture: activations shrink through the conv and pool stages
while the parameters gather in the dense layers. The two quantities span several decades
(LeNet: 10 to 6,272 values, 0 to 48,120 parameters), so a log10 scale is used when the
non-zero values differ by more than a factor of ``LOG_RANGE``; otherwise a linear one,
which is easier to read. One bar per leaf layer, in table order; zero draws no bar.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from math import ceil, floor, log10
from typing import TYPE_CHECKING

from cnnshape.core.fields import show_shape
from cnnshape.engine.analysis import Report, Row, analyze
from cnnshape.render.svg import Svg, text_width
from cnnshape.spec.loader import Source

if TYPE_CHECKING:
    from rich.text import Text

LOG_RANGE = 100.0
"""Above this max/min ratio of the non-zero values, a linear bar would hide the small ones."""


@dataclass(frozen=True)
class Metric:
    """One quantity charted per layer."""

    key: str
    title: str
    unit: str
    color: str
    terminal_style: str

    def value(self, row: Row) -> int:
        return int(getattr(row, self.key))


ACTIVATION = Metric("activation_size", "Activation size", "values per sample", "#4c78a8", "blue")
PARAMS = Metric("params", "Parameters", "trainable", "#f58518", "dark_orange")

_METRICS: dict[str, tuple[Metric, ...]] = {
    "both": (ACTIVATION, PARAMS),
    "activation_size": (ACTIVATION,), "activation": (ACTIVATION,), "size": (ACTIVATION,),
    "params": (PARAMS,), "parameters": (PARAMS,),
}


def metrics(name: str) -> tuple[Metric, ...]:
    """`both`, `size` (or `activation_size`) or `params`; anything else is a ValueError."""
    try:
        return _METRICS[name]
    except KeyError:
        raise ValueError(f"unknown chart metric {name!r}: expected both, size or params") from None


def as_report(source: Source | Report) -> Report:
    """Charts accept a spec or a report already computed (the HTML page reuses its own)."""
    return source if isinstance(source, Report) else analyze(source)


def leaf_rows(report: Report) -> list[Row]:
    """The input and every layer that is not a composite: the ones that make a tensor."""
    return [row for row in report.rows if not row.composite]


# ---------------------------------------------------------------- scale


@dataclass(frozen=True)
class Scale:
    """Where a value's bar ends, as a fraction of the bar area's width.

    Linear: value / high. Log: (log10(value) - low) / (high - low), with low and high
    exponents, so every decade gets the same length.
    """

    log: bool
    low: float
    high: float

    def fraction(self, value: float) -> float:
        if value <= 0 or self.high <= self.low:
            return 0.0
        if self.log:
            return (log10(value) - self.low) / (self.high - self.low)
        return (value - self.low) / (self.high - self.low)

    def ticks(self) -> list[float]:
        """Powers of ten in log scale; 1, 2 or 5 x 10^k steps in linear scale."""
        if self.log:
            return [10.0 ** k for k in range(int(self.low), int(self.high) + 1)]
        if self.high <= 0:
            return []
        step = _nice_step(self.high / 5)
        count = int(self.high / step + 1e-9)
        return [i * step for i in range(count + 1)]


def needs_log(values: Sequence[int]) -> bool:
    """True when the non-zero values span more than LOG_RANGE (max / min)."""
    nonzero = [v for v in values if v > 0]
    return bool(nonzero) and max(nonzero) / min(nonzero) > LOG_RANGE


def scale_for(values: Sequence[int], log: bool | None, *, whole_decades: bool) -> Scale:
    """The scale for one chart; ``whole_decades`` ends the log axis on a power of ten (SVG
    ticks), otherwise at the largest value (terminal bars scaled to the widest)."""
    nonzero = [v for v in values if v > 0]
    use_log = needs_log(values) if log is None else log
    if not nonzero:
        return Scale(use_log, 0.0, 1.0 if use_log else 0.0)
    if not use_log:
        return Scale(False, 0.0, float(max(nonzero)))
    smallest, largest = min(nonzero), max(nonzero)
    low = floor(log10(smallest))
    if 10 ** low == smallest and low > 0:
        low -= 1  # start a decade lower so the smallest value still gets a bar
    high = ceil(log10(largest)) if whole_decades else log10(largest)
    return Scale(True, float(low), float(max(high, low + 1)))


def _nice_step(raw: float) -> float:
    magnitude = 10.0 ** floor(log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def tick_label(value: float) -> str:
    """Compact axis labels: 0, 500, 1k, 2.5k, 10M, 1G."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if value >= size:
            return f"{value / size:g}{unit}"
    return f"{value:g}"


# ---------------------------------------------------------------- SVG

FONT = 11.0
ROW = 18.0
BAR = 12.0
PAD = 12.0
BAR_AREA = 320.0
NAME_WIDTH = 240.0
INDENT = 10.0
TOP = 66.0
"""Space above the first bar: the chart title, the panel titles and the tick labels."""


@dataclass(frozen=True)
class Panel:
    """One metric's chart: its values, scale and where its bar area starts."""

    metric: Metric
    values: list[int]
    scale: Scale
    x: float
    width: float


def chart_svg(source: Source | Report, metric: str = "both", *,
              log: bool | None = None) -> str:
    """Horizontal bars per leaf layer of activation size and/or parameters, as SVG text.

    ``log=None`` picks log10 per panel when the non-zero values span more than LOG_RANGE;
    True or False forces it. Each bar is labelled with its exact value.
    """
    chosen = metrics(metric)
    report = as_report(source)
    rows = leaf_rows(report)
    names_width = _names_width(rows)
    panels: list[Panel] = []
    x = PAD + names_width + PAD
    for m in chosen:
        values = [m.value(row) for row in rows]
        value_width = max(text_width(f"{v:,}", FONT) for v in values) + 8
        panels.append(Panel(m, values, scale_for(values, log, whole_decades=True), x, BAR_AREA))
        x += BAR_AREA + value_width + 2 * PAD
    height = TOP + ROW * len(rows) + PAD
    title = f"{report.name or 'network'}: " + " and ".join(m.title.lower() for m in chosen)
    svg = Svg(x, height, title=title + " per layer")
    svg.text(PAD, 20, title + " per layer", size=14, font_weight="bold")
    _draw_names(svg, rows)
    for panel in panels:
        _draw_panel(svg, panel, rows)
    return str(svg)


def _names_width(rows: Sequence[Row]) -> float:
    widest = max(text_width(row.name, FONT) + INDENT * _level(row) for row in rows)
    return min(widest, NAME_WIDTH)


def _level(row: Row) -> int:
    return max(row.depth - 1, 0)


def _shorten(text: str, width: float) -> str:
    """Cut a name to ``width`` pixels with an ellipsis; the tooltip keeps it whole."""
    fits = int(width / (FONT * 0.6))
    return text if len(text) <= fits else text[:max(fits - 1, 1)] + "…"


def _bar_y(index: int) -> float:
    return TOP + index * ROW + (ROW - BAR) / 2


def _draw_names(svg: Svg, rows: Sequence[Row]) -> None:
    group = svg.group(class_="names", font_size=FONT)
    for i, row in enumerate(rows):
        indent = INDENT * _level(row)
        label = svg.text(PAD + indent, _bar_y(i) + BAR - 2,
                         _shorten(row.name, NAME_WIDTH - indent), size=FONT, parent=group)
        svg.title(label, f"{row.name} ({row.type}) {show_shape(tuple(row.output_shape))}")


def _draw_panel(svg: Svg, panel: Panel, rows: Sequence[Row]) -> None:
    m, scale = panel.metric, panel.scale
    kind = "log10 scale" if scale.log else "linear scale"
    group = svg.group(class_="panel", data_metric=m.key,
                      data_scale="log" if scale.log else "linear")
    svg.text(panel.x, 42, f"{m.title} ({m.unit}, {kind})", size=12, font_weight="bold",
             parent=group)
    _draw_axis(svg, panel, len(rows), group)
    bars = svg.group(group, class_="bars", fill=m.color)
    labels = svg.group(group, class_="values", font_size=FONT, fill="#222")
    for i, (row, value) in enumerate(zip(rows, panel.values, strict=False)):
        y = _bar_y(i)
        length = bar_length(scale, value, panel.width)
        if length > 0:
            bar = svg.rect(panel.x, y, length, BAR, parent=bars, class_="bar")
            svg.title(bar, f"{row.name}: {value:,}")
        svg.text(panel.x + length + 4, y + BAR - 2, f"{value:,}", size=FONT, parent=labels,
                 class_="value")


def bar_length(scale: Scale, value: int, width: float) -> float:
    """Pixels of a bar; a non-zero value at the axis origin still shows a 1 px sliver."""
    if value <= 0:
        return 0.0
    return max(scale.fraction(value) * width, 1.0)


def _draw_axis(svg: Svg, panel: Panel, count: int, parent: ET.Element) -> None:
    group = svg.group(parent, class_="axis", stroke="#ddd")
    bottom = TOP + ROW * count
    svg.line(panel.x, TOP - 4, panel.x, bottom, parent=group, stroke="#999")
    for tick in panel.scale.ticks():
        x = panel.x + panel.scale.fraction(tick) * panel.width
        svg.line(x, TOP - 4, x, bottom, parent=group, class_="tick")
        svg.text(x, TOP - 8, tick_label(tick), size=10, parent=group, anchor="middle",
                 stroke="none", fill="#555", class_="tick-label")


# ---------------------------------------------------------------- terminal

EIGHTHS = " ▏▎▍▌▋▊▉"
SEPARATOR = " │ "


def bar_text(fraction: float, cells: int) -> str:
    """A bar of ``fraction`` x ``cells`` character cells in eighths, padded to ``cells``."""
    eighths = round(max(0.0, min(fraction, 1.0)) * cells * 8)
    full, rest = divmod(eighths, 8)
    text = "█" * full + (EIGHTHS[rest] if rest else "")
    return text.ljust(cells)


def chart_lines(report: Source | Report, width: int) -> list[Text]:
    """The terminal chart: per leaf layer, a bar of activation size and one of parameters,
    each scaled to its widest value, log10 when the range needs it (the header says so).
    Every line fits in ``width`` cells (at least 40)."""
    from rich.text import Text

    report = as_report(report)
    rows = leaf_rows(report)
    width = max(width, 40)
    columns = [(m, [m.value(row) for row in rows]) for m in (ACTIVATION, PARAMS)]
    scales = [scale_for(values, None, whole_decades=False) for _, values in columns]
    value_widths = [max(len(f"{v:,}") for v in values) for _, values in columns]
    fixed = 1 + sum(value_widths) + 2 + len(SEPARATOR)  # spaces, numbers, separator
    name_width = min(max(len(row.name) + 2 * _level(row) for row in rows), max(width // 4, 8))
    name_width = max(min(name_width, width - fixed - 8), 3)  # leave 4 cells per bar
    cells = max((width - name_width - fixed) // 2, 1)

    lines = _wrapped(f"{report.name or 'network'}: activation size and parameters per layer",
                     width, "bold")
    header = Text("Layer".ljust(name_width) + " ")
    for i, ((m, _), scale) in enumerate(zip(columns, scales, strict=False)):
        room_i = cells + 1 + value_widths[i]
        header.append(_heading(m, scale, room_i).ljust(room_i), style="bold " + m.terminal_style)
        if i == 0:
            header.append(SEPARATOR)
    lines.append(header)
    for r, row in enumerate(rows):
        name = "  " * _level(row) + row.name
        if len(name) > name_width:
            name = row.name  # a cut name says less than a missing indent
        if len(name) > name_width:
            name = name[:name_width - 1] + "…"
        line = Text(name.ljust(name_width) + " ")
        for i, ((m, values), scale) in enumerate(zip(columns, scales, strict=False)):
            value = values[r]
            fraction = scale.fraction(value)
            bar = bar_text(fraction, cells)
            if value > 0 and not bar.strip():
                bar = "▏" + bar[1:]  # a non-zero value is never invisible
            line.append(bar, style=m.terminal_style)
            line.append(" " + f"{value:,}".rjust(value_widths[i]))
            if i == 0:
                line.append(SEPARATOR)
        lines.append(line)
    for (m, values), scale in zip(columns, scales, strict=False):
        if scale.log and any(values):
            lines += _wrapped(f"{m.title}: log10 scale, bars from {tick_label(10 ** scale.low)} "
                              f"to {max(values):,} (each decade the same length); 0 has no bar",
                              width, "dim")
    return lines


def _heading(metric: Metric, scale: Scale, room: int) -> str:
    """The column's title with its scale, shortened until it fits ``room`` cells."""
    short, tiny = ("Activations", "Act.") if metric is ACTIVATION else ("Params", "Par.")
    candidates = [f"{metric.title} ({'log10 scale' if scale.log else 'linear'})",
                  f"{short} ({'log10' if scale.log else 'linear'})",
                  f"{short} ({'log' if scale.log else 'lin'})",
                  f"{tiny} ({'log' if scale.log else 'lin'})"]
    return next((c for c in candidates if len(c) <= room), candidates[-1][:room])


def _wrapped(text: str, width: int, style: str) -> list[Text]:
    """Prose lines wrapped to ``width`` cells, so the caller never has to wrap."""
    from textwrap import wrap

    from rich.text import Text

    return [Text(line, style=style) for line in wrap(text, width)]
