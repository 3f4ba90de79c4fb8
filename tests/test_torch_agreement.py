"""cnnshape against PyTorch: shapes, parameter counts, MACs and reference-pass values.

Skipped when torch is absent. cnnshape is channels-last ([spatial..., C]) and has no
batch axis; torch is [N, C, spatial...], so shapes and tensors are transposed at the
boundary (``cl`` and ``to_torch``). The cases are hand-picked edge cases plus seeded
random ones: the seeds are fixed, so every run checks the same configurations and a
failing case's id (its JSON) is a complete repro.

Where torch has no equivalent (TensorFlow/Keras "same" with stride > 1, Keras pooling
"same", Keras transposed-conv "valid"/"same"), the expected numbers come from formulas
written out here, and the values from torch on an explicitly padded or cropped input.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from torch_macs import total_macs  # noqa: E402

import cnnshape  # noqa: E402

BATCH = 2
DTYPE = torch.float64
TOL = {"rtol": 1e-9, "atol": 1e-9}

pytestmark = [pytest.mark.torch, pytest.mark.filterwarnings(
    "ignore:Using padding='same' with even kernel lengths:UserWarning")]


# ---------------------------------------------------------------- helpers

def row(input_shape: list[int], layer: dict[str, Any]) -> Any:
    """cnnshape's report row for a one-layer network."""
    return cnnshape.analyze({"input": list(input_shape), "layers": [layer]}).rows[-1]


def reference_shape(input_shape: list[int], layer: dict[str, Any]) -> list[int]:
    """The shape the reference pass measured on the tensor the layer produced."""
    path, _, shape = cnnshape.run({"input": list(input_shape), "layers": [layer]}).records[-1]
    assert path == "layers[0]"
    return list(shape)


def model(input_shape: list[int], layer: dict[str, Any]) -> Any:
    return cnnshape.load({"input": list(input_shape), "layers": [layer]}).layers[0]


def cl(shape: Any) -> list[int]:
    """torch [N, C, spatial...] -> cnnshape [spatial..., C]."""
    return [*shape[2:], shape[1]]


def torch_input(shape: list[int], seed: int, batch: int = BATCH) -> Any:
    """A random batch for a channels-last cnnshape input shape."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(batch, shape[-1], *shape[:-1], dtype=DTYPE, generator=generator)


def nested(x: Any) -> Any:
    """One sample of a torch batch [C, spatial...] -> channels-last nested lists."""
    return x.movedim(0, -1).tolist()


def to_torch(y: Any) -> Any:
    """Channels-last nested lists -> torch [1, C, spatial...]."""
    return torch.tensor(y, dtype=DTYPE).movedim(-1, 0).unsqueeze(0)


def n_params(module: Any) -> int:
    return sum(p.numel() for p in module.parameters())


class Recorder:
    """Stands in for the reference pass's weight source and keeps every draw, in order,
    so the same weights can be loaded into the torch module."""

    cap = None

    def __init__(self, seed: int) -> None:
        self._uniform = random.Random(seed).uniform
        self.drawn: list[list[float]] = []

    def weights(self, count: int, fan_in: int) -> list[float]:
        values = [self._uniform(-1.0, 1.0) for _ in range(count)]
        self.drawn.append(values)
        return values


def as_list(value: Any, nd: int) -> list[int]:
    return [value] * nd if isinstance(value, int) else list(value)


def case_id(case: dict[str, Any]) -> str:
    return json.dumps(case, separators=(",", ":"))


def spatial(rng: random.Random, low: list[int], extra: int) -> list[int]:
    return [lo + rng.randint(0, extra) for lo in low]


def spec_value(rng: random.Random, values: list[int]) -> Any:
    """An int when every dim agrees (and at random), else the per-dim list."""
    if len(set(values)) == 1 and rng.random() < 0.5:
        return values[0]
    return values


CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
CONV_T = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}
MAX_POOL = {1: nn.MaxPool1d, 2: nn.MaxPool2d, 3: nn.MaxPool3d}
AVG_POOL = {1: nn.AvgPool1d, 2: nn.AvgPool2d, 3: nn.AvgPool3d}
ADAPTIVE = {("avg", 1): nn.AdaptiveAvgPool1d, ("avg", 2): nn.AdaptiveAvgPool2d,
            ("avg", 3): nn.AdaptiveAvgPool3d, ("max", 1): nn.AdaptiveMaxPool1d,
            ("max", 2): nn.AdaptiveMaxPool2d, ("max", 3): nn.AdaptiveMaxPool3d}
BATCHNORM = {0: nn.BatchNorm1d, 1: nn.BatchNorm1d, 2: nn.BatchNorm2d, 3: nn.BatchNorm3d}
MAX_SIZE = {1: 12, 2: 7, 3: 4}  # random extra input size per spatial dim


# ---------------------------------------------------------------- conv

def conv_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        nd = 1 + i % 3
        kernel = [rng.randint(1, 4 if nd < 3 else 3) for _ in range(nd)]
        stride = [rng.randint(1, 3) for _ in range(nd)]
        dilation = [rng.choice([1, 1, 2, 3]) for _ in range(nd)]
        padding = [rng.randint(0, 2) for _ in range(nd)]
        effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=False)]
        low = [max(1, e - 2 * p) for e, p in zip(effective, padding, strict=False)]
        dims = spatial(rng, low, MAX_SIZE[nd])
        groups = rng.choice([1, 1, 2, 3, "depthwise"])
        if groups == "depthwise":
            cin = rng.randint(1, 6)
            groups, filters = cin, cin * rng.choice([1, 2])
        else:
            cin, filters = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
        layer: dict[str, Any] = {"type": "conv", "filters": filters,
                                 "kernel": spec_value(rng, kernel),
                                 "stride": spec_value(rng, stride),
                                 "padding": spec_value(rng, padding),
                                 "dilation": spec_value(rng, dilation),
                                 "groups": groups, "bias": rng.random() < 0.7}
        cases.append({"input": [*dims, cin], "layer": layer})
    return cases


CONV_EDGE = [
    {"input": [32, 32, 3], "layer": {"type": "conv", "filters": 8, "kernel": 5}},
    {"input": [7, 7, 4], "layer": {"type": "conv", "filters": 4, "kernel": 3, "groups": 4,
                                   "padding": 1, "bias": False}},  # depthwise
    {"input": [8, 6], "layer": {"type": "conv", "filters": 12, "kernel": 3, "groups": 6,
                                "stride": 2}},  # depth multiplier 2
    {"input": [5, 6, 7, 2], "layer": {"type": "conv", "filters": 3, "kernel": [1, 2, 3],
                                      "stride": [3, 2, 1], "padding": [0, 1, 2]}},
    {"input": [9, 9, 2], "layer": {"type": "conv", "filters": 2, "kernel": 3, "dilation": 4}},
    {"input": [1, 1, 5], "layer": {"type": "conv", "filters": 3, "kernel": 1}},
    {"input": [10, 3], "layer": {"type": "conv", "filters": 2, "kernel": 4, "stride": 3,
                                 "padding": 2}},  # stride leaves the last padded row unread
]


def conv_module(case: dict[str, Any]) -> Any:
    layer, nd = case["layer"], len(case["input"]) - 1
    padding = layer.get("padding", 0)
    if not isinstance(padding, str):
        padding = tuple(as_list(padding, nd))
    return CONV[nd](case["input"][-1], layer["filters"], tuple(as_list(layer["kernel"], nd)),
                    stride=tuple(as_list(layer.get("stride", 1), nd)), padding=padding,
                    dilation=tuple(as_list(layer.get("dilation", 1), nd)),
                    groups=layer.get("groups", 1), bias=layer.get("bias", True),
                    dtype=DTYPE)


def load_conv_weights(module: Any, recorder: Recorder, layer: dict[str, Any]) -> None:
    """cnnshape's conv draws one weight list per filter, laid out [taps..., C_in/groups]
    (taps row-major), then the biases."""
    filters, kernel = layer["filters"], module.kernel_size
    per_group = module.in_channels // module.groups
    weight = torch.tensor(recorder.drawn[:filters], dtype=DTYPE)
    weight = weight.reshape(filters, *kernel, per_group).movedim(-1, 1)
    with torch.no_grad():
        module.weight.copy_(weight)
        if module.bias is not None:
            module.bias.copy_(torch.tensor(recorder.drawn[filters], dtype=DTYPE))
    assert len(recorder.drawn) == filters + (module.bias is not None)


def check_values(case: dict[str, Any], module: Any, load_weights: Any, seed: int,
                 before: Any = None, after: Any = None) -> None:
    """Run cnnshape's reference forward and torch on the same input and weights.

    ``before`` transforms torch's input (explicit padding), ``after`` its output (cropping).
    """
    x = torch_input(case["input"], seed, batch=1)
    recorder = Recorder(seed)
    ours = model(case["input"], case["layer"]).forward(nested(x[0]), recorder)
    if load_weights:
        load_weights(module, recorder, case["layer"])
    with torch.no_grad():
        theirs = module(before(x) if before else x)
    if after:
        theirs = after(theirs)
    ours_t = to_torch(ours)
    assert ours_t.shape == theirs.shape
    torch.testing.assert_close(ours_t, theirs, **TOL)


@pytest.mark.parametrize("case", CONV_EDGE + conv_cases(1, 120), ids=case_id)
def test_conv(case: dict[str, Any]) -> None:
    module = conv_module(case)
    x = torch_input(case["input"], 0)
    with torch.no_grad():
        out = module(x)
    ours = row(case["input"], case["layer"])
    assert ours.output_shape == cl(out.shape)
    assert ours.params == n_params(module)
    assert ours.non_trainable_params == 0
    assert ours.macs == total_macs(module, x)
    assert reference_shape(case["input"], case["layer"]) == cl(out.shape)
    check_values(case, module, load_conv_weights, seed=1)


def tf_same_pads(n: int, k: int, s: int, d: int) -> tuple[int, int]:
    """TensorFlow's "same", written out: output ceil(n/s); odd padding goes after."""
    out = math.ceil(n / s)
    total = max((out - 1) * s + d * (k - 1) + 1 - n, 0)
    return total // 2, total - total // 2


def torch_pad(pads: list[tuple[int, int]], value: float = 0.0) -> Any:
    """F.pad takes (before, after) pairs from the last dim backwards."""
    flat = [p for pair in reversed(pads) for p in pair]
    return lambda x: F.pad(x, flat, value=value)


def same_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        nd = 1 + i % 3
        stride = [1] * nd if i % 2 else [rng.randint(1, 4) for _ in range(nd)]
        kernel = [rng.randint(1, 5 if nd < 3 else 3) for _ in range(nd)]
        dilation = [rng.choice([1, 1, 2]) for _ in range(nd)]
        dims = spatial(rng, [1] * nd, MAX_SIZE[nd] + 2)
        cin = rng.randint(1, 4)
        layer = {"type": "conv", "filters": rng.randint(1, 4), "kernel": spec_value(rng, kernel),
                 "stride": spec_value(rng, stride), "dilation": spec_value(rng, dilation),
                 "padding": "same"}
        cases.append({"input": [*dims, cin], "layer": layer})
    return cases


SAME_EDGE = [
    {"input": [5, 5, 1], "layer": {"type": "conv", "filters": 1, "kernel": 2, "padding": "same"}},
    {"input": [6, 2], "layer": {"type": "conv", "filters": 2, "kernel": 4, "padding": "same",
                                "dilation": 3}},
    {"input": [7, 7, 3], "layer": {"type": "conv", "filters": 2, "kernel": 3, "stride": 2,
                                   "padding": "same"}},
    {"input": [8, 8, 3], "layer": {"type": "conv", "filters": 2, "kernel": 3, "stride": 2,
                                   "padding": "same"}},  # odd padding goes after
    {"input": [5, 1], "layer": {"type": "conv", "filters": 1, "kernel": 1, "stride": 3,
                                "padding": "same"}},
    {"input": [6, 6, 2], "layer": {"type": "conv", "filters": 1, "kernel": 3,
                                   "padding": "valid"}},
]


@pytest.mark.parametrize("case", SAME_EDGE + same_cases(2, 60), ids=case_id)
def test_conv_same(case: dict[str, Any]) -> None:
    layer, dims = case["layer"], case["input"][:-1]
    nd = len(dims)
    kernel, stride = as_list(layer["kernel"], nd), as_list(layer.get("stride", 1), nd)
    dilation = as_list(layer.get("dilation", 1), nd)
    ours = row(case["input"], layer)
    if all(s == 1 for s in stride):
        # torch's own padding="same" (and "valid") exists for stride 1 only
        module = conv_module(case)
        check_values(case, module, load_conv_weights, seed=3)
        pads = None
    else:
        module = conv_module({**case, "layer": {**layer, "padding": 0}})
        pads = [tf_same_pads(n, k, s, d)
                for n, k, s, d in zip(dims, kernel, stride, dilation, strict=False)]
        check_values(case, module, load_conv_weights, seed=3, before=torch_pad(pads))
    x = torch_input(case["input"], 0)
    with torch.no_grad():
        out = module(torch_pad(pads)(x) if pads else x)
    assert ours.output_shape == cl(out.shape)
    if layer["padding"] == "same":
        assert ours.output_shape[:-1] == [math.ceil(n / s)
                                          for n, s in zip(dims, stride, strict=False)]
    assert ours.params == n_params(module)
    assert ours.macs == total_macs(module, torch_pad(pads)(x) if pads else x)
    assert reference_shape(case["input"], layer) == ours.output_shape


# ---------------------------------------------------------------- conv_transpose

def transpose_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        nd = 1 + i % 3
        kernel = [rng.randint(1, 4 if nd < 3 else 3) for _ in range(nd)]
        stride = [rng.randint(1, 3) for _ in range(nd)]
        dilation = [rng.choice([1, 1, 2]) for _ in range(nd)]
        output_padding = [rng.randint(0, max(s, d) - 1)
                          for s, d in zip(stride, dilation, strict=False)]
        padding = [rng.randint(0, 2) for _ in range(nd)]
        dims = []
        for k, s, d, p, op in zip(kernel, stride, dilation, padding, output_padding, strict=False):
            n = rng.randint(1, 3 + MAX_SIZE[nd] // 2)
            while (n - 1) * s - 2 * p + d * (k - 1) + op + 1 < 1:
                n += 1
            dims.append(n)
        groups = rng.choice([1, 1, 2, 3])
        cin, filters = groups * rng.randint(1, 3), groups * rng.randint(1, 3)
        layer = {"type": "conv_transpose", "filters": filters, "kernel": spec_value(rng, kernel),
                 "stride": spec_value(rng, stride), "padding": spec_value(rng, padding),
                 "output_padding": spec_value(rng, output_padding),
                 "dilation": spec_value(rng, dilation), "groups": groups,
                 "bias": rng.random() < 0.7}
        cases.append({"input": [*dims, cin], "layer": layer})
    return cases


TRANSPOSE_EDGE = [
    {"input": [4, 4, 8], "layer": {"type": "conv_transpose", "filters": 4, "kernel": 2,
                                   "stride": 2}},
    {"input": [5, 5, 2], "layer": {"type": "conv_transpose", "filters": 3, "kernel": 3,
                                   "stride": 2, "padding": 1, "output_padding": 1}},
    {"input": [3, 2], "layer": {"type": "conv_transpose", "filters": 1, "kernel": 1,
                                "stride": 3, "output_padding": 2}},  # past the canvas
    {"input": [3, 4], "layer": {"type": "conv_transpose", "filters": 2, "kernel": 2,
                                "dilation": 3, "output_padding": 2}},  # op < dilation
    {"input": [2, 3, 4, 4], "layer": {"type": "conv_transpose", "filters": 6, "kernel": [1, 2, 3],
                                      "stride": [1, 2, 3], "groups": 2, "bias": False}},
]


def transpose_module(case: dict[str, Any]) -> Any:
    layer, nd = case["layer"], len(case["input"]) - 1
    return CONV_T[nd](case["input"][-1], layer["filters"], tuple(as_list(layer["kernel"], nd)),
                      stride=tuple(as_list(layer.get("stride", 1), nd)),
                      padding=tuple(as_list(layer.get("padding", 0), nd)),
                      output_padding=tuple(as_list(layer.get("output_padding", 0), nd)),
                      dilation=tuple(as_list(layer.get("dilation", 1), nd)),
                      groups=layer.get("groups", 1), bias=layer.get("bias", True), dtype=DTYPE)


def load_transpose_weights(module: Any, recorder: Recorder, layer: dict[str, Any]) -> None:
    """cnnshape's transposed conv draws weights[group][tap][f] = C_in/groups values, then
    the biases; torch's weight is [C_in, C_out/groups, taps...]."""
    groups, kernel = module.groups, module.kernel_size
    per_group, fg = module.in_channels // groups, module.out_channels // groups
    count = groups * math.prod(kernel) * fg
    weight = torch.tensor(recorder.drawn[:count], dtype=DTYPE)
    weight = weight.reshape(groups, *kernel, fg, per_group)       # [G, taps..., f, c]
    weight = weight.movedim(-1, 1).movedim(-1, 2)                 # [G, c, f, taps...]
    with torch.no_grad():
        module.weight.copy_(weight.reshape(module.weight.shape))
        if module.bias is not None:
            module.bias.copy_(torch.tensor(recorder.drawn[count], dtype=DTYPE))
    assert len(recorder.drawn) == count + (module.bias is not None)


@pytest.mark.parametrize("case", TRANSPOSE_EDGE + transpose_cases(4, 90), ids=case_id)
def test_conv_transpose(case: dict[str, Any]) -> None:
    module = transpose_module(case)
    x = torch_input(case["input"], 0)
    with torch.no_grad():
        out = module(x)
    ours = row(case["input"], case["layer"])
    assert ours.output_shape == cl(out.shape)
    assert ours.params == n_params(module)
    assert ours.macs == total_macs(module, x)
    assert reference_shape(case["input"], case["layer"]) == cl(out.shape)
    check_values(case, module, load_transpose_weights, seed=5)


def keras_transpose_length(n: int, k: int, s: int, d: int, padding: str) -> int:
    """Keras's conv_transpose output length without output_padding, written out."""
    effective = d * (k - 1) + 1
    if padding == "valid":
        return n * s + max(effective - s, 0)
    return n * s


KERAS_TRANSPOSE = [
    (dims, k, s, d, padding)
    for dims in ([5, 3], [4, 3, 2])
    for k, s, d in [(3, 2, 1), (4, 2, 1), (1, 1, 1), (2, 3, 1), (1, 2, 1), (3, 3, 1), (2, 2, 2),
                    (2, 4, 2), (5, 1, 1)]
    for padding in ("valid", "same")
]


@pytest.mark.parametrize("dims,k,s,d,padding", KERAS_TRANSPOSE)
def test_conv_transpose_keras_padding(dims: list[int], k: int, s: int, d: int,
                                      padding: str) -> None:
    """"valid"/"same" mean Keras's Conv*DTranspose: torch's full canvas, cropped by
    TensorFlow's "same" padding of the forward conv and zero-extended to Keras's length."""
    case = {"input": dims, "layer": {"type": "conv_transpose", "filters": 2, "kernel": k,
                                     "stride": s, "dilation": d, "padding": padding}}
    spatial_in = dims[:-1]
    expected = [keras_transpose_length(n, k, s, d, padding) for n in spatial_in]
    ours = row(dims, case["layer"])
    assert ours.output_shape == [*expected, 2]
    assert reference_shape(dims, case["layer"]) == ours.output_shape
    module = transpose_module({**case, "layer": {**case["layer"], "padding": 0}})
    before = max(d * (k - 1) + 1 - s, 0) // 2 if padding == "same" else 0

    def crop(y: Any) -> Any:
        bias = module.bias.view(1, -1, *[1] * len(spatial_in))
        canvas = y - bias  # extend with zeros (before the bias), then crop
        size = max(e + before for e in expected)
        canvas = F.pad(canvas, [0, size] * len(spatial_in))
        index = (slice(None), slice(None),
                 *(slice(before, before + e) for e in expected))
        return canvas[index] + bias

    check_values(case, module, load_transpose_weights, seed=6, after=crop)


# ---------------------------------------------------------------- pool

def pool_cases(seed: int, count: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        nd = 1 + i % 3
        kernel = [rng.randint(1, 4) for _ in range(nd)]
        stride = [rng.randint(1, 4) for _ in range(nd)]
        padding = [rng.randint(0, k // 2) for k in kernel]
        low = [max(1, k - 2 * p) for k, p in zip(kernel, padding, strict=False)]
        dims = spatial(rng, low, MAX_SIZE[nd])
        layer: dict[str, Any] = {"type": "pool", "mode": rng.choice(["max", "avg"]),
                                 "kernel": spec_value(rng, kernel),
                                 "padding": spec_value(rng, padding),
                                 "ceil_mode": rng.random() < 0.5}
        if rng.random() < 0.8:
            layer["stride"] = spec_value(rng, stride)
        cases.append({"input": [*dims, rng.randint(1, 3)], "layer": layer})
    return cases


def pool_edge() -> list[dict[str, Any]]:
    cases = []
    for mode in ("max", "avg"):
        for n, k, s, p, ceil in [(5, 2, 2, 0, True), (5, 2, 2, 0, False), (6, 3, 2, 1, True),
                                 (6, 3, 2, 1, False), (4, 2, 3, 1, True), (5, 2, 3, 0, True),
                                 (7, 3, 2, 1, True), (1, 1, 2, 0, True), (2, 2, 4, 1, True),
                                 (10, 4, 3, 2, True), (3, 3, 3, 1, True)]:
            cases.append({"input": [n, 2], "layer": {"type": "pool", "mode": mode, "kernel": k,
                                                     "stride": s, "padding": p,
                                                     "ceil_mode": ceil}})
        cases.append({"input": [6, 5, 3], "layer": {"type": "pool", "mode": mode,
                                                    "kernel": [3, 2], "stride": [2, 2],
                                                    "padding": [1, 1], "ceil_mode": True}})
        cases.append({"input": [5, 6, 7, 1], "layer": {"type": "pool", "mode": mode,
                                                       "kernel": 2, "ceil_mode": True}})
    return cases


def pool_oversized(seed: int, count: int) -> list[dict[str, Any]]:
    """Ceil-mode windows longer than the padded input (issue 13): torch gives one output
    when (span + s - 1) // s + 1 >= 1, span = n + 2p - k < 0, and refuses otherwise."""
    rng = random.Random(seed)
    cases = []
    for i in range(count):
        nd = 1 + i % 2
        kernel = [rng.randint(2, 6) for _ in range(nd)]
        padding = [rng.randint(0, k // 2) for k in kernel]
        dims = [rng.randint(1, max(1, k - 2 * p)) for k, p in zip(kernel, padding, strict=True)]
        layer: dict[str, Any] = {"type": "pool", "mode": rng.choice(["max", "avg"]),
                                 "kernel": kernel, "padding": padding, "ceil_mode": True,
                                 "stride": [rng.randint(1, 4) for _ in range(nd)]}
        cases.append({"input": [*dims, 2], "layer": layer})
    return cases


@pytest.mark.parametrize("case", pool_oversized(11, 80), ids=case_id)
def test_pool_window_longer_than_the_padded_input(case: dict[str, Any]) -> None:
    module = pool_module(case)
    x = torch_input(case["input"], 0)
    try:
        out = module(x)
    except RuntimeError:
        with pytest.raises(cnnshape.SpecError, match="larger than the padded input"):
            cnnshape.analyze({"input": case["input"], "layers": [case["layer"]]})
        return
    ours = row(case["input"], case["layer"])
    assert ours.output_shape == cl(out.shape)
    assert reference_shape(case["input"], case["layer"]) == cl(out.shape)
    check_values(case, module, None, seed=9)


def pool_module(case: dict[str, Any]) -> Any:
    layer, nd = case["layer"], len(case["input"]) - 1
    kernel = tuple(as_list(layer["kernel"], nd))
    stride = tuple(as_list(layer["stride"], nd)) if "stride" in layer else None
    padding = tuple(as_list(layer.get("padding", 0), nd))
    ceil = layer.get("ceil_mode", False)
    if layer.get("mode", "max") == "max":
        return MAX_POOL[nd](kernel, stride, padding, ceil_mode=ceil)
    return AVG_POOL[nd](kernel, stride, padding, ceil_mode=ceil, count_include_pad=True)


def avg_pool3d_refuses(case: dict[str, Any]) -> bool:
    """torch's AvgPool3d (only it) refuses an input smaller than the kernel, padding or not."""
    layer, dims = case["layer"], case["input"][:-1]
    return (layer.get("mode") == "avg" and len(dims) == 3
            and any(n < k for n, k in zip(dims, as_list(layer["kernel"], 3), strict=False)))


@pytest.mark.parametrize("case", pool_edge() + pool_cases(7, 120), ids=case_id)
def test_pool(case: dict[str, Any]) -> None:
    module = pool_module(case)
    x = torch_input(case["input"], 0)
    refused = avg_pool3d_refuses(case)
    if refused:
        with pytest.raises(RuntimeError, match="smaller than kernel size"):
            module(x)
        # torch's output size rule is max pooling's, so take the shape from MaxPool3d
        module = pool_module({**case, "layer": {**case["layer"], "mode": "max"}})
    out = module(x)
    ours = row(case["input"], case["layer"])
    assert ours.output_shape == cl(out.shape)
    assert ours.params == 0 and ours.macs == 0
    assert reference_shape(case["input"], case["layer"]) == cl(out.shape)
    check_values(case, avg_pool3d_by_sums(case, out.shape[2:]) if refused else module, None,
                 seed=8)


def avg_pool3d_by_sums(case: dict[str, Any], size: Any) -> Any:
    """AvgPool3d with count_include_pad, ceil_mode or not, written out for the inputs it
    refuses: window sums over the zero-padded input divided by the window's cells inside
    the padded input, keeping the first ``size`` windows (pre-padding relaxes the
    ceil-mode rule, so it may add one window at the end, never drop one)."""
    layer = case["layer"]
    kernel = tuple(as_list(layer["kernel"], 3))
    stride = tuple(as_list(layer["stride"], 3)) if "stride" in layer else kernel
    pad = torch_pad([(p, p) for p in as_list(layer.get("padding", 0), 3)])
    sums = nn.AvgPool3d(kernel, stride, ceil_mode=layer.get("ceil_mode", False),
                        divisor_override=1)

    def average(x: Any) -> Any:
        padded = pad(x)
        y = sums(padded) / sums(torch.ones_like(padded))
        return y[:, :, :size[0], :size[1], :size[2]]
    return average


KERAS_POOL = [
    {"input": dims, "layer": {"type": "pool", "mode": mode, "kernel": k, "stride": s,
                              "padding": padding}}
    for dims in ([7, 2], [6, 5, 2], [5, 4, 3, 1])
    for k, s in [(2, 2), (3, 2), (3, 1), (1, 2), (2, 3), (4, 3)]
    for mode in ("max", "avg")
    for padding in ("valid", "same")
    if padding == "same" or k <= min(dims[:-1])
]


@pytest.mark.parametrize("case", KERAS_POOL, ids=case_id)
def test_pool_keras_padding(case: dict[str, Any]) -> None:
    """Keras pooling: "valid" floors, "same" gives ceil(n/s) with TensorFlow's padding,
    which max ignores and avg leaves out of the divisor."""
    layer, dims = case["layer"], case["input"][:-1]
    k, s = layer["kernel"], layer["stride"]
    nd = len(dims)
    ours = row(case["input"], layer)
    if layer["padding"] == "valid":
        assert ours.output_shape[:-1] == [(n - k) // s + 1 for n in dims]
        check_values(case, MAX_POOL[nd](k, s) if layer["mode"] == "max" else AVG_POOL[nd](k, s),
                     None, seed=9)
    else:
        assert ours.output_shape[:-1] == [math.ceil(n / s) for n in dims]
        pad = torch_pad([tf_same_pads(n, k, s, 1) for n in dims])
        if layer["mode"] == "max":
            check_values(case, MAX_POOL[nd](k, s), None, seed=9,
                         before=torch_pad([tf_same_pads(n, k, s, 1) for n in dims], -math.inf))
        else:
            def average(x: Any) -> Any:  # window sums of real cells / count of real cells
                ones = torch.ones_like(x)
                return AVG_POOL[nd](k, s)(pad(x)) / AVG_POOL[nd](k, s)(pad(ones))
            check_values(case, average, None, seed=9)
    assert reference_shape(case["input"], layer) == ours.output_shape


# ---------------------------------------------------------------- adaptive / global pool

ADAPTIVE_CASES = [
    {"input": dims, "layer": {"type": "adaptive_pool", "mode": mode, "output_size": size}}
    for mode in ("avg", "max")
    for dims, size in [([10, 3], 3), ([7, 2], 7), ([5, 2], 8), ([9, 9, 2], [4, 2]),
                       ([7, 6, 1], 3), ([3, 4, 5], [5, 1]), ([5, 6, 7, 2], [2, 3, 4]),
                       ([4, 3, 2, 1], 1), ([1, 1, 1, 2], 2)]
]


@pytest.mark.parametrize("case", ADAPTIVE_CASES, ids=case_id)
def test_adaptive_pool(case: dict[str, Any]) -> None:
    layer, nd = case["layer"], len(case["input"]) - 1
    module = ADAPTIVE[(layer["mode"], nd)](tuple(as_list(layer["output_size"], nd)))
    out = module(torch_input(case["input"], 0))
    assert row(case["input"], layer).output_shape == cl(out.shape)
    assert reference_shape(case["input"], layer) == cl(out.shape)
    check_values(case, module, None, seed=10)


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("shape", [[6, 3], [4, 5, 2], [2, 3, 4, 5]])
def test_global_pool(shape: list[int], mode: str) -> None:
    case = {"input": shape, "layer": {"type": "global_pool", "mode": mode}}
    module = ADAPTIVE[(mode, len(shape) - 1)](1)
    out = module(torch_input(shape, 0))
    assert row(shape, case["layer"]).output_shape == cl(out.shape)
    check_values(case, module, None, seed=11)


# ---------------------------------------------------------------- upsample, pad, flatten

@pytest.mark.parametrize("shape,scale", [([5, 2], 3), ([4, 3, 2], 2), ([4, 3, 2], [1, 3]),
                                         ([2, 3, 4, 1], [2, 1, 3]), ([3, 3, 3, 2], 2),
                                         ([7, 1], 5), ([3, 2, 1], 7)])
def test_upsample(shape: list[int], scale: Any) -> None:
    nd = len(shape) - 1
    case = {"input": shape, "layer": {"type": "upsample", "scale": scale}}
    module = nn.Upsample(scale_factor=tuple(float(s) for s in as_list(scale, nd)),
                         mode="nearest")
    out = module(torch_input(shape, 0))
    assert row(shape, case["layer"]).output_shape == cl(out.shape)
    assert reference_shape(shape, case["layer"]) == cl(out.shape)
    check_values(case, module, None, seed=12)


@pytest.mark.parametrize("shape,padding", [([5, 2], 2), ([4, 3, 2], [1, 0]),
                                           ([2, 3, 4, 1], [0, 1, 2]), ([3, 3, 3], 1)])
def test_pad(shape: list[int], padding: Any) -> None:
    nd = len(shape) - 1
    case = {"input": shape, "layer": {"type": "pad", "padding": padding}}
    pad = torch_pad([(p, p) for p in as_list(padding, nd)])
    out = pad(torch_input(shape, 0))
    assert row(shape, case["layer"]).output_shape == cl(out.shape)
    check_values(case, pad, None, seed=13)


@pytest.mark.parametrize("shape", [[7], [6, 3], [4, 5, 2], [2, 3, 4, 5]])
def test_flatten(shape: list[int]) -> None:
    x = torch_input(shape, 0) if len(shape) > 1 else torch.randn(BATCH, shape[0], dtype=DTYPE)
    out = nn.Flatten()(x)
    ours = row(shape, {"type": "flatten"})
    assert ours.output_shape == [out.shape[1]]
    assert reference_shape(shape, {"type": "flatten"}) == [out.shape[1]]
    # cnnshape flattens channels-last (Keras's order): torch's flatten of the permuted tensor
    if len(shape) > 1:
        case = {"input": shape, "layer": {"type": "flatten"}}
        x1 = torch_input(shape, 14, batch=1)
        y = model(shape, case["layer"]).forward(nested(x1[0]), Recorder(0))
        torch.testing.assert_close(torch.tensor(y, dtype=DTYPE),
                                   x1.movedim(1, -1).flatten(1)[0], **TOL)


# ---------------------------------------------------------------- dense, batchnorm

@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape,units", [([7], 3), ([1], 1), ([4, 7], 5), ([3, 4, 6], 2),
                                         ([2, 3, 2, 5], 4), ([120], 84)])
def test_dense(shape: list[int], units: int, bias: bool) -> None:
    layer = {"type": "dense", "units": units, "bias": bias}
    module = nn.Linear(shape[-1], units, bias=bias, dtype=DTYPE)
    # dense acts on the last axis, as nn.Linear does: no transposition on either side
    x = torch.randn(BATCH, *shape, dtype=DTYPE, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = module(x)
    ours = row(shape, layer)
    assert ours.output_shape == list(out.shape[1:])
    assert ours.params == n_params(module)
    assert ours.macs == total_macs(module, x)
    assert reference_shape(shape, layer) == list(out.shape[1:])
    x1 = x[:1]
    recorder = Recorder(15)
    y = model(shape, layer).forward(x1[0].tolist(), recorder)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(recorder.drawn[:units], dtype=DTYPE))
        if bias:
            module.bias.copy_(torch.tensor(recorder.drawn[units], dtype=DTYPE))
        torch.testing.assert_close(torch.tensor(y, dtype=DTYPE), module(x1)[0], **TOL)


@pytest.mark.parametrize("shape", [[6], [10, 3], [5, 4, 8], [3, 4, 5, 2]])
def test_batchnorm(shape: list[int]) -> None:
    channels, nd = shape[-1], len(shape) - 1
    module = BATCHNORM[nd](channels, eps=1e-3, dtype=DTYPE).eval()
    ours = row(shape, {"type": "batchnorm", "eps": 1e-3})
    assert ours.params == n_params(module)  # gamma, beta
    # running_mean and running_var; torch's num_batches_tracked counter is no parameter
    assert ours.non_trainable_params == module.running_mean.numel() + module.running_var.numel()
    x = (torch_input(shape, 0) if nd else
         torch.randn(BATCH, channels, dtype=DTYPE, generator=torch.Generator().manual_seed(0)))
    assert ours.output_shape == (cl(module(x).shape) if nd else list(module(x).shape[1:]))
    if nd:
        case = {"input": shape, "layer": {"type": "batchnorm", "eps": 1e-3}}

        def load_stats(bn: Any, recorder: Recorder, layer: Any) -> None:
            gamma, beta, mean, var = recorder.drawn  # cnnshape uses |v| + 1 as the variance
            with torch.no_grad():
                bn.weight.copy_(torch.tensor(gamma, dtype=DTYPE))
                bn.bias.copy_(torch.tensor(beta, dtype=DTYPE))
                bn.running_mean.copy_(torch.tensor(mean, dtype=DTYPE))
                bn.running_var.copy_(torch.tensor([abs(v) + 1.0 for v in var], dtype=DTYPE))

        check_values(case, module, load_stats, seed=16)


# ---------------------------------------------------------------- activations

ACTIVATIONS = {
    "relu": F.relu, "relu6": F.relu6, "leaky_relu": F.leaky_relu, "elu": F.elu, "gelu": F.gelu,
    "silu": F.silu, "sigmoid": torch.sigmoid, "hardsigmoid": F.hardsigmoid,
    "hardswish": F.hardswish, "tanh": torch.tanh, "softmax": lambda x: F.softmax(x, dim=1),
}


@pytest.mark.parametrize("function", sorted(ACTIVATIONS))
def test_activation(function: str) -> None:
    case = {"input": [4, 3, 5], "layer": {"type": "activation", "function": function}}
    x = torch_input(case["input"], 17, batch=1) * 4  # wide enough to pass every kink
    y = model(case["input"], case["layer"]).forward(nested(x[0]), Recorder(0))
    torch.testing.assert_close(to_torch(y), ACTIVATIONS[function](x), **TOL)


# ---------------------------------------------------------------- whole networks

def test_lenet_spec_file() -> None:
    """specs/lenet.json against the same network in torch: every shape, params, MACs."""
    from pathlib import Path

    spec = Path(__file__).resolve().parents[1] / "specs" / "lenet.json"
    report = cnnshape.analyze(str(spec))
    net = nn.Sequential(nn.Conv2d(3, 8, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5),
                        nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                        nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10), nn.Softmax(dim=1))
    x = torch.zeros(BATCH, 3, 32, 32)
    assert report.totals.params == n_params(net)
    assert report.totals.macs == total_macs(net, x)
    shapes, y = [], x
    for layer in net:
        y = layer(y)
        if not isinstance(layer, (nn.ReLU, nn.Softmax)):
            shapes.append(cl(y.shape) if y.dim() > 2 else list(y.shape[1:]))
    assert [r.output_shape for r in report.rows[1:]] == shapes


def test_residual_concat_network() -> None:
    """A strided bottleneck with a projection shortcut, then an inception-style concat."""
    spec = {"input": [9, 9, 4], "layers": [
        {"type": "residual", "activation": "relu",
         "body": [{"type": "conv", "filters": 8, "kernel": 3, "stride": 2, "padding": 1,
                   "bias": False},
                  {"type": "batchnorm"},
                  {"type": "activation", "function": "relu"},
                  {"type": "conv", "filters": 8, "kernel": 3, "padding": 1, "groups": 8}],
         "shortcut": [{"type": "conv", "filters": 8, "kernel": 1, "stride": 2}]},
        {"type": "concat", "branches": [
            [],
            [{"type": "conv", "filters": 4, "kernel": 1}],
            [{"type": "pool", "kernel": 3, "stride": 1, "padding": 1},
             {"type": "conv_transpose", "filters": 2, "kernel": 3, "padding": 1}]]},
        {"type": "global_pool"}, {"type": "flatten"}, {"type": "dense", "units": 10}]}

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.body = nn.Sequential(nn.Conv2d(4, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8),
                                      nn.ReLU(), nn.Conv2d(8, 8, 3, padding=1, groups=8))
            self.shortcut = nn.Conv2d(4, 8, 1, 2)
            self.branch1 = nn.Conv2d(8, 4, 1)
            self.branch2 = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.ConvTranspose2d(8, 2, 3,
                                                                                   padding=1))
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(14, 10))

        def forward(self, x: Any) -> Any:
            x = F.relu(self.body(x) + self.shortcut(x))
            x = torch.cat([x, self.branch1(x), self.branch2(x)], dim=1)
            return self.head(x)

    net = Net()
    x = torch.zeros(BATCH, 4, 9, 9)
    report = cnnshape.analyze(spec)
    trainable = sum(p.numel() for p in net.parameters())
    buffers = sum(b.numel() for name, b in net.named_buffers() if "running" in name)
    assert report.totals.params == trainable
    assert report.totals.non_trainable_params == buffers
    assert report.totals.macs == total_macs(net, x)
    assert report.output_shape == list(net(x).shape[1:])
    assert cnnshape.verify(spec).ok
