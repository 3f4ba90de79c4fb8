"""`cnnshape zoo`, `cnnshape layers`, `cnnshape init` (issue 14, items 3 and 6): the spec
language discoverable from the tool, and every example and template valid as written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main
from cnnshape.layers import KINDS
from cnnshape.spec import zoo
from cnnshape.spec.catalogue import EXAMPLE_INPUT, catalogue
from cnnshape.spec.templates import TEMPLATES

ROOT = Path(__file__).resolve().parent.parent


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(main, list(args), input=stdin)


def test_zoo_lists_every_shipped_spec_with_its_counts() -> None:
    shipped = sorted(p.stem for p in (ROOT / "specs").glob("*.json"))
    assert zoo.names() == shipped and len(shipped) >= 20
    text = run("zoo").output
    lines = {line.split()[0]: line for line in text.splitlines()[1:]}
    assert set(lines) == set(shipped)
    assert "62,958" in lines["lenet"] and "849,320" in lines["lenet"]       # the course's
    assert "25,557,032" in lines["resnet50"]                                # torchvision's


def test_a_zoo_name_works_anywhere_and_a_file_wins(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    data = json.loads(run("table", "resnet50", "--format", "json").stdout)
    assert data["totals"]["params"] == 25_557_032
    (tmp_path / "resnet50").write_text('{"input": [4, 3], "layers": [{"type": "dense", '
                                       '"units": 2}]}')
    data = json.loads(run("table", "resnet50", "--format", "json").stdout)
    assert data["totals"]["params"] == 3 * 2 + 2  # the file of that name, not the zoo's


@pytest.mark.parametrize("name", ["../specs/lenet", "/etc/passwd", "LENET", "lenet/x", ""])
def test_only_bare_names_reach_the_zoo(name: str) -> None:
    assert zoo.text(name) is None


def test_unknown_name_says_where_to_look() -> None:
    result = run("table", "resnet5")
    assert result.exit_code == 2
    assert result.output.strip() == ("resnet5: no such file (and no zoo spec of that name: "
                                     "cnnshape zoo lists them)")


def test_layers_lists_every_kind_and_its_fields() -> None:
    text = run("layers").output
    for kind in KINDS:
        assert f"\n{kind.tag}: " in f"\n{text}", kind.tag
    conv = run("layers", "conv").output
    assert conv.startswith("conv: Cross-correlation")
    assert "    filters: integer, required." in conv
    assert "    stride: integer or list of integer, default 1." in conv
    assert '  example: {"type": "conv", "filters": 16, "kernel": 3}' in conv
    refused = run("layers", "maxpool")
    assert refused.exit_code == 2 and 'did you mean "pool"' in refused.output


@pytest.mark.parametrize("info", catalogue(), ids=lambda info: info.tag)
def test_every_example_analyses(info: Any) -> None:
    """Each kind's example, after the layers it needs, is a valid spec on 8x8x16."""
    report = cnnshape.analyze({"input": EXAMPLE_INPUT, "layers": [*info.before, info.example]})
    assert report.rows[-1].type in (info.tag, "conv")  # a composite's last row is a child


def test_lenet_template_is_the_course_table(tmp_path: Path) -> None:
    """`cnnshape init lenet > my.yaml && cnnshape table my.yaml`: 608, 3,216, 48,120,
    10,164 and 850 parameters, as the zoo's lenet."""
    my = tmp_path / "my.yaml"
    my.write_text(run("init", "lenet").output)
    report = cnnshape.analyze(my)
    assert [r.params for r in report.rows if r.params] == [608, 3216, 48120, 10164, 850]
    assert report.totals.params == cnnshape.analyze(ROOT / "specs" / "lenet.json").totals.params
    assert run("table", str(my)).exit_code == 0


def test_resnet_block_template_by_arithmetic() -> None:
    report = cnnshape.analyze(TEMPLATES["resnet-block"])
    # two 3x3 convs 64 -> 64 without bias, two batch norms (64 scales, 64 offsets each)
    assert report.totals.params == 2 * (3 * 3 * 64 * 64) + 2 * (2 * 64)
    assert report.totals.non_trainable_params == 2 * (2 * 64)
    assert report.output_shape == [56, 56, 64]


def test_unet_template_keeps_its_size() -> None:
    report = cnnshape.analyze(TEMPLATES["unet"])
    assert report.output_shape == [64, 64, 2]
    skip = next(r for r in report.rows if r.name == "skip2")
    assert skip.output_shape == [32, 32, 64]  # up2's 32 + enc2's 32 channels


def test_init_writes_a_file(tmp_path: Path) -> None:
    out = tmp_path / "block.yaml"
    assert run("init", "resnet-block", "-o", str(out)).exit_code == 0
    assert out.read_text() == TEMPLATES["resnet-block"]
    assert run("init", "nonsense").exit_code == 2
