"""The volume-style diagram: valid, self-contained SVG whose geometry follows the scale."""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

import cnnshape
from cnnshape.render import volume as draw_volume
from cnnshape.render.volume import volume_svg

SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.json"))
LENET = Path(__file__).parent.parent / "specs" / "lenet.json"
NS = "{http://www.w3.org/2000/svg}"
LENET_SHAPES = ["32x32x3", "28x28x8", "14x14x8", "10x10x16", "5x5x16", "400", "120", "84", "10"]


def parse(text: str) -> ET.Element:
    root = ET.fromstring(text.encode())
    assert root.tag == f"{NS}svg"
    return root


def numbers(element: ET.Element, *names: str) -> list[float]:
    return [float(element.get(name)) for name in names]  # type: ignore[arg-type]


def points(element: ET.Element) -> list[tuple[float, float]]:
    pairs = [p.split(",") for p in element.get("points", "").split()]
    return [(float(x), float(y)) for x, y in pairs]


def approx_points(got: list[tuple[float, float]], want: list[tuple[float, float]]) -> bool:
    return len(got) == len(want) and all(
        abs(a - c) < 0.02 and abs(b - d) < 0.02 for (a, b), (c, d) in zip(got, want, strict=False))


def drawn(root: ET.Element) -> list[dict[str, Any]]:
    """Each box or bar in document order: class, shape, front rect, depth offset, labels."""
    out = []
    for group in root.iter(f"{NS}g"):
        if group.get("class") not in ("volume", "bar"):
            continue
        front = group.find(f"{NS}rect[@class='front']")
        top = points(group.find(f"{NS}polygon[@class='top']"))  # type: ignore[arg-type]
        side = points(group.find(f"{NS}polygon[@class='side']"))  # type: ignore[arg-type]
        x, y, w, h = numbers(front, "x", "y", "width", "height")  # type: ignore[arg-type]
        dx, dy = top[1][0] - top[0][0], top[0][1] - top[1][1]
        # The top and side faces are parallelograms on the front face's top and right edges.
        assert approx_points(top, [(x, y), (x + dx, y - dy), (x + w + dx, y - dy), (x + w, y)])
        assert approx_points(side, [(x + w, y), (x + w + dx, y - dy), (x + w + dx, y + h - dy),
                                    (x + w, y + h)])
        labels = {t.get("class"): t.text for t in group.iter(f"{NS}text")}
        out.append({"class": group.get("class"), "shape": group.get("data-shape"),
                    "kind": group.get("data-kind"), "x": x, "y": y, "w": w, "h": h,
                    "dx": dx, "dy": dy,
                    "fill": front.get("fill"), "labels": labels})  # type: ignore[union-attr]
    return out


def axes(items: list[dict[str, Any]]) -> set[float]:
    """The rows' middle lines (boxes are centred on their row's axis)."""
    return {round(item["y"] + item["h"] / 2, 1) for item in items}


def lenet(scale: str = "sqrt") -> list[dict[str, Any]]:
    return drawn(parse(volume_svg(LENET, scale=scale)))


def by_shape(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["shape"]: item for item in items}


@pytest.mark.parametrize("spec", SPECS, ids=[p.stem for p in SPECS])
def test_every_spec_is_valid_self_contained_svg(spec: Path) -> None:
    text = volume_svg(spec)
    root = parse(text)
    width, height = float(root.get("width")), float(root.get("height"))  # type: ignore[arg-type]
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    assert width <= 1600 and height < 5000
    assert "<script" not in text and "@import" not in text and "href" not in text
    assert set(re.findall(r"url\((.)", text)) <= {"#"}
    assert drawn(root)[0]["shape"] == "x".join(map(str, cnnshape.analyze(spec).input_shape))
    for element in root.iter():
        xs, ys = [], []
        if element.tag in (f"{NS}rect", f"{NS}text"):
            xs, ys = [float(element.get("x"))], [float(element.get("y"))]  # type: ignore[arg-type]
        elif element.tag == f"{NS}line":
            xs, ys = numbers(element, "x1", "x2"), numbers(element, "y1", "y2")
        elif element.tag in (f"{NS}polygon", f"{NS}polyline"):
            xs, ys = [p[0] for p in points(element)], [p[1] for p in points(element)]
        assert all(0 <= x <= width for x in xs) and all(0 <= y <= height for y in ys), element


def test_lenet_volumes_and_bars_in_order_with_labels() -> None:
    items = lenet()
    assert [item["shape"] for item in items] == LENET_SHAPES
    assert [item["class"] for item in items] == ["volume"] * 5 + ["bar"] * 4
    assert [item["labels"]["shape"] for item in items] == LENET_SHAPES
    assert [item["labels"]["name"] for item in items] == [
        "input", "CONV1", "POOL1", "CONV2", "POOL2", "flatten_1", "FC3", "FC4", "Softmax"]
    assert [item["labels"]["kind"] for item in items] == [
        "input", "conv", "pool", "conv", "pool", "flatten", "dense", "dense", "dense"]
    # Left to right on one row.
    xs = [item["x"] for item in items]
    assert xs == sorted(xs) and len(axes(items)) == 1


def test_lenet_kernels_project_onto_the_next_volume() -> None:
    root = parse(volume_svg(LENET))
    ops = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "op"]
    assert ops == ["5x5 conv, s1", "max 2x2, s2", "5x5 conv, s1", "max 2x2, s2"]
    items = drawn(root)
    lines = [e for e in root.iter(f"{NS}line") if e.get("class") == "projection"]
    assert len(lines) == 8
    for pair, (source, target) in zip(range(4), itertools.pairwise(items), strict=False):
        for line in lines[2 * pair:2 * pair + 2]:
            x1, y1, x2, y2 = numbers(line, "x1", "y1", "x2", "y2")
            # Starts on the kernel inside the previous box, ends on the next box's front face.
            assert source["x"] <= x1 <= source["x"] + source["w"] + source["dx"] + 0.01
            assert source["y"] - source["dy"] - 0.01 <= y1 <= source["y"] + source["h"] + 0.01
            assert target["x"] <= x2 <= target["x"] + target["w"]
            assert target["y"] <= y2 <= target["y"] + target["h"]
    kinds = [e.get("class") for e in root.iter(f"{NS}polygon") if e.get("class") in
             ("kernel", "window")]
    # A conv kernel is a box (front, lid, side); a pooling window one patch.
    assert kinds.count("kernel") == 6 and kinds.count("window") == 2


SIDE = {"sqrt": math.sqrt, "log": lambda n: 1 + math.log2(n), "linear": float}


@pytest.mark.parametrize("scale", ["sqrt", "log", "linear"])
def test_sides_follow_the_scale(scale: str) -> None:
    f = SIDE[scale]
    items = by_shape(lenet(scale))
    first = items["32x32x3"]
    for shape, item in items.items():
        dims = [int(v) for v in shape.split("x")]
        if len(dims) != 3:
            continue
        h, w, c = dims
        assert item["h"] / first["h"] == pytest.approx(f(h) / f(32), rel=2e-3)
        assert item["dx"] / first["dx"] == pytest.approx(f(w) / f(32), rel=5e-3)
        assert item["dy"] / first["dy"] == pytest.approx(f(w) / f(32), rel=5e-3)
        widest = items["10x10x16"]["w"]
        assert item["w"] / widest == pytest.approx(f(c) / f(16), rel=5e-3)
    bars = {int(s): items[s]["h"] for s in ("400", "120", "84", "10")}
    for units in (120, 84):
        assert bars[units] / bars[400] == pytest.approx(f(units) / f(400), rel=2e-3)
    if scale == "linear":  # 10/400 of the tallest bar is less than the least bar height
        assert bars[10] == draw_volume.BAR_MIN > bars[400] * 10 / 400
    else:
        assert bars[10] / bars[400] == pytest.approx(f(10) / f(400), rel=2e-3)


def test_scale_switch_changes_geometry() -> None:
    heights = {scale: by_shape(lenet(scale))["5x5x16"]["h"] for scale in SIDE}
    assert len(set(heights.values())) == 3
    # 5/32 of the tallest side: linear shrinks it most, log least.
    assert heights["linear"] < heights["sqrt"] < heights["log"]
    with pytest.raises(ValueError):
        volume_svg(LENET, scale="cubic")


def test_vgg16_reads_from_224x224x64_to_7x7x512() -> None:
    items = drawn(parse(volume_svg("specs/vgg16.json")))
    shapes = [item["shape"] for item in items]
    assert shapes[:3] == ["224x224x3", "224x224x64", "224x224x64"]
    assert "7x7x512" in shapes and shapes[-1] == "1000"
    assert "sequential" not in {item["kind"] for item in items}  # its stages are opened
    small, big = by_shape(items)["14x14x512"], by_shape(items)["224x224x64"]
    assert small["h"] / big["h"] == pytest.approx(math.sqrt(14 / 224), rel=2e-3)
    assert all(item["h"] >= draw_volume.SPATIAL_MIN for item in items)


def test_one_fill_per_kind_and_a_legend() -> None:
    root = parse(volume_svg(LENET))
    fills: dict[str, set[str]] = {}
    for item in drawn(root):
        fills.setdefault(item["kind"], set()).add(item["fill"])
    assert all(len(f) == 1 for f in fills.values())
    assert len({next(iter(fills[k])) for k in ("input", "conv", "pool", "dense", "flatten")}) == 5
    legend = next(g for g in root.iter(f"{NS}g") if g.get("class") == "legend")
    assert [t.text for t in legend.iter(f"{NS}text")] == ["input", "conv", "pool", "dense",
                                                          "reshape"]
    swatches = [r.get("fill") for r in legend.iter(f"{NS}rect")]
    assert swatches[1] == next(iter(fills["conv"])) and swatches[2] == next(iter(fills["pool"]))


def test_odd_names_are_escaped() -> None:
    spec = {"name": 'net </svg> & "q" <script>', "input": [8, 8, 3], "layers": [
        {"type": "conv", "name": '<b>&"x"', "filters": 4, "kernel": 3},
        {"type": "conv", "name": "bell\x07", "filters": 2, "kernel": 3}]}
    text = volume_svg(spec)
    root = parse(text)
    names = [item["labels"]["name"] for item in drawn(root)]
    assert names == ["input", '<b>&"x"', "bell\ufffd"]
    assert root.find(f"{NS}title").text == 'net </svg> & "q" <script>'  # type: ignore[union-attr]
    assert "<b>" not in text and "<script" not in text and "&lt;b&gt;&amp;" in text


def test_same_spec_same_bytes() -> None:
    first = volume_svg("specs/unet.json")
    assert volume_svg("specs/unet.json") == first
    assert volume_svg(cnnshape.analyze("specs/unet.json")) == first


def test_resnet152_folds_blocks_and_wraps() -> None:
    """(Its time is measured in bench/run.py's pictures section.)"""
    text = volume_svg("specs/resnet152.json")
    root = parse(text)
    assert float(root.get("width")) <= 1600  # type: ignore[arg-type]
    items = drawn(root)
    # input, conv1, bn1, relu, maxpool, 3 + 8 + 36 + 3 bottlenecks, avgpool, flatten, fc.
    assert len(items) == 1 + 4 + (3 + 8 + 36 + 3) + 3
    assert [item["kind"] for item in items].count("residual") == 50
    names = [item["labels"]["name"] for item in items]
    assert "layer1.0" in names and not any(".conv" in n or ".bn" in n for n in names)
    assert len(axes(items)) > 3  # several rows


def test_max_layers_and_max_width() -> None:
    root = parse(volume_svg(LENET, max_layers=3))
    assert [item["shape"] for item in drawn(root)] == LENET_SHAPES[:4]
    notes = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "truncated"]
    assert notes == ["... 5 more layers not drawn (max_layers)"]
    narrow = parse(volume_svg(LENET, max_width=400))
    assert float(narrow.get("width")) <= 400  # type: ignore[arg-type]
    assert [item["shape"] for item in drawn(narrow)] == LENET_SHAPES
    assert len(axes(drawn(narrow))) > 1


def test_one_and_three_dimensional_specs() -> None:
    audio = drawn(parse(volume_svg("specs/audio1d.json")))
    assert audio[0]["shape"] == "8000x1" and audio[0]["class"] == "volume"
    assert by_shape(audio)["496x32"]["h"] / audio[0]["h"] == pytest.approx(
        math.sqrt(496 / 8000), rel=2e-3)
    root = parse(volume_svg("specs/c3d.json"))
    video = drawn(root)
    assert video[0]["shape"] == "16x112x112x3"
    tags = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "depth"]
    assert tags[0] == "x16" and len(tags) == sum(item["class"] == "volume" for item in video)
    # The box is H x W x C: 8x28x28x128 and 16x56x56x64 differ by H (28 vs 56), not by D.
    assert by_shape(video)["8x28x28x128"]["h"] / by_shape(video)["16x56x56x64"]["h"] == \
        pytest.approx(math.sqrt(28 / 56), rel=2e-3)


def test_named_skips_are_drawn_as_arcs() -> None:
    root = parse(volume_svg("specs/unet.json"))
    items = drawn(root)
    skip4 = next(item for item in items if item["labels"]["name"] == "skip4")
    assert skip4["labels"]["reads"] == "reads enc4b, up4" and skip4["kind"] == "merge"
    assert any(p.get("class") == "skip" for p in root.iter(f"{NS}path"))
