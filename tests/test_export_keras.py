"""The Keras 3 exporter against Keras itself and against cnnshape's reference pass.

Skipped without keras (the torch backend is used; there is no TensorFlow here). For
every spec in specs/ the exported model is built and every spec layer's Keras layer is
checked: output shape, parameters (trainable and not) and MACs, the MACs computed here
from each Keras layer's own config and its input/output shapes. Small networks that
cover every layer kind then run with the weights the pure-Python reference pass drew,
and every layer's values must match it.

Helper layers the exporter adds (``<name>_pad`` before a layer, ``<name>_crop`` or
``<name>_leaky_relu`` after it) belong to the spec layer they are named after: a spec
layer's output is its Keras layer's output, or that of the Cropping/activation layer
finishing it.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip("keras", reason="the Keras exporter's tests need keras 3")
np = pytest.importorskip("numpy", reason="keras needs numpy")
if int(keras.__version__.split(".")[0]) < 3:
    pytest.skip("the exporter writes Keras 3 code", allow_module_level=True)

from recording import Recording  # noqa: E402

import cnnshape  # noqa: E402
from cnnshape.frameworks.keras.exporter import (  # noqa: E402
    UNSUPPORTED,
    keras_source,
    to_keras,
)

layers = keras.layers
pytestmark = [pytest.mark.keras, pytest.mark.filterwarnings(  # Keras's torch backend, numpy 2
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")]
ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted((ROOT / "specs").glob("*.json"))
FORWARD_MACS = 2_000_000_000
"""Specs up to this many MACs also run a real forward pass at batch 1. The others are
built on torch's "meta" device (weights without memory or initialisation): shapes,
counts and JSON are the same, in a fraction of the time."""

TRANSPOSED = (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)
CONVS = (layers.Conv1D, layers.Conv2D, layers.Conv3D)
FINISHERS = (layers.Cropping1D, layers.Cropping2D, layers.Cropping3D, layers.LeakyReLU,
             layers.Activation)


# ---------------------------------------------------------------- helpers

def leaf_rows(report: Any) -> list[Any]:
    return [row for row in report.rows if not row.composite and row.type != "input"]


def spec_output(model: Any, name: str) -> Any:
    """The Keras tensor holding spec layer ``name``'s output (see the module docstring)."""
    out = model.get_layer(name).output
    prefix = name.replace(".", "_") + "_"
    for layer in model.layers:  # topological order: a finisher follows its layer
        if isinstance(layer, FINISHERS) and layer.name.startswith(prefix) and layer.input is out:
            out = layer.output
    return out


def run_probe(model: Any, names: list[str], x: Any) -> list[Any]:
    """A real forward pass returning every named spec layer's output."""
    outputs = keras.Model(model.input, [spec_output(model, n) for n in names])(x)
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def keras_macs(layer: Any) -> int:
    """Multiply-accumulates of one Keras layer per sample, from its config and shapes:
    a conv computes prod(kernel) * C_in/groups products per output value, a transposed
    conv scatters prod(kernel) * filters products per input value, Dense in * units
    per position. Other layers count 0 (cnnshape's convention, torchvision's too)."""
    if not isinstance(layer, (*TRANSPOSED, *CONVS, layers.Dense)):
        return 0
    config = layer.get_config()
    inputs, outputs = layer.input.shape[1:], layer.output.shape[1:]
    if isinstance(layer, TRANSPOSED):
        return math.prod(inputs) * math.prod(config["kernel_size"]) * config["filters"]
    if isinstance(layer, CONVS):
        per_output = math.prod(config["kernel_size"]) * inputs[-1] // config["groups"]
        return math.prod(outputs) * per_output
    return math.prod(inputs) * config["units"]  # Dense, on the last axis


def trainable_count(layer: Any) -> int:
    return sum(math.prod(w.shape) for w in layer.trainable_weights)


def reference(spec: dict[str, Any], x: Any) -> Recording:
    """Run cnnshape's reference pass on one sample (channels-last numpy array)."""
    network = cnnshape.load(spec)
    ref = Recording(network.names)
    value = x.astype(np.float64).tolist()
    ref.outputs["input"] = value
    ref.final = ref.sequence(network.layers, value, "layers")
    return ref


def load_weights(model: Any, spec: dict[str, Any], draws: dict[str, list[list[float]]]) -> None:
    """Put the reference pass's draws into the Keras layers of the same names.

    Drawing order (cnnshape's layers/*.py): conv draws one list per filter laid out
    [taps..., C_in/groups], then the biases; conv_transpose draws [tap][filter] lists of
    C_in values (groups = 1); dense one list per unit; batchnorm gamma, beta, mean and v
    (variance |v| + 1); layernorm gamma, beta; scale gamma.
    """
    kinds = {row.name: row.type for row in leaf_rows(cnnshape.analyze(spec))}
    for name, drawn in draws.items():
        layer, kind = model.get_layer(name), kinds[name]
        arrays = [np.asarray(d, dtype=np.float32) for d in drawn]
        if kind == "conv":
            kernel = layer.get_config()["kernel_size"]
            filters = layer.get_config()["filters"]
            w = np.stack(arrays[:filters]).reshape(filters, *kernel, -1)
            values = [np.moveaxis(w, 0, -1), *arrays[filters:]]
        elif kind == "conv_transpose":
            kernel = layer.get_config()["kernel_size"]
            filters = layer.get_config()["filters"]
            taps = math.prod(kernel) * filters
            w = np.stack(arrays[:taps]).reshape(*kernel, filters, -1)  # Keras: [k..., out, in]
            values = [w, *arrays[taps:]]
        elif kind == "dense":
            units = layer.get_config()["units"]
            values = [np.stack(arrays[:units]).T, *arrays[units:]]
        elif kind == "batchnorm":
            *affine, mean, v = arrays  # gamma and beta where scale and center are kept
            values = [*affine, mean, np.abs(v) + 1.0]
        elif kind == "normalization":  # mean, variance |v| + 1, and adapt()'s count
            mean, v = arrays
            values = [mean, np.abs(v) + 1.0, np.asarray(0)]
        else:
            values = arrays  # layernorm [gamma, beta], scale [gamma]
        assert [tuple(v.shape) for v in values] == [tuple(w.shape) for w in layer.weights], name
        layer.set_weights(values)
        if kind == "normalization":
            layer.finalize_state()  # Keras reads its statistics into its constants here


def compare_values(spec: dict[str, Any], x: Any = None, seed: int = 0) -> int:
    """Every spec layer's Keras values against the reference pass; returns layers checked."""
    report = cnnshape.analyze(spec)
    model = to_keras(spec)
    if x is None:
        x = np.random.default_rng(seed).uniform(-1, 1, report.input_shape).astype(np.float32)
    ref = reference(spec, x)
    assert set(ref.draws) == {layer.name for layer in model.layers if layer.weights}, \
        "every Keras layer with weights gets the reference pass's, and only those"
    load_weights(model, spec, ref.draws)
    names = [row.name for row in leaf_rows(report)]
    for name, got in zip(names, run_probe(model, names, x[None]), strict=False):
        want = np.asarray(ref.outputs[name], dtype=np.float64)
        got = keras.ops.convert_to_numpy(got)[0]
        assert got.shape == want.shape, name
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4, err_msg=name)
    outputs = model(x[None])
    final = keras.ops.convert_to_numpy(outputs[0] if len(model.outputs) > 1 else outputs)[0]
    np.testing.assert_allclose(final, np.asarray(ref.final), rtol=1e-4, atol=1e-4)
    return len(names)


# ---------------------------------------------------------------- every spec in specs/

TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module", autouse=True)
def report_timings() -> Iterator[None]:
    yield
    if TIMINGS:
        print("\nKeras export timings (s): " + ", ".join(
            f"{name} {seconds:.1f}" for name, seconds in TIMINGS.items()))


def check_structure(report: Any, model: Any) -> None:
    """Every spec layer's Keras layer: output shape, parameters (trainable and not), MACs;
    then the totals, and that the model has every layer once."""
    rows = leaf_rows(report)
    for row in rows:
        layer = model.get_layer(row.name)
        assert list(spec_output(model, row.name).shape[1:]) == row.output_shape, row.name
        assert layer.count_params() == row.params + row.non_trainable_params, row.name
        assert trainable_count(layer) == row.params, row.name
        assert keras_macs(layer) == row.macs, row.name
    assert list(model.outputs[0].shape[1:]) == report.output_shape
    assert model.count_params() == report.totals.params + report.totals.non_trainable_params
    assert sum(trainable_count(layer) for layer in model.layers) == report.totals.params
    assert sum(keras_macs(layer) for layer in model.layers) == report.totals.macs
    assert len({layer.name for layer in model.layers}) == len(model.layers)


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_spec_exports(path: Path) -> None:
    """Shapes, parameters, MACs and JSON of every layer; a forward pass where affordable."""
    started = time.perf_counter()
    report = cnnshape.analyze(path)
    forward = report.totals.macs <= FORWARD_MACS
    meta = not forward and keras.backend.backend() == "torch"
    with keras.device("meta" if meta else "cpu"):
        model = to_keras(path)
    check_structure(report, model)
    rows = leaf_rows(report)
    exported = json.loads(model.to_json())
    names = {layer["config"]["name"] for layer in exported["config"]["layers"]}
    assert {row.name for row in rows} <= names

    if forward:
        x = np.random.default_rng(0).uniform(-1, 1, (1, *report.input_shape)).astype("float32")
        outputs = run_probe(model, [row.name for row in rows], x)
        for row, out in zip(rows, outputs, strict=False):
            assert list(out.shape) == [1, *row.output_shape], row.name
        assert np.isfinite(keras.ops.convert_to_numpy(outputs[-1])).all()
    TIMINGS[path.stem] = time.perf_counter() - started


# ---------------------------------------------------------------- values, kind by kind

def conv(name: str, filters: int, kernel: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "conv", "name": name, "filters": filters, "kernel": kernel, **fields}


def transpose(name: str, filters: int, kernel: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "conv_transpose", "name": name, "filters": filters, "kernel": kernel,
            "from": "input", **fields}


def pool(name: str, mode: str, kernel: Any, **fields: Any) -> dict[str, Any]:
    return {"type": "pool", "name": name, "mode": mode, "kernel": kernel, "from": "input",
            **fields}


CONV_2D = {"input": [9, 10, 4], "layers": [
    conv("same_even", 6, 4, stride=2, padding="same"),        # TensorFlow's (1, 2) pads
    conv("same_k2", 6, 2, padding="same", activation="leaky_relu"),   # (0, 1), LeakyReLU after
    conv("numeric", 4, 3, stride=2, padding=[1, 2], bias=False, **{"from": "input"}),
    conv("like_same", 4, 3, padding=1),                       # Keras "same" here
    conv("dilated_groups", 4, 3, dilation=2, padding="same", groups=2, activation="gelu"),
    conv("multiplier", 8, 3, groups=4, padding=1),            # depthwise, two per channel
    conv("rect", 3, [1, 3], stride=[1, 2], padding=[0, 1], activation="hardswish"),
    conv("dilated_pad", 5, 3, dilation=2, padding=2, activation="elu",
         **{"from": "same_k2"}),
    {"type": "merge", "name": "sum", "mode": "add", "inputs": ["same_even", "same_k2"]},
]}

POOL_2D = {"input": [11, 12, 3], "layers": [
    pool("max_pad", "max", 3, stride=2, padding=1),           # -inf padding (uneven "same")
    pool("max_ceil", "max", 3, stride=2, ceil_mode=True),     # width gains a partial window
    pool("max_pad_ceil", "max", 2, stride=2, padding=1, ceil_mode=True),
    pool("max_like_same", "max", 3, stride=1, padding=1),     # Keras "same" here
    pool("avg_pad", "avg", 3, stride=2, padding=1),           # padded zeros count
    pool("avg_same", "avg", 3, stride=1, padding="same"),     # even padding, zeros not counted
    pool("max_same", "max", 2, stride=1, padding="same"),     # (0, 1) padding
    pool("avg_valid", "avg", [2, 3], stride=[2, 1], padding="valid"),
    pool("avg_ceil_noop", "avg", [3, 2], stride=2, ceil_mode=True),
    {"type": "global_pool", "name": "gmax", "mode": "max", "from": "input"},
    {"type": "global_pool", "name": "gavg", "from": "input"},
    {"type": "adaptive_pool", "name": "adapt_avg", "output_size": [4, 5], "from": "input"},
    {"type": "adaptive_pool", "name": "adapt_max", "mode": "max", "output_size": 3,
     "from": "input"},
]}

TRANSPOSE_2D = {"input": [4, 5, 3], "layers": [
    transpose("same_odd", 4, 3, stride=2, padding="same"),     # TensorFlow: odd cut at the end
    transpose("short_kernel", 2, 1, stride=2, padding="valid"),  # zeros (plus bias) appended
    transpose("torch_style", 3, 3, stride=2, padding=1, output_padding=1,
              activation="tanh"),                              # PyTorch cut: Cropping after
    transpose("dcgan", 2, 4, stride=2, padding=1),             # Keras "same"
    transpose("odd_kernel", 2, [3, 5], stride=2, padding=[1, 2]),  # "same", output_padding=0
    transpose("valid_extra", 2, 3, stride=2, padding="valid", output_padding=1),
    transpose("dilated", 2, 3, dilation=2, padding=2),
    transpose("rect", 3, [2, 3], stride=[2, 1], padding=[0, 1], bias=False,
              activation="leaky_relu"),
    transpose("wide_extra", 2, 3, stride=3, padding=1, output_padding=2),
]}

MIXED_2D = {"input": [6, 7, 5], "layers": [
    {"type": "dense", "name": "position_dense", "units": 3, "activation": "relu6"},
    {"type": "batchnorm", "name": "bn", "momentum": 0.2, "eps": 0.001, "from": "input"},
    {"type": "layernorm", "name": "ln", "eps": 1e-05},
    {"type": "scale", "name": "gamma"},
    {"type": "dropout", "name": "drop", "rate": 0.3},
    {"type": "pad", "name": "padded", "padding": [1, 2]},
    {"type": "crop", "name": "cropped", "cropping": [2, 1]},
    {"type": "upsample", "name": "up", "scale": [2, 3]},
    {"type": "global_pool", "name": "squeeze", "from": "bn"},
    {"type": "dense", "name": "excite", "units": 5, "activation": "sigmoid"},
    {"type": "merge", "name": "se", "mode": "multiply", "inputs": ["bn", "excite"]},
    {"type": "flatten", "name": "flat", "from": "squeeze"},
    {"type": "merge", "name": "plus_vector", "mode": "add", "inputs": ["ln", "flat"]},
    {"type": "adaptive_pool", "name": "rows", "output_size": [6, 1], "from": "input"},
    {"type": "adaptive_pool", "name": "cols", "output_size": [1, 7], "from": "input"},
    {"type": "merge", "name": "outer", "mode": "multiply", "inputs": ["rows", "cols"]},
    conv("shrunk", 2, 2, **{"from": "input"}),                 # 5 x 6: one less each way
    {"type": "merge", "name": "skip", "mode": "concat", "inputs": ["input", "shrunk"],
     "crop": True},
    {"type": "flatten", "name": "all"},
    {"type": "dense", "name": "classes", "units": 4, "activation": "softmax"},
]}

FUNCTIONS = ("relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "hardsigmoid",
             "hardswish", "tanh", "softmax")
ACTIVATIONS = {"input": [3, 4, 6], "layers": [
    *({"type": "activation", "name": f"act_{f}", "function": f, "from": "input"}
      for f in FUNCTIONS),
    *({"type": "dense", "name": f"dense_{f}", "units": 4, "activation": f, "from": "input"}
      for f in FUNCTIONS),
    {"type": "softmax", "name": "softmax_layer", "from": "input"},
    {"type": "normalization", "name": "standardised", "from": "input"},
    {"type": "merge", "name": "all", "mode": "concat", "inputs": [f"act_{f}" for f in FUNCTIONS]},
]}

BLOCKS = {"input": [8, 8, 3], "layers": [
    conv("stem.conv", 3, 3, padding=1, bias=False),
    {"type": "batchnorm", "name": "stem.bn"},
    {"type": "sequential", "name": "layer1", "layers": [
        {"type": "repeat", "name": "blocks", "times": 2, "layers": [
            {"type": "residual", "name": "block", "activation": "relu", "body": [
                conv("conv1", 3, 3, padding=1),
                {"type": "activation", "name": "relu1", "function": "relu"},
                conv("conv2", 3, 3, padding=1, **{"from": "conv1"}),  # own repetition's conv1
            ]},
        ]},
    ]},
    {"type": "residual", "name": "down", "activation": "leaky_relu",
     "body": [conv("down.conv", 6, 3, stride=2, padding=1)],
     "shortcut": [conv("down.proj", 6, 1, stride=2)]},
    {"type": "concat", "name": "mix", "branches": [
        [], [conv("mix.a", 2, 1)], [pool("mix.pool", "max", 3, stride=1, padding=1)]]},
    {"type": "merge", "name": "join", "mode": "add", "inputs": ["stem.bn", "input"]},
    {"type": "merge", "name": "late", "mode": "concat", "inputs": ["mix", "mix"]},
]}
BLOCKS["layers"][-3]["branches"][2][0].pop("from")

CONV_1D = {"input": [20, 3], "layers": [
    conv("c", 4, 4, stride=3, padding="same"),
    pool("max_pad", "max", 3, stride=2, padding=1),
    pool("avg_pad", "avg", 4, stride=2, padding=2),
    {"type": "upsample", "name": "up", "scale": 2, "from": "c"},
    {"type": "conv_transpose", "name": "t", "filters": 2, "kernel": 3, "stride": 2,
     "padding": 1, "output_padding": 1},
    {"type": "pad", "name": "p", "padding": 2},
    {"type": "crop", "name": "k", "cropping": 3},
    {"type": "adaptive_pool", "name": "a", "output_size": 7, "from": "input"},
    {"type": "global_pool", "name": "g", "mode": "max", "from": "input"},
    {"type": "flatten", "name": "f", "from": "k"},
    {"type": "dense", "name": "d", "units": 3},
]}

CONV_3D = {"input": [5, 6, 7, 2], "layers": [
    conv("c", 3, 3, stride=2, padding="same"),
    conv("n", 2, [1, 3, 2], padding=[1, 0, 2], **{"from": "input"}),
    pool("max_pad", "max", 2, padding=1),
    pool("avg", "avg", [1, 2, 2], **{"stride": [1, 2, 1]}),
    {"type": "upsample", "name": "up", "scale": [1, 2, 2], "from": "c"},
    {"type": "conv_transpose", "name": "t", "filters": 2, "kernel": 2, "stride": 2},
    {"type": "crop", "name": "k", "cropping": 1},
    {"type": "pad", "name": "p", "padding": [0, 1, 1]},
    {"type": "adaptive_pool", "name": "a", "output_size": [2, 4, 3], "from": "input"},
    {"type": "global_pool", "name": "g", "mode": "max", "from": "input"},
]}

FLAT = {"input": [7], "layers": [
    {"type": "dense", "name": "d1", "units": 6, "activation": "silu"},
    {"type": "batchnorm", "name": "bn", "eps": 0.01},
    {"type": "layernorm", "name": "ln"},
    {"type": "scale", "name": "s"},
    {"type": "dropout", "name": "drop"},
    {"type": "dense", "name": "d2", "units": 3, "bias": False},
    {"type": "activation", "name": "p", "function": "softmax"},
]}

ENDS_IN_BLOCK = {"input": [5, 5, 2], "layers": [
    {"type": "residual", "name": "last", "activation": "silu",
     "body": [conv("inner", 2, 3, padding=1)]}]}

BATCHNORM_FLAGS = {"input": [4, 5, 3], "layers": [
    conv("c", 4, 3, padding=1),
    {"type": "batchnorm", "name": "no_scale", "scale": False},      # Inception v3's
    {"type": "batchnorm", "name": "no_center", "center": False},
    {"type": "batchnorm", "name": "neither", "scale": False, "center": False}]}

VALUE_CASES = {"batchnorm_flags": BATCHNORM_FLAGS, "ends_in_block": ENDS_IN_BLOCK,
               "conv_2d": CONV_2D, "pool_2d": POOL_2D, "transpose_2d": TRANSPOSE_2D,
               "mixed_2d": MIXED_2D, "activations": ACTIVATIONS, "blocks": BLOCKS,
               "conv_1d": CONV_1D, "conv_3d": CONV_3D, "flat": FLAT}


@pytest.mark.parametrize("case", VALUE_CASES, ids=str)
def test_values_match_reference_pass(case: str) -> None:
    spec = VALUE_CASES[case]
    report = cnnshape.analyze(spec)
    check_structure(report, to_keras(spec))
    assert compare_values(spec) == len(leaf_rows(report))


def test_every_kind_is_covered() -> None:
    from cnnshape.layers import TYPE_NAMES

    seen: set[str] = set()

    def walk(layer_list: list[Any]) -> None:
        for layer in layer_list:
            seen.add(layer["type"])
            for key in ("layers", "body", "shortcut"):
                walk(layer.get(key, []))
            for branch in layer.get("branches", []):
                walk(branch)

    for spec in VALUE_CASES.values():
        walk(spec["layers"])
    from cnnshape.layers import KINDS

    refused = set(UNSUPPORTED) | {kind.tag for kind in KINDS if "keras" in kind.export_refusals}
    assert refused == {"lrn"}
    assert seen == set(TYPE_NAMES) - refused


def test_max_pool_padding_is_minus_infinity() -> None:
    """All-negative input: zero padding would put 0 in the corner windows."""
    x = -np.random.default_rng(1).uniform(1, 2, POOL_2D["input"]).astype(np.float32)
    compare_values(POOL_2D, x)


def test_hyper_parameters_values_cannot_show() -> None:
    """Training-time settings: PyTorch's momentum m is Keras's 1 - m; dropout's rate."""
    spec = {"input": [4, 3], "layers": [
        {"type": "batchnorm", "name": "bn", "momentum": 0.01, "eps": 0.002},
        {"type": "batchnorm", "name": "bn_default"},
        {"type": "layernorm", "name": "ln", "eps": 3e-07},
        {"type": "dropout", "name": "drop", "rate": 0.25}]}
    model = to_keras(spec)
    bn, default = model.get_layer("bn").get_config(), model.get_layer("bn_default").get_config()
    assert (bn["momentum"], bn["epsilon"], bn["axis"]) == (0.99, 0.002, -1)
    assert (default["momentum"], default["epsilon"]) == (0.9, 1e-05)   # PyTorch's defaults
    assert model.get_layer("ln").get_config()["epsilon"] == 3e-07
    assert model.get_layer("drop").get_config()["rate"] == 0.25


def test_names_are_kept_exactly() -> None:
    """Names Python or torch would choke on: keywords, the input's variable, a leading
    digit, spaces, dots (one clashing with a name that has "_" where it has ".")."""
    names = ["class", "x", "model", "layer", "1st conv", "a.b", "a_b", "a_b_pad", "build_model"]
    spec = {"input": [6, 6, 2], "layers": [
        {"type": "conv", "name": names[0], "filters": 2, "kernel": 3, "padding": [1, 0]},
        *({"type": "conv", "name": name, "filters": 2, "kernel": 1} for name in names[1:])]}
    spec["layers"][6]["padding"] = 1  # "a_b" gets a pad helper; "a_b_pad" is taken
    model = to_keras(spec)
    assert [layer.name for layer in model.layers if layer.weights] == names
    check_structure(cnnshape.analyze(spec), model)
    compare_values(spec)


def test_empty_network_is_the_identity() -> None:
    model = to_keras({"input": [3], "layers": []})
    x = np.array([[1.0, -2.0, 3.0]], dtype=np.float32)
    assert model.count_params() == 0
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(model(x)), x)


# ---------------------------------------------------------------- what Keras cannot express

REFUSED = [
    ({"type": "conv_transpose", "name": "up", "filters": 4, "kernel": 3, "groups": 2},
     "no groups"),
    ({"type": "conv", "name": "c", "filters": 2, "kernel": 3, "stride": 2, "dilation": 2},
     "stride > 1 with dilation > 1"),
    ({"type": "conv_transpose", "name": "t", "filters": 2, "kernel": 3, "stride": 2,
      "dilation": 2}, "stride > 1 with dilation > 1"),
    ({"type": "conv_transpose", "name": "t", "filters": 2, "kernel": 2, "dilation": 3,
      "output_padding": 2}, "output_padding 2 is not smaller than the stride 1"),
    ({"type": "pool", "name": "p", "mode": "avg", "kernel": 3, "stride": 2,
      "ceil_mode": True}, "ceil_mode"),
    ({"type": "pool", "name": "p", "mode": "avg", "kernel": 2, "stride": 1, "padding": "same"},
     "pads unevenly"),
    ({"type": "conv", "name": "a/b", "filters": 2, "kernel": 1}, 'cannot contain "/"'),
]


@pytest.mark.parametrize("layer, problem", REFUSED, ids=[r[1] for r in REFUSED])
def test_refusals_are_one_line(layer: dict[str, Any], problem: str) -> None:
    spec = {"input": [8, 8, 4], "layers": [{"type": "activation", "function": "relu"}, layer]}
    with pytest.raises(cnnshape.SpecError) as caught:
        keras_source(spec)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f'<spec>: layers[1] ({layer["type"]} {json.dumps(layer["name"])}): ')
    assert problem in message
    with pytest.raises(cnnshape.SpecError):
        to_keras(spec)


def test_refusal_names_the_file_and_nested_path(tmp_path: Path) -> None:
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"input": [8, 8, 4], "layers": [
        {"type": "sequential", "name": "s", "layers": [
            {"type": "conv_transpose", "name": "up", "filters": 4, "kernel": 3, "groups": 2}]}]}))
    with pytest.raises(cnnshape.SpecError) as caught:
        keras_source(path)
    assert str(caught.value) == (f'{path}: layers[0].layers[0] (conv_transpose "up"): '
                                 "Keras transposed convolutions have no groups")


def test_invalid_spec_is_the_calculators_error() -> None:
    spec = {"input": [4, 4, 3], "layers": [{"type": "conv", "filters": 2, "kernel": 5}]}
    with pytest.raises(cnnshape.SpecError) as caught:
        keras_source(spec)
    with pytest.raises(cnnshape.SpecError) as calculator:
        cnnshape.analyze(spec)
    assert str(caught.value) == str(calculator.value)


# ---------------------------------------------------------------- the module as text and file

def test_header_and_names() -> None:
    path = ROOT / "specs" / "lenet.json"
    text = keras_source(path)
    totals = cnnshape.analyze(path).totals
    assert f"# Generated by cnnshape from {path}." in text
    assert (f"{totals.params:,} trainable + {totals.non_trainable_params:,} non-trainable "
            f"parameters, {totals.macs:,} MACs") in text
    assert "import keras\nfrom keras import layers\n" in text
    assert "def build_model() -> keras.Model:" in text
    model = to_keras(path)
    assert model.name == cnnshape.load(path).name


def test_source_runs_as_a_file(tmp_path: Path) -> None:
    """The saved module runs on its own: custom layer, renamed dotted names and all."""
    spec = {"name": "blocks/and pools", "input": [12, 12, 3],
            "layers": [*BLOCKS["layers"], pool("tail.pool", "max", 3, stride=2, padding=1)]}
    spec["layers"][-1].pop("from")
    report = cnnshape.analyze(spec)
    path = tmp_path / "model.py"
    path.write_text(keras_source(spec))
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "torch")}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    total = report.totals.params + report.totals.non_trainable_params
    assert f"Total params: {total:,}" in done.stdout
    assert "stem.conv" in done.stdout and "tail.pool" in done.stdout


def test_json_describes_the_model() -> None:
    """Keras rebuilds the exported JSON (custom layer included) into the same function."""
    spec = POOL_2D
    model = to_keras(spec)
    custom = {"MinusInfPadding": type(model.get_layer("max_pad_pad"))}
    rebuilt = keras.models.model_from_json(model.to_json(), custom_objects=custom)
    assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
    x = np.random.default_rng(2).uniform(-2, -1, (1, *spec["input"])).astype(np.float32)
    for a, b in zip(model(x), rebuilt(x), strict=False):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


# ---------------------------------------------------------------- seeded geometry sweeps

def sweep_spec(kind: str, seed: int, count: int, dims: list[int]) -> dict[str, Any]:
    """``count`` random layers of one kind, each reading the input, in one network (one
    Keras build, one reference pass). Fixed seeds: every run checks the same cases.
    Layers cnnshape refuses, or the exporter refuses with its one line, are left out."""
    import random

    rng = random.Random(seed)
    nd = len(dims) - 1
    chosen: list[dict[str, Any]] = []
    while len(chosen) < count:
        layer = SWEEPS[kind](rng, nd)
        layer.update(name=f"{kind}{len(chosen)}", **{"from": "input"})
        try:
            keras_source({"input": dims, "layers": [layer]})
        except cnnshape.SpecError:
            continue
        chosen.append(layer)
    return {"input": dims, "layers": chosen}


def _per_dim(rng: Any, nd: int, low: int, high: int) -> Any:
    values = [rng.randint(low, high) for _ in range(nd)]
    return values[0] if len(set(values)) == 1 and rng.random() < 0.5 else values


def random_conv(rng: Any, nd: int) -> dict[str, Any]:
    groups = rng.choice([1, 1, 2])
    layer = {"type": "conv", "filters": 2 * rng.randint(1, 2), "groups": groups,
             "kernel": _per_dim(rng, nd, 1, 4), "bias": rng.random() < 0.7,
             "padding": rng.choice([_per_dim(rng, nd, 0, 2), "same", "valid"])}
    if rng.random() < 0.5:
        layer["stride"] = _per_dim(rng, nd, 1, 3)
    else:
        layer["dilation"] = _per_dim(rng, nd, 1, 2)
    return layer


def random_transpose(rng: Any, nd: int) -> dict[str, Any]:
    stride, dilation = _per_dim(rng, nd, 1, 3), 1
    if rng.random() < 0.3:
        stride, dilation = 1, _per_dim(rng, nd, 1, 2)
    padding = rng.choice([_per_dim(rng, nd, 0, 2), _per_dim(rng, nd, 0, 2), "same", "valid"])
    layer = {"type": "conv_transpose", "filters": rng.randint(1, 3),
             "kernel": _per_dim(rng, nd, 1, 4), "stride": stride, "dilation": dilation,
             "padding": padding, "bias": rng.random() < 0.7}
    if padding != "same" and rng.random() < 0.5:
        layer["output_padding"] = _per_dim(rng, nd, 0, 2)
    return layer


def random_pool(rng: Any, nd: int) -> dict[str, Any]:
    kernel = _per_dim(rng, nd, 1, 4)
    layer = {"type": "pool", "mode": rng.choice(["max", "avg"]), "kernel": kernel,
             "stride": _per_dim(rng, nd, 1, 3),
             "padding": rng.choice([_per_dim(rng, nd, 0, 2), "same", "valid"])}
    if not isinstance(layer["padding"], str):
        layer["ceil_mode"] = rng.random() < 0.5
    return layer


SWEEPS = {"conv": random_conv, "conv_transpose": random_transpose, "pool": random_pool}
SWEEP_CASES = [("conv", [7, 4]), ("conv", [6, 7, 2]), ("conv_transpose", [5, 2]),
               ("conv_transpose", [4, 5, 2]), ("conv_transpose", [3, 2, 3, 1]),
               ("pool", [9, 2]), ("pool", [7, 8, 2]), ("pool", [4, 5, 3, 1])]


@pytest.mark.parametrize("kind, dims", SWEEP_CASES,
                         ids=[f"{k}-{len(d) - 1}d" for k, d in SWEEP_CASES])
def test_geometry_sweep(kind: str, dims: list[int]) -> None:
    spec = sweep_spec(kind, seed=len(dims) * 10 + len(kind), count=40, dims=dims)
    check_structure(cnnshape.analyze(spec), to_keras(spec))
    compare_values(spec, seed=5)
    if kind == "pool":  # all-negative input: padding must never win a max
        compare_values(spec, -np.random.default_rng(6).uniform(1, 2, dims).astype(np.float32))
