"""Reports -> text: a rich table, JSON, CSV or Markdown; and the comparison, verification
and sweep tables.

The renderers only format; every number comes from the report. rich is imported
only by the table renderers, so the other formats start faster. The rich tables are
returned as the text rich would print (render/registry.py lists every format by name).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cnnshape.core.fields import show_shape
from cnnshape.engine.analysis import Report, Row

if TYPE_CHECKING:
    from cnnshape.engine.dense_compare import DenseReport
    from cnnshape.engine.fold import Folded
    from cnnshape.engine.reference import Verification
    from cnnshape.engine.sweep import SweepReport

DEFAULT_COLUMNS = ("layer", "shape", "size", "params", "macs")


def visible(report: Report, depth: int | None) -> list[Row]:
    """Rows down to ``depth`` (1 = top-level layers); deeper composites stay folded."""
    if depth is None:
        return report.rows
    return [row for row in report.rows if row.depth <= depth]


def layer_label(row: Row) -> str:
    """`CONV1 (conv k5 s1, 8 filters, relu)`, indented by depth."""
    indent = "  " * max(row.depth - 1, 0)
    if row.type == "input":
        return "input"
    text = f"{row.type} {row.details}".strip()
    if row.type == "merge":
        mode, _, rest = row.details.partition(",")
        text = f"merge {mode} of {', '.join(row.inputs)}{',' + rest if rest else ''}"
    elif row.inputs:
        text += f", from {row.inputs[0]}"
    return f"{indent}{row.name} ({text})"


@dataclass
class View:
    """What the table and Markdown show: which columns, exact or human units, layout, and
    every layer (``expand``) or the folded structure (engine/fold.py; the CLI's default)."""

    columns: tuple[str, ...] = DEFAULT_COLUMNS
    human: bool = False
    chw: bool = False
    expand: bool = True

    def number(self, value: int) -> str:
        return _si(value) if self.human else f"{value:,}"

    def shape(self, shape: Sequence[int]) -> str:
        """Channels-last as the spec is; `chw` shows PyTorch's (C, H, W)."""
        dims = tuple(shape)
        if self.chw and len(dims) > 1:
            dims = (dims[-1], *dims[:-1])
        return show_shape(dims)


def rf_cells(field: Mapping[str, Any]) -> tuple[str, str]:
    """`212x212`, `32x32`; `whole input` after flatten or global pooling; `*` where merged
    paths disagree on centres or jumps."""
    if not field:
        return ("", "")
    if field.get("whole_input"):
        return ("whole input", "")
    mark = "" if field.get("aligned", True) else " *"
    return ("x".join(f"{v:g}" for v in field["size"]) + mark,
            "x".join(f"{v:g}" for v in field["stride"]))


def _bytes_per_sample(report: Report) -> int:
    memory = report.memory or {}
    per_value: int = memory.get("bytes_per_value", 4)
    batch: int = memory.get("batch", 1)
    return per_value * batch


# name: (header, the cell of a row, the cell of the totals line)
_Cell = Callable[[Row, Report, View], str]
_Total = Callable[[Report, View], str]
COLUMNS: dict[str, tuple[str, _Cell, _Total]] = {
    "layer": ("Layer", lambda r, rep, v: layer_label(r), lambda rep, v: "Total"),
    "shape": ("Activation shape", lambda r, rep, v: v.shape(r.output_shape),
              lambda rep, v: v.shape(rep.output_shape)),
    "size": ("Activation size", lambda r, rep, v: v.number(r.activation_size),
             lambda rep, v: ""),
    "params": ("# Parameters", lambda r, rep, v: v.number(r.params),
               lambda rep, v: v.number(rep.totals.params)),
    "macs": ("MACs", lambda r, rep, v: v.number(r.macs), lambda rep, v: v.number(rep.totals.macs)),
    "flops": ("FLOPs (2 x MACs)", lambda r, rep, v: v.number(2 * r.macs),
              lambda rep, v: v.number(2 * rep.totals.macs)),
    "memory": ("Activation memory",
               lambda r, rep, v: _mib(r.activation_size * _bytes_per_sample(rep)),
               lambda rep, v: "peak " + _mib(rep.memory.get("inference_peak_activation_bytes", 0))),
    "rf_size": ("RF size", lambda r, rep, v: rf_cells(r.receptive_field)[0], lambda rep, v: ""),
    "rf_stride": ("RF stride", lambda r, rep, v: rf_cells(r.receptive_field)[1],
                  lambda rep, v: ""),
}


def _mib(value: int) -> str:
    from cnnshape.engine.memory import mib

    return mib(value)


def headers(view: View) -> list[str]:
    return [COLUMNS[c][0] for c in view.columns]


def cells(row: Row, report: Report, view: View) -> list[str]:
    return [COLUMNS[c][1](row, report, view) for c in view.columns]


def folded_label(item: Folded) -> str:
    """layer_label, and for identical blocks folded together the last one's name and xN."""
    label = layer_label(item.row)
    if item.last is None:
        return label
    at = label.index(item.row.name) + len(item.row.name)
    from cnnshape.engine.fold import TIMES

    return f"{label[:at]} … {item.last.name}{label[at:]} {TIMES}{item.count}"


def listed_cells(item: Folded, report: Report, view: View) -> list[str]:
    """cells of a listed row; an xN row's receptive field reads first … last where they differ."""
    values = cells(item.row, report, view)
    if item.last is None:
        return values
    for i, column in enumerate(view.columns):
        if column == "layer":
            values[i] = folded_label(item)
        elif column.startswith("rf_"):
            last = COLUMNS[column][1](item.last, report, view)
            if last != values[i]:
                values[i] = f"{values[i]} … {last}"
    return values


def listing(report: Report, depth: int | None, view: View) -> tuple[list[Folded], bool]:
    """The rows the table and Markdown list, and whether folding left any out."""
    from cnnshape.engine.fold import listed

    items = listed(report.rows, depth, view.expand)
    return items, len(items) != len(visible(report, depth))


def total_cells(report: Report, view: View) -> list[str]:
    return [COLUMNS[c][2](report, view) for c in view.columns]


def summary_lines(report: Report) -> list[str]:
    t = report.totals
    per = f" for a batch of {report.batch}" if report.batch != 1 else ""
    lines = [f"Trainable params: {t.params:,}",
             f"Non-trainable params: {t.non_trainable_params:,}",
             f"Total params: {t.total_params:,}",
             f"MACs{per}: {t.macs:,} ({_si(t.macs)}); FLOPs = 2 x MACs = {2 * t.macs:,}"]
    if report.memory:
        from cnnshape.engine.memory import lines as memory_lines

        lines.extend(memory_lines(report.memory))
    return lines


def _si(value: int) -> str:
    """Human units, 1000-based as MACs and parameter counts are quoted: 1.8 G, 25.6 M."""
    for unit, scale in (("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return str(value)


def to_json(report: Report, depth: int | None = None) -> str:
    data = report.to_dict()
    if depth is not None:
        data["layers"] = [row for row in data["layers"] if row["depth"] <= depth]
    return json.dumps(data, indent=2)


CSV_FIELDS = ("name", "type", "depth", "path", "details", "input_shape", "output_shape",
              "activation_size", "params", "non_trainable_params", "macs")


def to_csv(report: Report, depth: int | None = None, rf: bool = False) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_FIELDS + (("rf_size", "rf_stride", "rf_start") if rf else ()))
    for row in visible(report, depth):
        values: list[Any] = [getattr(row, name) for name in CSV_FIELDS]
        if rf:
            field = row.receptive_field
            values += [field.get(key) or ("whole input" if key == "size" else "")
                       for key in ("size", "stride", "start")]
        writer.writerow(["x".join(f"{x:g}" for x in v) if isinstance(v, list) else v
                         for v in values])
    return out.getvalue()


def to_markdown(report: Report, depth: int | None = None, view: View | None = None) -> str:
    view = view or View()
    lines = []
    if report.name:
        lines += [f"**{report.name}**", ""]
    lines.append("| " + " | ".join(headers(view)) + " |")
    lines.append("|" + "|".join("---" if c == "layer" else "---:" for c in view.columns) + "|")
    items, folded = listing(report, depth, view)
    for item in items:
        texts = [c.replace("|", "\\|") for c in listed_cells(item, report, view)]
        lines.append("| " + " | ".join(t.replace("  ", "&nbsp;&nbsp;") for t in texts) + " |")
    lines.append("| " + " | ".join(f"**{c}**" if c else "" for c in total_cells(report, view))
                 + " |")
    lines.append("")
    lines += [f"{line}  " for line in summary_lines(report)]
    if folded:
        from cnnshape.engine.fold import NOTE

        lines += ["", NOTE]
    return "\n".join(lines) + "\n"


@dataclass
class _Layout:
    """The table's cells as they will be drawn, and what was given up to fit the width."""

    columns: list[str]
    titles: list[str]
    body: list[list[str]]
    footer: list[str]
    notes: list[str]
    fold_width: int | None = None
    """The layer column's width when its names must wrap to fit; None when they fit."""
    margin: int = 1
    """Spaces each side of a cell."""

    def widths(self) -> list[int]:
        return [max(len(c) for c in column)
                for column in zip(self.titles, self.footer, *self.body, strict=True)]

    def width(self) -> int:
        """Characters per line: each cell with its margins, and the rules between."""
        widths = self.widths()
        if self.fold_width is not None:
            widths[self.columns.index("layer")] = self.fold_width
        return sum(w + 2 * self.margin for w in widths) + len(self.columns) + 1


SHORT_TITLES = {"layer": "Layer", "shape": "Shape", "size": "Size", "params": "Params",
                "macs": "MACs", "flops": "FLOPs", "memory": "Memory", "rf_size": "RF",
                "rf_stride": "RF stride"}


def short_number(value: int) -> str:
    """Three significant digits with a 1000-based unit (``4.09 G``, ``25.6 M``, ``608``):
    a width-bound table's abbreviation, never a cut number."""
    units = (("k", 10**3), ("M", 10**6), ("G", 10**9), ("T", 10**12))
    for k, (unit, scale) in enumerate(units):
        last = k == len(units) - 1
        if value < scale or (not last and value >= units[k + 1][1]):
            continue
        scaled = value / scale
        digits = 2 if scaled < 10 else 1 if scaled < 100 else 0
        text = f"{scaled:.{digits}f}"
        if digits and float(text) >= 10 ** (3 - digits):  # 99.95 rounds to 100.0: 100
            digits -= 1
            text = f"{scaled:.{digits}f}"
        if float(text) >= 1000 and not last:  # 999.7 k rounds to 1000 k: it is 1.00 M
            return f"{value / units[k + 1][1]:.2f} {units[k + 1][0]}"
        return f"{text} {unit}"
    return str(value)


def _compact_shape(dims: Sequence[int], chw: bool) -> str:
    """``56x56x256`` (``(1000,)`` for a vector, as a shape and not a number)."""
    dims = tuple(dims)
    if chw and len(dims) > 1:
        dims = (dims[-1], *dims[:-1])
    return "x".join(map(str, dims)) if len(dims) > 1 else show_shape(dims)


def fit_layout(report: Report, items: list[Folded], view: View, limit: int | None) -> _Layout:
    """Today's layout if it fits ``limit`` columns (or there is no limit); else one step at
    a time until it fits: names without their details; short titles and compact shapes;
    MACs/FLOPs, then parameters, then sizes abbreviated; no size column (the product of
    the shape); names wrapped; no margins. A number is never cut."""
    shown = [item.row for item in items]
    layout = _Layout(list(view.columns), headers(view),
                     [listed_cells(item, report, view) for item in items],
                     total_cells(report, view), [])
    if limit is None or layout.width() <= limit:
        return layout
    columns = layout.columns

    def column(name: str, rows: Callable[[Row], str], total: str | None = None) -> None:
        if name not in columns:
            return
        i = columns.index(name)
        for row, values in zip(shown, layout.body, strict=True):
            values[i] = rows(row)
        if total is not None and layout.footer[i]:
            layout.footer[i] = total

    t = report.totals

    last = {id(item.row): item for item in items if item.last is not None}

    def short_label(row: Row) -> str:
        if row.type == "input":
            return "input"
        label = "  " * max(row.depth - 1, 0) + row.name
        item = last.get(id(row))
        if item is not None and item.last is not None:
            from cnnshape.engine.fold import TIMES

            label += f" … {item.last.name} {TIMES}{item.count}"
        return label

    def names() -> None:
        column("layer", short_label)

    def compact() -> None:
        layout.titles[:] = [SHORT_TITLES[c] for c in columns]
        column("shape", lambda r: _compact_shape(r.output_shape, view.chw),
               _compact_shape(report.output_shape, view.chw))

    def macs() -> None:
        column("macs", lambda r: short_number(r.macs), short_number(t.macs))
        column("flops", lambda r: short_number(2 * r.macs), short_number(2 * t.macs))

    def params() -> None:
        column("params", lambda r: short_number(r.params), short_number(t.params))

    def sizes() -> None:
        column("size", lambda r: short_number(r.activation_size))

    def no_size() -> None:
        if "shape" in columns:
            _drop(layout, "size")

    def fold() -> None:
        _fold(layout, limit)

    def no_margins() -> None:
        layout.margin = 0
        _fold(layout, limit)

    steps: list[Callable[[], None]] = [names, compact, macs, params, sizes, no_size, fold,
                                       no_margins]
    for step in steps:
        step()
        if layout.width() <= limit:
            break
    if "layer" in view.columns:
        layout.notes.append("layer details left out to fit the terminal; --wide shows them")
    if _short(layout):
        layout.notes.append(_ABBREVIATED)
    if "size" in view.columns and "size" not in layout.columns:
        layout.notes.append("activation size (the product of the shape) left out to fit")
    return layout


_ABBREVIATED = "k = 10^3, M = 10^6, G = 10^9, T = 10^12; --wide or --format json: exact"


def _short(layout: _Layout) -> bool:
    return any(c.endswith((" k", " M", " G", " T")) for row in layout.body for c in row)


def _drop(layout: _Layout, name: str) -> None:
    if name in layout.columns:
        i = layout.columns.index(name)
        for values in (layout.titles, layout.footer, *layout.body):
            del values[i]
        layout.columns.pop(i)


def _fold(layout: _Layout, limit: int) -> None:
    """Wrap the layer names in what the other columns leave (at least 4 characters)."""
    if "layer" not in layout.columns:
        return
    layout.fold_width = None
    i = layout.columns.index("layer")
    others = layout.width() - (layout.widths()[i] + 2 * layout.margin)
    room = limit - others - 2 * layout.margin
    if room < layout.widths()[i]:
        layout.fold_width = max(room, 4)


def report_table(report: Report, *, depth: int | None = None, view: View | None = None,
                 rf: bool = False, chart: bool = False, wide: bool = False,
                 width: int | None = None) -> str:
    """`--format table`: the course-style table (plain when piped or NO_COLOR is set), then
    with ``chart`` the terminal bar chart; ``rf`` is the CSV's and does not apply here.

    On a terminal (or at ``width`` columns) the table fits the width, giving up details
    before abbreviating numbers, and never cuts a number; ``wide`` keeps the full layout."""
    from rich.console import Console
    from rich.table import Table

    view = view or View()
    console = _console(Console) if width is None else \
        Console(width=width, no_color=True, markup=False)
    items, folded = listing(report, depth, view)
    shown = [item.row for item in items]
    limit = None if wide or (width is None and not console.is_terminal) else console.width
    layout = fit_layout(report, items, view, limit)
    # Cells come aligned and with their margins: with padding=0 and no justification left
    # to do, rich skips a Padding per cell and draws a 200-row table in half the time.
    widths = layout.widths()
    left = [c == "layer" for c in layout.columns]
    if layout.fold_width is not None:
        widths[layout.columns.index("layer")] = layout.fold_width
    pad = " " * layout.margin

    def aligned(values: Sequence[str]) -> list[str]:
        return [f"{pad}{v:<{w}}{pad}" if is_left else f"{pad}{v:>{w}}{pad}"
                for v, w, is_left in zip(values, widths, left, strict=True)]

    table = Table(title=report.name, show_footer=True, title_justify="left", padding=0)
    for name, header, foot in zip(layout.columns, aligned(layout.titles),
                                  aligned(layout.footer), strict=True):
        if name == "layer" and layout.fold_width is not None:
            table.add_column(header, footer=foot, overflow="fold",
                             width=layout.fold_width + 2 * layout.margin)
        else:
            table.add_column(header, footer=foot, no_wrap=True)
    for row, values in zip(shown, layout.body, strict=True):
        table.add_row(*aligned(values), style="bold" if row.composite else None)
    with console.capture() as captured:
        console.print(table, markup=False, highlight=False)
        for line in layout.notes:
            console.print(f"({line})", markup=False, highlight=False)
        for line in summary_lines(report):
            console.print(line, markup=False, highlight=False)
        if folded:
            from cnnshape.engine.fold import NOTE

            console.print(NOTE, markup=False, highlight=False)
        if "rf_size" in view.columns and any(not r.receptive_field.get("aligned", True)
                                             for r in shown + [i.last for i in items if i.last]):
            console.print("* the merged paths disagree on where units are centred or how far "
                          "apart they are; the largest field is shown",
                          markup=False, highlight=False)
    text: str = captured.get()
    if chart:
        from cnnshape.render.charts import chart_lines

        # Its own console, as wide as the terminal up to 120 columns (not the table's 200).
        bars = Console(markup=False, highlight=False)
        with bars.capture() as drawn:
            for bar in chart_lines(report, min(bars.width, 120)):
                bars.print(bar)
        text += drawn.get()
    return text


def report_json(report: Report, *, depth: int | None = None, **_: object) -> str:
    """`--format json`: everything, receptive fields included, down to ``depth``."""
    return to_json(report, depth) + "\n"


def report_csv(report: Report, *, depth: int | None = None, rf: bool = False,
               **_: object) -> str:
    """`--format csv`: one row per layer, receptive fields with ``rf``."""
    return to_csv(report, depth, rf)


def report_markdown(report: Report, *, depth: int | None = None, view: View | None = None,
                    **_: object) -> str:
    """`--format markdown`: the table's columns and units as a Markdown table."""
    return to_markdown(report, depth, view)


def print_table(report: Report, depth: int | None = None,
                view: View | None = None) -> None:
    """cnnshape 0.1's API: report_table's text on standard output (the CLI uses report_table)."""
    import sys

    sys.stdout.write(report_table(report, depth=depth, view=view))


class _Serializable(Protocol):
    def to_dict(self) -> dict[str, Any]: ...


def as_json(subject: _Serializable, **_: object) -> str:
    """`--format json` of compare-dense, verify and sweep: the result's dict, indented."""
    return json.dumps(subject.to_dict(), indent=2) + "\n"


def terminal_console() -> Any:
    """A rich console for text the CLI prints: the terminal's, or 200 columns uncoloured
    when the output is not a terminal."""
    from rich.console import Console

    return _console(Console)


def _console(console_class: Any) -> Any:
    """Wide enough never to wrap a number when the output is not a terminal."""
    # markup=False: names and titles come from specs and are shown as written.
    console = console_class(markup=False)
    if not console.is_terminal:
        console = console_class(width=max(console.width, 200), no_color=True, markup=False)
    return console


def comparison_table(report: DenseReport, *, kernel: int | None = None) -> str:
    """compare-dense: each conv/dense layer against its dense equivalent; with ``kernel`` (the
    one-layer example) the lecture's argument in words for its one layer instead."""
    from rich.console import Console
    from rich.table import Table

    if kernel is not None:
        from cnnshape.engine.dense_compare import explain

        return "\n".join(explain(report.layers[0], kernel)) + "\n"
    console = _console(Console)
    table = Table(title=f"{report.name or 'spec'}: conv vs dense", title_justify="left",
                  show_footer=True)
    columns = ("Layer", "Input -> output", "# Parameters", "Dense equivalent", "Ratio",
               "Weight reuse", "Inputs read per output")
    ratio = f"{report.dense_params / report.params:,.1f}x" if report.params else ""
    footers = ("Total", "", f"{report.params:,}", f"{report.dense_params:,}", ratio, "", "")
    for header, footer in zip(columns, footers, strict=True):
        table.add_column(header, footer=footer, justify="left" if header == "Layer" else "right",
                         no_wrap=True)
    for c in report.layers:
        reads = f"{c.reads:,} of {c.inputs:,}" if c.reads is not None else "varies"
        table.add_row(f"{c.name} ({c.type})",
                      f"{show_shape(tuple(c.input_shape))} -> {show_shape(tuple(c.output_shape))}",
                      f"{c.params:,}", f"{c.dense_params:,}", f"{c.ratio:,.1f}x",
                      f"{c.reuse:,}", reads)
    with console.capture() as captured:
        console.print(table)
        console.print("Weight reuse: positions at which each weight is applied (parameter "
                      "sharing). Inputs read: the window each output value sees (sparsity of "
                      "connections); the dense equivalent reads every input.", highlight=False)
    text: str = captured.get()
    return text


def print_comparison(report: DenseReport) -> None:
    """cnnshape 0.1's API: comparison_table's text on standard output."""
    import sys

    sys.stdout.write(comparison_table(report))


def verification_table(result: Verification) -> str:
    """verify: the calculator's shape against the reference pass's, per layer."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = _console(Console)
    table = Table(title="Reference forward pass", title_justify="left")
    for header in ("Layer", "Calculator", "Reference pass", ""):
        table.add_column(header, no_wrap=True)
    for check in result.checks:
        indent = "  " * max(check.depth - 1, 0)
        mark = Text("✓", style="green") if check.ok else Text("✗ mismatch", style="red")
        table.add_row(f"{indent}{check.name}", show_shape(check.expected),
                      show_shape(check.produced), mark)
    rate = result.run_macs / result.seconds / 1e6 if result.seconds else 0.0
    verdict = "all shapes agree" if result.ok else \
        f"{sum(not c.ok for c in result.checks)} layer(s) disagree"
    with console.capture() as captured:
        console.print(table)
        for note in result.notes:
            console.print(f"note: {note}", highlight=False)
        console.print(f"{len(result.checks)} layers, {verdict}; {result.run_macs:,} MACs in "
                      f"{result.seconds:.2f} s ({rate:.1f} M MACs/s)", highlight=False)
    text: str = captured.get()
    return text


def print_verification(result: Verification) -> None:
    """cnnshape 0.1's API: verification_table's text on standard output."""
    import sys

    sys.stdout.write(verification_table(result))


SWEEP_FIELDS = ("output_shape", "params", "macs", "peak_memory_bytes", "error")


def sweep_csv(report: SweepReport, **_: object) -> str:
    """`sweep --format csv`: the values, then the results, one row per combination."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*report.keys, *SWEEP_FIELDS])
    for row in report.rows:
        values = [*(json.dumps(row.values[k]) if isinstance(row.values[k], list)
                    else row.values[k] for k in report.keys),
                  *(getattr(row, f) for f in SWEEP_FIELDS)]
        writer.writerow(["x".join(map(str, v)) if isinstance(v, list) else
                         ("" if v is None else v) for v in values])
    return out.getvalue()


def sweep_table(report: SweepReport, *, batch: int = 1, dtype: str = "float32") -> str:
    """One row per combination; an invalid one shows its error instead of numbers."""
    from rich.console import Console
    from rich.table import Table

    from cnnshape.engine.memory import mib

    console = _console(Console)
    table = Table(title=f"{len(report.rows)} combinations (batch {batch}, {dtype})",
                  title_justify="left")
    for key in report.keys:
        table.add_column(key, no_wrap=True)
    for header in ("Output shape", "# Parameters", "MACs", "Peak memory"):
        table.add_column(header, justify="right", no_wrap=True)
    for row in report.rows:
        values = [json.dumps(row.values[k]) for k in report.keys]
        if row.error is not None:
            table.add_row(*values, row.error.split(": ", 1)[-1], "", "", "")
            continue
        table.add_row(*values, show_shape(tuple(row.output_shape or ())), f"{row.params:,}",
                      f"{row.macs:,}", mib(row.peak_memory_bytes or 0))
    with console.capture() as captured:
        console.print(table, markup=False, highlight=False)
    text: str = captured.get()
    return text


def print_sweep(report: SweepReport, batch: int, dtype: str) -> None:
    """cnnshape 0.1's API: sweep_table's text on standard output."""
    import sys

    sys.stdout.write(sweep_table(report, batch=batch, dtype=dtype))
