"""The importers' shared step: graph nodes -> a spec with blocks and named connections.

No framework needed: the graphs are written out here, and every expected count is
arithmetic on the layers written in the test.
"""

from __future__ import annotations

from typing import Any

import pytest

import cnnshape
from cnnshape.core.errors import SpecError
from cnnshape.frameworks.common.build import Node, build_spec


def conv(filters: int, kernel: int = 3, **extra: Any) -> dict[str, Any]:
    return {"type": "conv", "filters": filters, "kernel": kernel, "padding": kernel // 2, **extra}


def act(function: str = "relu") -> dict[str, Any]:
    return {"type": "activation", "function": function}


def merge(mode: str) -> dict[str, Any]:
    return {"type": "merge", "mode": mode}


def basic_block() -> list[Node]:
    """ResNet's basic block on an 8x8x4 input with an identity shortcut."""
    return [
        Node("stem", conv(4), ["x"]),
        Node("stem.relu", act(), ["stem"]),
        Node("layer1.0.conv1", conv(4), ["stem.relu"]),
        Node("layer1.0.bn1", {"type": "batchnorm"}, ["layer1.0.conv1"]),
        Node("layer1.0.relu", act(), ["layer1.0.bn1"]),
        Node("layer1.0.conv2", conv(4), ["layer1.0.relu"]),
        Node("layer1.0.add", merge("add"), ["layer1.0.conv2", "stem.relu"]),
        Node("layer1.0.relu2", act(), ["layer1.0.add"]),
    ]


def test_activation_folds_into_conv_and_residual() -> None:
    spec = build_spec(basic_block(), "x", [8, 8, 4])
    stem, block = spec["layers"]
    assert stem == {"type": "conv", "name": "stem", "filters": 4, "kernel": 3, "padding": 1,
                    "activation": "relu"}
    assert block["type"] == "residual" and block["name"] == "layer1.0"
    assert block["activation"] == "relu" and block["shortcut"] == []
    assert [layer["name"] for layer in block["body"]] == [
        "layer1.0.conv1", "layer1.0.bn1", "layer1.0.relu", "layer1.0.conv2"]
    # the relu after bn reads a batchnorm, so it stays a layer
    report = cnnshape.analyze(spec)
    conv_params = 3 * 3 * 4 * 4 + 4
    assert report.totals.params == 3 * conv_params + 2 * 4
    assert report.totals.macs == 3 * (8 * 8 * 4 * 3 * 3 * 4)


def test_projection_shortcut_is_the_shorter_branch() -> None:
    nodes = [
        Node("a", conv(8, stride=2), ["x"]),
        Node("b", conv(8), ["a"]),
        Node("proj", conv(8, kernel=1, stride=2), ["x"]),
        Node("sum", merge("add"), ["proj", "b"]),
    ]
    spec = build_spec(nodes, "x", [8, 8, 3])
    (block,) = spec["layers"]
    assert [n["name"] for n in block["body"]] == ["a", "b"]
    assert [n["name"] for n in block["shortcut"]] == ["proj"]
    (row,) = [r for r in cnnshape.analyze(spec).rows if r.name == "sum"]
    assert row.output_shape == [4, 4, 8]


def test_concat_with_identity_branch_and_nested_block() -> None:
    inner = [
        Node("i.a", conv(2, kernel=1), ["x"]),
        Node("i.b", conv(2), ["i.a"]),
        Node("i.add", merge("add"), ["i.b", "i.a"]),
    ]
    nodes = [*inner, Node("one", conv(3, kernel=1), ["x"]), Node("cat", merge("concat"),
                                                                     ["x", "i.add", "one"])]
    spec = build_spec(nodes, "x", [5, 5, 4])
    (block,) = spec["layers"]
    assert block["type"] == "concat" and block["branches"][0] == []
    first = block["branches"][1]
    assert first[0]["name"] == "i.a" and first[1]["type"] == "residual"
    assert cnnshape.analyze(spec).totals.macs == 25 * (4 * 2 + 9 * 2 * 2 + 4 * 3)
    (row,) = [r for r in cnnshape.analyze(spec).rows if r.name == "cat"]
    assert row.output_shape == [5, 5, 4 + 2 + 3]


def test_inner_layer_read_from_outside_stays_a_named_connection() -> None:
    nodes = [
        Node("a", conv(4), ["x"]),
        Node("b", conv(4), ["a"]),
        Node("sum", merge("add"), ["b", "x"]),
        Node("late", merge("concat"), ["sum", "a"]),  # reads "a" from inside the would-be block
    ]
    spec = build_spec(nodes, "x", [6, 6, 4])
    kinds = [layer["type"] for layer in spec["layers"]]
    assert kinds == ["conv", "conv", "merge", "merge"]
    assert spec["layers"][2]["inputs"] == ["b", "input"]
    assert spec["layers"][3]["inputs"] == ["sum", "a"]
    assert cnnshape.analyze(spec).rows[-1].output_shape == [6, 6, 8]


def test_activation_stays_when_the_conv_has_other_readers() -> None:
    nodes = [
        Node("c", conv(4), ["x"]),
        Node("r", act(), ["c"]),
        Node("m", merge("multiply"), ["c", "r"]),
    ]
    spec = build_spec(nodes, "x", [4, 4, 1])
    assert [layer["type"] for layer in spec["layers"]] == ["conv", "activation", "merge"]
    assert "activation" not in spec["layers"][0]


def test_from_is_written_where_a_layer_skips_the_previous_one() -> None:
    nodes = [
        Node("gate_pool", {"type": "global_pool"}, ["x"]),
        Node("gate", act("sigmoid"), ["gate_pool"]),
        Node("side", conv(2), ["x"]),
        Node("m", merge("multiply"), ["side", "gate"]),
    ]
    spec = build_spec(nodes, "x", [4, 4, 2])
    assert spec["layers"][2]["from"] == "input"
    assert cnnshape.analyze(spec).rows[-1].output_shape == [4, 4, 2]


def test_layers_the_output_does_not_read_stay_and_bad_graphs_are_refused() -> None:
    """A computed layer nothing reads still costs its parameters and MACs."""
    nodes = [Node("a", conv(2), ["x"]), Node("unused", conv(2), ["x"]), Node("b", conv(2), ["a"])]
    spec = build_spec(nodes, "x", [4, 4, 1])
    assert [layer["name"] for layer in spec["layers"]] == ["a", "unused", "b"]
    assert spec["layers"][1]["from"] == "input" and spec["layers"][2]["from"] == "a"
    assert cnnshape.analyze(spec).totals.params == (3 * 3 * 1 * 2 + 2) * 2 + 3 * 3 * 2 * 2 + 2
    with pytest.raises(SpecError, match="reads 'later'"):
        build_spec([Node("a", conv(2), ["later"]), Node("later", conv(2), ["x"])], "x", [4, 4, 1])
    with pytest.raises(SpecError, match="two nodes"):
        build_spec([Node("a", conv(2), ["x"]), Node("a", conv(2), ["a"])], "x", [4, 4, 1])


def test_layers_of_one_submodule_become_a_sequential() -> None:
    nodes = [
        Node("stem", conv(4), ["x"]),
        Node("features.0", conv(4), ["stem"]),
        Node("features.1", act(), ["features.0"]),
        Node("features.2.conv", conv(4), ["features.1"]),
        Node("features.2.bn", {"type": "batchnorm"}, ["features.2.conv"]),
        Node("head", merge("multiply"), ["features.2.bn", "features.0"]),  # reads into it
    ]
    spec = build_spec(nodes, "x", [6, 6, 2])
    assert [(layer["type"], layer["name"]) for layer in spec["layers"]] == [
        ("conv", "stem"), ("sequential", "features"), ("merge", "head")]
    inner = spec["layers"][1]["layers"]
    assert [layer["name"] for layer in inner] == ["features.0", "features.1", "features.2"]
    assert [layer["name"] for layer in inner[2]["layers"]] == ["features.2.conv",
                                                               "features.2.bn"]
    assert spec["layers"][2]["inputs"] == ["features.2.bn", "features.0"]
    report = cnnshape.analyze(spec)
    # 3x3 convs: stem 3*3*2*4+4, two more 3*3*4*4+4; batchnorm 2*4
    assert report.totals.params == (3 * 3 * 2 * 4 + 4) + 2 * (3 * 3 * 4 * 4 + 4) + 2 * 4


def test_a_group_name_already_taken_is_not_used() -> None:
    nodes = [Node("block", conv(2), ["x"]), Node("block.a", conv(2), ["block"]),
             Node("block.b", conv(2), ["block.a"])]
    spec = build_spec(nodes, "x", [4, 4, 1])
    assert [layer["name"] for layer in spec["layers"]] == ["block", "block.a", "block.b"]


def test_a_broadcasting_add_stays_a_merge() -> None:
    """A residual adds equal shapes; x + gate with a [1, 1, C] gate is a merge."""
    nodes = [
        Node("features", conv(4), ["x"]),
        Node("gate_pool", {"type": "global_pool"}, ["features"]),
        Node("gate", conv(4, kernel=1), ["gate_pool"]),
        Node("sum", merge("add"), ["features", "gate"]),
    ]
    spec = build_spec(nodes, "x", [5, 5, 2])
    assert [layer["type"] for layer in spec["layers"]] == ["conv", "global_pool", "conv", "merge"]
    assert cnnshape.analyze(spec).rows[-1].output_shape == [5, 5, 4]
