"""`cnnshape draw | chart | report` and `table --chart` on the command line."""

from __future__ import annotations

import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cnnshape.cli.app import main

SPECS = Path(__file__).resolve().parent.parent / "specs"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def svg_root(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    return root


def texts(root: ET.Element) -> list[str]:
    return [t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_draw_picks_volume_for_a_chain_and_graph_for_branches(tmp_path: Path) -> None:
    lenet, resnet = tmp_path / "lenet.svg", tmp_path / "resnet50.svg"
    assert run("draw", str(SPECS / "lenet.json"), "-o", str(lenet)).exit_code == 0
    assert {"32x32x3", "28x28x8", "5x5x16"} <= set(texts(svg_root(lenet)))
    result = run("draw", str(SPECS / "resnet50.json"), "--depth", "1", "-o", str(resnet))
    assert result.exit_code == 0, result.output
    words = texts(svg_root(resnet))
    # depth 1 folds each of the spec's four stages (sequentials) into one box
    assert "layer1" in words and "layer1.0" not in words and "layer1.0.conv1" not in words
    forced = tmp_path / "forced.svg"
    assert run("draw", str(SPECS / "lenet.json"), "--style", "graph", "-o",
               str(forced)).exit_code == 0
    assert "CONV1" in texts(svg_root(forced)) and "28x28x8" not in texts(svg_root(forced))


def test_draw_png(tmp_path: Path) -> None:
    pytest.importorskip("cairosvg", reason="PNG output needs cairosvg (the [png] extra)")
    out = tmp_path / "lenet.png"
    assert run("draw", str(SPECS / "lenet.json"), "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    root = svg_root_of_text(run("draw", str(SPECS / "lenet.json")).output)
    assert (width, height) == (round(float(root.get("width", 0))),
                               round(float(root.get("height", 0))))


def svg_root_of_text(text: str) -> ET.Element:
    return ET.fromstring(text.split("\n", 1)[1])


def test_chart_and_report(tmp_path: Path) -> None:
    chart = tmp_path / "chart.svg"
    assert run("chart", str(SPECS / "lenet.json"), "--metric", "params", "-o",
               str(chart)).exit_code == 0
    # (5*5*3+1)*8 and 400*120+120, as the chart labels its bars
    assert {"608", "48,120"} <= set(texts(svg_root(chart)))
    page = tmp_path / "lenet.html"
    assert run("report", str(SPECS / "lenet.json"), "-o", str(page)).exit_code == 0
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "62,958" in html and "<svg" in html


def test_table_chart_shows_bars() -> None:
    result = run("table", str(SPECS / "lenet.json"), "--chart")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    fc3 = next(line for line in lines if line.startswith("FC3 ") and "48,120" in line)
    assert "█" in fc3


def test_picture_errors_are_one_line_and_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"input": [8, 8, 3], "layers": [{"type": "pool", "kernel": 9}]}')
    for command in ("draw", "chart", "report"):
        out = tmp_path / f"out_{command}.svg"
        result = run(command, str(bad), "-o", str(out))
        assert result.exit_code == 2, command
        assert len(result.output.strip().splitlines()) == 1 and "layers[0]" in result.output
        assert not out.exists()
