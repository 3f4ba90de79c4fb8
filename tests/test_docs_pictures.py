"""The pictures in docs/ are the tool's own output, and current: drawing them again gives
the same bytes (the drawings are deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cnnshape.render.charts import chart_svg
from cnnshape.render.diagram import graph_svg
from cnnshape.render.report import report_html
from cnnshape.render.volume import volume_svg

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name, draw", [
    ("lenet_volume.svg", lambda: volume_svg("specs/lenet.json")),
    ("resnet50_graph.svg", lambda: graph_svg("specs/resnet50.json", depth=3)),
    ("lenet_chart.svg", lambda: chart_svg("specs/lenet.json")),
    ("lenet_report.html", lambda: report_html("specs/lenet.json")),
])
def test_docs_picture_is_current(name: str, draw: Callable[[], str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    assert (ROOT / "docs" / name).read_text(encoding="utf-8") == draw(), (
        f"regenerate docs/{name} (see README, Pictures)")
