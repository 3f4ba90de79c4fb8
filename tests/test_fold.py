"""Folding (engine/fold.py): blocks are one row, identical consecutive blocks one row xN; the
folded table of ResNet-50 has at most 25 rows and the totals of the expanded one."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main
from cnnshape.engine.fold import TIMES as X
from cnnshape.engine.fold import fold, listed


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"COLUMNS": "200"})


def body_rows(table: str) -> list[str]:
    """The rows of a rich table between its header rule and its footer rule."""
    lines = table.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("├"))
    return lines[start + 1:end]


def after_body(table: str) -> list[str]:
    """The footer (Total) cells and the summary lines (column widths aside)."""
    lines = table.splitlines()
    end = next(i for i, line in enumerate(lines) if line.startswith("├"))
    return [" | ".join(cell.strip() for cell in line.split("│")) for line in lines[end + 1:]
            if not line.startswith(("└", "Folded:"))]


def test_resnet50_folded_table_is_short_with_the_same_totals() -> None:
    folded = cli("table", "specs/resnet50.json")
    expanded = cli("table", "specs/resnet50.json", "--expand")
    assert folded.exit_code == expanded.exit_code == 0
    rows = body_rows(folded.stdout)
    report = cnnshape.analyze("specs/resnet50.json")
    assert len(rows) <= 25
    assert len(body_rows(expanded.stdout)) == len(report.rows) == 168
    assert after_body(folded.stdout) == after_body(expanded.stdout)
    total = next(line for line in after_body(folded.stdout) if "Total" in line)
    assert "25,557,032" in total and "4,089,184,256" in total
    # ResNet-50's stages repeat their identity block 2, 3, 5 and 2 times after the first
    marks = [int(m) for m in re.findall(rf"{X}(\d+) ", folded.stdout)]
    assert marks == [2, 3, 5, 2]
    # layer3: the projection block, then 5 identity bottlenecks of one block's numbers each:
    # 1x1 1024->256, 3x3 256->256, 1x1 256->1024 without bias, bn 2*256, 2*256, 2*1024
    block = 1024 * 256 + 9 * 256 * 256 + 256 * 1024 + 2 * (256 + 256 + 1024)
    line = next(x for x in rows if f"{X}5" in x)
    assert "layer3.block_1 … layer3.block_5" in line and f"{block:,}" in line
    stage = next(r for r in report.rows if r.name == "layer3")
    first = next(r for r in report.rows if r.name == "layer3.0")
    assert first.params + 5 * block == stage.params


@pytest.mark.parametrize("spec", ["resnet18", "googlenet", "convnext_tiny", "densenet121",
                                  "mobilenet_v2", "inception_v3"])
def test_folding_keeps_every_total(spec: str) -> None:
    folded = cli("table", f"specs/{spec}.json")
    expanded = cli("table", f"specs/{spec}.json", "--expand")
    assert after_body(folded.stdout) == after_body(expanded.stdout)
    assert len(body_rows(folded.stdout)) < len(body_rows(expanded.stdout))
    assert "Folded:" in folded.stdout and "Folded:" not in expanded.stdout


def test_each_row_is_listed_or_stood_for_exactly_once() -> None:
    for spec in ("resnet152", "efficientnet_b0", "squeezenet1_1", "vgg16"):
        rows = cnnshape.analyze(f"specs/{spec}.json", receptive=False).rows
        items = fold(rows)
        assert sum(1 + item.hidden for item in items) == len(rows)
        assert [r.name for r in rows if r.name in {i.row.name for i in items}] == \
            [i.row.name for i in items]  # in table order


def block(name: str, filters: int) -> dict[str, Any]:
    return {"type": "residual", "name": name, "body": [
        {"type": "conv", "name": f"{name}.conv", "filters": filters, "kernel": 3, "padding": 1},
        {"type": "activation", "name": f"{name}.relu", "function": "relu"}]}


def tiny(*layers: dict[str, Any]) -> Any:
    return cnnshape.analyze({"input": [8, 8, 4], "layers": list(layers)})


def test_identical_consecutive_blocks_fold_and_a_different_one_breaks_the_run() -> None:
    # four residual blocks of 3x3 convs 4 -> 4 (params 3*3*4*4 + 4 = 148, MACs 8*8*4*36 = 9,216),
    # then a block that reads the same shapes but has a 1x1 conv (4*4 + 4 = 20 params)
    other = block("d", 4)
    other["body"][0]["kernel"], other["body"][0]["padding"] = 1, 0
    report = tiny(block("a", 4), block("b", 4), block("c", 4), other, block("e", 4))
    items = fold(report.rows)
    assert [(i.row.name, i.count, i.hidden) for i in items] == [
        ("input", 1, 0), ("a", 3, 3 * 3 - 1), ("d", 1, 2), ("e", 1, 2)]
    assert items[1].last is not None and items[1].last.name == "c"
    assert (items[1].row.params, items[1].row.macs) == (148, 8 * 8 * 4 * 36)
    assert items[2].row.params == 20


def test_same_structure_other_numbers_do_not_fold() -> None:
    """Two sequential groups of the same kinds whose second conv has more filters."""
    def group(name: str, filters: int) -> dict[str, Any]:
        return {"type": "sequential", "name": name, "layers": [
            {"type": "conv", "name": f"{name}.c", "filters": filters, "kernel": 1}]}

    rows = tiny(group("g1", 4), group("g2", 8)).rows
    assert [i.row.name for i in fold(rows)] == ["input", "g1", "g1.c", "g2", "g2.c"]
    rows = tiny(group("g1", 4), group("g2", 4)).rows
    assert [(i.row.name, i.count) for i in fold(rows)] == [("input", 1), ("g1", 2)]


def test_a_repeat_folds_its_copies_after_the_first_that_changes_the_shape() -> None:
    """repeat x3 of a conv block 4 -> 6 channels: the first copy reads 4 channels, the next two
    read 6 (3*3*6*6 + 6 = 330 parameters each): they fold, the first does not."""
    report = tiny({"type": "repeat", "name": "r", "times": 3, "layers": [
        {"type": "sequential", "name": "s", "layers": [
            {"type": "conv", "name": "s.c", "filters": 6, "kernel": 3, "padding": 1}]}]})
    items = fold(report.rows)
    assert [(i.row.type, i.count) for i in items] == [
        ("input", 1), ("repeat", 1), ("sequential", 1), ("conv", 1), ("sequential", 2)]
    assert items[-1].row.params == 3 * 3 * 6 * 6 + 6
    assert items[3].row.params == 3 * 3 * 4 * 6 + 6


def test_depth_applies_to_the_folded_listing() -> None:
    rows = cnnshape.analyze("specs/resnet50.json", receptive=False).rows
    assert all(i.row.depth <= 1 for i in listed(rows, depth=1))
    assert [i.row.name for i in listed(rows, depth=1)] == \
        [r.name for r in rows if r.depth <= 1]  # no block is at depth 1


def test_markdown_and_html_fold_json_and_csv_do_not(tmp_path: Any) -> None:
    md = cli("table", "specs/resnet50.json", "--format", "markdown").stdout
    assert md.count("\n| ") <= 25 + 2 and f"{X}5" in md and "Folded:" in md
    for fmt in ("json", "csv"):
        plain = cli("table", "specs/resnet50.json", "--format", fmt).stdout
        assert plain == cli("table", "specs/resnet50.json", "--format", fmt, "--expand").stdout
    layers = json.loads(cli("table", "specs/resnet50.json", "--format", "json").stdout)["layers"]
    assert len(layers) == 168
    page = tmp_path / "r.html"
    assert cli("report", "specs/resnet50.json", "-o", str(page)).exit_code == 0
    text = page.read_text(encoding="utf-8")
    table = text[text.index('id="layer-table"'):text.index("</table>", text.index(
        'id="layer-table"'))]
    assert table.count("<tr class=") <= 25 and f"layer3.block_1 … layer3.block_5 {X}5" in table
    expanded = tmp_path / "e.html"
    assert cli("report", "specs/resnet50.json", "-o", str(expanded), "--expand").exit_code == 0
    text = expanded.read_text(encoding="utf-8")
    assert text.count('<tr class="leaf"') + text.count('<tr class="composite"') == 168


def test_library_default_lists_every_layer() -> None:
    """The library's View() and report_html keep cnnshape 0.1's listing; the CLI folds."""
    from cnnshape.render.text import View, report_table

    report = cnnshape.analyze("specs/resnet50.json", receptive=False)
    assert X not in report_table(report, view=View())
    assert f"{X}5" in report_table(report, view=View(expand=False))
