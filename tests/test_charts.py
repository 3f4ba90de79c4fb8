"""Bar charts: SVG geometry against arithmetic written here, and the terminal bars.

LeNet's numbers are the course's, worked out by hand: activations 32·32·3 = 3,072,
28·28·8 = 6,272, 14·14·8 = 1,568, 10·10·16 = 1,600, 5·5·16 = 400, 400, 120, 84, 10;
parameters (5·5·3+1)·8 = 608, (5·5·8+1)·16 = 3,216, 400·120+120 = 48,120,
120·84+84 = 10,164, 84·10+10 = 850.
"""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET
from math import log10
from pathlib import Path
from typing import Any

import pytest

from cnnshape.engine.analysis import analyze
from cnnshape.render.charts import chart_lines, chart_svg

SPECS = Path(__file__).resolve().parent.parent / "specs"
LENET = str(SPECS / "lenet.json")
NS = "{http://www.w3.org/2000/svg}"

LENET_NAMES = ["input", "CONV1", "POOL1", "CONV2", "POOL2", "flatten_1", "FC3", "FC4", "Softmax"]
LENET_SIZES = [32 * 32 * 3, 28 * 28 * 8, 14 * 14 * 8, 10 * 10 * 16, 5 * 5 * 16, 400, 120, 84, 10]
LENET_PARAMS = [0, (5 * 5 * 3 + 1) * 8, 0, (5 * 5 * 8 + 1) * 16, 0, 0, 400 * 120 + 120,
                120 * 84 + 84, 84 * 10 + 10]


def num(element: ET.Element, name: str) -> float:
    """A numeric attribute, which must be there."""
    value = element.get(name)
    assert value is not None, (element.tag, name)
    return float(value)


def parse(svg: str) -> ET.Element:
    """Valid XML with an <svg> root whose viewBox matches its width and height."""
    root = ET.fromstring(svg)
    assert root.tag == NS + "svg"
    width, height = num(root, "width"), num(root, "height")
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert width > 0 and height > 0
    return root


def panels(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("data-metric", ""): g for g in root.iter(NS + "g") if g.get("class") == "panel"}


def bars(panel: ET.Element) -> list[ET.Element]:
    return [r for r in panel.iter(NS + "rect") if r.get("class") == "bar"]


def value_labels(panel: ET.Element) -> list[str]:
    return [t.text or "" for t in panel.iter(NS + "text") if t.get("class") == "value"]


def ticks(panel: ET.Element) -> list[tuple[float, str]]:
    """(x, label) of each axis tick."""
    lines = [num(t, "x1") for t in panel.iter(NS + "line") if t.get("class") == "tick"]
    labels = [t.text or "" for t in panel.iter(NS + "text") if t.get("class") == "tick-label"]
    assert len(lines) == len(labels)
    return list(zip(lines, labels, strict=False))


def label_value(label: str) -> float:
    units = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
    return float(label[:-1]) * units[label[-1]] if label[-1] in units else float(label)


def test_lenet_numbers_are_the_hand_worked_ones() -> None:
    """The fixtures above agree with the calculator, so the geometry tests test the chart."""
    rows = [r for r in analyze(LENET).rows if not r.composite]
    assert [r.name for r in rows] == LENET_NAMES
    assert [r.activation_size for r in rows] == LENET_SIZES
    assert [r.params for r in rows] == LENET_PARAMS


def test_svg_is_valid_self_contained_and_labelled() -> None:
    svg = chart_svg(LENET)
    root = parse(svg)
    names = [t.text for g in root.iter(NS + "g") if g.get("class") == "names"
             for t in g.iter(NS + "text")]
    assert names == LENET_NAMES
    for element in root.iter():
        assert element.tag.rsplit("}", 1)[-1] not in ("script", "foreignObject", "image")
        for key, value in element.attrib.items():
            if key.endswith("href"):
                assert value.startswith("#")
            assert not key.startswith("on")
    assert "@import" not in svg and not re.search(r"url\(\s*['\"]?http", svg)


def test_lenet_activation_bars_are_log10_lengths() -> None:
    """6,272 / 10 > 100: log scale; every bar ends where log10 of its value falls between
    the power-of-ten ticks, and the ticks are one decade apart at equal spacing."""
    panel = panels(parse(chart_svg(LENET)))["activation_size"]
    assert panel.get("data-scale") == "log"
    axis = ticks(panel)
    exponents = [log10(label_value(label)) for _, label in axis]
    assert exponents == [float(k) for k in range(round(exponents[0]), round(exponents[-1]) + 1)]
    assert exponents[0] <= log10(min(LENET_SIZES)) and exponents[-1] >= log10(max(LENET_SIZES))
    spacing = {round(b[0] - a[0], 2) for a, b in itertools.pairwise(axis)}
    assert len(spacing) == 1
    decade = spacing.pop()
    origin_x, origin_exp = axis[0][0], exponents[0]
    drawn = bars(panel)
    assert len(drawn) == len(LENET_SIZES)
    for bar, value in zip(drawn, LENET_SIZES, strict=False):
        assert num(bar, "x") == pytest.approx(origin_x)
        assert num(bar, "width") == pytest.approx((log10(value) - origin_exp) * decade,
                                                        abs=0.02)
    assert value_labels(panel) == [f"{v:,}" for v in LENET_SIZES]
    assert value_labels(panel)[1] == "6,272"


def test_lenet_parameter_bars_are_linear_and_zero_draws_nothing() -> None:
    """48,120 / 608 < 100: linear; bars proportional to the values, none for the zeros."""
    panel = panels(parse(chart_svg(LENET)))["params"]
    assert panel.get("data-scale") == "linear"
    nonzero = [v for v in LENET_PARAMS if v]
    widths = [num(b, "width") for b in bars(panel)]
    assert len(widths) == len(nonzero) == 5
    per_param = max(widths) / max(nonzero)
    for width, value in zip(widths, nonzero, strict=False):
        assert width == pytest.approx(value * per_param, abs=0.02)
    assert value_labels(panel) == ["0", "608", "0", "3,216", "0", "0", "48,120", "10,164", "850"]
    # the lecture's point: the parameters gather in the first dense layer
    assert max(widths) == widths[nonzero.index(48_120)]


def test_bars_sit_on_their_layers_rows() -> None:
    root = parse(chart_svg(LENET))
    names = [t for g in root.iter(NS + "g") if g.get("class") == "names"
             for t in g.iter(NS + "text")]
    activation = bars(panels(root)["activation_size"])
    for name, bar in zip(names, activation, strict=False):
        top, bottom = num(bar, "y"), num(bar, "y") + num(bar, "height")
        assert top <= num(name, "y") <= bottom + 1


def test_panels_side_by_side_and_single_metrics() -> None:
    both = panels(parse(chart_svg(LENET)))
    left = num(bars(both["activation_size"])[0], "x")
    right = num(bars(both["params"])[0], "x")
    widest = max(num(b, "width") for b in bars(both["activation_size"]))
    assert right > left + widest
    assert set(panels(parse(chart_svg(LENET, "size")))) == {"activation_size"}
    assert set(panels(parse(chart_svg(LENET, "params")))) == {"params"}
    with pytest.raises(ValueError, match="metric"):
        chart_svg(LENET, "flops")


def spec(sizes: list[int], *, name: str = "tiny") -> dict[str, Any]:
    """A chain of dense layers: activation sizes are the input then the units."""
    return {"name": name, "input": [sizes[0]],
            "layers": [{"type": "dense", "units": u} for u in sizes[1:]]}


@pytest.mark.parametrize(("sizes", "scale"), [([100, 1], "linear"), ([101, 1], "log"),
                                              ([500, 5], "linear"), ([5000, 49], "log")])
def test_log_scale_exactly_when_the_range_exceeds_100(sizes: list[int], scale: str) -> None:
    panel = panels(parse(chart_svg(spec(sizes), "size")))["activation_size"]
    assert panel.get("data-scale") == scale


def test_log_can_be_forced_either_way() -> None:
    assert panels(parse(chart_svg(LENET, log=False)))["activation_size"].get("data-scale") \
        == "linear"
    forced = panels(parse(chart_svg(LENET, log=True)))["params"]
    assert forced.get("data-scale") == "log"
    axis = ticks(forced)
    decade = axis[1][0] - axis[0][0]
    origin = log10(label_value(axis[0][1]))
    nonzero = [v for v in LENET_PARAMS if v]
    for bar, value in zip(bars(forced), nonzero, strict=False):
        assert num(bar, "width") == pytest.approx((log10(value) - origin) * decade, abs=0.02)
    assert value_labels(forced).count("0") == 4


def test_smallest_value_is_never_invisible() -> None:
    """1,000 and 1: log scale from 10^0, where 1 would be a zero-length bar: a sliver."""
    panel = panels(parse(chart_svg(spec([1000, 1]), "size")))["activation_size"]
    widths = [num(b, "width") for b in bars(panel)]
    assert len(widths) == 2 and widths[1] >= 1
    assert value_labels(panel) == ["1,000", "1"]


def test_thousands_separators_on_big_values() -> None:
    svg = chart_svg(str(SPECS / "vgg16.json"), "params")
    assert f"{25_088 * 4_096 + 4_096:,}" == "102,764,544"
    assert "102,764,544" in value_labels(panels(parse(svg))["params"])


def test_one_bar_per_leaf_layer_in_order() -> None:
    report = analyze(str(SPECS / "resnet18.json"))
    leaves = [r.name for r in report.rows if not r.composite]
    root = parse(chart_svg(report))
    names = [t.text for g in root.iter(NS + "g") if g.get("class") == "names"
             for t in g.iter(NS + "text")]
    assert names == leaves and len(names) == report.totals.layers + 1
    assert "layer1" not in names and "layer1.0.conv1" in names


def test_names_are_escaped() -> None:
    name = "<b>&\"x\"'"
    text = chart_svg({"name": "a <net> & co", "input": [8, 8, 3],
                      "layers": [{"type": "conv", "name": name, "filters": 4, "kernel": 3}]})
    assert "&lt;b&gt;&amp;" in text and "<b>" not in text
    root = parse(text)
    assert name in [t.text for t in root.iter(NS + "text")]
    title = root.find(NS + "title")
    assert title is not None and (title.text or "").startswith("a <net> & co")


def test_resnet152_chart_has_a_bar_per_layer() -> None:
    """The largest zoo spec charts as well-formed SVG (its time is measured in bench/)."""
    root = parse(chart_svg(str(SPECS / "resnet152.json")))
    leaves = [r for r in analyze(str(SPECS / "resnet152.json")).rows if not r.composite]
    names = [t.text for g in root.iter(NS + "g") if g.get("class") == "names"
             for t in g.iter(NS + "text")]
    assert names == [r.name for r in leaves]


# ---------------------------------------------------------------- terminal

PARTIAL = " ▏▎▍▌▋▊▉"


def eighths(segment: str) -> int:
    """Bar length in eighths of a cell: █ is 8, ▏ to ▉ are 1 to 7."""
    return sum(8 if c == "█" else PARTIAL.index(c) for c in segment if c == "█" or c in PARTIAL[1:])


def terminal(width: int = 100) -> list[str]:
    lines = chart_lines(analyze(LENET), width)
    return [line.plain for line in lines]


def test_terminal_lines_fit_and_say_which_scale() -> None:
    from rich.text import Text

    lines = chart_lines(analyze(LENET), 100)
    assert all(isinstance(line, Text) and line.cell_len <= 100 for line in lines)
    header = lines[1].plain
    assert "Activation size (log10 scale)" in header and "Parameters (linear)" in header
    assert any("log10 scale" in line.plain and "each decade" in line.plain for line in lines)
    assert not any("Parameters: log10" in line.plain for line in lines)
    for width in (40, 60, 200):
        lines = chart_lines(analyze(str(SPECS / "resnet152.json")), width)
        assert all(line.cell_len <= width for line in lines)
        assert len(lines) > analyze(str(SPECS / "resnet152.json")).totals.layers


def test_terminal_bars_show_the_lectures_point() -> None:
    """Log bars: log10(v) / log10(6,272) of the widest; linear: v / 48,120; zero: none."""
    rows = [line for line in terminal() if " │ " in line][1:]
    assert [line.split()[0] for line in rows] == LENET_NAMES
    activation = [eighths(line.split(" │ ")[0]) for line in rows]
    params = [eighths(line.split(" │ ")[1]) for line in rows]
    full = max(activation)
    assert full % 8 == 0  # the widest is whole cells: the bar area
    for got, value in zip(activation, LENET_SIZES, strict=False):
        assert got == round(log10(value) / log10(max(LENET_SIZES)) * full)
    for got, value in zip(params, LENET_PARAMS, strict=False):
        assert got == round(value / max(LENET_PARAMS) * full)
    assert activation.index(max(activation)) == 1             # CONV1's 28x28x8
    assert activation.index(min(activation)) == 8             # the 10 outputs
    assert params.index(max(params)) == LENET_NAMES.index("FC3")
    assert [p for p, v in zip(params, LENET_PARAMS, strict=False) if v == 0] == [0, 0, 0, 0]
    assert all(f"{v:,}" in line for v, line in zip(LENET_PARAMS, rows, strict=False))
