"""One self-contained HTML page about a network: totals, diagram, charts, the per-layer
table (sortable), conv against dense, receptive fields, memory and warnings.

Self-contained means it opens from a file or an e-mail attachment with no network: CSS
and the sorting script are inline, pictures are inline SVG, and no attribute points
outside the page. Every text from a spec is escaped; SVG passed in is parsed and
stripped of scripts, event handlers and external references before it is inlined.
The page is deterministic: the same spec gives the same bytes (no dates, no random ids).
"""

from __future__ import annotations

import html
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from math import prod
from typing import Any

from cnnshape._version import __version__
from cnnshape.core.fields import show_shape
from cnnshape.engine.analysis import Report, Row, analyze
from cnnshape.engine.dense_compare import DenseReport, compare_dense
from cnnshape.engine.memory import lines as memory_lines
from cnnshape.engine.memory import mib
from cnnshape.render.charts import chart_svg
from cnnshape.render.text import rf_cells, summary_lines
from cnnshape.spec.loader import Network, Source, load

VOLUME_MAX_LAYERS = 30
"""Longer chains are drawn as a graph: 3-D volumes would become too thin to read."""

GRAPH_MAX_NODES = 80
"""Deeper networks get their composites folded in the report's graph (ResNet-152: depth 2)."""

BRANCHING = ("residual", "concat")


def esc(value: object) -> str:
    """Text and attribute values: & < > " ' all escaped."""
    return html.escape(str(value), quote=True)


def report_html(source: Source, *, diagram_svg: str | None = None, batch: int = 1,
                dtype: str = "float32", expand: bool = True) -> str:
    """The HTML report of a spec, as text.

    ``diagram_svg`` is inlined as the architecture diagram; when None, the volume style
    is drawn for a chain of at most VOLUME_MAX_LAYERS leaf layers with no branches and
    the graph style otherwise (if those drawing modules are installed; else no diagram).
    ``batch`` and ``dtype`` are analyze()'s, for MACs and memory. ``expand=False`` folds the
    layer table as engine/fold.py does (the CLI's default).
    """
    network = load(source)
    report = analyze(network, batch=batch, dtype=dtype)
    if diagram_svg is not None:
        diagram: tuple[str, str] | None = ("", diagram_svg)
    else:
        diagram = auto_diagram(network, report)
    title = report.name or "network"
    body = [
        f"<header><h1>{esc(title)}</h1>{_description(report)}</header>",
        _nav(),
        _summary(report),
        _diagram(diagram),
        _charts(report),
        _layers(report, expand),
        _dense(compare_dense(network)),
        _receptive(report),
        _memory(report),
        _warnings(report),
        f"<footer>Made by cnnshape {esc(__version__)} from "
        f"{esc(os.path.basename(report.source))}.</footer>",  # no local paths in a shared page
    ]
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="cnnshape {esc(__version__)}">',
        f"<title>{esc(title)}: cnnshape report</title>",
        f"<style>{CSS}</style>",
        "</head>",
        "<body>",
        *body,
        f"<script>{SCRIPT}</script>",
        "</body>",
        "</html>",
        "",
    ])


# ---------------------------------------------------------------- diagram choice


def is_simple_chain(report: Report) -> bool:
    """No residual, concat, merge or `from`, and few enough layers for 3-D volumes."""
    if report.totals.layers > VOLUME_MAX_LAYERS:
        return False
    return not any(row.type in BRANCHING or row.inputs for row in report.rows)


def graph_depth(report: Report, limit: int = GRAPH_MAX_NODES) -> int | None:
    """The deepest level at which the graph has at most ``limit`` nodes (composites
    below it folded); None when every layer fits; 1 when even the top level does not."""
    if len(report.rows) - sum(row.composite for row in report.rows) <= limit:
        return None
    deepest = max(row.depth for row in report.rows)
    best = 1
    for depth in range(1, deepest + 1):
        nodes = sum(1 for row in report.rows
                    if row.depth <= depth and (not row.composite or row.depth == depth))
        if nodes <= limit:
            best = depth
    return best


def auto_diagram(network: Network, report: Report) -> tuple[str, str] | None:
    """(caption, svg) from the drawing modules, or None when neither is importable.

    A volume drawing that refuses the network (ValueError, e.g. an input it cannot draw)
    falls back to the graph style.
    """
    styles = ["volume", "graph"] if is_simple_chain(report) else ["graph"]
    for style in styles:
        try:
            if style == "volume":
                from cnnshape.render.volume import volume_svg

                return "Volume style.", volume_svg(report)  # the report at hand: no second analysis
            from cnnshape.render.diagram import graph_svg

            depth = graph_depth(report)
            caption = "Graph style." if depth is None else \
                f"Graph style, composites folded below depth {depth}."
            return caption, graph_svg(network, depth=depth)
        except ImportError:
            continue
        except ValueError:
            if style == "graph":
                raise
    return None


# ---------------------------------------------------------------- draw's styles (see registry.py)


def draw_volume(network: Network, *, scale: str = "sqrt", max_layers: int | None = None,
                **_: object) -> str:
    """`draw --style volume`: activations as 3-D boxes."""
    from cnnshape.render.volume import volume_svg

    return volume_svg(analyze(network, receptive=False), scale=scale, max_layers=max_layers)


def draw_graph(network: Network, *, depth: int | None = None, **_: object) -> str:
    """`draw --style graph`: the block diagram; analyses nothing beyond what it draws."""
    from cnnshape.render.diagram import graph_svg

    return graph_svg(network, depth=depth)


def draw_auto(network: Network, *, depth: int | None = None, scale: str = "sqrt",
              max_layers: int | None = None) -> str:
    """`draw --style auto`: volumes for a short chain, else the graph style."""
    report = analyze(network, receptive=False)
    if not is_simple_chain(report):
        return draw_graph(network, depth=depth)
    from cnnshape.render.volume import volume_svg

    return volume_svg(report, scale=scale, max_layers=max_layers)  # the report at hand


# ---------------------------------------------------------------- SVG inlining

_XML_NS = "{http://www.w3.org/XML/1998/namespace}"
_DROP = {"script", "foreignObject", "iframe", "object", "embed", "audio", "video"}
_EXTERNAL = re.compile(r"""@import|url\(\s*['"]?\s*(?=[^#'"\s])""", re.IGNORECASE)
"""CSS that loads something: @import, or url(...) of anything but a #fragment."""


def inline_svg(text: str) -> str:
    """SVG text -> an <svg> element for an HTML page: no XML declaration, no namespaces,
    and nothing that runs or loads: scripts, ``on*`` handlers, hrefs other than ``#id``
    and external ``url(...)`` or ``@import`` are removed. Raises ValueError for bad XML."""
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"not valid SVG: {exc}") from None
    if _local(root.tag) != "svg":
        raise ValueError(f"not SVG: the root element is <{_local(root.tag)}>")
    _clean(root)
    return ET.tostring(root, encoding="unicode")


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _clean(element: ET.Element) -> None:
    element.tag = _local(element.tag)
    for key in list(element.attrib):
        value = element.attrib.pop(key)
        name = "xml:" + _local(key) if key.startswith(_XML_NS) else _local(key)
        if key.startswith("{") and not key.startswith(_XML_NS) and name != "href":
            continue  # editor namespaces (sodipodi, inkscape): not needed to draw
        if name.lower().startswith("on") or _EXTERNAL.search(value):
            continue
        if name == "href" and not value.startswith("#"):
            continue
        element.attrib[name] = value
    for child in list(element):
        tag = _local(child.tag)
        if tag in _DROP or (tag == "style" and _EXTERNAL.search(child.text or "")):
            element.remove(child)
        else:
            _clean(child)


# ---------------------------------------------------------------- sections


def _section(ident: str, heading: str, *content: str) -> str:
    return (f'<section id="{ident}"><h2>{esc(heading)}</h2>\n' + "\n".join(content)
            + "\n</section>")


SECTIONS = (("summary", "Summary"), ("diagram", "Diagram"), ("charts", "Charts"),
            ("layers", "Layers"), ("compare-dense", "Conv vs dense"),
            ("receptive-field", "Receptive fields"), ("memory", "Memory"),
            ("warnings", "Warnings"))


def _nav() -> str:
    links = " ".join(f'<a href="#{ident}">{esc(text)}</a>' for ident, text in SECTIONS)
    return f"<nav>{links}</nav>"


def _description(report: Report) -> str:
    return f'<p class="description">{esc(report.description)}</p>' if report.description else ""


def _summary(report: Report) -> str:
    t, memory = report.totals, report.memory
    per = f" (batch of {report.batch})" if report.batch != 1 else ""
    facts = [
        ("Input shape", show_shape(tuple(report.input_shape))),
        ("Output shape", show_shape(tuple(report.output_shape))),
        ("Leaf layers", f"{t.layers:,}"),
        ("Trainable params", f"{t.params:,}"),
        ("Non-trainable params", f"{t.non_trainable_params:,}"),
        ("Total params", f"{t.total_params:,}"),
        (f"MACs{per}", f"{t.macs:,}"),
        (f"FLOPs = 2 x MACs{per}", f"{2 * t.macs:,}"),
        ("Parameter memory", mib(memory["params_bytes"])),
        ("Inference peak activations", mib(memory["inference_peak_activation_bytes"])),
        ("Training with adam", mib(memory["training_bytes"]["adam"])),
    ]
    cells = "\n".join(f'<tr><th>{esc(k)}</th><td class="num">{esc(v)}</td></tr>'
                      for k, v in facts)
    lines = "\n".join(esc(line) for line in summary_lines(report))
    return _section("summary", "Summary", f'<table class="facts">\n{cells}\n</table>',
                    "<p>As <code>cnnshape table</code> prints it:</p>",
                    f'<pre class="summary">{lines}</pre>')


def _diagram(diagram: tuple[str, str] | None) -> str:
    if diagram is None:
        return _section("diagram", "Diagram", '<p class="missing">No diagram: the drawing '
                        "modules (cnnshape.draw_volume, cnnshape.draw_graph) are not "
                        "available.</p>")
    caption, svg = diagram
    note = f'<p class="note">{esc(caption)}</p>' if caption else ""
    return _section("diagram", "Diagram", note,
                    f'<div class="figure diagram">{inline_svg(svg)}</div>')


def _charts(report: Report) -> str:
    return _section("charts", "Charts",
                    "<p>Per leaf layer, in order: activation size (values per sample) and "
                    "trainable parameters. A log10 scale is used when the non-zero values span "
                    "more than a factor of 100; zero draws no bar.</p>",
                    f'<div class="figure chart">{inline_svg(chart_svg(report))}</div>')


# ---------------------------------------------------------------- the layer table


Column = tuple[str, str, bool, Callable[[Row], tuple[str, str]]]
"""key, header, numeric, row -> (text shown, sort key)."""


def _count(value: int) -> tuple[str, str]:
    return f"{value:,}", str(value)


def _type_text(row: Row) -> str:
    """`conv k5 s1, 8 filters, relu`; a merge names what it reads, `from` its source."""
    if row.type == "input":
        return "input"
    text = f"{row.type} {row.details}".strip()
    if row.type == "merge":
        mode, _, rest = row.details.partition(",")
        return f"merge {mode} of {', '.join(row.inputs)}{',' + rest if rest else ''}"
    if row.inputs:
        text += f", from {row.inputs[0]}"
    return text


def _has_field(field: Mapping[str, Any]) -> bool:
    """A field to show: per-dim numbers or the whole input (some layers report empty lists)."""
    return bool(field) and bool(field.get("whole_input") or field.get("size"))


def _rf_key(field: Mapping[str, Any], part: str) -> str:
    """Numbers to sort fields by: the product over dims; the whole input sorts last."""
    if not _has_field(field):
        return ""
    if field.get("whole_input"):
        return "Infinity" if part == "size" else ""
    return repr(float(prod(field[part])))


COLUMNS: tuple[Column, ...] = (
    ("index", "#", True, lambda r: ("", "")),  # filled from the row's position
    ("layer", "Layer", False, lambda r: (r.name, r.name)),
    ("type", "Type", False, lambda r: (_type_text(r), _type_text(r))),
    ("shape", "Activation shape", True,
     lambda r: (show_shape(tuple(r.output_shape)), str(r.activation_size))),
    ("size", "Activation size", True, lambda r: _count(r.activation_size)),
    ("params", "# Parameters", True, lambda r: _count(r.params)),
    ("macs", "MACs", True, lambda r: _count(r.macs)),
    ("rf_size", "RF size", True,
     lambda r: (rf_cells(r.receptive_field)[0], _rf_key(r.receptive_field, "size"))),
    ("rf_stride", "RF stride", True,
     lambda r: (rf_cells(r.receptive_field)[1], _rf_key(r.receptive_field, "stride"))),
)


def _head(columns: Iterable[tuple[str, str, bool]]) -> str:
    cells = "".join(f'<th data-key="{key}" data-type="{"number" if numeric else "text"}" '
                    f'scope="col">{esc(header)}</th>' for key, header, numeric in columns)
    return f"<thead><tr>{cells}</tr></thead>"


def _layer_row(index: int, row: Row, last: Row | None = None, count: int = 1,
               folded: bool = False) -> str:
    """One row of the layer table; with ``last`` the first of ``count`` identical blocks
    (its name reads first … last xN; a receptive field that grows reads first … last)."""
    cells = []
    for key, _, numeric, cell in COLUMNS:
        text, sort = (str(index), str(index)) if key == "index" else cell(row)
        if last is not None and key.startswith("rf_"):
            end = cell(last)[0]
            text = text if end == text else f"{text} … {end}"
        css = ' class="num"' if numeric else ""
        if key == "layer":
            css = f' class="name" style="padding-left:{0.4 + 1.2 * max(row.depth - 1, 0):g}em"'
            if last is not None:
                from cnnshape.engine.fold import TIMES

                text = f"{text} … {last.name} {TIMES}{count}"
            text_html = esc(text) + _warning_mark(row)
        else:
            text_html = esc(text)
        cells.append(f'<td{css} data-sort="{esc(sort)}">{text_html}</td>')
    kind = "composite" if row.composite else "leaf"
    if folded:
        kind += " folded"
    return (f'<tr class="{kind}" data-index="{index}" data-depth="{row.depth}">'
            + "".join(cells) + "</tr>")


def _warning_mark(row: Row) -> str:
    if not row.warnings:
        return ""
    return f' <span class="warn" title="{esc("; ".join(row.warnings))}">⚠</span>'


def _layers(report: Report, expand: bool = True) -> str:
    from cnnshape.engine.fold import NOTE, listed

    head = _head((key, header, numeric) for key, header, numeric, _ in COLUMNS)
    items = listed(report.rows, expand=expand)
    body = "\n".join(_layer_row(i, item.row, item.last, item.count, item.folded)
                     for i, item in enumerate(items))
    t = report.totals
    foot = ("<tfoot><tr><td></td><td>Total</td><td></td>"
            f'<td class="num">{esc(show_shape(tuple(report.output_shape)))}</td><td></td>'
            f'<td class="num">{t.params:,}</td><td class="num">{t.macs:,}</td>'
            "<td></td><td></td></tr></tfoot>")
    controls = ('<p class="controls"><label><input type="checkbox" id="leaves-only"> '
                "leaf layers only</label>. Click a header to sort (again to reverse); "
                "# restores the order of the network. Composite rows (bold) hold the sums "
                "of their children.</p>")
    if len(items) != len(report.rows):
        controls += f'<p class="note">{esc(NOTE)}</p>'
    table = (f'<div class="scroll"><table id="layer-table" class="sortable">\n{head}\n'
             f"<tbody>\n{body}\n</tbody>\n{foot}\n</table></div>")
    return _section("layers", "Layers", controls, table)


# ---------------------------------------------------------------- other sections


def _num(numeric: bool) -> str:
    """Numbers align right."""
    return ' class="num"' if numeric else ""


def _table(ident: str, columns: Sequence[tuple[str, str, bool]],
           rows: Iterable[Sequence[tuple[str, str]]], foot: Sequence[str] = ()) -> str:
    """A sortable table of (text, sort key) cells."""
    numeric = [n for _, _, n in columns]
    body = []
    for index, cells in enumerate(rows):
        tds = "".join(f'<td{_num(n)} data-sort="{esc(sort)}">{esc(text)}</td>'
                      for (text, sort), n in zip(cells, numeric, strict=False))
        body.append(f'<tr data-index="{index}">{tds}</tr>')
    tfoot = ""
    if foot:
        tfoot = ("<tfoot><tr>" + "".join(f"<td{_num(n)}>{esc(text)}</td>"
                                         for text, n in zip(foot, numeric, strict=False))
                 + "</tr></tfoot>")
    return (f'<div class="scroll"><table id="{ident}" class="sortable">\n{_head(columns)}\n'
            f"<tbody>\n" + "\n".join(body) + f"\n</tbody>\n{tfoot}\n</table></div>")


def _dense(report: DenseReport) -> str:
    heading = "Conv vs dense"
    if not report.layers:
        return _section("compare-dense", heading, "<p>No conv or dense layers.</p>")
    columns = (("layer", "Layer", False), ("type", "Type", False), ("io", "Input -> output", False),
               ("params", "# Parameters", True), ("dense", "Dense equivalent", True),
               ("ratio", "Ratio", True), ("reuse", "Weight reuse", True),
               ("reads", "Inputs read per output", True))
    rows = []
    for c in report.layers:
        reads = (f"{c.reads:,} of {c.inputs:,}", str(c.reads)) if c.reads is not None \
            else ("varies", "")
        rows.append([(c.name, c.name), (c.type, c.type),
                     (f"{show_shape(tuple(c.input_shape))} -> "
                      f"{show_shape(tuple(c.output_shape))}", str(c.inputs)),
                     _count(c.params), _count(c.dense_params),
                     (f"{c.ratio:,.1f}x", repr(c.ratio) if c.params else "Infinity"),
                     _count(c.reuse), reads])
    ratio = f"{report.dense_params / report.params:,.1f}x" if report.params else ""
    foot = ("Total", "", "", f"{report.params:,}", f"{report.dense_params:,}", ratio, "", "")
    intro = ("<p>Each conv, transposed conv and dense layer against a dense layer from every "
             "input value to every output value. Weight reuse: the positions at which each "
             "weight is applied (parameter sharing). Inputs read: the window each output value "
             "sees (sparsity of connections); the dense equivalent reads every input.</p>")
    return _section("compare-dense", heading, intro, _table("dense-table", columns, rows, foot))


def _receptive(report: Report) -> str:
    heading = "Receptive fields"
    rows = [row for row in report.rows if not row.composite and _has_field(row.receptive_field)]
    if not rows:
        return _section("receptive-field", heading, "<p>Not computed.</p>")
    columns = (("layer", "Layer", False), ("size", "Size", True), ("stride", "Stride (jump)", True),
               ("start", "Start", True), ("aligned", "Paths aligned", False))
    table_rows = []
    for row in rows:
        f = row.receptive_field
        size, stride = rf_cells(f)
        if f.get("whole_input"):
            start, aligned = ("", ""), ("", "")
        else:
            start = (", ".join(f"{v:g}" for v in f["start"]), repr(float(f["start"][0])))
            yes = "yes" if f.get("aligned", True) else "no *"
            aligned = (yes, yes)
        table_rows.append([(row.name, row.name), (size, _rf_key(f, "size")),
                           (stride, _rf_key(f, "stride")), start, aligned])
    spatial = [row for row in rows if not row.receptive_field.get("whole_input")]
    lines = []
    if spatial:
        last = spatial[-1]
        lines.append(f"<p>The last spatial layer, <strong>{esc(last.name)}</strong>, sees "
                     f"{esc(rf_cells(last.receptive_field)[0])} input positions per unit, "
                     f"{esc(rf_cells(last.receptive_field)[1])} apart.")
        whole = next((r for r in rows[rows.index(last) + 1:]
                      if r.receptive_field.get("whole_input")), None)
        if whole is not None:
            lines.append(f" From <strong>{esc(whole.name)}</strong> on, every unit sees the "
                         "whole input.")
        lines.append("</p>")
    intro = ("<p>Size: input positions one unit sees; stride (jump): input positions between "
             "adjacent units; start: the centre of the first unit's field. Where paths merge the "
             "largest field is shown, marked * when the paths disagree on centres or jumps.</p>")
    return _section("receptive-field", heading, intro, "".join(lines),
                    _table("rf-table", columns, table_rows))


def _memory(report: Report) -> str:
    m = report.memory
    t = m["training_bytes"]
    facts = [("Batch", str(m["batch"])), ("Data type", f"{m['dtype']} ({m['bytes_per_value']} "
                                                        "bytes per value)"),
             ("Parameters", mib(m["params_bytes"])),
             ("Inference peak activations", mib(m["inference_peak_activation_bytes"])),
             ("Inference total", mib(m["inference_bytes"])),
             ("Training activations kept", mib(m["training_activation_bytes"])),
             ("Training with sgd", mib(t["sgd"])), ("Training with momentum", mib(t["momentum"])),
             ("Training with adam", mib(t["adam"]))]
    cells = "\n".join(f'<tr><th>{esc(k)}</th><td class="num">{esc(v)}</td></tr>'
                      for k, v in facts)
    return _section("memory", "Memory", f'<table class="facts">\n{cells}\n</table>',
                    "\n".join(f"<p>{esc(line)}</p>" for line in memory_lines(m)),
                    "<p>1024-based units. Inference keeps each tensor from the layer that makes "
                    "it to the last layer that reads it; training keeps every tensor, the "
                    "gradients and the optimizer's state.</p>")


def _warnings(report: Report) -> str:
    if not report.warnings:
        return _section("warnings", "Warnings", "<p>No warnings.</p>")
    items = "\n".join(f"<li>{esc(w)}</li>" for w in report.warnings)
    return _section("warnings", "Warnings", f'<ul class="warnings">\n{items}\n</ul>')


# ---------------------------------------------------------------- style and script

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:1.5em auto;max-width:1400px;padding:0 1em;color:#222;background:#fff}
h1{margin:0 0 .2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
nav a{margin-right:1em}
.description{color:#555}
table{border-collapse:collapse;font-size:.9em}
th,td{padding:.2em .6em;border-bottom:1px solid #eee;text-align:left;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums}
table.facts th{font-weight:normal;color:#444}
table.sortable thead th{cursor:pointer;user-select:none;position:sticky;top:0;background:#f4f4f4}
table.sortable thead th:hover{background:#e8e8e8}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
tr.composite td{font-weight:bold;background:#fafafa}
table.leaves tr.composite{display:none}
tfoot td{font-weight:bold;border-top:2px solid #ccc}
.warn{color:#b45309;cursor:help}
ul.warnings li{color:#b45309}
pre.summary{background:#f7f7f7;padding:.6em;overflow-x:auto}
.scroll{max-height:80vh;overflow:auto}
.figure{overflow:auto;max-height:90vh;border:1px solid #eee}
.figure svg{display:block}
.missing{color:#777;font-style:italic}
footer{margin-top:2em;color:#777;font-size:.85em}
"""

SCRIPT = """
(function () {
  "use strict";
  function key(cell, numeric) {
    var raw = cell.getAttribute("data-sort");
    if (raw === null) { raw = cell.textContent; }
    if (!numeric) { return raw.trim().toLowerCase(); }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  function sortBy(table, th) {
    var column = th.cellIndex;
    var numeric = th.getAttribute("data-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    Array.prototype.forEach.call(th.parentNode.cells, function (h) {
      h.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[column], numeric), y = key(b.cells[column], numeric);
      var order = x < y ? -1 : (x > y ? 1 : 0);
      if (order === 0) {
        return Number(a.getAttribute("data-index")) - Number(b.getAttribute("data-index"));
      }
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortBy(table, th); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          sortBy(table, th);
        }
      });
    });
  });
  var leaves = document.getElementById("leaves-only");
  var layers = document.getElementById("layer-table");
  if (leaves && layers) {
    leaves.addEventListener("change", function () {
      layers.classList.toggle("leaves", leaves.checked);
    });
  }
})();
"""
