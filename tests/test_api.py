"""The library API: cnnshape.load from every kind of source, auto-names, the report layout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import cnnshape
from cnnshape.spec.loader import Network

SPECS = Path(__file__).resolve().parent.parent / "specs"

SPEC = {"name": "tiny", "input": [6, 6, 2], "layers": [
    {"type": "conv", "filters": 4, "kernel": 3},
    {"type": "flatten"},
    {"type": "dense", "units": 3},
]}
# conv: (6 - 3) + 1 = 4 -> (4, 4, 4); params (3*3*2 + 1)*4 = 76; MACs 4*4*4*(3*3*2) = 1152
# dense on 64: params 64*3 + 3 = 195; MACs 64*3 = 192
TINY = [("input", (6, 6, 2)), ("conv_1", (4, 4, 4)), ("flatten_1", (64,)), ("dense_1", (3,))]

YAML = """\
name: tiny
input: [6, 6, 2]
layers:
  - type: conv
    filters: 4
    kernel: 3
  - {type: flatten}
  - type: dense
    units: 3
"""


def summary(source):
    report = cnnshape.analyze(source)
    return [(row.name, tuple(row.output_shape)) for row in report.rows], report


@pytest.mark.parametrize("kind", ["dict", "json text", "yaml text", "yaml flow text",
                                  "json path str", "json Path", "yaml path", "yml path",
                                  "network"])
def test_load_every_source(tmp_path, kind):
    if kind == "dict":
        source, origin = SPEC, "<spec>"
    elif kind == "json text":
        source, origin = json.dumps(SPEC, indent=2), "<spec>"
    elif kind == "yaml text":
        source, origin = YAML, "<spec>"
    elif kind == "yaml flow text":
        source, origin = "{input: [6, 6, 2], name: tiny, layers: [{type: conv, filters: 4, " \
                         "kernel: 3}, {type: flatten}, {type: dense, units: 3}]}", "<spec>"
    elif kind == "json path str":
        path = tmp_path / "tiny.json"
        path.write_text(json.dumps(SPEC))
        source, origin = str(path), str(path)
    elif kind == "json Path":
        source = tmp_path / "tiny.json"
        source.write_text(json.dumps(SPEC))
        origin = str(source)
    elif kind in ("yaml path", "yml path"):
        source = tmp_path / ("tiny.yaml" if kind == "yaml path" else "tiny.yml")
        source.write_text(YAML)
        origin = str(source)
    else:
        source, origin = cnnshape.load(SPEC), "<spec>"
    network = cnnshape.load(source)
    assert isinstance(network, Network)
    assert network.source == origin
    assert network.name == "tiny"
    assert network.input == (6, 6, 2)
    assert [layer.kind for layer in network.layers] == ["conv", "flatten", "dense"]
    rows, report = summary(source)
    assert rows == TINY
    assert report.source == origin
    assert report.totals.params == (3 * 3 * 2 + 1) * 4 + (64 * 3 + 3)
    assert report.totals.macs == 4 * 4 * 4 * (3 * 3 * 2) + 64 * 3


def test_one_line_yaml_text():
    network = cnnshape.load("input: [5, 2]")
    assert network.input == (5, 2) and network.layers == []


def test_load_does_not_mutate_the_dict():
    spec = json.loads(json.dumps(SPEC))
    cnnshape.load(spec)
    assert spec == SPEC


def test_load_refuses_other_types():
    with pytest.raises(TypeError):
        cnnshape.load(42)  # type: ignore[arg-type]


def test_name_override():
    with pytest.raises(cnnshape.SpecError) as info:
        cnnshape.load({"layers": []}, name="from-stdin")
    assert info.value.problems[0].startswith("from-stdin: ")


def test_auto_names():
    spec = {"input": [8, 8, 3], "layers": [
        {"type": "conv", "filters": 3, "kernel": 1},
        {"type": "conv", "filters": 3, "kernel": 1, "name": "conv_2"},  # taken: skipped
        {"type": "pool", "kernel": 1},
        {"type": "conv", "filters": 3, "kernel": 1},
        {"type": "repeat", "times": 2, "layers": [
            {"type": "conv", "filters": 3, "kernel": 1},
            {"type": "activation", "function": "relu", "name": "act"},
        ]},
        {"type": "residual", "body": [{"type": "conv", "filters": 3, "kernel": 1}]},
        {"type": "pool", "kernel": 1},
    ]}
    network = cnnshape.load(spec)
    assert [layer.name for layer in network.layers] == \
        ["conv_1", "conv_2", "pool_1", "conv_3", "repeat_1", "residual_1", "pool_2"]
    assert [layer.name for layer in network.layers[4].layers] == ["conv_4", "act"]
    assert network.layers[5].body[0].name == "conv_5"
    report = cnnshape.analyze(network)
    assert [(row.name, row.depth) for row in report.rows] == [
        ("input", 0), ("conv_1", 1), ("conv_2", 1), ("pool_1", 1), ("conv_3", 1),
        ("repeat_1", 1), ("conv_4_1", 2), ("act_1", 2), ("conv_4_2", 2), ("act_2", 2),
        ("residual_1", 1), ("conv_5", 2), ("pool_2", 1)]
    assert [row.path for row in report.rows][5:10] == [
        "layers[4]", "layers[4].layers[0]", "layers[4].layers[1]", "layers[4].layers[0]",
        "layers[4].layers[1]"]


def test_nested_repeat_names():
    spec = {"input": [4, 2], "layers": [{"type": "repeat", "times": 2, "layers": [
        {"type": "repeat", "times": 2, "name": "inner", "layers": [
            {"type": "dense", "units": 2, "name": "d"}]}]}]}
    names = [row.name for row in cnnshape.analyze(spec).rows]
    assert names == ["input", "repeat_1", "inner_1", "d_1_1", "d_1_2", "inner_2", "d_2_1",
                     "d_2_2"]


def test_report_to_dict_layout():
    report = cnnshape.analyze(SPECS / "lenet.json")
    data = report.to_dict()
    json.dumps(data)  # plain JSON types only
    for key in ("name", "input_shape", "output_shape", "layers", "totals"):
        assert key in data
    assert data["name"] == "LeNet-5 (course example)"
    assert data["input_shape"] == [32, 32, 3]
    assert data["output_shape"] == [10]
    layers = data["layers"]
    assert len(layers) == 9
    for layer in layers:
        for key in ("name", "type", "depth", "output_shape", "activation_size", "params",
                    "non_trainable_params", "macs"):
            assert key in layer, key
    first = layers[0]
    assert first["type"] == "input" and first["name"] == "input" and first["depth"] == 0
    assert first["output_shape"] == [32, 32, 3]
    assert first["activation_size"] == 32 * 32 * 3
    assert first["params"] == first["macs"] == first["non_trainable_params"] == 0
    assert layers[1] == {**layers[1], "name": "CONV1", "type": "conv", "depth": 1,
                         "output_shape": [28, 28, 8], "activation_size": 28 * 28 * 8,
                         "params": (5 * 5 * 3 + 1) * 8, "non_trainable_params": 0,
                         "macs": 28 * 28 * 8 * 5 * 5 * 3}
    totals = data["totals"]
    for key in ("params", "non_trainable_params", "macs"):
        assert key in totals
    assert totals["params"] == sum(layer["params"] for layer in layers) == 62958
    assert totals["macs"] == sum(layer["macs"] for layer in layers)
    assert totals["non_trainable_params"] == 0


def test_to_dict_composites_and_batchnorm():
    # batchnorm on 4 channels: gamma, beta trainable (2*4); running mean, var not (2*4)
    spec = {"input": [5, 5, 2], "layers": [{"type": "sequential", "name": "block", "layers": [
        {"type": "conv", "filters": 4, "kernel": 3, "bias": False},
        {"type": "batchnorm"}]}]}
    data = cnnshape.analyze(spec).to_dict()
    rows = {layer["name"]: layer for layer in data["layers"]}
    assert rows["conv_1"]["params"] == 3 * 3 * 2 * 4
    assert rows["batchnorm_1"]["params"] == 2 * 4
    assert rows["batchnorm_1"]["non_trainable_params"] == 2 * 4
    assert rows["block"]["depth"] == 1 and rows["conv_1"]["depth"] == 2
    assert rows["block"]["params"] == 3 * 3 * 2 * 4 + 2 * 4
    assert data["totals"]["params"] == 3 * 3 * 2 * 4 + 2 * 4
    assert data["totals"]["non_trainable_params"] == 2 * 4


def test_spec_error_is_a_value_error_with_problems():
    error = cnnshape.SpecError(["a: b", "c: d"])
    assert isinstance(error, ValueError)
    assert str(error) == "a: b\nc: d"
    assert error.problems == ["a: b", "c: d"]


def test_reference_run_records():
    ref = cnnshape.run(SPEC)
    assert [(name, shape) for _, name, shape in ref.records] == TINY
    assert ref.records[0][0] == "input"
