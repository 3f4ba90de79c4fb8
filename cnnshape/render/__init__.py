"""Renderers: text formats, SVG pictures, charts and the HTML report, from analysis results."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """cnnshape 0.1's ``cnnshape.render.NAME`` (now ``cnnshape.render.text.NAME``), deprecated."""
    from cnnshape._compat import forward

    return forward(__name__, "render", name)
