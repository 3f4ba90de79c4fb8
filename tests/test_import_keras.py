"""Keras model JSON to spec (cnnshape.frameworks.keras_import), checked against Keras.

Without Keras, against what Keras wrote and reported once (tests/data/keras/, made by
its generate.py): keras.applications VGG16, ResNet50, MobileNetV2 and DenseNet121
(``to_json()``, gzipped), a hand-written functional model with branches, a residual, a
long skip and a nested Sequential, a Sequential LeNet-5, 1-D, 3-D and 2-D models using
the other layer kinds, and some of them in the Keras 2 / tf.keras layout. For each,
``expected.json`` holds Keras's ``count_params()`` (trainable and not), every layer's
output shape, and the multiply-accumulates counted from Keras's own kernel and output
shapes. On top of that, the published counts: keras.io's table and torchvision's
(README), and the LeNet-5 and hand-written models' parameters by arithmetic.

With Keras (``KERAS_BACKEND=torch``; models built on torch's meta device, so shapes and
counts come without allocating weights): the same comparisons on live models, the
fixtures re-derived from Keras, refusals of models a spec cannot mirror, and the round
trip spec -> keras_export.to_keras -> to_json -> from_keras_json for every spec in specs/.
"""

from __future__ import annotations

import contextlib
import copy
import gzip
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cnnshape
from cnnshape.core.errors import SpecError
from cnnshape.frameworks.keras.importer import from_keras_json

DATA = Path(__file__).resolve().parent / "data" / "keras"
SPECS = Path(__file__).resolve().parent.parent / "specs"
EXPECTED: dict[str, Any] = json.loads((DATA / "expected.json").read_text())
FIXTURES = [name for name in EXPECTED if name != "keras_version"]


def fixture_text(name: str) -> str:
    plain = DATA / f"{name}.json"
    if plain.exists():
        return plain.read_text()
    return gzip.decompress((DATA / f"{name}.json.gz").read_bytes()).decode()


def analyze(spec: dict[str, Any]) -> Any:
    return cnnshape.analyze(spec)


def keras_classes(model: dict[str, Any]) -> dict[str, str]:
    """Layer name -> Keras class, nested models included, from either JSON layout."""
    found: dict[str, str] = {}
    stack = [model]
    while stack:
        config = stack.pop()["config"]
        entries = config["layers"] if isinstance(config, dict) else config
        for entry in entries:
            if entry["class_name"] in ("Sequential", "Functional", "Model"):
                stack.append(entry)
            else:
                found[entry["config"]["name"]] = entry["class_name"]
    return found


KEPT = ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
        "SeparableConv2D", "Dense", "BatchNormalization", "LayerNormalization")
"""Weight layers: each must come out as a spec row of its own name."""


def check_against_keras(spec: dict[str, Any], expected: dict[str, Any],
                        classes: dict[str, str]) -> None:
    """Totals as Keras counts them, and each surviving layer's shape as Keras computed it."""
    report = analyze(spec)
    totals = report.totals
    assert totals.params + totals.non_trainable_params == expected["params"]
    assert totals.params == expected["trainable"]
    assert totals.non_trainable_params == expected["non_trainable"]
    assert totals.macs == expected["macs"]
    rows = {row.name: row for row in report.rows}
    for name, shape in expected["shapes"].items():
        if name in rows:
            assert list(rows[name].output_shape) == shape, name
        else:
            assert classes[name] not in KEPT, f"{name} ({classes[name]}) has no row"


# ---------------------------------------------------------------- fixtures, no Keras

@pytest.mark.parametrize("name", FIXTURES)
def test_fixture_imports_as_keras_counts(name: str) -> None:
    text = fixture_text(name)
    check_against_keras(from_keras_json(text), EXPECTED[name], keras_classes(json.loads(text)))


KERAS_IO = {"vgg16": 138.4, "resnet50": 25.6, "mobilenet_v2": 3.5, "densenet121": 8.1}
"""keras.io/api/applications, "Parameters" (millions, rounded to 0.1 M)."""


@pytest.mark.parametrize("name", sorted(KERAS_IO))
def test_keras_io_parameter_counts(name: str) -> None:
    totals = analyze(from_keras_json(fixture_text(name))).totals
    assert round((totals.params + totals.non_trainable_params) / 1e6, 1) == KERAS_IO[name]


def bn_channels(name: str) -> int:
    """Channels over all BatchNormalization layers, from Keras's own shapes."""
    classes = keras_classes(json.loads(fixture_text(name)))
    return sum(shape[-1] for layer, shape in EXPECTED[name]["shapes"].items()
               if classes[layer] == "BatchNormalization")


@pytest.mark.parametrize("name, torchvision, conv_biases", [
    ("vgg16", 138_357_544, False),
    ("mobilenet_v2", 3_504_872, False),
    ("densenet121", 7_978_856, False),
    ("resnet50", 25_557_032, True),
])
def test_same_networks_as_torchvision(name: str, torchvision: int, conv_biases: bool) -> None:
    """Keras's trainable weights are torchvision's parameters (README's table); Keras's
    non-trainable ones the batchnorms' moving mean and variance, 2 per channel. Keras's
    ResNet50 adds a bias to each conv, each followed by a batchnorm of its width: 26,560
    channels, so 25,557,032 + 26,560 = 25,583,592 trainable and 53,120 non-trainable."""
    totals = analyze(from_keras_json(fixture_text(name))).totals
    channels = bn_channels(name)
    assert totals.params == torchvision + (channels if conv_biases else 0)
    assert totals.non_trainable_params == 2 * channels
    if name == "resnet50":
        assert channels == 26_560


@pytest.mark.parametrize("name, gmacs", [("vgg16", "15.47"), ("mobilenet_v2", "0.30"),
                                         ("densenet121", "2.83")])
def test_macs_match_torchvision_published(name: str, gmacs: str) -> None:
    """torchvision's model pages publish "GFLOPS" that are multiply-accumulates (VGG16
    15.47, MobileNet_V2 0.30, DenseNet121 2.83): the same networks, the same digits."""
    macs = analyze(from_keras_json(fixture_text(name))).totals.macs
    assert f"{macs / 1e9:.{len(gmacs.split('.')[1])}f}" == gmacs


def test_lenet_by_arithmetic() -> None:
    """LeNet-5: (5*5*1+1)*6 + (5*5*6+1)*16 + 400*120+120 + 120*84+84 + 84*10+10
    = 156 + 2,416 + 48,120 + 10,164 + 850 = 61,706 parameters;
    28*28*6*25 + 10*10*16*150 + 400*120 + 120*84 + 84*10
    = 117,600 + 240,000 + 48,000 + 10,080 + 840 = 416,520 MACs."""
    for name in ("lenet", "lenet_keras2"):
        spec = from_keras_json(fixture_text(name))
        report = analyze(spec)
        assert report.totals.params == 61_706 and report.totals.macs == 416_520
        assert [(r.name, r.type) for r in report.rows] == [
            ("input", "input"), ("C1", "conv"), ("S2", "pool"), ("C3", "conv"), ("S4", "pool"),
            ("flatten", "flatten"), ("C5", "dense"), ("F6", "dense"), ("OUTPUT", "dense")]
        assert find(spec, "C1")["activation"] == "tanh"
        assert find(spec, "OUTPUT")["activation"] == "softmax"


def spec_layers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every layer of a spec, composites' children included."""
    stack = list(spec["layers"])
    while stack:
        layer = stack.pop()
        yield layer
        for key in ("layers", "body", "shortcut"):
            stack.extend(layer.get(key, []))
        for branch in layer.get("branches", []):
            stack.extend(branch)


def find(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(layer for layer in spec_layers(spec) if layer["name"] == name)


def names(spec: dict[str, Any]) -> set[str]:
    return {layer["name"] for layer in spec_layers(spec)}


@pytest.mark.parametrize("name", ["branches", "branches_keras2"])
def test_branches_model(name: str) -> None:
    """The hand-written functional model: parameters by arithmetic, and how each
    construct became spec layers.

    stem 3*3*3*16+16 = 448; b1, b2_reduce, b3 16*8+8 = 136 each; b2 3*3*8*8+8 = 584;
    res_a 3*3*24*24 = 5,184 (no bias); res_bn 2*24 = 48 (+ 48 statistics);
    res_b 5,184+24 = 5,208; down_dw 3*3*48+48 = 480 (depth multiplier 2 on 24 channels);
    se_reduce 48*12+12 = 588; se_expand 12*48+48 = 624; up 3*3*48*16+16 = 6,928;
    sep 3*3*32 = 288 (depthwise) + 32*32+32 = 1,056 (pointwise); tail 2*2*32*32+32 = 4,128;
    head_conv 3*3*32*10+10 = 2,890; head_dense 8*8*10*10+10 = 6,410: 35,272 trainable.
    """
    spec = from_keras_json(fixture_text(name))
    totals = analyze(spec).totals
    assert (totals.params, totals.non_trainable_params) == (35_272, 48)
    assert "to_unit" not in names(spec)  # Rescaling: no shape, weight or MAC
    cat = find(spec, "cat")
    assert cat["type"] == "concat" and len(cat["branches"]) == 3
    # the Add and the Activation after it: a residual with its activation
    residual = next(layer for layer in spec_layers(spec) if layer["type"] == "residual")
    assert residual["activation"] == "relu" and residual["shortcut"] == []
    assert "res_out" not in names(spec) and find(spec, "res_relu")["type"] == "activation"
    # ZeroPadding ((0, 1), (0, 1)) + a "valid" stride-2 conv is that conv with "same"
    assert "down_pad" not in names(spec)
    assert {k: find(spec, "down_dw")[k] for k in ("filters", "groups", "padding", "stride")} == \
        {"filters": 48, "groups": 24, "padding": "same", "stride": 2}
    # GlobalAveragePooling2D + Reshape to [1, 1, 48]: one global_pool (keepdims)
    assert find(spec, "se_reshape")["type"] == "global_pool" and "se_pool" not in names(spec)
    assert find(spec, "se_excite")["inputs"] == ["down_dw", "se_expand"]
    # Conv2DTranspose (valid, 16 -> 33) + Cropping ((1, 0), (1, 0)): padding 1, output_padding 1
    up = find(spec, "up_cut")
    assert (up["type"], up["padding"], up["output_padding"]) == ("conv_transpose", 1, 1)
    assert {"up", "tail_crop", "smooth_pad"}.isdisjoint(names(spec))
    # a centred crop of one input to the other's size: the merge's own crop
    assert find(spec, "tail_add") == {"type": "merge", "name": "tail_add", "mode": "add",
                                      "crop": True, "inputs": ["tail", "sep"]}
    # zeros then a "valid" average pooling: the pooling's padding (padding counted)
    assert find(spec, "smooth")["padding"] == 1
    assert find(spec, "sep_depthwise")["groups"] == 32
    assert find(spec, "head_leaky") == {"type": "activation", "name": "head_leaky",
                                        "function": "leaky_relu"}


def test_nested_models() -> None:
    """A functional model used as a layer is expanded in place; its conv, named "conv"
    like the outer one, becomes "block_conv"; its Add + ReLU a residual; the Sequential
    head's global max pooling (no keepdims) global_pool + flatten.
    conv 3*3*3*8+8 = 224, block_conv 3*3*8*8 = 576, bn 16 (+ 16), fc 8*2+2 = 18."""
    spec = from_keras_json(fixture_text("nested"))
    assert [(layer["type"], layer["name"]) for layer in spec["layers"]] == [
        ("conv", "conv"), ("residual", "add"), ("global_pool", "gmp_pool"),
        ("flatten", "gmp"), ("dense", "fc")]
    assert [layer["name"] for layer in spec["layers"][1]["body"]] == ["block_conv", "bn"]
    assert spec["layers"][1]["activation"] == "relu"
    totals = analyze(spec).totals
    assert (totals.params, totals.non_trainable_params) == (224 + 576 + 16 + 18, 16)


@pytest.mark.parametrize("name", ["branches", "lenet", "mobilenet_v2"])
def test_keras2_layout_reads_as_keras3(name: str) -> None:
    def table(text: str) -> list[Any]:
        report = analyze(from_keras_json(text))
        return [(r.name, r.type, r.output_shape, r.params, r.macs) for r in report.rows]

    assert table(fixture_text(f"{name}_keras2")) == table(fixture_text(name))


def test_sources_and_names(tmp_path: Path) -> None:
    text = fixture_text("lenet")
    path = tmp_path / "lenet.json"
    path.write_text(text)
    from_text = from_keras_json(text)
    for source in (str(path), path, json.loads(text)):
        spec = from_keras_json(source)  # type: ignore[arg-type]
        assert spec["layers"] == from_text["layers"] and spec["input"] == [32, 32, 1]
    assert from_text["name"] == "lenet5"
    assert from_keras_json(text, name="LeNet")["name"] == "LeNet"
    assert str(path) in from_keras_json(path)["description"]
    assert "Keras 2.13.1" in from_keras_json(fixture_text("lenet_keras2"))["description"]


def test_spec_loads_and_verifies() -> None:
    """The imported spec is an ordinary spec: the reference forward pass agrees."""
    assert cnnshape.verify(from_keras_json(fixture_text("lenet"))).ok


# ---------------------------------------------------------------- refusals, no Keras

def chain(*layers: tuple[str, dict[str, Any]], shape: tuple[int, ...] = (8, 8, 4),
          extra: dict[str, Any] | None = None) -> str:
    """A functional model in the Keras 2 layout: input "x", then each (class, config)
    reading the layer before it; the last is the output."""
    entries: list[dict[str, Any]] = [{
        "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
        "config": {"name": "x", "batch_input_shape": [None, *shape]}}]
    previous = "x"
    for i, (cls, config) in enumerate(layers):
        name = config.get("name", f"layer{i}")
        entries.append({"class_name": cls, "name": name, "config": {**config, "name": name},
                        "inbound_nodes": [[[previous, 0, 0, {}]]]})
        previous = name
    model = {"class_name": "Functional", "config": {
        "name": "m", "layers": entries, "input_layers": [["x", 0, 0]],
        "output_layers": [[previous, 0, 0]]}}
    return json.dumps({**model, **(extra or {})})


CONV = ("Conv2D", {"name": "conv", "filters": 4, "kernel_size": [3, 3], "padding": "same"})


def refusal(source: Any) -> str:
    with pytest.raises(SpecError) as info:
        from_keras_json(source)
    message = str(info.value)
    assert "\n" not in message and "Traceback" not in message
    return message


@pytest.mark.parametrize("layer, expected", [
    (("GRU", {"name": "rnn", "units": 4}),
     "<keras json>: layer rnn (GRU): unsupported Keras layer"),
    (("Subtract", {"name": "sub"}), "layer sub (Subtract): unsupported Keras layer"),
    (("Lambda", {"name": "fn", "function": "x"}), "layer fn (Lambda): unsupported Keras layer"),
    (("Conv2D", {"name": "c", "filters": 4, "kernel_size": [3, 3],
                 "data_format": "channels_first"}),
     'layer c (Conv2D): data_format "channels_first": only channels_last'),
    (("Conv1D", {"name": "c", "filters": 4, "kernel_size": [3], "padding": "causal"}),
     'layer c (Conv1D): padding "causal"'),
    (("ReLU", {"name": "r", "max_value": 4.0}), "layer r (ReLU): max_value 4.0"),
    (("LeakyReLU", {"name": "r", "alpha": 0.3}),
     "layer r (LeakyReLU): negative slope 0.3: cnnshape's leaky_relu has slope 0.01"),
    (("Activation", {"name": "a", "activation": "selu"}),
     'layer a (Activation): activation "selu" has no cnnshape equivalent'),
    (("Activation", {"name": "a", "activation": "hard_sigmoid"}),
     "layer a (Activation): Keras 2's hard_sigmoid (0.2x + 0.5, clipped)"),
    (("BatchNormalization", {"name": "bn", "axis": 1}), "layer bn (BatchNormalization): axis 1"),
    (("Normalization", {"name": "norm", "axis": 1, "mean": None, "variance": None}),
     "layer norm (Normalization): axis 1: cnnshape keeps statistics per channel"),
    (("Reshape", {"name": "r", "target_shape": [4, 16, 4]}),
     "layer r (Reshape): reshape of [8, 8, 4] to [4, 16, 4]"),
    (("UpSampling2D", {"name": "u", "size": [2, 2], "interpolation": "bilinear"}),
     'layer u (UpSampling2D): interpolation "bilinear"'),
    (("Cropping2D", {"name": "cut", "cropping": [[0, 1], [0, 1]]}),
     "layer cut (Cropping2D): asymmetric cropping [[0, 1], [0, 1]] has no spec equivalent"),
    (("Conv2D", {"name": "c", "filters": 0, "kernel_size": [3, 3]}),
     "layer c (Conv2D): conv filters: Input should be greater than or equal to 1"),
    (("Conv2D", {"name": "c", "filters": 4, "kernel_size": [9, 9]}),
     "layer c (Conv2D): height: kernel 9 is larger than the padded input 8"),
    (("Dense", {"name": "d"}), "layer d (Dense): malformed layer config (KeyError: 'units')"),
])
def test_refused_layer(layer: tuple[str, dict[str, Any]], expected: str) -> None:
    message = refusal(chain(CONV, layer, ("Flatten", {"name": "flat"})))
    assert message.startswith("<keras json>: ") and expected in message


def test_asymmetric_padding_not_before_a_conv() -> None:
    pad = ("ZeroPadding2D", {"name": "pad", "padding": [[0, 1], [0, 1]]})
    pool = ("MaxPooling2D", {"name": "pool", "pool_size": [3, 3], "strides": [2, 2]})
    assert "layer pad (ZeroPadding2D): asymmetric padding [[0, 1], [0, 1]] has no spec " \
        "equivalent" in refusal(chain(pad, pool))
    # before a conv whose "same" would pad (1, 1): not the same zeros either
    conv = ("Conv2D", {"name": "c", "filters": 4, "kernel_size": [3, 3]})
    assert "and c (Conv2D) reads it" in refusal(chain(pad, conv))
    # read by two layers: folding it into one would lose it for the other
    model = json.loads(chain(pad, ("Conv2D", {"name": "c", "filters": 4, "kernel_size": [3, 3],
                                              "strides": [2, 2]})))
    add = {"class_name": "Add", "name": "both", "config": {"name": "both"},
           "inbound_nodes": [[["c", 0, 0, {}], ["c2", 0, 0, {}]]]}
    second = copy.deepcopy(model["config"]["layers"][-1])
    second["name"] = second["config"]["name"] = "c2"
    model["config"]["layers"] += [second, add]
    model["config"]["output_layers"] = [["both", 0, 0]]
    assert "layer pad (ZeroPadding2D): asymmetric padding" in refusal(json.dumps(model))


def test_symmetric_padding_folds_into_conv_but_not_max_pooling() -> None:
    spec = from_keras_json(chain(("ZeroPadding2D", {"name": "pad", "padding": [[1, 1], [2, 2]]}),
                                 ("Conv2D", {"name": "c", "filters": 4, "kernel_size": [3, 5]})))
    assert spec["layers"] == [{"type": "conv", "name": "c", "filters": 4, "kernel": [3, 5],
                               "padding": [1, 2]}]
    spec = from_keras_json(chain(("ZeroPadding2D", {"name": "pad", "padding": 1}),
                                 ("MaxPooling2D", {"name": "p", "pool_size": [3, 3]})))
    assert [layer["type"] for layer in spec["layers"]] == ["pad", "pool"]  # zeros are not -inf


def test_exporter_spellings() -> None:
    """How cnnshape's Keras exporter writes what Keras has no argument for, read back
    as the one spec layer it came from (8x8x4 input)."""
    def layers(*chained: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
        return from_keras_json(chain(*chained))["layers"]  # type: ignore[no-any-return]

    pool = ("MaxPooling2D", {"name": "p", "pool_size": [3, 3], "strides": [2, 2]})
    # -inf then a valid max pooling: PyTorch's padded max pooling, (8+2-3)//2+1 = 4
    assert layers(("MinusInfPadding", {"name": "p_pad", "padding": [[1, 1], [1, 1]]}), pool) == \
        [{"type": "pool", "name": "p", "mode": "max", "kernel": 3, "stride": 2, "padding": 1}]
    # extra -inf at the end only: ceil mode, ceil((7-2)/2)+1 = 4 = (7+1-2)//2+1
    ceil = layers(("MaxPooling2D", {"name": "q", "pool_size": [2, 2], "strides": [1, 1]}),
                  ("MinusInfPadding", {"name": "p_pad", "padding": [[0, 1], [0, 1]]}),
                  ("MaxPooling2D", {"name": "p", "pool_size": [2, 2]}))
    assert ceil[1] == {"type": "pool", "name": "p", "mode": "max", "kernel": 2, "padding": 0,
                       "ceil_mode": True}
    assert "layer p_pad (MinusInfPadding): padding [[1, 1], [1, 1]] with -inf means something " \
        "only to a max pooling right after it, but conv (Conv2D) reads it" in \
        refusal(chain(("MinusInfPadding", {"name": "p_pad", "padding": [[1, 1], [1, 1]]}), CONV))
    # leaky_relu (slope 0.01) has no activation argument: a layer named <layer>_leaky_relu
    conv = ("Conv2D", {"name": "c", "filters": 4, "kernel_size": [3, 3]})
    leaky = {"negative_slope": 0.01}
    assert layers(conv, ("LeakyReLU", {"name": "c_leaky_relu", **leaky})) == \
        [{"type": "conv", "name": "c", "filters": 4, "kernel": 3, "activation": "leaky_relu"}]
    assert len(layers(conv, ("LeakyReLU", {"name": "own", **leaky}))) == 2  # the source's row
    # a transposed conv cropped by its own <name>_crop keeps its name
    up = ("Conv2DTranspose", {"name": "up", "filters": 2, "kernel_size": [3, 3],
                              "strides": [2, 2]})
    assert layers(up, ("Cropping2D", {"name": "up_crop", "cropping": [[1, 0], [1, 0]]})) == \
        [{"type": "conv_transpose", "name": "up", "filters": 2, "kernel": 3, "stride": 2,
          "padding": 1, "output_padding": 1}]
    # a per-channel multiplier: EinsumDense over the last axis, either spelling
    for equation, out in (("...c,c->...c", 4), ("nhwc,c->nhwc", [8, 8, 4])):
        scale = ("EinsumDense", {"name": "s", "equation": equation, "output_shape": out})
        assert layers(scale) == [{"type": "scale", "name": "s"}]
    assert 'not "...c,cd->...d"' in refusal(chain(
        ("EinsumDense", {"name": "s", "equation": "...c,cd->...d", "output_shape": 4})))


def test_shared_layers() -> None:
    """A layer called twice: without weights each call is a row; with weights the spec
    would count them twice, so it is refused."""
    def twice(cls: str, config: dict[str, Any]) -> str:
        model = json.loads(chain((cls, config)))
        model["config"]["layers"][1]["inbound_nodes"].append([[config["name"], 0, 0, {}]])
        model["config"]["output_layers"] = [[config["name"], 1, 0]]
        return json.dumps(model)

    spec = from_keras_json(twice("ReLU", {"name": "relu"}))
    assert [layer["name"] for layer in spec["layers"]] == ["relu", "relu_1"]
    assert "layer conv (Conv2D): called 2 times with shared weights" in \
        refusal(twice(*CONV))


def test_model_level_refusals(tmp_path: Path) -> None:
    assert refusal('{"class_name": "Sequential", "config": {').startswith(
        "<keras json>: invalid JSON at line 1 column")
    assert "not a Keras model: class_name \"Dense\"" in \
        refusal('{"class_name": "Dense", "config": {}}')
    assert "not a Keras model's JSON" in refusal("[1, 2]")
    assert refusal(str(tmp_path / "missing.json")) == f"{tmp_path / 'missing.json'}: no such file"
    model = json.loads(chain(CONV))
    model["config"]["input_layers"] = [["x", 0, 0], ["y", 0, 0]]
    assert "the model has 2 inputs; a spec has exactly one" in refusal(json.dumps(model))
    model = json.loads(chain(CONV, ("Flatten", {"name": "flat"}),
                             ("Dense", {"name": "head", "units": 3})))
    model["config"]["output_layers"] = [["flat", 0, 0], ["head", 0, 0]]
    assert ("layer head (Dense) reads the first output flat: a spec's output is its last "
            "layer") in refusal(json.dumps(model))
    assert "layer x (InputLayer): input shape [null, null, null, 3]" in \
        refusal(chain(CONV, shape=(None, None, 3)))  # type: ignore[arg-type]
    assert "the model computes nothing" in refusal(chain(("Activation", {"activation": "linear"})))
    model = json.loads(chain(CONV))
    model["config"]["layers"][1]["inbound_nodes"] = [[["nowhere", 0, 0, {}]]]
    assert "layer conv (Conv2D): reads [\"nowhere\", 0, 0], an unknown tensor" in \
        refusal(json.dumps(model))
    path = tmp_path / "bad.json"
    path.write_text(chain(CONV, ("GRU", {"name": "rnn"})))
    assert refusal(path) == f"{path}: layer rnn (GRU): unsupported Keras layer (cnnshape has " \
        "no exact equivalent)"


def test_other_outputs_are_kept_and_counted() -> None:
    """Two heads on one trunk: the spec's output is the first; the second head's layer
    stays, read by nothing, and its weights count."""
    model = json.loads(chain(CONV, ("Flatten", {"name": "flat"}),
                             ("Dense", {"name": "scores", "units": 10})))
    entries = model["config"]["layers"]
    entries.append({"class_name": "Dense", "name": "box", "config": {"name": "box", "units": 4},
                    "inbound_nodes": [[["flat", 0, 0, {}]]]})
    model["config"]["output_layers"] = [["scores", 0, 0], ["box", 0, 0]]
    spec = from_keras_json(model)
    report = cnnshape.analyze(spec)
    # conv 3*3*4*4+4; flatten 8*8*4 = 256; dense 256*10+10 and 256*4+4
    assert report.totals.params == (3 * 3 * 4 * 4 + 4) + (256 * 10 + 10) + (256 * 4 + 4)
    assert report.output_shape == [10] and spec["layers"][-1]["name"] == "scores"
    assert "other outputs (box)" in spec["description"]


def test_keras3_constants_and_activation_names() -> None:
    """Keras 3 ops with a constant (``x + 3.0``) have no spec layer; Keras 3's
    hard_sigmoid is relu6(x + 3) / 6 (cnnshape's hardsigmoid); its leaky_relu string has
    slope 0.2, not cnnshape's 0.01."""
    model = json.loads(fixture_text("lenet"))
    model["config"]["layers"][1]["config"]["activation"] = "hard_sigmoid"
    assert find(from_keras_json(model), "C1")["activation"] == "hardsigmoid"
    model["config"]["layers"][1]["config"]["activation"] = "leaky_relu"
    assert "layer C1 (Conv2D): Keras's leaky_relu activation has slope 0.2" in refusal(model)
    functional = json.loads(fixture_text("branches"))
    entry = next(e for e in functional["config"]["layers"] if e["name"] == "res_add")
    entry.update(module="keras.src.ops.numpy", class_name="Add")
    entry["inbound_nodes"][0]["args"] = [entry["inbound_nodes"][0]["args"][0][0], 3.0]
    assert "layer res_add (Add): with a constant (3.0)" in refusal(functional)


# ---------------------------------------------------------------- with Keras

@pytest.fixture(scope="module")
def keras() -> Any:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras", reason="Keras 3 compares the importer with live models")


@contextlib.contextmanager
def meta(keras: Any) -> Iterator[None]:
    """Build on torch's meta device: shapes and counts without the weights' memory."""
    if keras.backend.backend() == "torch":
        with keras.device("meta"):
            yield
    else:
        yield


@pytest.fixture(scope="module")
def generate(keras: Any) -> Any:
    """tests/data/keras/generate.py: the fixtures' models and Keras-side counting."""
    spec = importlib.util.spec_from_file_location("keras_fixtures", DATA / "generate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


APPLICATIONS = ["VGG16", "VGG19", "ResNet50", "ResNet101", "ResNet152V2", "MobileNetV2",
                "DenseNet121", "DenseNet169", "MobileNet", "Xception", "ResNet50V2",
                "ConvNeXtTiny",
                "InceptionV3",  # BatchNormalization(scale=False): batchnorm's scale field
                "EfficientNetB0", "EfficientNetB3",  # Normalization: 2C + 1 statistics
                "EfficientNetV2B0", "EfficientNetV2S",
                "MobileNetV3Small", "MobileNetV3Large"]  # relu6(x + 3) * (1/6) written out
SIZED = {"MobileNetV3Small": (224, 224, 3), "MobileNetV3Large": (224, 224, 3)}
"""Applications that need an input size to be built with include_top."""


@pytest.mark.parametrize("application", APPLICATIONS)
def test_live_application(keras: Any, generate: Any, application: str) -> None:
    """Keras's own counts (count_params, trainable weights, output shapes of every layer,
    MACs from the kernels) against the imported spec's."""
    extra = {"input_shape": SIZED[application]} if application in SIZED else {}
    with meta(keras):
        model = getattr(keras.applications, application)(weights=None, **extra)
    data = json.loads(model.to_json())
    check_against_keras(from_keras_json(data), generate.expected(model), keras_classes(data))


def test_live_transfer_learning(keras: Any, generate: Any) -> None:
    """The usual fine-tuning model: an application without its top, inside a functional
    model with preprocessing and a new head."""
    layers = keras.layers
    with meta(keras):
        base = keras.applications.MobileNetV2(weights=None, include_top=False,
                                              input_shape=(160, 160, 3))
        photo = keras.Input((160, 160, 3), name="photo")
        x = base(layers.Rescaling(1 / 127.5, offset=-1, name="prep")(photo))
        x = layers.Dropout(0.2, name="drop")(layers.GlobalAveragePooling2D(name="gap")(x))
        model = keras.Model(photo, layers.Dense(5, name="classes")(x))
    data = json.loads(model.to_json())
    check_against_keras(from_keras_json(data), generate.expected(model), keras_classes(data))


@pytest.mark.parametrize("application, message", [
    ("InceptionResNetV2", "(CustomScaleLayer): unsupported Keras layer"),
])
def test_live_refusals(keras: Any, application: str, message: str) -> None:
    with meta(keras):
        model = getattr(keras.applications, application)(weights=None,
                                                         input_shape=(224, 224, 3))
    assert message in refusal(model.to_json())


@pytest.mark.parametrize("name", [n for n in FIXTURES if not n.endswith("_keras2")])
def test_fixtures_are_what_keras_says(keras: Any, generate: Any, name: str) -> None:
    """The committed fixtures still describe Keras's models (and the Keras 2 copies read
    back, through Keras's own legacy reader, as the same models)."""
    build = getattr(keras.applications, {"vgg16": "VGG16", "resnet50": "ResNet50",
                                         "mobilenet_v2": "MobileNetV2",
                                         "densenet121": "DenseNet121"}.get(name, ""), None)
    keras.backend.clear_session()  # Keras's automatic names, as generate.py had them
    with meta(keras):
        model = build(weights=None) if build else getattr(generate, name)()
    assert generate.expected(model) == EXPECTED[name]
    check_against_keras(from_keras_json(model.to_json()), EXPECTED[name],
                        keras_classes(json.loads(model.to_json())))
    if f"{name}_keras2" in EXPECTED:
        generate.same_model(model, fixture_text(f"{name}_keras2"))


def spec_files() -> list[str]:
    return sorted(p.name for p in SPECS.glob("*.json"))


@pytest.mark.parametrize("spec_name", spec_files())
def test_round_trip_through_keras(keras: Any, spec_name: str) -> None:
    """spec -> to_keras -> to_json -> from_keras_json: the same table."""
    exporter = pytest.importorskip("cnnshape.frameworks.keras.exporter",
                                   reason="the Keras exporter (keras_export.to_keras) is "
                                          "not there yet")
    with meta(keras):
        model = exporter.to_keras(SPECS / spec_name)
    before = analyze(json.loads((SPECS / spec_name).read_text()))
    after = analyze(from_keras_json(model.to_json()))

    def table(report: Any) -> list[Any]:
        return [(r.name, r.type, r.output_shape, r.params, r.macs)
                for r in report.rows if not r.composite]

    assert table(after) == table(before)
    for field in ("params", "non_trainable_params", "macs"):
        assert getattr(after.totals, field) == getattr(before.totals, field)


def test_macs_counted_from_keras_kernels(generate: Any) -> None:
    """The Keras-side MAC count itself, on layers whose arithmetic is short: a 5x5 conv
    3 -> 6 on 32x32 (valid: 28x28 out), 28*28*6*5*5*3 = 352,800; a 3x3 depthwise with
    multiplier 2 on 8 channels at 10x10 ('same'), 10*10*16*3*3 = 14,400; a transposed
    3x3 stride-2 conv 4 -> 2 on 5x5, every input element meets the kernel:
    5*5*4*3*3*2 = 1,800; Dense 7 -> 3 on a 4x4 map, 4*4*3*7 = 336."""
    keras = generate.keras
    layers = keras.layers
    cases = [(layers.Conv2D(6, 5), (32, 32, 3), 352_800),
             (layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (10, 10, 8), 14_400),
             (layers.Conv2DTranspose(2, 3, strides=2), (5, 5, 4), 1_800),
             (layers.Dense(3), (4, 4, 7), 336)]
    for layer, shape, macs in cases:
        keras.Sequential([keras.Input(shape), layer])
        assert generate.macs(layer) == macs
