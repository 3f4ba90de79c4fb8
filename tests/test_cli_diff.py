"""`cnnshape diff A B`: the aligned differences, an exit status CI can use (0 equal, 1
different, 2 bad input), and every format of the registry; numbers checked against the
documented torchvision counts and arithmetic written out here."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape.render.registry as registry
from cnnshape.cli.app import main

SPECS = Path(__file__).resolve().parent.parent / "specs"
R18, R34 = str(SPECS / "resnet18.json"), str(SPECS / "resnet34.json")

BASE: dict[str, Any] = {"input": [32, 32, 3], "layers": [
    {"type": "conv", "name": "c1", "filters": 8, "kernel": 3},    # (3*3*3 + 1)*8 = 224
    {"type": "pool", "name": "p1", "kernel": 2},                  # 30 -> 15
    {"type": "flatten", "name": "f"},
    {"type": "dense", "name": "fc", "units": 10},                 # 15*15*8*10 + 10 = 18,010
]}


def run(*args: str) -> Any:
    return CliRunner().invoke(main, ["diff", *args])


def write(tmp_path: Path, name: str, spec: dict[str, Any]) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(spec))
    return str(path)


def test_resnet18_against_resnet34_differs_and_exits_1() -> None:
    """torchvision documents 11,689,512 and 21,797,672 parameters; GFLOPS 1.81 and 3.66."""
    result = run(R18, R34, "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.output)
    totals = data["totals"]
    assert (totals["params"]["a"], totals["params"]["b"]) == (11_689_512, 21_797_672)
    assert totals["params"]["delta"] == 21_797_672 - 11_689_512
    assert round(totals["macs"]["a"] / 1e9, 2) == 1.81
    assert round(totals["macs"]["b"] / 1e9, 2) == 3.66
    # ResNet-34's stages have 3, 4, 6, 3 basic blocks where ResNet-18's have 2 each:
    # 1 + 2 + 4 + 1 = 8 blocks more, each named in an added row.
    text = run(R18, R34).output
    assert text.splitlines()[0].startswith("ResNet-18 (torchvision) -> ResNet-34 (torchvision)")
    assert "11,689,512" in text and "21,797,672" in text and "+10,108,160" in text
    assert "added" in text


def test_same_network_exits_0_in_every_format() -> None:
    for fmt in registry.names("diff"):
        result = run(R18, R18, "--format", fmt)
        assert result.exit_code == 0, (fmt, result.output)
    assert "are the same network" in run(R18, R18).output


def test_renamed_inserted_and_removed(tmp_path: Path) -> None:
    renamed = json.loads(json.dumps(BASE))
    renamed["layers"][0]["name"] = "conv1"              # same kind, same place: renamed
    renamed["layers"].insert(2, {"type": "dropout", "name": "drop", "rate": 0.5})
    del renamed["layers"][1]                            # the pool removed: fc reads 30*30*8
    a, b = write(tmp_path, "a.json", BASE), write(tmp_path, "b.json", renamed)
    result = run(a, b, "--format", "json", "--all")
    assert result.exit_code == 1
    status = {(p["status"], p["b"]["name"] if p["b"] else p["a"]["name"])
              for p in json.loads(result.output)["layers"]}
    assert {("renamed", "conv1"), ("added", "drop"), ("removed", "p1")} <= status
    totals = json.loads(result.output)["totals"]
    assert totals["params"]["b"] == 224 + 30 * 30 * 8 * 10 + 10


def test_markdown_and_output_file(tmp_path: Path) -> None:
    wider = json.loads(json.dumps(BASE))
    wider["layers"][0]["filters"] = 16                   # (3*3*3 + 1)*16 = 448
    a, b = write(tmp_path, "a.json", BASE), write(tmp_path, "b.json", wider)
    out = tmp_path / "changes.md"
    result = run(a, b, "--format", "markdown", "-o", str(out))
    assert result.exit_code == 1 and "wrote" in result.output and "|" not in result.output
    text = out.read_text()
    assert "| c1 |" in text and "224 -> 448" in text
    params_delta = (448 + 15 * 15 * 16 * 10 + 10) - (224 + 18_010)
    assert f"+{params_delta:,}" in text


def test_html_escapes_names(tmp_path: Path) -> None:
    evil = json.loads(json.dumps(BASE))
    evil["layers"][0]["name"] = "<script>alert(1)</script>"
    a, b = write(tmp_path, "a.json", BASE), write(tmp_path, "b.json", evil)
    page = run(a, b, "--format", "html").output
    assert "<script>" not in page and "&lt;script&gt;" in page

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.found: list[str] = []

        def handle_starttag(self, tag: str, attrs: Any) -> None:
            self.found.append(tag)

    parser = Tags()
    parser.feed(page)
    assert "script" not in parser.found and "table" in parser.found


@pytest.mark.parametrize("args, expected", [
    (["missing.json", R18], "missing.json"),
    ([R18], "Missing argument"),
])
def test_bad_input_exits_2_in_one_line(args: list[str], expected: str) -> None:
    result = run(*args)
    assert result.exit_code == 2 and expected in result.output
    assert "Traceback" not in result.output
