"""compare-dense against the lecture's "why convolutions" numbers, written out."""

from __future__ import annotations

import json

from click.testing import CliRunner

from cnnshape.cli.app import main
from cnnshape.engine.dense_compare import compare_dense, single_conv


def test_lecture_example_numbers() -> None:
    c = single_conv((32, 32, 3), filters=6, kernel=5, stride=1, padding=0).layers[0]
    assert c.output_shape == [28, 28, 6]
    assert c.params == (5 * 5 * 3 + 1) * 6 == 456
    assert c.dense_weights == (32 * 32 * 3) * (28 * 28 * 6) == 3_072 * 4_704 == 14_450_688
    assert c.dense_biases == 4_704
    assert c.reuse == 28 * 28 == 784          # parameter sharing
    assert c.reads == 5 * 5 * 3 == 75         # sparsity of connections
    assert c.inputs == 3_072


def test_one_channel_gives_the_lectures_156() -> None:
    c = single_conv((32, 32, 1), filters=6, kernel=5, stride=1, padding=0).layers[0]
    assert c.params == (5 * 5 + 1) * 6 == 156
    assert c.dense_weights == 1_024 * 4_704 == 4_816_896


def test_cli_default_prints_and_explains() -> None:
    result = CliRunner().invoke(main, ["compare-dense"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "456" in out and "14,450,688" in out and "4,704 biases" in out
    assert "784" in out and "75 of the 3,072" in out
    assert "156" in out and "3 input channels" in out and "32x32x1" in out


def test_cli_one_channel() -> None:
    result = CliRunner().invoke(main, ["compare-dense", "--input", "32x32x1"])
    assert result.exit_code == 0
    assert "= 156" in result.output and "4,816,896" in result.output


def test_cli_json() -> None:
    result = CliRunner().invoke(main, ["compare-dense", "--format", "json"])
    data = json.loads(result.output)
    layer = data["layers"][0]
    assert layer["params"] == 456 and layer["dense_weights"] == 14_450_688
    assert data["totals"]["dense_params"] == 14_450_688 + 4_704


def test_stride_and_padding_change_the_mapping() -> None:
    # 32x32x3, 3x3 filters, stride 2, padding 1: out = floor((32 + 2 - 3) / 2) + 1 = 16
    c = single_conv((32, 32, 3), filters=4, kernel=3, stride=2, padding=1).layers[0]
    assert c.output_shape == [16, 16, 4]
    assert c.params == (3 * 3 * 3 + 1) * 4
    assert c.dense_weights == 3_072 * (16 * 16 * 4)
    assert c.reuse == 16 * 16


def test_spec_lists_every_conv_and_dense_layer() -> None:
    report = compare_dense("specs/lenet.json")
    assert [c.name for c in report.layers] == ["CONV1", "CONV2", "FC3", "FC4", "Softmax"]
    conv1, conv2, fc3 = report.layers[:3]
    assert conv1.dense_weights == 3_072 * (28 * 28 * 8)
    assert conv2.reads == 5 * 5 * 8 and conv2.reuse == 10 * 10
    assert fc3.dense_params == fc3.params == 400 * 120 + 120   # a dense layer is its own equivalent
    assert report.params == 608 + 3_216 + 48_120 + 10_164 + 850


def test_spec_inside_repeat_and_groups() -> None:
    spec = {"input": [8, 8, 4], "layers": [{"type": "repeat", "times": 2, "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1, "groups": 2}]}]}
    report = compare_dense(spec)
    assert [c.name for c in report.layers] == ["conv_1_1", "conv_1_2"]
    assert all(c.reads == 3 * 3 * 4 // 2 for c in report.layers)


def test_cli_with_spec() -> None:
    result = CliRunner().invoke(main, ["compare-dense", "specs/lenet.json"])
    assert result.exit_code == 0, result.output
    assert "CONV1" in result.output and "19,273,856" in result.output  # 3072*6272 + 6272
