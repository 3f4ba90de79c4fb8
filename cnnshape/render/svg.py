"""A small SVG writer on the standard library's ElementTree.

Why not an SVG package: the pictures need rectangles, polygons, lines, paths and text,
which ElementTree writes as well-formed XML with every attribute and text escaped, at
no dependency cost (svgwrite is no longer maintained; drawsvg brings more than we draw).
Output is self-contained: no external fonts, images or scripts, a generic font family.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from typing import Any

NS = "http://www.w3.org/2000/svg"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"
CHAR_WIDTH = 0.6
"""Average advance of a character, in font sizes: enough to lay out labels without fonts."""


def text_width(text: str, size: float) -> float:
    """An estimate of the rendered width of ``text`` at font ``size``."""
    return len(text) * size * CHAR_WIDTH


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Characters XML 1.0 cannot hold (control characters, which layer names may contain)
    become U+FFFD: ElementTree escapes markup but would write them as they are."""
    return _NOT_XML.sub("\ufffd", text)


def number(value: float) -> str:
    """Coordinates with at most two decimals and no trailing zeros (small, stable files)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _attrs(attrs: dict[str, Any]) -> dict[str, str]:
    """Python names to SVG names (``stroke_width`` -> ``stroke-width``); None drops it."""
    out: dict[str, str] = {}
    for key, value in attrs.items():
        if value is None:
            continue
        name = key.rstrip("_").replace("_", "-")
        out[name] = number(value) if isinstance(value, float) else clean(str(value))
    return out


class Svg:
    """An SVG document built element by element; ``str()`` of it is the file's text."""

    def __init__(self, width: float, height: float, *, title: str | None = None,
                 background: str | None = "white") -> None:
        self.width, self.height = width, height
        self.root = ET.Element("svg", {
            "xmlns": NS, "width": number(width), "height": number(height),
            "viewBox": f"0 0 {number(width)} {number(height)}",
            "font-family": FONT})
        if title:
            ET.SubElement(self.root, "title").text = clean(title)
        if background:
            self.rect(0, 0, width, height, fill=background)

    def _add(self, tag: str, parent: ET.Element | None, attrs: dict[str, Any]) -> ET.Element:
        return ET.SubElement(self.root if parent is None else parent, tag, _attrs(attrs))

    def group(self, parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        return self._add("g", parent, attrs)

    def rect(self, x: float, y: float, w: float, h: float,
             parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        return self._add("rect", parent, {"x": float(x), "y": float(y), "width": float(w),
                                          "height": float(h), **attrs})

    def line(self, x1: float, y1: float, x2: float, y2: float,
             parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        return self._add("line", parent, {"x1": float(x1), "y1": float(y1), "x2": float(x2),
                                          "y2": float(y2), **attrs})

    def polygon(self, points: Sequence[tuple[float, float]],
                parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        text = " ".join(f"{number(x)},{number(y)}" for x, y in points)
        return self._add("polygon", parent, {"points": text, **attrs})

    def circle(self, cx: float, cy: float, r: float, parent: ET.Element | None = None,
               **attrs: Any) -> ET.Element:
        return self._add("circle", parent, {"cx": float(cx), "cy": float(cy), "r": float(r),
                                            **attrs})

    def polyline(self, points: Sequence[tuple[float, float]],
                 parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        text = " ".join(f"{number(x)},{number(y)}" for x, y in points)
        return self._add("polyline", parent, {"points": text, "fill": "none", **attrs})

    def path(self, d: str, parent: ET.Element | None = None, **attrs: Any) -> ET.Element:
        return self._add("path", parent, {"d": d, **attrs})

    def text(self, x: float, y: float, content: str, size: float = 12,
             parent: ET.Element | None = None, anchor: str = "start",
             **attrs: Any) -> ET.Element:
        element = self._add("text", parent, {"x": float(x), "y": float(y),
                                             "font-size": float(size), "text-anchor": anchor,
                                             **attrs})
        element.text = clean(content)
        return element

    def title(self, element: ET.Element, content: str) -> None:
        """A tooltip on ``element`` (browsers show it on hover)."""
        ET.SubElement(element, "title").text = clean(content)

    def marker_arrow(self, ident: str = "arrow", color: str = "#555") -> str:
        """Define an arrowhead once; returns the ``marker-end`` value that uses it."""
        defs = self.root.find("defs")
        if defs is None:
            defs = ET.Element("defs")
            self.root.insert(0, defs)
        if defs.find(f"marker[@id='{ident}']") is None:
            marker = ET.SubElement(defs, "marker", {
                "id": ident, "viewBox": "0 0 10 10", "refX": "10", "refY": "5",
                "markerWidth": "7", "markerHeight": "7", "orient": "auto-start-reverse"})
            ET.SubElement(marker, "path", {"d": "M 0 0 L 10 5 L 0 10 z", "fill": color})
        return f"url(#{ident})"

    def __str__(self) -> str:
        ET.indent(self.root, space=" ")
        return ('<?xml version="1.0" encoding="UTF-8"?>\n'
                + ET.tostring(self.root, encoding="unicode") + "\n")
