"""The PyTorch exporter against torch itself and against cnnshape's reference pass.

Every zoo spec is exported, built by ``to_torch`` and run on a random batch of one: each
leaf layer's output shape (read from the forward's local variable the exporter names for
it), the parameters and running statistics (counted by torch) and the MACs (counted by
forward hooks on torch's modules, formulas written out below) must equal the calculator's.

Values: small networks that use every layer kind and the awkward geometries (TensorFlow
"same" with even kernels and strides, conv_transpose "same"/"valid"/output_padding,
average pooling with and without counted padding, ceil mode, channels-last flatten,
cropped and broadcast merges, 1-D, 3-D and flat inputs) get the weights the pure-Python
reference pass draws, and every layer's output must equal the pass's (float64, 1e-8).
"""

from __future__ import annotations

import importlib.util
import json
import math
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="the PyTorch exporter's tests need torch")
nn = torch.nn

from recording import Recording  # noqa: E402

import cnnshape  # noqa: E402
from cnnshape.frameworks.common import emit  # noqa: E402
from cnnshape.frameworks.torch.exporter import (  # noqa: E402
    RESERVED,
    TorchBackend,
    to_torch,
    torch_code,
    torch_source,
)
from cnnshape.layers import KINDS  # noqa: E402

SPECS = sorted((Path(__file__).resolve().parent.parent / "specs").glob("*.json"))
TOL = {"rtol": 1e-8, "atol": 1e-8}

pytestmark = pytest.mark.torch


# ---------------------------------------------------------------- torch side

def channels_last(shape: Any) -> list[int]:
    """torch (C, spatial...) without the batch -> cnnshape [spatial..., C]; (C,) stays."""
    shape = list(shape)
    return shape[1:] + shape[:1]


def torch_input(spec: dict[str, Any], dtype: Any = torch.float32, seed: int = 0) -> Any:
    shape = spec["input"]
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(1, shape[-1], *shape[:-1], dtype=dtype, generator=generator)


def forward_locals(net: Any, x: Any) -> tuple[Any, dict[str, Any]]:
    """Run ``net`` and keep the local variables of its forward as it returns: the
    exporter names one variable per layer, so these are every layer's outputs."""
    code = type(net).forward.__code__
    seen: dict[str, Any] = {}

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "return" and frame.f_code is code:
            seen.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        with torch.no_grad():
            out = net(x)
    finally:
        sys.setprofile(previous)
    return out, seen


CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def mac_hooks(net: Any) -> tuple[list[int], list[Any]]:
    """Multiply-accumulates per sample, from each module's own attributes and tensors:
    a conv output element is a dot product of prod(kernel) * C_in/groups inputs; a
    transposed conv's input element scatters prod(kernel) * C_out/groups products; a
    linear output element reads in_features inputs."""
    counted: list[int] = []

    def hook(module: Any, inputs: Any, output: Any) -> None:
        batch = output.shape[0]
        if isinstance(module, TRANSPOSED):
            counted.append(inputs[0].numel() // batch * math.prod(module.kernel_size)
                           * module.out_channels // module.groups)
        elif isinstance(module, CONVS):
            counted.append(output.numel() // batch * math.prod(module.kernel_size)
                           * module.in_channels // module.groups)
        elif isinstance(module, nn.Linear):
            counted.append(output.numel() // batch * module.in_features)

    handles = [m.register_forward_hook(hook) for m in net.modules()
               if isinstance(m, (*CONVS, *TRANSPOSED, nn.Linear))]
    return counted, handles


def leaf_rows(report: Any) -> list[Any]:
    return [row for row in report.rows if row.depth and not row.composite]


# ---------------------------------------------------------------- the zoo

@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.stem)
def test_zoo_shapes_params_macs(path: Path) -> None:
    spec = json.loads(path.read_text())
    report = cnnshape.analyze(path)
    code = torch_code(path)
    net = to_torch(path)
    assert not any(m.training for m in net.modules()), "to_torch returns eval mode"
    counted, handles = mac_hooks(net)
    try:
        out, seen = forward_locals(net, torch_input(spec))
    finally:
        for handle in handles:
            handle.remove()
    rows = leaf_rows(report)
    assert sorted(code.variables) == sorted(row.name for row in rows)
    for row in rows:
        produced = seen[code.variables[row.name]]
        assert channels_last(produced.shape[1:]) == row.output_shape, row.name
    assert channels_last(out.shape[1:]) == report.output_shape
    assert sum(p.numel() for p in net.parameters()) == report.totals.params
    running = sum(b.numel() for name, b in net.named_buffers() if "running_" in name)
    assert running == report.totals.non_trainable_params
    assert sum(counted) == report.totals.macs


# ---------------------------------------------------------------- values against the reference

def tensor(values: Any) -> Any:
    return torch.tensor(values, dtype=torch.float64)


def load_conv(module: Any, drawn: list[list[float]]) -> None:
    """cnnshape draws one list per filter, [taps row-major..., C_in/groups], then biases."""
    filters, per_group = module.out_channels, module.in_channels // module.groups
    weight = tensor(drawn[:filters]).reshape(filters, *module.kernel_size, per_group)
    module.weight.copy_(weight.movedim(-1, 1))
    if module.bias is not None:
        module.bias.copy_(tensor(drawn[filters]))
    assert len(drawn) == filters + (module.bias is not None)


def load_transposed(module: Any, drawn: list[list[float]]) -> None:
    """cnnshape draws [group][tap][f] lists of C_in/groups; torch's weight is
    [C_in, C_out/groups, taps...]."""
    groups, kernel = module.groups, module.kernel_size
    per_group, fg = module.in_channels // groups, module.out_channels // groups
    count = groups * math.prod(kernel) * fg
    weight = tensor(drawn[:count]).reshape(groups, *kernel, fg, per_group)
    weight = weight.movedim(-1, 1).movedim(-1, 2)                  # [G, c, f, taps...]
    module.weight.copy_(weight.reshape(module.weight.shape))
    if module.bias is not None:
        module.bias.copy_(tensor(drawn[count]))
    assert len(drawn) == count + (module.bias is not None)


def load_weights(net: Any, kinds: dict[str, str], variables: dict[str, str],
                 draws: dict[str, list[list[float]]]) -> None:
    """Put the reference pass's weights into the exported module, layer by layer."""
    for name, drawn in draws.items():
        kind, part = kinds[name], getattr(net, variables[name])
        if kind == "conv":
            load_conv(part, drawn)
        elif kind == "conv_transpose":
            load_transposed(part, drawn)
        elif kind == "dense":
            part.weight.copy_(tensor(drawn[:part.out_features]))
            if part.bias is not None:
                part.bias.copy_(tensor(drawn[part.out_features]))
        elif kind == "batchnorm":
            *affine, mean, var = drawn              # the pass's variance is |v| + 1
            if part.affine:
                gamma, beta = affine
                part.weight.copy_(tensor(gamma))
                part.bias.copy_(tensor(beta))
            part.running_mean.copy_(tensor(mean))
            part.running_var.copy_(tensor([abs(v) + 1.0 for v in var]))
        elif kind == "layernorm":
            part.weight.copy_(tensor(drawn[0]))
            part.bias.copy_(tensor(drawn[1]))
        elif kind == "scale":
            part.copy_(tensor(drawn[0]))
        else:
            raise AssertionError(f"{name}: {kind} drew weights")


def as_torch(value: Any) -> Any:
    """A channels-last nested list from the reference pass -> torch (1, C, spatial...)."""
    return tensor(value).movedim(-1, 0).unsqueeze(0)


def check_values(spec: dict[str, Any]) -> None:
    """Every leaf layer's output equals the reference pass's, with its weights."""
    report = cnnshape.analyze(spec)
    code = torch_code(spec)
    net = to_torch(spec).double()
    x = torch_input(spec, torch.float64, seed=11)
    network = cnnshape.load(spec)
    ref = Recording(network.names)
    start = x[0].movedim(0, -1).tolist()
    ref.outputs["input"] = start
    final = ref.sequence(network.layers, start, "layers")
    rows = leaf_rows(report)
    with torch.no_grad():
        load_weights(net, {row.name: row.type for row in rows}, code.variables, ref.draws)
    out, seen = forward_locals(net, x)
    for row in rows:
        ours = as_torch(ref.outputs[row.name])
        torch.testing.assert_close(seen[code.variables[row.name]], ours, **TOL,
                                   msg=lambda m, name=row.name: f"{name}: {m}")
    torch.testing.assert_close(out, as_torch(final), **TOL)


def conv(name: str, filters: int, kernel: Any, **more: Any) -> dict[str, Any]:
    return {"type": "conv", "name": name, "filters": filters, "kernel": kernel, **more}


def pool(name: str, mode: str, kernel: Any, source: str, **more: Any) -> dict[str, Any]:
    return {"type": "pool", "name": name, "mode": mode, "kernel": kernel, "from": source, **more}


def transpose(name: str, kernel: Any, stride: Any, **more: Any) -> dict[str, Any]:
    return {"type": "conv_transpose", "name": name, "filters": 2, "kernel": kernel,
            "stride": stride, "from": "input", **more}


FUNCTIONS = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "hardsigmoid",
             "hardswish", "tanh", "softmax"]

NETWORKS: dict[str, dict[str, Any]] = {
    # 9x8: "same" with k4 s2 pads H (1, 2) and W (1, 1): an explicit F.pad.
    "2d": {"input": [9, 8, 3], "layers": [
        conv("same_even", 4, 4, stride=2, padding="same", activation="relu"),       # 5x4x4
        conv("same_dilated", 4, 2, dilation=2, padding="same", activation="gelu"),  # pads (1,1)
        conv("grouped", 6, [3, 1], padding=[1, 0], groups=2, bias=False,
             activation="leaky_relu"),
        conv("same_stride3", 4, [2, 3], stride=[3, 2], padding="same", activation="elu"),
        pool("max_same", "max", 2, "grouped", stride=2, padding="same"),           # H (0, 1)
        pool("avg_same_odd", "avg", 2, "grouped", stride=2, padding="same"),       # excluded pad
        pool("avg_same_sym", "avg", 3, "grouped", stride=1, padding="same"),       # (1, 1)
        pool("avg_same_k3s2", "avg", 3, "grouped", stride=2, padding="same"),
        pool("avg_padded", "avg", 3, "grouped", stride=2, padding=1),              # counted pad
        pool("avg_ceil", "avg", 2, "grouped", stride=2, padding=1, ceil_mode=True),
        pool("max_ceil", "max", 2, "grouped", stride=[2, 3], padding=[1, 0], ceil_mode=True),
        pool("avg_valid", "avg", [2, 3], "grouped", stride=1, padding="valid"),
        {"type": "upsample", "name": "up", "scale": [2, 3], "from": "avg_valid"},
        {"type": "pad", "name": "padded", "padding": [1, 2]},
        {"type": "crop", "name": "cropped", "cropping": [2, 1]},
        {"type": "merge", "name": "cat_crop", "mode": "concat", "crop": True,
         "inputs": ["grouped", "cropped", "avg_padded"]},
        {"type": "dense", "name": "on_channels", "units": 5, "activation": "silu"},
        {"type": "batchnorm", "name": "bn", "eps": 1e-3, "momentum": 0.01},
        {"type": "layernorm", "name": "ln"},
        {"type": "scale", "name": "gamma"},
        {"type": "dropout", "name": "drop", "rate": 0.3},
        {"type": "global_pool", "name": "squeeze"},
        {"type": "global_pool", "name": "squeeze_max", "mode": "max", "from": "drop"},
        {"type": "merge", "name": "excite", "mode": "multiply", "inputs": ["drop", "squeeze"]},
        {"type": "merge", "name": "add_max", "mode": "add", "inputs": ["excite", "squeeze_max"]},
        {"type": "flatten", "name": "squeeze_flat", "from": "squeeze"},
        {"type": "merge", "name": "by_vector", "mode": "multiply",
         "inputs": ["add_max", "squeeze_flat"]},
        {"type": "adaptive_pool", "name": "adapt_avg", "output_size": [3, 4], "from": "up"},
        {"type": "adaptive_pool", "name": "adapt_max", "mode": "max", "output_size": 2,
         "from": "by_vector"},
        {"type": "residual", "name": "block", "activation": "relu6", "body": [
            conv("body1", 4, 3, padding=1, activation="hardswish"),
            conv("body2", 6, 1)],
         "shortcut": [conv("project", 6, 1, bias=False)]},
        {"type": "concat", "name": "mixed", "branches": [
            [], [conv("branch", 2, 1, activation="hardsigmoid")]]},
        {"type": "repeat", "name": "stack", "times": 2, "layers": [
            {"type": "sequential", "name": "unit", "layers": [
                conv("rconv", 8, 1, activation="sigmoid"),
                {"type": "merge", "name": "rsum", "mode": "add", "inputs": ["rconv", "mixed"]},
            ]}]},
        conv("pre", 8, 1),                                          # negative values too
        {"type": "lrn", "name": "lrn_even", "size": 4, "alpha": 0.5},  # torch's uneven window
        {"type": "softmax", "name": "probs"},
        *({"type": "activation", "name": f"act_{f}", "function": f, "from": "pre"}
          for f in FUNCTIONS),
        {"type": "flatten", "name": "flat"},                        # channels-last order
        {"type": "dense", "name": "fc", "units": 7, "activation": "tanh"},
        {"type": "dense", "name": "head", "units": 4, "activation": "softmax", "bias": False},
    ]},
    # Keras "same": out n*s; "valid": n*s + max(k' - s, 0); numeric: torch's own formula.
    "transpose": {"input": [5, 4, 4], "layers": [
        transpose("same_odd_total", 3, 2, padding="same"),          # crop (0, 1): trim
        transpose("same_even_total", 4, 2, padding="same"),         # crop (1, 1)
        transpose("same_short_kernel", 1, 3, padding="same"),       # k' < s: zeros appended
        transpose("valid_long", 3, 2, padding="valid"),
        transpose("valid_short", 2, 3, padding="valid"),            # k' < s
        transpose("valid_output_padding", 3, 2, padding="valid", output_padding=1),
        transpose("numeric", 3, 2, padding=1, output_padding=1, activation="relu"),
        transpose("same_dilated", 2, 2, padding="same", dilation=2),
        transpose("grouped", 3, [2, 1], groups=2, padding=[1, 0], bias=False),
        transpose("mixed", [3, 4], 2, padding="same"),
        transpose("dilated_output_padding", 2, 1, dilation=3, output_padding=2),
    ]},
    "1d": {"input": [17, 2], "layers": [
        conv("c1", 4, 4, stride=3, padding="same", activation="relu"),   # pads (1, 2)
        {"type": "batchnorm", "name": "bn1"},
        pool("mp", "max", 2, "bn1", stride=2, padding="same"),
        pool("ap", "avg", 4, "bn1", stride=3, padding="same"),
        {"type": "conv_transpose", "name": "ct", "filters": 3, "kernel": 3, "stride": 2,
         "padding": "same", "from": "ap"},
        {"type": "upsample", "name": "up", "scale": 3},
        {"type": "adaptive_pool", "name": "am", "mode": "max", "output_size": 4},
        {"type": "global_pool", "name": "gp", "from": "c1"},
        {"type": "flatten", "name": "f"},
        {"type": "dense", "name": "gate", "units": 3, "activation": "sigmoid"},
        {"type": "merge", "name": "gated", "mode": "multiply", "inputs": ["am", "gate"]},
        {"type": "layernorm", "name": "ln", "eps": 1e-5},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "out", "units": 3},
    ]},
    "3d": {"input": [5, 6, 7, 2], "layers": [
        conv("c1", 3, [2, 3, 4], stride=[2, 1, 2], padding="same", activation="relu"),
        pool("avg_same", "avg", [2, 2, 3], "c1", stride=2, padding="same"),
        pool("max_ceil", "max", 2, "c1", stride=2, padding=[1, 0, 1], ceil_mode=True),
        pool("avg_ceil", "avg", 3, "c1", stride=2, padding=1, ceil_mode=True),
        {"type": "conv_transpose", "name": "ct", "filters": 2, "kernel": [2, 3, 2],
         "stride": [3, 2, 1], "padding": "valid", "from": "avg_same"},
        {"type": "upsample", "name": "up", "scale": [1, 2, 1], "from": "max_ceil"},
        {"type": "pad", "name": "pd", "padding": [1, 0, 2]},
        {"type": "crop", "name": "cr", "cropping": [0, 1, 1]},
        {"type": "merge", "name": "cat", "mode": "concat", "crop": True,
         "inputs": ["ct", "cr", "c1"]},
        {"type": "batchnorm", "name": "bn"},
        {"type": "merge", "name": "product", "mode": "multiply", "crop": True,
         "inputs": ["cr", "avg_ceil"]},
        {"type": "adaptive_pool", "name": "adapt", "output_size": [2, 3, 2], "from": "bn"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc", "units": 3},
    ]},
    "flat": {"input": [6], "layers": [
        {"type": "dense", "name": "d1", "units": 5, "activation": "elu"},
        {"type": "batchnorm", "name": "bn"},
        {"type": "layernorm", "name": "ln"},
        {"type": "scale", "name": "gamma"},
        {"type": "dropout", "name": "drop"},
        {"type": "dense", "name": "back", "units": 6, "from": "input"},
        {"type": "merge", "name": "sum", "mode": "add", "inputs": ["input", "back"]},
        {"type": "activation", "name": "soft", "function": "softmax"},
        {"type": "flatten", "name": "same_order"},
        {"type": "merge", "name": "cat", "mode": "concat", "inputs": ["gamma", "same_order"]},
    ]},
    # Layer names that are nn.Module attributes, generated-code names or mangled in a class.
    "names": {"input": [4, 4, 2], "layers": [
        conv("forward", 2, 3, padding=1),
        conv("training", 2, 1),
        conv("x", 2, 1, activation="relu"),
        {"type": "batchnorm", "name": "torch"},
        {"type": "layernorm", "name": "F"},
        {"type": "scale", "name": "nn"},
        {"type": "dense", "name": "self", "units": 2},
        {"type": "merge", "name": "__hidden", "mode": "add", "inputs": ["forward", "self"]},
        conv("3x3 conv", 2, 3, padding="same"),
        conv("_modules", 2, 1),
        {"type": "residual", "name": "state_dict", "body": [conv("eval", 2, 1)]},
    ]},
    # torch's affine=False: running statistics only (Keras's scale=False, center=False)
    "batchnorm_no_affine": {"input": [4, 5, 3], "layers": [
        conv("c", 4, 3, padding=1),
        {"type": "batchnorm", "name": "plain", "scale": False, "center": False},
        {"type": "batchnorm", "name": "full"}]},
}


def test_networks_cover_every_kind() -> None:
    """The value networks use every layer kind cnnshape has, and 1, 2 and 3 spatial dims."""
    used = {row.type for spec in NETWORKS.values() for row in cnnshape.analyze(spec).rows[1:]}
    assert used == {kind.tag for kind in KINDS if "pytorch" not in kind.export_refusals}
    assert {len(spec["input"]) for spec in NETWORKS.values()} == {1, 2, 3, 4}


@pytest.mark.parametrize("name", sorted(NETWORKS))
def test_values_equal_reference_pass(name: str) -> None:
    check_values(NETWORKS[name])


def test_same_padding_written_as_torch_code() -> None:
    """Symmetric "same" becomes padding=, asymmetric an explicit pad (-inf for max pool);
    TensorFlow's average over real cells only: count_include_pad=False when symmetric,
    the ratio of two averages otherwise."""
    source = torch_source(NETWORKS["2d"])
    lines = {line.split(" = ")[0].strip(): line for line in source.splitlines() if " = " in line}
    assert "F.pad(x, (1, 1, 1, 2))" in lines["same_even"]
    assert "padding=1" in lines["self.same_dilated"]
    assert "value=float('-inf')" in lines["max_same"]
    assert "count_include_pad=False" in lines["self.avg_same_sym"]
    assert "torch.ones_like" in lines["avg_same_odd"]
    assert "count_include_pad" not in lines["self.avg_padded"]    # torch's default: counted


def test_upsample_repeats_exactly_in_float32() -> None:
    """Nearest upsampling by an integer scale repeats each value scale times. torch's
    "nearest" mode gets the source index wrong in float32 for scales such as 41."""
    spec = {"input": [3, 2, 2], "layers": [{"type": "upsample", "scale": [41, 2]}]}
    x = torch_input(spec)
    with torch.no_grad():
        out = to_torch(spec)(x)
    assert torch.equal(out, x.repeat_interleave(41, 2).repeat_interleave(2, 3))


# ---------------------------------------------------------------- the text

def test_source_file_is_the_same_module(tmp_path: Path) -> None:
    """The text written to a file imports as a module whose class, given to_torch's
    weights, is the same network: same structure, same parameters, same output."""
    spec = NETWORKS["2d"]
    path = tmp_path / "exported.py"
    path.write_text(torch_source(spec, "Exported"))
    found = importlib.util.spec_from_file_location("exported", path)
    assert found is not None and found.loader is not None
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    from_file = module.Exported().eval()
    in_memory = to_torch(spec, "Exported")
    assert repr(from_file) == repr(in_memory)
    from_file.load_state_dict(in_memory.state_dict(), strict=True)
    x = torch_input(spec)
    with torch.no_grad():
        assert torch.equal(from_file(x), in_memory(x))
    run = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_header_and_class_name() -> None:
    """LeNet's totals as the README derives them by hand; shapes in PyTorch's order."""
    source = torch_source(SPECS[0].parent / "lenet.json")
    head = source.split("import torch")[0]
    assert "Generated by cnnshape from" in head and "lenet.json" in head
    assert "(N, 3, 32, 32) in PyTorch's order (N, C, H, W)" in head
    assert "62,958 trainable parameters" in head and "849,320 multiply-accumulates" in head
    assert "class LeNet5CourseExample(nn.Module):" in source
    audio = torch_source(SPECS[0].parent / "audio1d.json", "M5")
    assert "(N, 1, 8000) in PyTorch's order (N, C, L)" in audio and "class M5(nn.Module)" in audio
    assert "class Net(nn.Module)" in torch_source({"input": [4], "layers": [
        {"type": "dense", "units": 2}]})
    odd = {"name": '3 """quotes"""\nand\x00null', "input": [4], "layers": [
        {"type": "dense", "units": 2}]}
    net = to_torch(odd)
    assert type(net).__name__ == "Net3QuotesAndNull"


def test_reserved_names_cover_torch_modules() -> None:
    """A layer may not take an attribute nn.Module has: the list must keep up with torch."""
    assert set(dir(nn.Module())) - {n for n in dir(nn.Module()) if n.startswith("__")} <= RESERVED


# ---------------------------------------------------------------- errors

def one_line_error(call: Callable[[], Any]) -> str:
    with pytest.raises(cnnshape.SpecError) as error:
        call()
    text = str(error.value)
    assert len(text.splitlines()) == 1, text
    return text


def test_invalid_spec_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"input": [8, 8, 3], "layers": [
        {"type": "flatten"}, {"type": "conv", "name": "late", "filters": 2, "kernel": 3}]}))
    text = one_line_error(lambda: to_torch(path))
    assert text.startswith(f'{path}: layers[1] (conv "late"): conv needs spatial dimensions')
    assert one_line_error(lambda: torch_source(path)) == text


def test_bad_class_name_one_line() -> None:
    text = one_line_error(lambda: torch_source(NETWORKS["flat"], "not a name"))
    assert text == "<spec>: class name 'not a name' is not a usable Python identifier"
    one_line_error(lambda: torch_source(NETWORKS["flat"], "class"))


def test_every_kind_exported_and_a_missing_one_is_one_line() -> None:
    """Every kind has a writer or declares its torch module, except Keras's preprocessing
    normalization, which says why; a backend without a kind names the layer in one line."""
    from cnnshape.frameworks.torch.exporter import WRITERS

    for kind in KINDS:
        if not kind.composite and kind.tag != "normalization":
            assert kind.tag in WRITERS or "pytorch" in kind.exports, kind.tag
            assert "pytorch" not in kind.export_refusals, kind.tag
    refusal = one_line_error(lambda: torch_source(
        {"input": [4, 4, 3], "layers": [{"type": "normalization", "name": "n"}]}))
    assert refusal == ('<spec>: layers[0] (normalization "n"): export to pytorch: PyTorch has '
                       "no normalisation layer with stored statistics (torchvision normalises "
                       "in its input transforms)")

    class NoScale(TorchBackend):
        emit_scale = None  # type: ignore[assignment]

    spec = {"input": [4, 2], "layers": [{"type": "conv", "filters": 2, "kernel": 1},
                                        {"type": "scale", "name": "gamma"}]}
    text = one_line_error(lambda: emit.emit(cnnshape.load(spec), NoScale()))
    assert text == ('<spec>: layers[1] (scale "gamma"): export to pytorch: scale layers have '
                    'no pytorch equivalent here')


def test_avg_pool_3d_smaller_than_its_kernel_is_refused() -> None:
    """cnnshape pools a padded 2x4x4 input with a k3 window; torch's AvgPool3d refuses it."""
    spec = {"input": [2, 4, 4, 1], "layers": [
        {"type": "pool", "name": "p", "mode": "avg", "kernel": 3, "padding": 1, "stride": 1}]}
    assert cnnshape.analyze(spec).rows[-1].output_shape == [2, 4, 4, 1]
    message = one_line_error(lambda: torch_source(spec))
    assert 'layers[0] (pool "p")' in message and "AvgPool3d refuses" in message
