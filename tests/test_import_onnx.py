"""Importing ONNX graphs (cnnshape.frameworks.onnx_import.from_onnx).

Every expected number comes from outside the importer: arithmetic written out here, a
PyTorch run of the same module (forward hooks for shapes and MACs, ``parameters()`` and
the BatchNorm buffers for counts), ONNX's own shape inference, or the original spec the
ONNX file was exported from.

Which PyTorch exporter. torch 2.13's ``torch.onnx.export`` defaults to ``dynamo=True``
(torch.export + onnxscript); the TorchScript exporter is still there behind
``dynamo=False``, deprecated. Both are used, each where it fits:

* the round trip of all 23 specs uses the TorchScript exporter: it exports them in about
  40 s in all on this project's 2-core machine, the dynamo exporter in 2 to 4 minutes (1 to
  25 s per network; both round-trip every spec, measured while writing this). It runs
  with the model in training mode, ``training=PRESERVE`` and no constant folding, so the
  graph keeps every layer: in eval mode BatchNorm is folded into the convolution before it
  and Dropout disappears. ``export_params=False`` leaves the weights out and they are
  declared as external data (a .onnx with its weights in a side file, as big models are
  stored): the importer reads only the weights' dims, and VGG's 550 MB of weights would
  otherwise dominate the time;
* the hand-written models and two specs use the default dynamo exporter, in eval mode
  (its training-mode graphs return BatchNorm's updated statistics as extra outputs) with
  ``optimize=False``: its optimizer folds BatchNorm into the convolution too. In eval mode
  it writes Dropout as an Identity, so the models compared with it have no dropout.

The round trip accounts for what ONNX cannot say, explicitly (``tokens``): ONNX has no
adaptive pooling (the exporters write a fixed window when the output size divides the
input, a global mean when it is 1), and an activation right after a conv or dense layer
that nothing else reads is imported as that layer's ``activation`` field.

The committed fixture tests/data/onnx/tiny_lenet.onnx (4 kB, made by ``tiny_lenet_bytes``
below) lets the first tests run with only onnx installed.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

onnx = pytest.importorskip("onnx", reason="importing ONNX needs the onnx package "
                                          "(pip install 'cnnshape[onnx]')")
np = pytest.importorskip("numpy", reason="onnx needs numpy")
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import cnnshape  # noqa: E402
from cnnshape.core.errors import SpecError  # noqa: E402
from cnnshape.frameworks.onnx.importer import from_onnx  # noqa: E402
from cnnshape.layers.activation import FUNCTIONS  # noqa: E402

HERE = Path(__file__).resolve().parent
SPECS = HERE.parent / "specs"
FIXTURE = HERE / "data" / "onnx" / "tiny_lenet.onnx"
FUSABLE = ("conv", "conv_transpose", "dense")

pytestmark = pytest.mark.onnx


def need_torch() -> Any:
    return pytest.importorskip("torch", reason="exporting test models to ONNX needs torch")


def leaves(spec: Any) -> list[Any]:
    """The report's rows without composites (their numbers are their children's sums)."""
    return [r for r in cnnshape.analyze(spec, receptive=False).rows if not r.composite]


def by_name(spec: Any) -> dict[str, Any]:
    return {r.name: r for r in leaves(spec)}


def one_line_error(call: Any, *parts: str) -> str:
    """The call fails with one line naming every part (the file, the node, the op)."""
    with pytest.raises(SpecError) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and "Traceback" not in text
    for part in parts:
        assert part in text, (part, text)
    return text


# ---------------------------------------------------------------- the committed fixture

def tiny_lenet_bytes() -> bytes:
    """The recipe of tests/data/onnx/tiny_lenet.onnx: a LeNet on 16x16x1 images with
    4 and 8 filters, exported by PyTorch's TorchScript exporter in eval mode at opset 13
    (how most .onnx files in the wild were written: Flatten, Gemm with transB)."""
    torch = need_torch()
    nn, F = torch.nn, torch.nn.functional

    class TinyLeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(1, 4, 5)
            self.conv2 = nn.Conv2d(4, 8, 3)
            self.fc = nn.Linear(32, 10)

        def forward(self, x: Any) -> Any:
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            return torch.softmax(self.fc(torch.flatten(x, 1)), dim=1)

    torch.manual_seed(0)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(TinyLeNet().eval(), (torch.zeros(1, 1, 16, 16),), buffer,
                          dynamo=False, opset_version=13, input_names=["image"],
                          output_names=["probabilities"])
    return buffer.getvalue()


def test_fixture_imports_with_only_onnx() -> None:
    spec = from_onnx(FIXTURE)
    assert spec["input"] == [16, 16, 1]
    rows = leaves(spec)
    # 16 -(k5)-> 12 -(pool 2)-> 6 -(k3)-> 4 -(pool 2)-> 2; flatten 2*2*8 = 32
    assert [(r.type, r.output_shape) for r in rows] == [
        ("input", [16, 16, 1]), ("conv", [12, 12, 4]), ("pool", [6, 6, 4]),
        ("conv", [4, 4, 8]), ("pool", [2, 2, 8]), ("flatten", [32]), ("dense", [10])]
    assert [r.params for r in rows] == [0, (5 * 5 * 1 + 1) * 4, 0, (3 * 3 * 4 + 1) * 8, 0, 0,
                                       32 * 10 + 10]
    assert [r.macs for r in rows] == [0, 12 * 12 * 4 * (5 * 5 * 1), 0, 4 * 4 * 8 * (3 * 3 * 4),
                                     0, 0, 32 * 10]
    assert [r.name for r in rows if r.params] == ["conv1", "conv2", "fc"]  # the module names
    conv1, conv2, fc = (layer for layer in spec["layers"] if layer["type"] in FUSABLE)
    assert conv1["activation"] == conv2["activation"] == "relu"
    assert fc["activation"] == "softmax"


def test_fixture_shapes_agree_with_onnx_shape_inference() -> None:
    """ONNX's own shape inference on the fixture, read channels-first, against the spec."""
    model = onnx.shape_inference.infer_shapes(onnx.load(str(FIXTURE)))
    shapes = {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
              for v in [*model.graph.value_info, *model.graph.output]}
    onnx_order = []
    for node in model.graph.node:
        if node.op_type in ("Conv", "MaxPool", "Flatten", "Gemm"):
            n, *rest = shapes[node.output[0]]
            assert n == 1
            onnx_order.append(rest if len(rest) == 1 else [*rest[1:], rest[0]])
    ours = [r.output_shape for r in leaves(from_onnx(FIXTURE))[1:]]
    assert ours == onnx_order


def test_sources_path_bytes_model_agree(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    from_path = from_onnx(str(FIXTURE))
    assert from_onnx(FIXTURE) == from_path
    assert from_onnx(data)["layers"] == from_path["layers"]
    assert from_onnx(onnx.load_from_string(data))["layers"] == from_path["layers"]
    assert from_path["name"] == "tiny_lenet"  # the file's name: the graph's is the exporter's
    assert from_onnx(data, name="My LeNet")["name"] == "My LeNet"
    assert "Imported from ONNX" in from_path["description"]
    with pytest.raises(TypeError):
        from_onnx(12345)


def test_fixture_is_its_recipe() -> None:
    """The committed file is what ``tiny_lenet_bytes`` writes (weights aside)."""
    fresh = onnx.load_from_string(tiny_lenet_bytes())
    committed = onnx.load(str(FIXTURE))

    def structure(model: Any) -> Any:
        return ([(n.op_type, sorted((a.name, str(helper.get_attribute_value(a)))
                                    for a in n.attribute)) for n in model.graph.node],
                sorted((t.name, list(t.dims)) for t in model.graph.initializer))

    assert structure(fresh) == structure(committed)


def test_weights_are_never_read(tmp_path: Path) -> None:
    """A model saved with its weights in a side file imports without that file."""
    model = onnx.load(str(FIXTURE))
    path = tmp_path / "lenet.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="lenet.data",
                    size_threshold=0)
    (tmp_path / "lenet.data").unlink()
    assert from_onnx(path)["layers"] == from_onnx(FIXTURE)["layers"]


# ---------------------------------------------------------------- the spec round trip

def tokens(spec: Any) -> list[tuple[Any, ...]]:
    """Leaf rows as (kind, shape, params, non-trainable, MACs, fused activation), with
    what ONNX cannot say accounted for: adaptive_pool. ONNX has no adaptive pooling.
    PyTorch's exporters write a window of input/output when that divides (AlexNet's and
    VGG's 6->6 and 7->7 are a k1 pool), a global mean when the output is 1: the kind it
    must come back as. Activations come back as written: fused where the exported module
    called a function after the layer, rows where it had an activation module.
    """
    out: list[list[Any]] = []
    for row in leaves(spec):
        kind = row.type
        if kind == "adaptive_pool":
            kind = "global_pool" if all(v == 1 for v in row.output_shape[:-1]) else "pool"
        fused = None
        if kind in FUSABLE:
            last = row.details.rsplit(", ", 1)[-1]
            fused = last if last in FUNCTIONS else None
        out.append([kind, row.output_shape, row.params, row.non_trainable_params, row.macs,
                    fused])
    return [tuple(t) for t in out]


def externalize(model: Any) -> Any:
    """Weights exported as graph inputs (export_params=False) -> initializers stored in
    an external file, as a .onnx saved with its weights aside: dims, no data."""
    _, *weights = model.graph.input
    for value in weights:
        tensor = TensorProto(name=value.name, data_type=value.type.tensor_type.elem_type,
                             dims=[d.dim_value for d in value.type.tensor_type.shape.dim])
        tensor.data_location = TensorProto.EXTERNAL
        for key, text in (("location", "weights.bin"), ("offset", "0"), ("length", "0")):
            entry = tensor.external_data.add()
            entry.key, entry.value = key, text
        model.graph.initializer.append(tensor)
    del model.graph.input[1:]
    return model


@contextlib.contextmanager
def one_thread() -> Any:
    """Tracing runs the network once; on a busy 2-core machine torch's second thread
    makes ResNet-152's export take 11 s instead of 2."""
    torch = need_torch()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def torchscript_export(module: Any, x: Any) -> Any:
    """The TorchScript exporter, in training mode, nothing folded (see the module doc)."""
    torch = need_torch()
    buffer = io.BytesIO()
    module.train()
    with warnings.catch_warnings(), one_thread():
        warnings.simplefilter("ignore")  # its deprecation notices
        torch.onnx.export(module, (x,), buffer, dynamo=False,
                          training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                          export_params=False)
    return externalize(onnx.load_from_string(buffer.getvalue()))


def to_torch() -> Any:
    need_torch()
    try:
        from cnnshape.frameworks.torch.exporter import to_torch as convert
    except ImportError:
        pytest.skip("cnnshape.frameworks.torch_export.to_torch is not written yet")
    return convert


def blocks(spec: Any) -> list[tuple[str, list[int]]]:
    """The residual and concat blocks in order, with their output shapes. (sequential and
    repeat only group layers: an ONNX graph has no trace of them.)"""
    return [(r.type, r.output_shape) for r in cnnshape.analyze(spec, receptive=False).rows
            if r.type in ("residual", "concat")]


def compare_round_trip(spec: dict[str, Any], imported: dict[str, Any]) -> None:
    """The same table: totals, leaf rows (tokens), the residual and concat blocks, and the
    names of layers with weights (PyTorch's attribute names: the spec's with characters
    other than letters, digits and _ replaced by _)."""
    before = cnnshape.analyze(spec, receptive=False).totals
    after = cnnshape.analyze(imported, receptive=False).totals
    assert (after.params, after.non_trainable_params, after.macs) == \
        (before.params, before.non_trainable_params, before.macs)
    assert tokens(imported) == tokens(spec)
    assert blocks(imported) == blocks(spec)
    names = [re.sub(r"\W", "_", r.name) for r in leaves(spec) if r.params]
    assert [r.name for r in leaves(imported) if r.params] == names


SPEC_FILES = sorted(SPECS.glob("*.json"))


@pytest.mark.parametrize("path", SPEC_FILES, ids=lambda p: p.stem)
def test_round_trip_every_spec(path: Path) -> None:
    """spec -> to_torch -> ONNX (TorchScript exporter) -> from_onnx: the same table."""
    convert = to_torch()
    torch = need_torch()
    spec = json.loads(path.read_text())
    shape = spec["input"]
    model = torchscript_export(convert(spec), torch.zeros(1, shape[-1], *shape[:-1]))
    compare_round_trip(spec, from_onnx(model))


def dynamo_export(module: Any, x: Any) -> Any:
    """torch 2.13's default exporter, eval mode, its optimizer off (see the module doc)."""
    torch = need_torch()
    pytest.importorskip("onnxscript", reason="torch's default ONNX exporter needs onnxscript")
    module.eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), one_thread():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, (x,), dynamo=True, optimize=False)
    return program.model_proto


@pytest.mark.parametrize("name", ["audio1d", "lenet"])
def test_round_trip_with_the_dynamo_exporter(name: str) -> None:
    """The default exporter's own forms: a 1-D global pool as Unsqueeze, ReduceMean and
    Squeeze; flatten as a Reshape to a constant [1, 400]; module paths in metadata."""
    convert = to_torch()
    torch = need_torch()
    spec = json.loads((SPECS / f"{name}.json").read_text())
    shape = spec["input"]
    model = dynamo_export(convert(spec), torch.zeros(1, shape[-1], *shape[:-1]))
    compare_round_trip(spec, from_onnx(model))


# ---------------------------------------------------------------- hand-written torch models

def torch_facts(module: Any, x: Any) -> tuple[dict[str, list[int]], int, int, int]:
    """What torch says: each leaf module's output shape (torch's order, no batch), the
    trainable parameters, BatchNorm's running statistics and the MACs, counted by hooks
    with the formulas written out (conv: every output element is a dot product of
    k^d * C_in/groups; linear: every output element reads in_features)."""
    torch = need_torch()
    nn = torch.nn
    shapes: dict[str, list[int]] = {}
    macs = [0]

    def hook_for(name: str) -> Any:
        def hook(mod: Any, inputs: Any, output: Any) -> None:
            shapes[name] = list(output.shape[1:])
            if isinstance(mod, nn.ConvTranspose2d):
                macs[0] += (inputs[0].numel() * math.prod(mod.kernel_size)
                            * mod.out_channels // mod.groups)
            elif isinstance(mod, (nn.Conv1d, nn.Conv2d)):
                macs[0] += (output.numel() * math.prod(mod.kernel_size)
                            * mod.in_channels // mod.groups)
            elif isinstance(mod, nn.Linear):
                macs[0] += output.numel() * mod.in_features
        return hook

    handles = [m.register_forward_hook(hook_for(n)) for n, m in module.named_modules()
               if n and not list(m.children())]
    try:
        module.eval()
        with torch.no_grad():
            module(x)
    finally:
        for handle in handles:
            handle.remove()
    params = sum(p.numel() for p in module.parameters())
    stats = sum(b.numel() for n, b in module.named_buffers() if n.endswith(("running_mean",
                                                                            "running_var")))
    return shapes, params, stats, macs[0]


def check_against_torch(module: Any, x: Any, channels_last: tuple[str, ...] = ()
                        ) -> dict[str, Any]:
    """Export with the default exporter, import, and compare with torch: the totals, and
    the output shape of every module that names a row (layers are named by their module
    path; an activation module folded into the conv before it names none). Every module
    with weights must name a row. ``channels_last``: modules torch runs on a permuted,
    already channels-last map."""
    spec = from_onnx(dynamo_export(module, x))
    shapes, params, stats, macs = torch_facts(module, x)
    rows = by_name(spec)
    for name, shape in shapes.items():
        if name not in channels_last and len(shape) > 1:
            shape = [*shape[1:], shape[0]]
        if name in rows:
            assert rows[name].output_shape == shape, name
    weighted = {n for n, m in module.named_modules()
                if n in shapes and any(True for _ in m.parameters())}
    assert weighted <= set(rows)
    totals = cnnshape.analyze(spec, receptive=False).totals
    assert (totals.params, totals.non_trainable_params, totals.macs) == (params, stats, macs)
    return spec


def test_plain_lenet_with_torch_flatten() -> None:
    torch = need_torch()
    nn, F = torch.nn, torch.nn.functional

    class LeNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1, self.pool1 = nn.Conv2d(3, 6, 5), nn.MaxPool2d(2)
            self.conv2, self.pool2 = nn.Conv2d(6, 16, 5), nn.MaxPool2d(2)
            self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), \
                nn.Linear(84, 10)

        def forward(self, x: Any) -> Any:
            x = self.pool1(F.relu(self.conv1(x)))
            x = self.pool2(F.relu(self.conv2(x)))
            x = torch.flatten(x, 1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    spec = check_against_torch(LeNet(), torch.zeros(1, 3, 32, 32))
    # torch.flatten is a Reshape to the constant [1, 400] here: a flatten all the same
    assert [layer["type"] for layer in spec["layers"]] == [
        "conv", "pool", "conv", "pool", "flatten", "dense", "dense", "dense"]
    assert [layer["name"] for layer in spec["layers"] if layer["type"] != "flatten"] == [
        "conv1", "pool1", "conv2", "pool2", "fc1", "fc2", "fc3"]
    assert [layer.get("activation") for layer in spec["layers"]] == [
        "relu", None, "relu", None, None, "relu", "relu", None]


def test_residual_block() -> None:
    """ResNet's basic block with a strided projection shortcut comes back as a residual."""
    torch = need_torch()
    nn = torch.nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
            self.bn1, self.relu = nn.BatchNorm2d(16), nn.ReLU()
            self.conv2 = nn.Conv2d(16, 16, 3, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(16)
            self.downsample = nn.Sequential(nn.Conv2d(8, 16, 1, stride=2, bias=False),
                                            nn.BatchNorm2d(16))

        def forward(self, x: Any) -> Any:
            y = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
            return self.relu(y + self.downsample(x))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 8, 3, padding=1)
            self.block = Block()
            self.pool, self.fc = nn.AdaptiveAvgPool2d(1), nn.Linear(16, 5)

        def forward(self, x: Any) -> Any:
            return self.fc(torch.flatten(self.pool(self.block(self.stem(x))), 1))

    spec = check_against_torch(Net(), torch.zeros(1, 3, 15, 15))
    residual = [layer for layer in spec["layers"] if layer["type"] == "residual"]
    # the relu after the add is the nn.ReLU module's second call: a row of its own after
    # the block, as from_torch keeps activation modules
    assert len(residual) == 1 and "activation" not in residual[0]
    after = spec["layers"][spec["layers"].index(residual[0]) + 1]
    assert (after["type"], after["function"]) == ("activation", "relu")
    assert [layer["name"] for layer in residual[0]["shortcut"]] == ["block.downsample.0",
                                                                   "block.downsample.1"]
    assert by_name(spec)["block.conv1"].output_shape == [8, 8, 16]  # ceil(15 / 2)


def test_squeeze_and_excitation() -> None:
    """x * gate(x) with a [N, C, 1, 1] gate: a merge multiply that broadcasts."""
    torch = need_torch()
    nn, F = torch.nn, torch.nn.functional

    class SE(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(3, 16, 3, padding=1)
            self.squeeze = nn.AdaptiveAvgPool2d(1)
            self.fc1, self.fc2 = nn.Conv2d(16, 4, 1), nn.Conv2d(4, 16, 1)
            self.out = nn.Conv2d(16, 8, 1)

        def forward(self, x: Any) -> Any:
            x = F.hardswish(self.conv(x))
            gate = F.hardsigmoid(self.fc2(F.relu(self.fc1(self.squeeze(x)))))
            return self.out(x * gate)

    spec = check_against_torch(SE(), torch.zeros(1, 3, 10, 10))
    merges = [r for r in leaves(spec) if r.type == "merge"]
    assert len(merges) == 1 and merges[0].output_shape == [10, 10, 16]
    assert by_name(spec)["squeeze"].output_shape == [1, 1, 16]


def test_upsample_pad_crop_concat() -> None:
    """A U-Net step: transposed conv, a skip center-cropped by slicing (an odd difference,
    so only a merge's center crop can say it), nearest upsampling, zero padding."""
    torch = need_torch()
    nn, F = torch.nn, torch.nn.functional

    class Up(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.Conv2d(2, 8, 3)
            self.down = nn.MaxPool2d(2)
            self.mid = nn.Conv2d(8, 16, 3)
            self.up = nn.ConvTranspose2d(16, 8, 2, stride=2)
            self.dec = nn.Conv2d(16, 4, 3)

        def forward(self, x: Any) -> Any:
            skip = self.enc(x)                       # 19 -> 17
            y = self.up(self.mid(self.down(skip)))   # 17 -> 8 -> 6 -> 12
            skip = skip[:, :, 2:14, 2:14]            # 17 -> 12: 2 off the start, 3 off the end
            y = self.dec(torch.cat([skip, y], dim=1))            # 12 -> 10
            y = F.pad(F.interpolate(y, scale_factor=2, mode="nearest"), (1, 1, 1, 1))
            return F.leaky_relu(y, 0.01)             # 20 + 2 = 22

    spec = check_against_torch(Up(), torch.zeros(1, 2, 19, 19))
    rows = leaves(spec)
    merge = [r for r in rows if r.type == "merge"]
    assert len(merge) == 1 and merge[0].output_shape == [12, 12, 16]
    assert "center crop" in merge[0].details
    assert [r.type for r in rows[-3:]] == ["upsample", "pad", "activation"]
    assert rows[-1].output_shape == [22, 22, 4]


def test_channels_last_block() -> None:
    """ConvNeXt's block: permute to channels-last, LayerNorm and Linear on channels, a
    per-channel layer scale, permute back, a residual add."""
    torch = need_torch()
    nn, F = torch.nn, torch.nn.functional

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dwconv = nn.Conv2d(8, 8, 7, padding=3, groups=8)
            self.norm = nn.LayerNorm(8, eps=1e-6)
            self.pwconv1, self.pwconv2 = nn.Linear(8, 32), nn.Linear(32, 8)
            self.gamma = nn.Parameter(torch.full((8,), 1e-6))

        def forward(self, x: Any) -> Any:
            y = self.dwconv(x).permute(0, 2, 3, 1)
            y = self.gamma * self.pwconv2(F.gelu(self.pwconv1(self.norm(y))))
            return x + y.permute(0, 3, 1, 2)

    spec = check_against_torch(Block(), torch.zeros(1, 8, 9, 9),
                               channels_last=("norm", "pwconv1", "pwconv2"))
    rows = by_name(spec)
    assert rows["norm"].type == "layernorm" and rows["norm"].params == 2 * 8
    assert rows["pwconv1"].output_shape == [9, 9, 32]
    scale = [r for r in rows.values() if r.type == "scale"]
    assert len(scale) == 1 and scale[0].params == 8
    assert [layer["type"] for layer in spec["layers"]] == ["residual"]


# ---------------------------------------------------------------- graphs written with onnx.helper

def graph_model(nodes: list[Any], shape: list[Any], output: str,
                weights: dict[str, list[int]] | None = None, opset: int = 17,
                input_name: str = "x", values: dict[str, Any] | None = None) -> Any:
    """A one-input, one-output model; weights are random initializers of those shapes,
    ``values`` initializers with given contents."""
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal(dims).astype(np.float32), name)
             for name, dims in (weights or {}).items()]
    inits += [numpy_helper.from_array(np.asarray(v), name) for name, v in (values or {}).items()]
    graph = helper.make_graph(
        nodes, "test", [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, shape)],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model = onnx.shape_inference.infer_shapes(model)  # the output's type, for the checker
    onnx.checker.check_model(model)
    return model


def runtime_shape(model: Any, shape: list[int]) -> list[int] | None:
    """The output shape onnxruntime computes, channels-last without batch; None without it."""
    try:
        import onnxruntime
    except ImportError:
        return None
    session = onnxruntime.InferenceSession(model.SerializeToString(),
                                           providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {session.get_inputs()[0].name:
                                np.zeros(shape, dtype=np.float32)})
    rest = list(out.shape[1:])
    return rest if len(rest) == 1 else [*rest[1:], rest[0]]


def agrees_with_runtime(spec: dict[str, Any], model: Any, shape: list[int]) -> None:
    measured = runtime_shape(model, shape)
    if measured is not None:
        assert cnnshape.analyze(spec).output_shape == measured


def test_gemm_transb_and_matmul_add() -> None:
    nodes = [
        helper.make_node("Gemm", ["x", "w1"], ["h1"], transB=0),             # no bias
        helper.make_node("Gemm", ["h1", "w2", "b2"], ["h2"], transB=1, alpha=0.5),
        helper.make_node("Relu", ["h2"], ["h3"]),
        helper.make_node("MatMul", ["h3", "w3"], ["h4"]),
        helper.make_node("Add", ["h4", "b3"], ["h5"]),                        # its bias
        helper.make_node("MatMul", ["h5", "w4"], ["y"]),                      # no bias
    ]
    model = graph_model(nodes, [1, 20], "y", {"w1": [20, 7], "w2": [5, 7], "b2": [5],
                                              "w3": [5, 6], "b3": [6], "w4": [6, 3]})
    spec = from_onnx(model)
    rows = leaves(spec)[1:]
    assert [(r.type, r.output_shape, r.params) for r in rows] == [
        ("dense", [7], 20 * 7), ("dense", [5], 7 * 5 + 5), ("dense", [6], 5 * 6 + 6),
        ("dense", [3], 6 * 3)]
    assert spec["layers"][1]["activation"] == "relu"
    assert [layer.get("bias", True) for layer in spec["layers"]] == [False, True, True, False]
    agrees_with_runtime(spec, model, [1, 20])


def test_auto_pad_and_tensorflow_same() -> None:
    """auto_pad SAME_UPPER is TensorFlow's "same": ceil(n/s); explicit asymmetric pads
    that equal it too; SAME_LOWER with even total padding is symmetric."""
    nodes = [
        # 8x8, k3 s2 SAME_UPPER: ceil(8/2) = 4; total padding (4-1)*2+3-8 = 1, after
        helper.make_node("Conv", ["x", "w1"], ["a"], kernel_shape=[3, 3], strides=[2, 2],
                         auto_pad="SAME_UPPER"),
        # 4x4, k2 s2: total padding (2-1)*2+2-4 = 0, nothing to place
        helper.make_node("Conv", ["a", "w2"], ["b"], kernel_shape=[2, 2], strides=[2, 2],
                         auto_pad="SAME_LOWER"),
        # 2x2, k3 s1: total 2, one before and one after whichever side takes the odd one
        helper.make_node("Conv", ["b", "w3"], ["c"], kernel_shape=[3, 3],
                         auto_pad="SAME_LOWER"),
        # 2x2, k2 s1, pads (0, 0) before and (1, 1) after: TensorFlow's (total 1, after)
        helper.make_node("MaxPool", ["c"], ["d"], kernel_shape=[2, 2], pads=[0, 0, 1, 1]),
        helper.make_node("Conv", ["d", "w4"], ["y"], kernel_shape=[1, 1], auto_pad="VALID"),
    ]
    model = graph_model(nodes, [1, 2, 8, 8], "y", {"w1": [4, 2, 3, 3], "w2": [4, 4, 2, 2],
                                                   "w3": [4, 4, 3, 3], "w4": [3, 4, 1, 1]})
    spec = from_onnx(model)
    rows = leaves(spec)[1:]
    assert [r.output_shape for r in rows] == [[4, 4, 4], [2, 2, 4], [2, 2, 4], [2, 2, 4],
                                              [2, 2, 3]]
    paddings = [layer.get("padding", 0) for layer in spec["layers"]]
    assert paddings == ["same", 0, 1, "same", 0]
    assert [r.macs for r in rows if r.type == "conv"] == [
        4 * 4 * 4 * 9 * 2, 2 * 2 * 4 * 4 * 4, 2 * 2 * 4 * 9 * 4, 2 * 2 * 3 * 4]
    agrees_with_runtime(spec, model, [1, 2, 8, 8])


def test_older_opsets() -> None:
    """Opset 9: Upsample with scales, Slice and Pad with attributes, Clip(0, 6) as
    attributes (relu6), Dropout with its ratio, BatchNormalization."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["a", "g", "b", "m", "v"], ["bn"],
                         epsilon=1e-3),
        helper.make_node("Clip", ["bn"], ["r6"], min=0.0, max=6.0),
        helper.make_node("Upsample", ["r6", "scales"], ["up"], mode="nearest"),
        helper.make_node("Pad", ["up"], ["pad"], pads=[0, 0, 2, 2, 0, 0, 2, 2]),
        helper.make_node("Slice", ["pad"], ["crop"], starts=[1, 1], ends=[-1, -1],
                         axes=[2, 3]),
        helper.make_node("Dropout", ["crop"], ["y"], ratio=0.25),
    ]
    model = graph_model(nodes, [1, 3, 5, 5], "y", {"w": [6, 3, 3, 3], "g": [6], "b": [6],
                                                   "m": [6], "v": [6]}, opset=9,
                        values={"scales": np.array([1, 1, 2, 2], dtype=np.float32)})
    spec = from_onnx(model)
    rows = leaves(spec)[1:]
    # 5 -> 5 (k3 p1) -> 10 (x2) -> 14 (pad 2) -> 12 (crop 1); BN: 2C + 2C statistics
    assert [(r.type, r.output_shape) for r in rows] == [
        ("conv", [5, 5, 6]), ("batchnorm", [5, 5, 6]), ("activation", [5, 5, 6]),
        ("upsample", [10, 10, 6]), ("pad", [14, 14, 6]), ("crop", [12, 12, 6]),
        ("dropout", [12, 12, 6])]
    assert rows[1].params == 12 and rows[1].non_trainable_params == 12
    assert rows[2].details == "relu6"
    assert spec["layers"][1]["eps"] == 1e-3
    assert spec["layers"][-1]["rate"] == 0.25
    agrees_with_runtime(spec, model, [1, 3, 5, 5])


def test_channels_last_input_and_flatten() -> None:
    """A TensorFlow-style graph: NHWC input transposed to NCHW, transposed back and
    flattened in channels-last order, MatMul + Add: the input is read as [H, W, C]."""
    nodes = [
        helper.make_node("Transpose", ["x"], ["t"], perm=[0, 3, 1, 2]),
        helper.make_node("Conv", ["t", "w", "cb"], ["c"], kernel_shape=[3, 3], strides=[2, 2]),
        helper.make_node("Transpose", ["c"], ["back"], perm=[0, 2, 3, 1]),
        helper.make_node("Reshape", ["back", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "fw"], ["m"]),
        helper.make_node("Add", ["fb", "m"], ["y"]),
    ]
    model = graph_model(nodes, [1, 9, 9, 3], "y", {"w": [4, 3, 3, 3], "cb": [4],
                                                   "fw": [64, 10], "fb": [10]},
                        values={"shape": np.array([0, -1], dtype=np.int64)})
    spec = from_onnx(model)
    assert spec["input"] == [9, 9, 3]
    rows = leaves(spec)[1:]
    # (9 - 3) // 2 + 1 = 4: 4*4*4 = 64 values
    assert [(r.type, r.output_shape, r.params) for r in rows] == [
        ("conv", [4, 4, 4], 3 * 3 * 3 * 4 + 4), ("flatten", [64], 0), ("dense", [10], 650)]
    agrees_with_runtime(spec, model, [1, 9, 9, 3])


def test_activations_pools_and_scale() -> None:
    """x*Sigmoid(x) is silu, x*HardSigmoid(x) hardswish, a Mul by a [C, 1, 1] constant a
    per-channel scale, ReduceMean over H, W without keepdims a global pool and a flatten."""
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[1, 1]),
        helper.make_node("Sigmoid", ["c"], ["s"]),
        helper.make_node("Mul", ["c", "s"], ["silu"]),
        helper.make_node("HardSigmoid", ["silu"], ["hs"], alpha=1 / 6, beta=0.5),
        helper.make_node("Mul", ["hs", "silu"], ["hswish"]),
        helper.make_node("LeakyRelu", ["hswish"], ["lr"], alpha=0.01),
        helper.make_node("Elu", ["lr"], ["elu"]),
        helper.make_node("Gelu", ["elu"], ["gelu"]),
        helper.make_node("Tanh", ["gelu"], ["tanh"]),
        helper.make_node("Mul", ["tanh", "gamma"], ["scaled"]),
        helper.make_node("Softmax", ["scaled"], ["soft"], axis=1),
        helper.make_node("GlobalMaxPool", ["soft"], ["gmax"]),
        helper.make_node("ReduceMean", ["gmax", "axes"], ["y"], keepdims=0),
    ]
    model = graph_model(nodes, ["batch", 3, 6, 6], "y", {"w": [5, 3, 1, 1], "gamma": [5, 1, 1]},
                        opset=20, values={"axes": np.array([2, 3], dtype=np.int64)})
    spec = from_onnx(model)
    rows = leaves(spec)[1:]
    assert spec["layers"][0]["activation"] == "silu"
    assert [(r.type, r.details) for r in rows[1:6]] == [
        ("activation", "hardswish"), ("activation", "leaky_relu"), ("activation", "elu"),
        ("activation", "gelu"), ("activation", "tanh")]
    assert [(r.type, r.output_shape, r.params) for r in rows[6:]] == [
        ("scale", [6, 6, 5], 5), ("activation", [6, 6, 5], 0), ("global_pool", [1, 1, 5], 0),
        ("global_pool", [1, 1, 5], 0), ("flatten", [5], 0)]
    assert rows[7].details == "softmax" and rows[8].details == "max"
    agrees_with_runtime(spec, model, [2, 3, 6, 6])


def test_dilation_groups_and_transposed_convolutions() -> None:
    """Dilated grouped conv; ConvTranspose with auto_pad SAME_UPPER (Keras's "same": n*s)
    and with symmetric pads and output_padding."""
    nodes = [
        # 9x9, k3 dilated 2 (extent 5), groups 2: 9 - 5 + 1 = 5
        helper.make_node("Conv", ["x", "w1"], ["a"], kernel_shape=[3, 3], dilations=[2, 2],
                         group=2),
        # 5x5, k3 s2 SAME_UPPER: 5*2 = 10
        helper.make_node("ConvTranspose", ["a", "w2", "b2"], ["b"], kernel_shape=[3, 3],
                         strides=[2, 2], auto_pad="SAME_UPPER"),
        # 10x10, k3 s2 pads 1 output_padding 1: (10-1)*2 - 2 + 3 + 1 = 20
        helper.make_node("ConvTranspose", ["b", "w3"], ["y"], kernel_shape=[3, 3],
                         strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    ]
    model = graph_model(nodes, [1, 4, 9, 9], "y", {"w1": [6, 2, 3, 3], "w2": [6, 5, 3, 3],
                                                   "b2": [5], "w3": [5, 2, 3, 3]})
    spec = from_onnx(model)
    rows = leaves(spec)[1:]
    assert [(r.type, r.output_shape) for r in rows] == [
        ("conv", [5, 5, 6]), ("conv_transpose", [10, 10, 5]), ("conv_transpose", [20, 20, 2])]
    # params: k*k*(C_in/groups)*filters (+ bias); a transposed conv's weights [C_in, M, k, k]
    assert [r.params for r in rows] == [3 * 3 * 2 * 6, 6 * 5 * 3 * 3 + 5, 5 * 2 * 3 * 3]
    # MACs: conv per output element, transposed conv per input element
    assert [r.macs for r in rows] == [5 * 5 * 6 * 9 * 2, 5 * 5 * 6 * 9 * 5,
                                      10 * 10 * 5 * 9 * 2]
    first, second, third = spec["layers"]
    assert (first["dilation"], first["groups"], first["bias"]) == (2, 2, False)
    assert second["padding"] == "same"
    assert (third["padding"], third["output_padding"], third["bias"]) == (1, 1, False)
    agrees_with_runtime(spec, model, [1, 4, 9, 9])


def test_average_pool_without_the_padding() -> None:
    """count_include_pad=0 averages the real cells only, as TensorFlow's "same": where the
    pads are the ones "same" picks, the spec says "same" (exact, values too); elsewhere
    the shapes are exact and the description says the reference pass differs."""
    nodes = [
        # 8x8, k3 s1 p1: "same" pads 1 and 1 for n=8: exact
        helper.make_node("AveragePool", ["x"], ["a"], kernel_shape=[3, 3], pads=[1] * 4,
                         count_include_pad=0, name="exact"),
        # 8x8, k3 s2 p1: (8 + 2 - 3) // 2 + 1 = 4; "same" would pad 0 and 1
        helper.make_node("AveragePool", ["a"], ["b"], kernel_shape=[3, 3], strides=[2, 2],
                         pads=[1] * 4, count_include_pad=0, name="approx"),
        # counting the padding: PyTorch's default, the spec's numeric padding
        helper.make_node("AveragePool", ["b"], ["y"], kernel_shape=[3, 3], pads=[1] * 4,
                         count_include_pad=1, name="counted"),
    ]
    model = graph_model(nodes, [1, 2, 8, 8], "y")
    spec = from_onnx(model)
    assert [layer.get("padding") for layer in spec["layers"]] == ["same", 1, 1]
    assert [r.output_shape for r in leaves(spec)[1:]] == [[8, 8, 2], [4, 4, 2], [4, 4, 2]]
    assert "node approx (AveragePool) averages without the padded cells" in spec["description"]
    assert "node exact" not in spec["description"]
    assert "node counted" not in spec["description"]
    agrees_with_runtime(spec, model, [1, 2, 8, 8])


# ---------------------------------------------------------------- one-line errors

def conv_then(node: Any, extra: dict[str, list[int]] | None = None, opset: int = 17,
              values: dict[str, Any] | None = None, out: str = "y") -> Any:
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], name="stem"),
             node]
    return graph_model(nodes, [1, 3, 8, 8], out, {"w": [4, 3, 3, 3], **(extra or {})},
                       opset=opset, values=values)


def write(tmp_path: Path, model: Any, name: str = "model.onnx") -> Path:
    path = tmp_path / name
    onnx.save_model(model, str(path))
    return path


@pytest.mark.parametrize("node, extra, parts", [
    (helper.make_node("LRN", ["c"], ["y"], size=3, name="norm"), None,
     ["node norm (LRN)", "unsupported ONNX op LRN"]),
    (helper.make_node("LeakyRelu", ["c"], ["y"], alpha=0.2, name="lrelu"), None,
     ["node lrelu (LeakyRelu)", "alpha 0.2"]),
    (helper.make_node("Resize", ["c", "", "sc"], ["y"], mode="linear", name="up"), None,
     ["node up (Resize)", "linear"]),
    (helper.make_node("Conv", ["c", "w2"], ["y"], kernel_shape=[2, 2], pads=[1, 1, 0, 0],
                      name="lopsided"), {"w2": [4, 4, 2, 2]},
     ["node lopsided (Conv)", "differ before and after"]),
    (helper.make_node("Concat", ["c", "c"], ["y"], axis=2, name="stack"), None,
     ["node stack (Concat)", "axis 2"]),
    (helper.make_node("Transpose", ["c"], ["y"], perm=[0, 1, 3, 2], name="swap"), None,
     ["node swap (Transpose)", "permutes [0, 1, 3, 2]"]),
])
def test_unsupported_nodes_are_one_line(tmp_path: Path, node: Any, extra: Any,
                                        parts: list[str]) -> None:
    values = {"sc": np.array([1, 1, 2, 2], dtype=np.float32)} if node.op_type == "Resize" \
        else None
    path = write(tmp_path, conv_then(node, extra, values=values))
    one_line_error(lambda: from_onnx(path), f"{path}: ", *parts)


def test_shared_weights_are_refused() -> None:
    """One initializer read by two convolutions: a spec gives every layer its own."""
    nodes = [helper.make_node("Conv", ["x", "w"], ["a"], kernel_shape=[3, 3], pads=[1] * 4,
                              name="first"),
             helper.make_node("Conv", ["a", "w"], ["y"], kernel_shape=[3, 3], pads=[1] * 4,
                              name="again")]
    model = graph_model(nodes, [1, 3, 8, 8], "y", {"w": [3, 3, 3, 3]})
    one_line_error(lambda: from_onnx(model), "node again (Conv)",
                   "reuses the weights w of first")


def test_channel_slice_is_refused(tmp_path: Path) -> None:
    node = helper.make_node("Slice", ["c", "s", "e", "a"], ["y"], name="half")
    model = conv_then(node, values={"s": np.array([0]), "e": np.array([2]),
                                    "a": np.array([1])})
    one_line_error(lambda: from_onnx(model), "<onnx model>: node half (Slice)", "channels")


def test_custom_domain(tmp_path: Path) -> None:
    node = helper.make_node("FusedConv", ["c"], ["y"], domain="com.microsoft", name="fused")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3]), node], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17),
                                                    helper.make_opsetid("com.microsoft", 1)])
    one_line_error(lambda: from_onnx(model), "node fused (FusedConv)",
                   "unsupported ONNX op com.microsoft.FusedConv")


def test_multi_output_multi_input_and_dynamic_graphs(tmp_path: Path) -> None:
    conv = helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3])
    relu = helper.make_node("Relu", ["c"], ["r"])
    w = [numpy_helper.from_array(np.zeros((4, 3, 3, 3), np.float32), "w")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])

    def out(name: str) -> Any:
        return helper.make_tensor_value_info(name, TensorProto.FLOAT, None)

    two_out = helper.make_model(helper.make_graph([conv, relu], "g", [x], [out("c"), out("r")], w))
    path = write(tmp_path, two_out, "two_out.onnx")
    one_line_error(lambda: from_onnx(path), str(path), "2 outputs (c, r)")

    add = helper.make_node("Add", ["x", "z"], ["s"])
    conv2 = helper.make_node("Conv", ["s", "w"], ["c"], kernel_shape=[3, 3])
    z = helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 3, 8, 8])
    two_in = helper.make_model(helper.make_graph([add, conv2], "g", [x, z], [out("c")], w))
    one_line_error(lambda: from_onnx(two_in), "2 inputs (x, z)")

    dynamic = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "height", 8])
    model = helper.make_model(helper.make_graph([conv], "g", [dynamic], [out("c")], w))
    one_line_error(lambda: from_onnx(model), "input x: dimension 2 is dynamic ('height')")


def test_malformed_files(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(bytes(range(256)) * 4)
    one_line_error(lambda: from_onnx(garbage), f"{garbage}: not an ONNX model")
    text = tmp_path / "spec.onnx"
    text.write_text('{"input": [32, 32, 3], "layers": []}')
    one_line_error(lambda: from_onnx(text), f"{text}: not an ONNX model")
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    one_line_error(lambda: from_onnx(empty), f"{empty}: not an ONNX model")
    cut = tmp_path / "cut.onnx"
    cut.write_bytes(FIXTURE.read_bytes()[:1000])
    one_line_error(lambda: from_onnx(cut), f"{cut}: not an ONNX model")
    one_line_error(lambda: from_onnx(tmp_path / "missing.onnx"), "missing.onnx: no such file")


def test_small_values_stored_outside_the_file(tmp_path: Path) -> None:
    """A Reshape's target saved as external data is read from the side file; without the
    file, the node that needs it says so in one line."""
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3], name="conv"),
             helper.make_node("Reshape", ["c", "target"], ["y"], name="flat")]
    model = graph_model(nodes, [1, 3, 8, 8], "y", {"w": [4, 3, 3, 3]},
                        values={"target": np.array([1, -1], dtype=np.int64)})
    path = tmp_path / "m.onnx"
    onnx.save_model(model, str(path), save_as_external_data=True, location="m.data",
                    size_threshold=0)
    rows = leaves(from_onnx(path))
    assert [(r.type, r.output_shape) for r in rows[1:]] == [("conv", [6, 6, 4]),
                                                            ("flatten", [144])]
    (tmp_path / "m.data").unlink()
    one_line_error(lambda: from_onnx(path), f"{path}: node flat (Reshape)",
                   "needs the value of target, stored outside the model")


def test_without_onnx_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` raises ImportError
    one_line_error(lambda: from_onnx(FIXTURE), f"{FIXTURE}: importing ONNX needs the onnx "
                   "package: pip install 'cnnshape[onnx]'")
