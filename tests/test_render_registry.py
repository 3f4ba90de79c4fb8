"""The renderer registry: every registered format is what the CLI offers, each renders LeNet
exactly as the golden files (written before the registry existed) say, and a name that is not
registered is refused by click with exit code 2."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from golden_cases import GOLDEN, ROOT, mask

import cnnshape.render.registry as registry
from cnnshape.cli.app import main

LENET = str(ROOT / "specs" / "lenet.json")
LENET_AS_GIVEN = "specs/lenet.json"
"""How the golden run named it (from the repository root): the chart and page show it."""

# (command, its option, the subject it renders, the choices issue 12 lists for it)
OPTIONS = [
    ("table", "fmt", "report", ["table", "json", "csv", "markdown"]),
    ("compare-dense", "fmt", "comparison", ["table", "json"]),
    ("verify", "fmt", "verification", ["table", "json"]),
    ("sweep", "fmt", "sweep", ["table", "csv", "json"]),
    ("draw", "style", "picture", ["auto", "volume", "graph"]),
]


def _choices(command: str, option: str) -> list[str]:
    param = next(p for p in main.commands[command].params if p.name == option)
    assert isinstance(param.type, click.Choice)
    return list(param.type.choices)


@pytest.mark.parametrize("command,option,subject,documented", OPTIONS)
def test_cli_choices_are_the_registry(command: str, option: str, subject: Any,
                                      documented: list[str]) -> None:
    assert _choices(command, option) == registry.names(subject) == documented


def test_help_lists_each_description() -> None:
    out = CliRunner().invoke(main, ["table", "--help"], terminal_width=400).output
    for entry in registry.RENDERERS:
        if entry.renders == "report":
            assert f"{entry.name}: {entry.description}" in " ".join(out.split())


# What each registered renderer is given and which golden file holds its output.


def _lenet() -> Any:
    from cnnshape.spec.loader import load

    return load(LENET)


def _report(complete: bool) -> Any:
    from cnnshape.engine.analysis import analyze

    return analyze(_lenet(), receptive=complete)


def _comparison() -> Any:
    from cnnshape.engine.dense_compare import compare_dense

    return compare_dense(_lenet())


def _verification() -> Any:
    from cnnshape.engine.reference import verify

    return verify(_lenet(), budget=2_000_000, seed=0)


def _sweep(spec: str, grid: dict[str, list[Any]], batch: int = 1,
           dtype: str = "float32") -> Any:
    from cnnshape.engine.sweep import sweep
    from cnnshape.spec.loader import load

    return sweep(load(f"specs/{spec}"), grid, batch=batch, dtype=dtype)  # as the golden run


def _diff(a: str, b: str) -> Any:
    from cnnshape.engine.diff import diff

    return diff(f"specs/{a}.json", f"specs/{b}.json")


def _view() -> Any:
    from cnnshape.render.text import View

    return View()


REPORT_OPTIONS = {"depth": None, "rf": False, "chart": False}
CASES: dict[tuple[str, str], tuple[str, Callable[[], Any], Callable[[], dict[str, Any]]]] = {
    ("report", "table"): ("lenet/table", lambda: _report(False),
                          lambda: {**REPORT_OPTIONS, "view": _view()}),
    ("report", "json"): ("lenet/table.json", lambda: _report(True),
                         lambda: {**REPORT_OPTIONS, "view": _view()}),
    ("report", "csv"): ("lenet/table.csv", lambda: _report(False),
                        lambda: {**REPORT_OPTIONS, "view": _view()}),
    ("report", "markdown"): ("lenet/table.md", lambda: _report(False),
                             lambda: {**REPORT_OPTIONS, "view": _view()}),
    ("comparison", "table"): ("lenet/compare_dense", _comparison, lambda: {"kernel": None}),
    ("comparison", "json"): ("lenet/compare_dense.json", _comparison, lambda: {"kernel": None}),
    ("verification", "table"): ("lenet/verify", _verification, dict),
    ("verification", "json"): ("lenet/verify.json", _verification, dict),
    ("sweep", "table"): ("sweep", lambda: _sweep("lenet.json", {
        "CONV1.filters": [6, 8, 16], "CONV1.kernel": [3, 5, 7],
        "input": [[32, 32, 3], [64, 64, 3], [28, 28, 1]]}),
        lambda: {"batch": 1, "dtype": "float32"}),
    ("sweep", "csv"): ("sweep.csv", lambda: _sweep("lenet.json", {"CONV2.padding": [0, "same"]}),
                       lambda: {"batch": 1, "dtype": "float32"}),
    # The only JSON sweep golden is of ResNet-18.
    ("sweep", "json"): ("sweep.json", lambda: _sweep("resnet18.json", {"conv1.filters": [32, 64]},
                                                     4, "float16"),
                        lambda: {"batch": 4, "dtype": "float16"}),
    ("picture", "volume"): ("lenet/draw_volume.svg", _lenet,
                            lambda: {"depth": None, "scale": "sqrt", "max_layers": None}),
    ("picture", "graph"): ("lenet/draw_graph.svg", _lenet,
                           lambda: {"depth": 2, "scale": "sqrt", "max_layers": None}),
    ("picture", "auto"): ("lenet/draw_auto.svg", _lenet,
                          lambda: {"depth": None, "scale": "log", "max_layers": None}),
    ("chart", "chart"): ("lenet/chart.svg", lambda: LENET_AS_GIVEN,
                         lambda: {"metric": "both", "log": None}),
    ("page", "report"): ("lenet/report.html", lambda: LENET_AS_GIVEN,
                         lambda: {"batch": 2, "dtype": "float32"}),
    ("diff", "table"): ("diff", lambda: _diff("resnet18", "resnet34"), lambda: {"every": False}),
    ("diff", "json"): ("diff.json", lambda: _diff("resnet18", "resnet34"),
                       lambda: {"every": False}),
    ("diff", "markdown"): ("diff.md", lambda: _diff("lenet", "lenet5"), lambda: {"every": True}),
    ("diff", "html"): ("diff.html", lambda: _diff("lenet", "lenet5"), lambda: {"every": False}),
}


@pytest.mark.parametrize("entry", registry.RENDERERS, ids=[f"{r.renders}-{r.name}"
                                                            for r in registry.RENDERERS])
def test_each_renders_lenet_as_its_golden(entry: registry.Renderer,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A renderer registered without a case here fails (KeyError): each one is checked."""
    rel, subject, options = CASES[(entry.renders, entry.name)]
    monkeypatch.setenv("COLUMNS", "200")  # as the golden run had it
    monkeypatch.chdir(ROOT)
    text = entry.render(subject(), **options())
    expected = (GOLDEN / rel).read_text(encoding="utf-8")
    assert expected.startswith("exit ")
    assert mask(text) == expected.split("\n", 1)[1]


def test_registry_covers_every_case() -> None:
    """No stale case: every case names a registered renderer."""
    assert set(CASES) == {(r.renders, r.name) for r in registry.RENDERERS}


def test_report_formats_carry_lenets_counts_worked_out_by_hand() -> None:
    """LeNet's parameters: conv 5x5x3 -> 8, conv 5x5x8 -> 16, dense 400 -> 120 -> 84 -> 10,
    each with biases; every report format shows each layer's count, all but CSV the total."""
    layers = [(5 * 5 * 3 + 1) * 8, (5 * 5 * 8 + 1) * 16, 401 * 120, 121 * 84, 85 * 10]
    report = _report(True)
    for entry in registry.RENDERERS:
        if entry.renders != "report":
            continue
        text = entry.render(report, **REPORT_OPTIONS, view=_view())
        for count in [*layers, *([sum(layers)] if entry.name != "csv" else [])]:
            assert f"{count:,}" in text or f",{count}," in text or f": {count}," in text, \
                (entry.name, count)


@pytest.mark.parametrize("argv", [
    ["table", "{spec}", "--format", "xml"],
    ["table", "{spec}", "--format", "TABLE"],
    ["compare-dense", "--format", "csv"],
    ["verify", "{spec}", "--format", "markdown"],
    ["sweep", "{spec}", "--set", "CONV1.filters=6", "--format", "markdown"],
    ["draw", "{spec}", "--style", "chart"],
])
def test_unregistered_name_is_refused_by_click(argv: list[str]) -> None:
    result = CliRunner().invoke(main, [a.replace("{spec}", LENET) for a in argv])
    assert result.exit_code == 2
    assert "Invalid value for" in result.output
    assert "Traceback" not in result.output


def test_unregistered_name_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="registered: table, json"):
        registry.get("comparison", "csv")


@pytest.mark.parametrize("path,expected", [("a/b/Net.PNG", "png"), ("net.svg", "svg"),
                                           ("out", ""), ("dir.v2/out", ""), (".png", "png")])
def test_extension(path: str, expected: str) -> None:
    assert registry.extension(path) == expected


def test_png_is_a_conversion_of_the_pictures_only(tmp_path: Path) -> None:
    """-o x.png goes through cairosvg for draw and chart (its registered extensions); a name
    with an extension the picture does not register gets the SVG as it is."""
    assert all("png" in registry.get("picture", s).extensions for s in ("auto", "volume", "graph"))
    assert "png" in registry.only("chart").extensions
    out = tmp_path / "lenet.svgz"
    result = CliRunner().invoke(main, ["draw", LENET, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").lstrip().startswith(("<?xml", "<svg"))
