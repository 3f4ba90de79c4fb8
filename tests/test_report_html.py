"""The HTML report: parsed with html.parser, then loaded in a real headless Chromium.

The parser tests check structure, numbers (LeNet's worked out by hand, the rest against
the calculator), self-containment and escaping. The browser tests load the page from a
file:// URL in Chromium, driven over the DevTools protocol (tests/browser/chromium.py):
no console error or exception, no request beyond the file itself, a real mouse click
sorts the table the way Python sorts the same numbers, and the screenshot shows the
page (and the charts' bar colours) rather than a blank.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, ClassVar

import pytest

from cnnshape.engine.analysis import analyze
from cnnshape.engine.memory import lines as memory_lines
from cnnshape.render.report import graph_depth, inline_svg, report_html
from cnnshape.render.text import summary_lines

SPECS = Path(__file__).resolve().parent.parent / "specs"
LENET = str(SPECS / "lenet.json")
RESNET18 = str(SPECS / "resnet18.json")
SECTIONS = ("summary", "diagram", "charts", "layers", "compare-dense", "receptive-field",
            "memory", "warnings")
HOSTILE = "<img src=x onerror=alert(1)>&\"'</td>"


class Page(HTMLParser):
    """Every start tag with its attributes, the text inside each id'd element, and the
    cells of every table row, as a browser's parser sees them."""

    VOID: ClassVar[set[str]] = {"meta", "input", "br", "img", "link", "hr", "col", "source", "wbr"}

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.texts: dict[str, list[str]] = {}
        self.rows: dict[str, list[list[tuple[str, dict[str, str | None]]]]] = {}
        self._open: list[tuple[str, str | None]] = []
        self._table: list[str] = []
        self._cell: list[Any] | None = None
        self.mismatched: list[str] = []
        """End tags that do not close the innermost open element (none in a tidy page)."""
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "table":
            self._table.append(attributes.get("id") or "")
            self.rows.setdefault(self._table[-1], [])
        elif tag == "tr" and self._table:
            self.rows[self._table[-1]].append([])
        elif tag in ("td", "th") and self._table:
            self._cell = ["", attributes]
        if tag not in self.VOID:
            self._open.append((tag, attributes.get("id")))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._table:
            self.rows[self._table[-1]][-1].append((self._cell[0], self._cell[1]))
            self._cell = None
        if tag == "table" and self._table:
            self._table.pop()
        if not self._open or self._open[-1][0] != tag:
            self.mismatched.append(tag)
        while self._open:
            opened, _ = self._open.pop()
            if opened == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell[0] += data
        in_svg = any(tag == "svg" for tag, _ in self._open)
        for tag, ident in self._open:
            # by id anywhere; by tag name ("<title>") outside inline SVG only
            for key in (ident, None if in_svg else f"<{tag}>"):
                if key:
                    self.texts.setdefault(key, []).append(data)

    def text(self, ident: str) -> str:
        return "".join(self.texts.get(ident, []))

    def count(self, tag: str) -> int:
        return sum(1 for t, _ in self.tags if t == tag)


@pytest.fixture(scope="module")
def lenet_html() -> str:
    return report_html(LENET)


def body_rows(page: Page, table: str) -> list[list[tuple[str, dict[str, str | None]]]]:
    """Rows of a table with data cells only (header and footer rows have <th> or no sort)."""
    return [row for row in page.rows[table]
            if row and all("data-sort" in attrs for _, attrs in row)]


# ---------------------------------------------------------------- structure


def test_every_section_is_there(lenet_html: str) -> None:
    page = Page(lenet_html)
    ids = [attrs.get("id") for tag, attrs in page.tags if tag == "section"]
    assert ids == list(SECTIONS)
    assert page.text("summary") and page.count("h1") == 1
    assert lenet_html.startswith("<!DOCTYPE html>")
    assert page.mismatched == [] and page._open == []  # every element closed, in order
    assert [a.get("href") for t, a in page.tags if t == "a"] == [f"#{s}" for s in SECTIONS]
    assert page.count("svg") >= 1  # the charts, and the diagram when the modules exist


def test_self_contained(lenet_html: str) -> None:
    """No attribute loads anything, one inline script, no external CSS; for LeNet not even
    the text 'http' (inline SVG needs no xmlns)."""
    page = Page(lenet_html)
    for tag, attrs in page.tags:
        assert tag not in ("link", "iframe", "object", "embed", "img", "base", "frame")
        for key in ("src", "href", "xlink:href", "action", "formaction", "poster", "data"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, key, value)
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)
    scripts = [attrs for tag, attrs in page.tags if tag == "script"]
    assert scripts == [{}]
    assert "@import" not in lenet_html
    assert re.findall(r"url\(\s*['\"]?\s*(.)", lenet_html) in ([], ["#"] * lenet_html.count("url("))
    assert "http" not in lenet_html


def test_layer_table_numbers_lenet(lenet_html: str) -> None:
    """LeNet by hand: CONV1 28x28x8, 6,272 values, (5·5·3+1)·8 = 608 parameters,
    28·28·8·75 = 470,400 MACs; totals 62,958 and 849,320; FLOPs 1,698,640."""
    page = Page(lenet_html)
    rows = body_rows(page, "layer-table")
    assert len(rows) == 9
    conv1 = [text for text, _ in rows[1]]
    assert conv1[:2] == ["1", "CONV1"]
    assert conv1[2].startswith("conv k5 s1, 8 filters")
    assert conv1[3:] == ["(28, 28, 8)", "6,272", "608", f"{28 * 28 * 8 * 5 * 5 * 3:,}",
                         "5x5", "1x1"]
    assert [attrs["data-sort"] for _, attrs in rows[1][4:7]] == ["6272", "608", "470400"]
    assert [text for text, _ in rows[4]][7:] == ["16x16", "4x4"]  # POOL2's field
    assert [text for text, _ in rows[6]][7:] == ["whole input", ""]  # FC3
    summary = page.text("summary")
    for figure in ("62,958", "849,320", "1,698,640", "(32, 32, 3)", "(10,)"):
        assert figure in summary
    foot = page.rows["layer-table"][-1]
    assert [text for text, _ in foot][5:7] == ["62,958", "849,320"]


@pytest.mark.parametrize("name", ["resnet18", "unet", "googlenet"])
def test_every_row_as_the_calculator_gives_it(name: str) -> None:
    source = str(SPECS / f"{name}.json")
    report = analyze(source)
    page = Page(report_html(source, diagram_svg=EMPTY_SVG))
    rows = body_rows(page, "layer-table")
    assert len(rows) == len(report.rows)
    for expected, cells in zip(report.rows, rows, strict=False):
        texts = [text for text, _ in cells]
        keys = [attrs["data-sort"] for _, attrs in cells]
        assert texts[1].rstrip(" ⚠") == expected.name
        assert keys[4:7] == [str(expected.activation_size), str(expected.params),
                             str(expected.macs)]
        assert texts[4:7] == [f"{expected.activation_size:,}", f"{expected.params:,}",
                              f"{expected.macs:,}"]
    assert "\n".join(summary_lines(report)) in page.text("summary")


@pytest.mark.parametrize("path", sorted(SPECS.glob("*.json")), ids=lambda p: p.stem)
def test_every_zoo_spec_makes_a_tidy_page(path: Path) -> None:
    report = analyze(str(path))
    page = Page(report_html(str(path), diagram_svg=EMPTY_SVG))
    assert page.mismatched == [] and page._open == []
    assert len(body_rows(page, "layer-table")) == len(report.rows)
    assert f"{report.totals.params:,}" in page.text("summary")


def test_depth_indents_the_layer_names() -> None:
    report = analyze(RESNET18)
    page = Page(report_html(RESNET18, diagram_svg=EMPTY_SVG))
    for expected, cells in zip(report.rows, body_rows(page, "layer-table"), strict=False):
        _, attrs = cells[1]
        indent = float(str(attrs["style"]).split(":")[1].rstrip("em"))
        assert indent == pytest.approx(0.4 + 1.2 * max(expected.depth - 1, 0))
    classes = [attrs.get("class") for tag, attrs in page.tags
               if tag == "tr" and "data-depth" in attrs]
    assert classes == ["composite" if r.composite else "leaf" for r in report.rows]


def test_compare_dense_receptive_fields_and_memory(lenet_html: str) -> None:
    page = Page(lenet_html)
    dense = body_rows(page, "dense-table")
    assert [cells[0][0] for cells in dense] == ["CONV1", "CONV2", "FC3", "FC4", "Softmax"]
    inputs, outputs = 32 * 32 * 3, 28 * 28 * 8
    assert dense[0][4][0] == f"{inputs * outputs + outputs:,}" == "19,273,856"
    assert dense[0][6][0] == f"{28 * 28:,}"             # each weight reused at 784 positions
    assert dense[0][7][0] == f"{5 * 5 * 3} of {inputs:,}"  # 75 of 3,072
    rf = {cells[0][0]: [text for text, _ in cells[1:]] for cells in body_rows(page, "rf-table")}
    assert rf["CONV1"][:2] == ["5x5", "1x1"]
    assert rf["CONV2"][:2] == ["14x14", "2x2"]          # 6 + (5-1)·2
    assert rf["POOL2"][:3] == ["16x16", "4x4", "7.5, 7.5"]
    assert rf["FC3"][0] == "whole input"
    memory = page.text("memory")
    report = analyze(LENET)
    assert memory_lines(report.memory)[0] in memory
    assert "0.24 MiB" in memory and "1.01 MiB" in memory  # README's LeNet memory line
    assert "No warnings." in page.text("warnings")


def test_warnings_listed_and_marked() -> None:
    spec = {"name": "stride bug", "input": [32, 32, 3],
            "layers": [{"type": "conv", "name": "c<1>", "filters": 4, "kernel": 3, "stride": 2}]}
    report = analyze(spec)
    assert report.warnings
    html = report_html(spec, diagram_svg=EMPTY_SVG)
    page = Page(html)
    assert page.count("li") == len(report.warnings)
    assert report.warnings[0] in page.text("warnings")
    marks = [attrs for tag, attrs in page.tags if tag == "span" and attrs.get("class") == "warn"]
    assert len(marks) == 1 and marks[0]["title"] == "; ".join(report.rows[1].warnings)


# ---------------------------------------------------------------- escaping and determinism


def hostile_spec() -> dict[str, Any]:
    return {"name": "<script>alert('t')</script> & co", "description": "</pre><b>bold?</b>",
            "input": [16, 16, 3],
            "layers": [{"type": "conv", "name": HOSTILE, "filters": 4, "kernel": 3},
                       {"type": "flatten"},
                       {"type": "dense", "name": "o'\"k", "units": 2}]}


def test_names_are_text_not_markup() -> None:
    html = report_html(hostile_spec(), diagram_svg=EMPTY_SVG)
    page = Page(html)
    assert page.count("script") == 1 and page.count("img") == 0 and page.count("b") == 0
    assert page.text("layers").count(HOSTILE) == 1
    rows = body_rows(page, "layer-table")
    assert rows[1][1][0] == HOSTILE and rows[1][1][1]["data-sort"] == HOSTILE
    assert rows[3][1][0] == "o'\"k"
    assert page.text("<title>") == "<script>alert('t')</script> & co: cnnshape report"
    assert page.text("<h1>") == hostile_spec()["name"]
    assert hostile_spec()["description"] in page.text("<header>")
    assert "</pre><b>" not in html


def test_deterministic() -> None:
    assert report_html(LENET) == report_html(LENET)
    assert report_html(RESNET18) == report_html(RESNET18)


# ---------------------------------------------------------------- diagrams

EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" viewBox="0 0 10 10"/>'


def test_given_diagram_is_inlined_and_defanged() -> None:
    svg = ('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
           'xmlns:xlink="http://www.w3.org/1999/xlink" width="20" height="20" onload="bad()">'
           '<script>bad()</script><style>@import "http://x/y.css";</style>'
           '<style>.ok{fill:red}</style>'
           '<defs><marker id="m"/></defs>'
           '<a href="http://example.com/"><text x="1" y="9">marker-text &amp; &lt;b&gt;</text></a>'
           '<use xlink:href="#m"/><rect style="fill:url(http://x/p)" width="1" height="1"/>'
           '<rect style="fill:url(#m)" width="2" height="2"/>'
           '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject>'
           "</svg>")
    page = Page(report_html(LENET, diagram_svg=svg))
    assert "marker-text & <b>" in page.text("diagram")
    inlined = inline_svg(svg)
    for bad in ("script", "bad()", "@import", "http", "foreignObject", "onload"):
        assert bad not in inlined, bad
    assert 'href="#m"' in inlined and "url(#m)" in inlined and ".ok{fill:red}" in inlined
    assert page.count("script") == 1
    with pytest.raises(ValueError, match="not valid SVG"):
        report_html(LENET, diagram_svg="<svg><unclosed></svg>")
    with pytest.raises(ValueError, match="not SVG"):
        inline_svg("<html/>")


@pytest.fixture
def fake_drawings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    """Stand-ins for cnnshape.draw_volume and cnnshape.draw_graph that record calls."""
    calls: list[tuple[str, Any]] = []

    def volume_svg(source: Any) -> str:
        calls.append(("volume", None))
        return '<svg width="1" height="1"><text>VOLUME-DRAWING</text></svg>'

    def graph_svg(source: Any, *, depth: int | None = None) -> str:
        calls.append(("graph", depth))
        return '<svg width="1" height="1"><text>GRAPH-DRAWING</text></svg>'

    for name, fn in (("render.volume", volume_svg), ("render.diagram", graph_svg)):
        module = types.ModuleType(f"cnnshape.{name}")
        setattr(module, fn.__name__, fn)
        monkeypatch.setitem(sys.modules, f"cnnshape.{name}", module)
    return calls


def chain(leaves: int) -> dict[str, Any]:
    """input -> (leaves - 1) 1x1 convs -> flatten: ``leaves`` leaf layers, no branch."""
    layers: list[dict[str, Any]] = [{"type": "conv", "filters": 2, "kernel": 1}
                                    for _ in range(leaves - 1)]
    return {"input": [4, 4, 1], "layers": [*layers, {"type": "flatten"}]}


def test_volume_for_short_chains_graph_otherwise(fake_drawings: list[tuple[str, Any]]) -> None:
    assert "VOLUME-DRAWING" in report_html(LENET)
    assert "VOLUME-DRAWING" in report_html(chain(30))
    assert "GRAPH-DRAWING" in report_html(chain(31))
    assert "GRAPH-DRAWING" in report_html(RESNET18)  # residual blocks: branches
    assert "GRAPH-DRAWING" in report_html(str(SPECS / "unet.json"))  # named skips
    assert [kind for kind, _ in fake_drawings] == ["volume", "volume", "graph", "graph", "graph"]
    report_html(str(SPECS / "resnet152.json"))
    assert fake_drawings[-1] == ("graph", 2)


def test_graph_depth_keeps_the_diagram_readable() -> None:
    def nodes(report: Any, depth: int) -> int:
        return sum(1 for r in report.rows
                   if r.depth <= depth and (not r.composite or r.depth == depth))

    assert graph_depth(analyze(LENET)) is None
    big = analyze(str(SPECS / "resnet152.json"))
    depth = graph_depth(big)
    assert depth == 2
    assert nodes(big, 2) <= 80 < nodes(big, 3)


def test_no_diagram_when_the_modules_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "cnnshape.render.volume", None)  # import raises ImportError
    monkeypatch.setitem(sys.modules, "cnnshape.render.diagram", None)
    page = Page(report_html(LENET))
    assert "No diagram" in page.text("diagram")
    assert page.count("svg") == 1  # the charts still


def test_resnet152_report_has_a_row_per_layer() -> None:
    """The largest zoo spec's report (its time is measured in bench/run.py's pictures
    section) has one table row per report row."""
    page = Page(report_html(str(SPECS / "resnet152.json"), diagram_svg=EMPTY_SVG))
    rows = [attrs for tag, attrs in page.tags if tag == "tr" and "data-depth" in attrs]
    assert len(rows) == len(analyze(str(SPECS / "resnet152.json")).rows)


# ---------------------------------------------------------------- in a real browser

sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser.chromium import Browser, find_chromium  # noqa: E402
from browser.png import decode  # noqa: E402

CHROMIUM = find_chromium()
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found: apt-get install chromium (Debian) or set "
                             "CNNSHAPE_CHROMIUM to a Chromium or Chrome executable")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert CHROMIUM is not None
    with Browser(CHROMIUM) as running:
        yield running


def load(browser: Browser, path: Path) -> Any:
    page = browser.new_page()
    page.navigate(path.as_uri())
    return page


COLUMN_JS = """(() => {{
  const t = document.getElementById('layer-table');
  const col = [...t.tHead.rows[0].cells].findIndex(th => th.dataset.key === '{key}');
  return [...t.tBodies[0].rows].map(r => r.cells[col].dataset.sort);
}})()"""


@needs_chromium
def test_the_harness_sees_errors_and_requests(browser: Browser, tmp_path: Path) -> None:
    """Without this the clean-page test below could pass on a deaf harness."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>bad</title><img src='http://127.0.0.1:9/x.png'>"
                   "<script>alert('hi'); console.error('noted'); throw new Error('boom');"
                   "</script>")
    page = load(browser, bad)  # the load event waits for the (failing) image
    problems = " | ".join(page.problems())
    assert "noted" in problems and "boom" in problems
    assert "http://127.0.0.1:9/x.png" in page.requests()
    assert page.dialogs() == ["hi"]  # seen, and dismissed so the page went on


@needs_chromium
def test_report_loads_clean_and_renders(browser: Browser, tmp_path: Path) -> None:
    path = tmp_path / "lenet.html"
    path.write_text(report_html(LENET), encoding="utf-8")
    page = load(browser, path)
    assert page.problems() == []
    assert page.requests() == [path.as_uri()]
    assert page.evaluate("document.querySelectorAll('#layer-table tbody tr').length") == 9
    width, height = page.evaluate(
        "(() => { const r = document.querySelector('#charts svg').getBoundingClientRect();"
        " return [r.width, r.height]; })()")
    assert width > 300 and height > 100
    # the whole first screen, at a quarter scale (fast to decode): a page, not a blank
    image = decode(page.screenshot(0, 0, 1280, 2000, scale=0.25))
    assert (image.width, image.height) == (320, 500)
    pixels = image.pixels()
    non_white = sum(1 for p in pixels if min(p) < 235)
    assert len(set(pixels)) > 50 and non_white > 0.05 * len(pixels)
    # the charts at full scale: both bar colours are on screen
    x, y, w, h = page.evaluate(
        "(() => { const r = document.querySelector('#charts svg').getBoundingClientRect();"
        " return [r.x + scrollX, r.y + scrollY, r.width, r.height]; })()")
    colours = set(decode(page.screenshot(x, y, w, h)).pixels())
    for bar in ((0x4C, 0x78, 0xA8), (0xF5, 0x85, 0x18)):
        assert any(all(abs(a - b) <= 3 for a, b in zip(bar, c, strict=False)) for c in colours), bar
    assert page.problems() == []


@needs_chromium
def test_clicking_headers_sorts(browser: Browser, tmp_path: Path) -> None:
    report = analyze(RESNET18)
    path = tmp_path / "resnet18.html"
    path.write_text(report_html(RESNET18, diagram_svg=EMPTY_SVG), encoding="utf-8")
    page = load(browser, path)
    order = list(range(len(report.rows)))
    params = [r.params for r in report.rows]
    assert page.evaluate(COLUMN_JS.format(key="index")) == [str(i) for i in order]

    page.click('#layer-table th[data-key="params"]')
    up = sorted(order, key=lambda i: (params[i], i))
    assert page.evaluate(COLUMN_JS.format(key="index")) == [str(i) for i in up]
    assert page.evaluate(COLUMN_JS.format(key="params")) == [str(params[i]) for i in up]
    assert page.evaluate("document.querySelector('th[data-key=params]')"
                         ".getAttribute('aria-sort')") == "ascending"

    page.click('#layer-table th[data-key="params"]')
    down = sorted(order, key=lambda i: (-params[i], i))  # ties keep the network's order
    assert page.evaluate(COLUMN_JS.format(key="index")) == [str(i) for i in down]
    assert down[0] == 0 or params[down[0]] == max(params)

    page.click('#layer-table th[data-key="layer"]')
    names = sorted(order, key=lambda i: (report.rows[i].name.lower(), i))
    assert page.evaluate(COLUMN_JS.format(key="index")) == [str(i) for i in names]

    page.click('#layer-table th[data-key="index"]')
    assert page.evaluate(COLUMN_JS.format(key="index")) == [str(i) for i in order]

    page.click("#leaves-only")
    shown = page.evaluate("[...document.querySelectorAll('#layer-table tbody tr')]"
                          ".filter(r => r.offsetParent !== null).length")
    assert shown == sum(1 for r in report.rows if not r.composite)
    assert page.problems() == []


@needs_chromium
def test_hostile_names_stay_text_in_the_browser(browser: Browser, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    path.write_text(report_html(hostile_spec(), diagram_svg=EMPTY_SVG), encoding="utf-8")
    page = load(browser, path)
    assert page.evaluate("document.querySelectorAll('img, b').length") == 0
    assert page.evaluate("document.querySelector('#layer-table tbody tr:nth-child(2) "
                         "td:nth-child(2)').textContent") == HOSTILE
    assert page.evaluate("document.querySelector('h1').textContent") == hostile_spec()["name"]
    assert page.dialogs() == [] and page.problems() == []
    assert page.requests() == [path.as_uri()]
