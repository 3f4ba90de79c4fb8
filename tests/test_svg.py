"""The SVG writer every picture uses: well-formed whatever the names hold."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

import pytest

from cnnshape.render.charts import chart_svg
from cnnshape.render.diagram import graph_svg
from cnnshape.render.svg import Svg, clean
from cnnshape.render.volume import volume_svg

SPEC = {"name": "bell\x07net", "input": [8, 8, 3], "layers": [
    {"type": "conv", "name": "a\x07b<&>\"", "filters": 2, "kernel": 3},
    {"type": "pool", "name": "p\x1bq", "kernel": 2}]}


def test_clean_keeps_text_and_replaces_what_xml_cannot_hold() -> None:
    assert clean("conv1 <&> é \t") == "conv1 <&> é \t"
    assert clean("a\x00b\x07c\x1b\ufffe") == "a\ufffdb\ufffdc\ufffd\ufffd"


@pytest.mark.parametrize("draw", [volume_svg, graph_svg, chart_svg],
                         ids=["volume", "graph", "chart"])
def test_control_characters_in_names_keep_the_file_well_formed(
        draw: Callable[[Any], str]) -> None:
    text = draw(SPEC)
    root = ET.fromstring(text.split("\n", 1)[1])
    words = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "a\ufffdb<&>\"" in words or "a\ufffdb<&>" in words


def test_attributes_and_titles_are_cleaned_too() -> None:
    svg = Svg(10, 10, title="t\x07")
    svg.title(svg.rect(0, 0, 1, 1, data_name="r\x07"), "tip\x07")
    root = ET.fromstring(str(svg).split("\n", 1)[1])
    rect = root.findall("{http://www.w3.org/2000/svg}rect")[-1]
    assert rect.get("data-name") == "r\ufffd"
    assert [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")] == [
        "t\ufffd", "tip\ufffd"]
