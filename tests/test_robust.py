"""Hostile or extreme specs: one clear line, never a traceback; exact integers at any size."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main


def nested(levels: int) -> dict:
    layer: dict = {"type": "conv", "filters": 2, "kernel": 1}
    for _ in range(levels):
        layer = {"type": "sequential", "layers": [layer]}
    return {"input": [4, 4, 2], "layers": [layer]}


def test_moderate_nesting_works() -> None:
    report = cnnshape.analyze(nested(90))
    assert len(report.rows) == 1 + 90 + 1
    assert report.totals.params == (1 * 1 * 2 + 1) * 2


@pytest.mark.parametrize("levels", [150, 1000])
def test_deep_nesting_is_one_clear_line(levels: int) -> None:
    with pytest.raises(cnnshape.SpecError) as info:
        cnnshape.analyze(nested(levels))
    assert len(info.value.problems) == 1 and "nested" in str(info.value)


def test_deeply_nested_json_file(tmp_path: Path) -> None:
    spec = tmp_path / "deep.json"
    spec.write_text('{"input": [4, 1], "layers": ' + "[" * 100_000 + "]" * 100_000 + "}")
    result = CliRunner().invoke(main, ["table", str(spec)])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "nested" in result.output


def test_yaml_tags_do_not_build_objects(tmp_path: Path) -> None:
    spec = tmp_path / "evil.yaml"
    spec.write_text("input: !!python/object/apply:os.system ['echo pwned']\nlayers: []\n")
    result = CliRunner().invoke(main, ["table", str(spec)])
    assert result.exit_code == 2 and "invalid YAML" in result.output


def test_counts_are_exact_integers_at_any_size() -> None:
    report = cnnshape.analyze({"input": [1_000_000], "layers": [
        {"type": "dense", "units": 1_000_000}]})
    assert report.totals.params == 1_000_000 * 1_000_000 + 1_000_000
    assert report.totals.macs == 10 ** 12
    big = cnnshape.analyze({"input": [4096, 4096, 64], "layers": [
        {"type": "conv", "filters": 64, "kernel": 3, "padding": 1}]})
    assert big.totals.macs == 4096 * 4096 * 64 * 3 * 3 * 64
    assert isinstance(big.totals.macs, int)


def test_huge_file_refused_unread(tmp_path: Path) -> None:
    spec = tmp_path / "huge.json"
    with open(spec, "wb") as handle:
        handle.truncate(1024 ** 3)  # a sparse 1 GiB file: nothing is written to disk
    result = CliRunner().invoke(main, ["table", str(spec)])
    assert result.exit_code == 2 and "larger than 64 MiB" in result.output


def test_directory_and_binary(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["table", str(tmp_path)])
    assert result.exit_code == 2 and "is a directory" in result.output
    binary = tmp_path / "bin.json"
    binary.write_bytes(b"\xff\xfe\x00")
    result = CliRunner().invoke(main, ["table", str(binary)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
