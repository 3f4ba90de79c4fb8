"""Graphs with named connections (``from``, ``merge``, ``crop``) against PyTorch.

Each graph is written in the documented spec syntax and, independently, as idiomatic
torch.nn code: a small U-Net with center-cropped concat skips, squeeze-and-excitation
gates (multiply with broadcasting), an FPN-like top-down path (upsample + add of
lateral 1x1 convolutions), a ConvNeXt-style stage (layernorm, dense on channels-last,
layer scale, a ``repeat`` whose merge reads its own repetition's layers), a 1-D and a
3-D graph. For every named layer the output shape must agree with torch's, and so must
the parameter and MAC counts (per layer and in total), the MACs counted by forward
hooks with the formulas written out below.

The *values* of cnnshape's reference pass are compared with torch's too: the weights the
pass draws are recorded per layer and loaded into the torch modules (the layouts are
the ones tests/test_torch_agreement.py establishes for single layers), then every named
layer's output is compared, not just the last.

The four zoo specs (U-Net, C3D, M5, DCGAN) are rebuilt in torch on the meta device
(shapes without arithmetic) and compared the same way. Finally, the error lines for
bad references and shapes that do not merge, through the CLI, and the JSON report's
``inputs`` field.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

from recording import Recording  # noqa: E402
from test_torch_agreement import (  # noqa: E402
    DTYPE,
    TOL,
    cl,
    load_conv_weights,
    load_transpose_weights,
    n_params,
    nested,
    to_torch,
    torch_input,
)
from torch_macs import hooked_macs  # noqa: E402

import cnnshape  # noqa: E402
from cnnshape.cli.app import main  # noqa: E402

SPECS = Path(__file__).resolve().parent.parent / "specs"
BATCH = 2

pytestmark = pytest.mark.torch


# ---------------------------------------------------------------- torch side helpers

class Tapped(nn.Module):
    """A torch network that records each named output (channels-first, as torch's own
    layers produce them) while it runs, so every layer can be compared by name."""

    def __init__(self) -> None:
        super().__init__()
        self.taps: dict[str, Any] = {}

    def tap(self, name: str, y: Any, channels_last: bool = False) -> Any:
        self.taps[name] = y.movedim(-1, 1) if channels_last else y
        return y


def center_crop(t: Any, size: tuple[int, ...]) -> Any:
    """U-Net's skip crop on the spatial dims of [N, C, spatial...]: offset (n - m) // 2."""
    index = [slice(None), slice(None)]
    for n, m in zip(t.shape[2:], size, strict=False):
        start = (n - m) // 2
        index.append(slice(start, start + m))
    return t[tuple(index)]


def up(t: Any, scale: Any) -> Any:
    return F.interpolate(t, scale_factor=scale, mode="nearest")


class LayerScale(nn.Module):
    """ConvNeXt's gamma: one learnable multiplier per channel (channels-last input)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma = nn.Parameter(torch.ones(channels, dtype=DTYPE))

    def forward(self, x: Any) -> Any:
        return self.gamma * x


def running_stats(net: Any) -> int:
    return sum(b.numel() for name, b in net.named_buffers() if "running" in name)


# ---------------------------------------------------------------- cnnshape side helpers

def reference_outputs(spec: dict[str, Any], x: Any) -> Recording:
    """Run cnnshape's reference pass on one torch sample [C, spatial...]."""
    network = cnnshape.load(spec)
    ref = Recording(network.names, seed=7)
    value = nested(x)
    ref.outputs["input"] = value
    ref.sequence(network.layers, value, "layers")
    return ref


def leaf_layers(spec: dict[str, Any]) -> dict[str, Any]:
    """Every leaf layer model by its full name (repeat suffixes included)."""
    network = cnnshape.load(spec)
    models: dict[str, Any] = {}

    def walk(layers: list[Any], suffix: str) -> None:
        for layer in layers:
            times = getattr(layer, "times", None) if layer.kind == "repeat" else None
            for _, children in layer.children():
                for r in range(1, (times or 1) + 1):
                    walk(children, f"{suffix}_{r}" if times else suffix)
            if not layer.composite:
                models[layer.name + suffix] = layer
    walk(network.layers, "")
    return models


def load_weights(net: Any, modules: dict[str, str], spec: dict[str, Any],
                 draws: dict[str, list[list[float]]]) -> None:
    """Copy the weights cnnshape drew into the torch modules named in ``modules``."""
    layers = leaf_layers(spec)
    assert set(draws) == set(modules), "every layer with weights is mapped, and only those"
    for name, path in modules.items():
        module, layer, drawn = net.get_submodule(path), layers[name], draws[name]
        shim = SimpleNamespace(drawn=drawn)
        with torch.no_grad():
            if layer.kind == "conv":
                load_conv_weights(module, shim, {"filters": module.out_channels})
            elif layer.kind == "conv_transpose":
                load_transpose_weights(module, shim, {})
            elif layer.kind == "dense":
                module.weight.copy_(torch.tensor(drawn[:module.out_features], dtype=DTYPE))
                if module.bias is not None:
                    module.bias.copy_(torch.tensor(drawn[module.out_features], dtype=DTYPE))
                assert len(drawn) == module.out_features + (module.bias is not None)
            elif layer.kind == "batchnorm":
                gamma, beta, mean, var = drawn     # cnnshape uses |v| + 1 as the variance
                module.weight.copy_(torch.tensor(gamma, dtype=DTYPE))
                module.bias.copy_(torch.tensor(beta, dtype=DTYPE))
                module.running_mean.copy_(torch.tensor(mean, dtype=DTYPE))
                module.running_var.copy_(torch.tensor([abs(v) + 1.0 for v in var],
                                                      dtype=DTYPE))
            elif layer.kind == "layernorm":
                gamma, beta = drawn
                module.weight.copy_(torch.tensor(gamma, dtype=DTYPE))
                module.bias.copy_(torch.tensor(beta, dtype=DTYPE))
            elif layer.kind == "scale":
                (gamma,) = drawn
                module.gamma.copy_(torch.tensor(gamma, dtype=DTYPE))
            else:
                raise AssertionError(f"{name}: no loader for {layer.kind}")


def torch_shape(t: Any) -> list[int]:
    return cl(t.shape) if t.dim() > 2 else list(t.shape[1:])


# ---------------------------------------------------------------- the graphs

def unet_graph() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """Two levels, unpadded convs; odd sizes so the crop offset (19 - 10) // 2 = 4
    rounds down; a standalone crop before the classifier."""
    spec = {"input": [23, 20, 2], "layers": [
        {"type": "conv", "name": "enc1a", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "conv", "name": "enc1b", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "pool", "name": "pool1", "kernel": 2},
        {"type": "conv", "name": "enc2a", "filters": 8, "kernel": 3, "activation": "relu"},
        {"type": "conv", "name": "enc2b", "filters": 8, "kernel": 3, "activation": "relu"},
        {"type": "conv_transpose", "name": "up1", "filters": 4, "kernel": 2, "stride": 2},
        {"type": "merge", "name": "skip1", "mode": "concat", "inputs": ["enc1b", "up1"],
         "crop": True},
        {"type": "conv", "name": "dec1a", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "conv", "name": "dec1b", "filters": 4, "kernel": 3, "activation": "relu"},
        {"type": "crop", "name": "trim", "cropping": [1, 0]},
        {"type": "conv", "name": "classifier", "filters": 3, "kernel": 1}]}

    class UNet(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.enc1a, self.enc1b = nn.Conv2d(2, 4, 3), nn.Conv2d(4, 4, 3)
            self.enc2a, self.enc2b = nn.Conv2d(4, 8, 3), nn.Conv2d(8, 8, 3)
            self.up1 = nn.ConvTranspose2d(8, 4, 2, stride=2)
            self.dec1a, self.dec1b = nn.Conv2d(8, 4, 3), nn.Conv2d(4, 4, 3)
            self.classifier = nn.Conv2d(4, 3, 1)

        def forward(self, x: Any) -> Any:
            t = self.tap
            e1 = t("enc1b", F.relu(self.enc1b(t("enc1a", F.relu(self.enc1a(x))))))
            y = t("pool1", F.max_pool2d(e1, 2))
            y = t("enc2b", F.relu(self.enc2b(t("enc2a", F.relu(self.enc2a(y))))))
            u = t("up1", self.up1(y))
            y = t("skip1", torch.cat([center_crop(e1, u.shape[2:]), u], dim=1))
            y = t("dec1b", F.relu(self.dec1b(t("dec1a", F.relu(self.dec1a(y))))))
            y = t("trim", y[:, :, 1:-1, :])
            return t("classifier", self.classifier(y))

    names = ["enc1a", "enc1b", "enc2a", "enc2b", "up1", "dec1a", "dec1b", "classifier"]
    return spec, UNet, {n: n for n in names}


def se_graph() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """A squeeze-and-excitation gate from 1x1 convs ([1, 1, C] times [H, W, C]), a
    residual add of the input by name, then the original paper's gate from dense layers
    on the flattened squeeze ((C,) times [H, W, C]: broadcasting across ranks)."""
    spec = {"input": [6, 6, 8], "layers": [
        {"type": "conv", "name": "features", "filters": 8, "kernel": 3, "padding": "same",
         "activation": "relu"},
        {"type": "global_pool", "name": "squeeze"},
        {"type": "conv", "name": "reduce", "filters": 2, "kernel": 1, "activation": "relu"},
        {"type": "conv", "name": "gate", "filters": 8, "kernel": 1, "activation": "sigmoid"},
        {"type": "merge", "name": "excite", "mode": "multiply", "inputs": ["features", "gate"]},
        {"type": "merge", "name": "block", "mode": "add", "inputs": ["input", "excite"]},
        {"type": "activation", "name": "relu", "function": "relu"},
        {"type": "global_pool", "name": "squeeze2"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "fc1", "units": 2, "activation": "relu"},
        {"type": "dense", "name": "fc2", "units": 8, "activation": "sigmoid"},
        {"type": "merge", "name": "excite2", "mode": "multiply", "inputs": ["relu", "fc2"]},
        {"type": "global_pool", "name": "pool", "from": "excite2"},
        {"type": "flatten", "name": "flat2"},
        {"type": "dense", "name": "head", "units": 5}]}

    class SE(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Conv2d(8, 8, 3, padding="same")
            self.reduce, self.gate = nn.Conv2d(8, 2, 1), nn.Conv2d(2, 8, 1)
            self.fc1, self.fc2 = nn.Linear(8, 2), nn.Linear(2, 8)
            self.head = nn.Linear(8, 5)

        def forward(self, x: Any) -> Any:
            t = self.tap
            f = t("features", F.relu(self.features(x)))
            s = t("squeeze", F.adaptive_avg_pool2d(f, 1))
            g = t("gate", torch.sigmoid(self.gate(t("reduce", F.relu(self.reduce(s))))))
            e = t("excite", f * g)
            y = t("relu", F.relu(t("block", x + e)))
            s = t("flat", t("squeeze2", F.adaptive_avg_pool2d(y, 1)).flatten(1))
            g = t("fc2", torch.sigmoid(self.fc2(t("fc1", F.relu(self.fc1(s))))))
            y = t("excite2", y * g[:, :, None, None])
            y = t("flat2", t("pool", F.adaptive_avg_pool2d(y, 1)).flatten(1))
            return t("head", self.head(y))

    names = ["features", "reduce", "gate", "fc1", "fc2", "head"]
    return spec, SE, {n: n for n in names}


def fpn_graph() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """Bottom-up strided convs, then top-down: upsample the coarser map and add the
    lateral 1x1 conv of the finer one. 14 -> 7 -> 4 -> 2: the 4x4 map upsamples to 8x8
    and is center-cropped to the 7x7 lateral (crop: true on an add)."""
    spec = {"input": [14, 14, 3], "layers": [
        {"type": "conv", "name": "c2", "filters": 8, "kernel": 3, "stride": 2, "padding": 1,
         "activation": "relu"},
        {"type": "conv", "name": "c3", "filters": 16, "kernel": 3, "stride": 2, "padding": 1,
         "activation": "relu"},
        {"type": "conv", "name": "c4", "filters": 32, "kernel": 3, "stride": 2, "padding": 1,
         "activation": "relu"},
        {"type": "conv", "name": "lat4", "from": "c4", "filters": 8, "kernel": 1},
        {"type": "upsample", "name": "up4", "scale": 2},
        {"type": "conv", "name": "lat3", "from": "c3", "filters": 8, "kernel": 1},
        {"type": "merge", "name": "p3", "mode": "add", "inputs": ["lat3", "up4"]},
        {"type": "upsample", "name": "up3", "scale": 2},
        {"type": "conv", "name": "lat2", "from": "c2", "filters": 8, "kernel": 1},
        {"type": "merge", "name": "p2", "mode": "add", "inputs": ["up3", "lat2"], "crop": True},
        {"type": "conv", "name": "out4", "from": "lat4", "filters": 8, "kernel": 3,
         "padding": 1},
        {"type": "conv", "name": "out3", "from": "p3", "filters": 8, "kernel": 3, "padding": 1},
        {"type": "conv", "name": "out2", "from": "p2", "filters": 8, "kernel": 3, "padding": 1}]}

    class FPN(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.c2 = nn.Conv2d(3, 8, 3, 2, 1)
            self.c3 = nn.Conv2d(8, 16, 3, 2, 1)
            self.c4 = nn.Conv2d(16, 32, 3, 2, 1)
            self.lat2, self.lat3, self.lat4 = (nn.Conv2d(c, 8, 1) for c in (8, 16, 32))
            self.out2, self.out3, self.out4 = (nn.Conv2d(8, 8, 3, padding=1) for _ in range(3))

        def forward(self, x: Any) -> Any:
            t = self.tap
            c2 = t("c2", F.relu(self.c2(x)))
            c3 = t("c3", F.relu(self.c3(c2)))
            c4 = t("c4", F.relu(self.c4(c3)))
            p4 = t("lat4", self.lat4(c4))
            p3 = t("p3", t("lat3", self.lat3(c3)) + t("up4", up(p4, 2)))
            lateral = t("lat2", self.lat2(c2))
            p2 = t("p2", center_crop(t("up3", up(p3, 2)), lateral.shape[2:]) + lateral)
            return [t("out4", self.out4(p4)), t("out3", self.out3(p3)),
                    t("out2", self.out2(p2))]

    names = ["c2", "c3", "c4", "lat2", "lat3", "lat4", "out2", "out3", "out4"]
    return spec, FPN, {n: n for n in names}


def convnext_graph() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """A ConvNeXt stage: patchify stem + layernorm, two blocks (depthwise 7x7, layernorm,
    dense 4x expansion with GELU, dense back, layer scale, add the block's input). The
    blocks are one ``repeat``: each repetition's merge must read its own block_in and
    gamma (block_in_2 + gamma_2, not _1), which only the values can tell."""
    spec = {"input": [14, 14, 3], "layers": [
        {"type": "conv", "name": "stem", "filters": 16, "kernel": 2, "stride": 2},
        {"type": "layernorm", "name": "stem_ln"},
        {"type": "repeat", "name": "stage", "times": 2, "layers": [
            {"type": "dropout", "name": "block_in", "rate": 0.0},
            {"type": "conv", "name": "dw", "filters": 16, "kernel": 7, "padding": 3,
             "groups": 16},
            {"type": "layernorm", "name": "ln"},
            {"type": "dense", "name": "pw1", "units": 64, "activation": "gelu"},
            {"type": "dense", "name": "pw2", "units": 16},
            {"type": "scale", "name": "gamma"},
            {"type": "merge", "name": "block", "mode": "add", "inputs": ["block_in", "gamma"]}]},
        {"type": "global_pool", "name": "pool"},
        {"type": "layernorm", "name": "head_ln"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "head", "units": 10}]}

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.dw = nn.Conv2d(16, 16, 7, padding=3, groups=16)
            self.ln = nn.LayerNorm(16, eps=1e-6)
            self.pw1, self.pw2 = nn.Linear(16, 64), nn.Linear(64, 16)
            self.gamma = LayerScale(16)

    class ConvNeXt(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.stem = nn.Conv2d(3, 16, 2, 2)
            self.stem_ln = nn.LayerNorm(16, eps=1e-6)
            self.blocks = nn.ModuleList([Block(), Block()])
            self.head_ln = nn.LayerNorm(16, eps=1e-6)
            self.head = nn.Linear(16, 10)

        def forward(self, x: Any) -> Any:
            t = self.tap
            x = t("stem", self.stem(x))
            x = t("stem_ln", self.stem_ln(x.permute(0, 2, 3, 1)), channels_last=True)
            x = x.permute(0, 3, 1, 2)
            for i, block in enumerate(self.blocks, 1):
                shortcut = t(f"block_in_{i}", x)
                y = t(f"dw_{i}", block.dw(x)).permute(0, 2, 3, 1)     # to channels-last
                y = t(f"ln_{i}", block.ln(y), channels_last=True)
                y = t(f"pw1_{i}", F.gelu(block.pw1(y)), channels_last=True)
                y = t(f"pw2_{i}", block.pw2(y), channels_last=True)
                y = t(f"gamma_{i}", block.gamma(y), channels_last=True).permute(0, 3, 1, 2)
                x = t(f"block_{i}", shortcut + y)
            t("stage", x)
            y = t("pool", F.adaptive_avg_pool2d(x, 1)).permute(0, 2, 3, 1)
            y = t("flat", t("head_ln", self.head_ln(y), channels_last=True).flatten(1))
            return t("head", self.head(y))

    modules = {"stem": "stem", "stem_ln": "stem_ln", "head_ln": "head_ln", "head": "head"}
    for i in (1, 2):
        for part in ("dw", "ln", "pw1", "pw2", "gamma"):
            modules[f"{part}_{i}"] = f"blocks.{i - 1}.{part}"
    return spec, ConvNeXt, modules


def graph_1d() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """1-D: a four-way add of dilated convs, a repeat whose add reads an outer layer (c0)
    from inside, a symmetric crop, a transposed conv, a concat that crops its *second*
    input (120 -> 64, offset 28), a gate reading an earlier layer by ``from``, and a
    sequential tail."""
    spec = {"input": [64, 4], "layers": [
        {"type": "conv", "name": "c0", "filters": 8, "kernel": 1},
        {"type": "conv", "name": "d1", "filters": 8, "kernel": 3, "padding": 1,
         "activation": "relu"},
        {"type": "conv", "name": "d2", "filters": 8, "kernel": 3, "padding": 2, "dilation": 2,
         "activation": "relu"},
        {"type": "conv", "name": "d4", "filters": 8, "kernel": 3, "padding": 4, "dilation": 4,
         "activation": "relu"},
        {"type": "merge", "name": "sum", "mode": "add", "inputs": ["c0", "d1", "d2", "d4"]},
        {"type": "repeat", "name": "res", "times": 2, "layers": [
            {"type": "conv", "name": "r", "filters": 8, "kernel": 3, "padding": 1,
             "activation": "relu"},
            {"type": "merge", "name": "radd", "mode": "add", "inputs": ["r", "c0"]}]},
        {"type": "crop", "name": "trim", "cropping": 2},
        {"type": "conv_transpose", "name": "up", "filters": 4, "kernel": 4, "stride": 2,
         "padding": 1},
        {"type": "merge", "name": "cat", "mode": "concat", "inputs": ["input", "up"],
         "crop": True},
        {"type": "conv", "name": "gate", "from": "sum", "filters": 8, "kernel": 1,
         "activation": "sigmoid"},
        {"type": "merge", "name": "mul", "mode": "multiply", "inputs": ["cat", "gate"]},
        {"type": "sequential", "name": "tail", "layers": [
            {"type": "pool", "name": "avg", "mode": "avg", "kernel": 4},
            {"type": "batchnorm", "name": "bn"},
            {"type": "global_pool", "name": "gmax", "mode": "max"},
            {"type": "flatten", "name": "flat"},
            {"type": "dense", "name": "head", "units": 5}]}]}

    class Net1d(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.c0 = nn.Conv1d(4, 8, 1)
            self.d1 = nn.Conv1d(8, 8, 3, padding=1)
            self.d2 = nn.Conv1d(8, 8, 3, padding=2, dilation=2)
            self.d4 = nn.Conv1d(8, 8, 3, padding=4, dilation=4)
            self.r = nn.ModuleList([nn.Conv1d(8, 8, 3, padding=1) for _ in range(2)])
            self.up = nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1)
            self.gate = nn.Conv1d(8, 8, 1)
            self.bn = nn.BatchNorm1d(8)
            self.head = nn.Linear(8, 5)

        def forward(self, x: Any) -> Any:
            t = self.tap
            c0 = t("c0", self.c0(x))
            d1 = t("d1", F.relu(self.d1(c0)))
            d2 = t("d2", F.relu(self.d2(d1)))
            d4 = t("d4", F.relu(self.d4(d2)))
            s = y = t("sum", c0 + d1 + d2 + d4)
            for i, conv in enumerate(self.r, 1):
                y = t(f"radd_{i}", t(f"r_{i}", F.relu(conv(y))) + c0)
            t("res", y)
            u = t("up", self.up(t("trim", y[:, :, 2:-2])))
            y = t("cat", torch.cat([x, center_crop(u, x.shape[2:])], dim=1))
            y = t("mul", y * t("gate", torch.sigmoid(self.gate(s))))
            y = t("bn", self.bn(t("avg", F.avg_pool1d(y, 4))))
            y = t("flat", t("gmax", F.adaptive_max_pool1d(y, 1)).flatten(1))
            return t("tail", t("head", self.head(y)))

    modules = {n: n for n in ("c0", "d1", "d2", "d4", "up", "gate", "bn", "head")}
    modules.update({"r_1": "r.0", "r_2": "r.1"})
    return spec, Net1d, modules


def graph_3d() -> tuple[dict[str, Any], Any, dict[str, str]]:
    """3-D: pool 1x2x2, upsample 1x2x2 and add, an anisotropic 1x3x3 conv, a concat that
    crops the input to it, a 3-D transposed conv and batch norm."""
    spec = {"input": [4, 6, 6, 2], "layers": [
        {"type": "conv", "name": "a", "filters": 4, "kernel": 3, "padding": 1,
         "activation": "relu"},
        {"type": "pool", "name": "p", "kernel": [1, 2, 2]},
        {"type": "conv", "name": "b", "filters": 4, "kernel": 3, "padding": 1,
         "activation": "relu"},
        {"type": "upsample", "name": "u", "scale": [1, 2, 2]},
        {"type": "merge", "name": "s", "mode": "add", "inputs": ["a", "u"]},
        {"type": "conv", "name": "v", "filters": 4, "kernel": [1, 3, 3]},
        {"type": "merge", "name": "cat", "mode": "concat", "inputs": ["input", "v"],
         "crop": True},
        {"type": "conv_transpose", "name": "t", "filters": 3, "kernel": 2, "stride": 2},
        {"type": "batchnorm", "name": "bn"},
        {"type": "global_pool", "name": "gp"},
        {"type": "flatten", "name": "flat"},
        {"type": "dense", "name": "head", "units": 2}]}

    class Net3d(Tapped):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv3d(2, 4, 3, padding=1)
            self.b = nn.Conv3d(4, 4, 3, padding=1)
            self.v = nn.Conv3d(4, 4, (1, 3, 3))
            self.t = nn.ConvTranspose3d(6, 3, 2, stride=2)
            self.bn = nn.BatchNorm3d(3)
            self.head = nn.Linear(3, 2)

        def forward(self, x: Any) -> Any:
            t = self.tap
            a = t("a", F.relu(self.a(x)))
            y = t("b", F.relu(self.b(t("p", F.max_pool3d(a, (1, 2, 2))))))
            y = t("s", a + t("u", up(y, (1, 2, 2))))
            v = t("v", self.v(y))
            y = t("cat", torch.cat([center_crop(x, v.shape[2:]), v], dim=1))
            y = t("bn", self.bn(t("t", self.t(y))))
            y = t("flat", t("gp", F.adaptive_avg_pool3d(y, 1)).flatten(1))
            return t("head", self.head(y))

    return spec, Net3d, {n: n for n in ("a", "b", "v", "t", "bn", "head")}


GRAPHS = {"unet": unet_graph, "se": se_graph, "fpn": fpn_graph, "convnext": convnext_graph,
          "graph1d": graph_1d, "graph3d": graph_3d}


# ---------------------------------------------------------------- the comparisons

def compare_structure(spec: dict[str, Any], net: Any, modules: dict[str, str],
                      x: Any) -> cnnshape.Report:
    """Every named row's shape against torch's tap; params and MACs per layer and in total."""
    report = cnnshape.analyze(spec)
    net.taps = {}
    with torch.no_grad():
        net(x)
    rows = [row for row in report.rows if row.depth]
    assert {row.name for row in rows} == set(net.taps), "torch taps exactly cnnshape's layers"
    for row in rows:
        assert row.output_shape == torch_shape(net.taps[row.name]), row.name
    macs = hooked_macs(net, x)
    for row in rows:
        if row.composite:
            continue
        path = modules.get(row.name)
        module = net.get_submodule(path) if path else None
        assert row.params == (n_params(module) if module is not None else 0), row.name
        assert row.non_trainable_params == (running_stats(module) if module is not None
                                            else 0), row.name
        assert row.macs == (macs.get(path, 0) if path else 0), row.name
    assert report.totals.params == n_params(net)
    assert report.totals.non_trainable_params == running_stats(net)
    assert report.totals.macs == sum(macs.values())
    return report


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_graph_shapes_params_macs(graph: str) -> None:
    spec, build, modules = GRAPHS[graph]()
    net = build().to(DTYPE).eval()
    report = compare_structure(spec, net, modules, torch_input(spec["input"], 0, batch=BATCH))
    # and the reference pass measured the same shapes on the tensors it produced
    result = cnnshape.verify(spec)
    assert result.ok and [c.name for c in result.checks] == [r.name for r in report.rows]


@pytest.mark.parametrize("graph", sorted(GRAPHS))
def test_graph_values(graph: str) -> None:
    """cnnshape's pure-Python forward pass and torch, same input and weights: every
    named layer's output agrees."""
    spec, build, modules = GRAPHS[graph]()
    net = build().to(DTYPE).eval()
    x = torch_input(spec["input"], 11, batch=1)
    ref = reference_outputs(spec, x[0])
    load_weights(net, modules, spec, ref.draws)
    net.taps = {}
    with torch.no_grad():
        net(x)
    names = [row.name for row in cnnshape.analyze(spec).rows if row.depth]
    for name in names:
        torch.testing.assert_close(to_torch(ref.outputs[name]) if _spatial(ref.outputs[name])
                                   else torch.tensor([ref.outputs[name]], dtype=DTYPE),
                                   net.taps[name], **TOL, msg=name)


def _spatial(value: Any) -> bool:
    return isinstance(value[0], list)


def test_repeat_reads_its_own_repetition() -> None:
    """The ConvNeXt stage's second merge reads block_in_2 and gamma_2: the values differ
    from block_in_1 + gamma_1, so reading the first repetition's layers would be caught."""
    spec, _, _ = convnext_graph()
    rows = {row.name: row for row in cnnshape.analyze(spec).rows}
    assert rows["block_1"].inputs == ["block_in_1", "gamma_1"]
    assert rows["block_2"].inputs == ["block_in_2", "gamma_2"]
    x = torch_input(spec["input"], 3, batch=1)
    out = reference_outputs(spec, x[0]).outputs
    total = [[[a + b for a, b in zip(u, v, strict=False)] for u, v in zip(p, q, strict=False)]
             for p, q in zip(out["block_in_2"], out["gamma_2"], strict=False)]
    assert out["block_2"] == total
    assert out["block_2"] != [[[a + b for a, b in zip(u, v, strict=False)]
                               for u, v in zip(p, q, strict=False)]
                              for p, q in zip(out["block_in_1"], out["gamma_1"], strict=False)]


# ---------------------------------------------------------------- the zoo specs on meta

class UNetPaper(Tapped):
    """Ronneberger et al. 2015 in torch: unpadded 3x3 convs, 2x2 up-convs, cropped skips."""

    def __init__(self) -> None:
        super().__init__()
        widths = [64, 128, 256, 512]
        cin = 1
        for i, w in enumerate(widths, 1):
            setattr(self, f"enc{i}a", nn.Conv2d(cin, w, 3))
            setattr(self, f"enc{i}b", nn.Conv2d(w, w, 3))
            cin = w
        self.bottleneck_a, self.bottleneck_b = nn.Conv2d(512, 1024, 3), nn.Conv2d(1024, 1024, 3)
        for i, w in zip([4, 3, 2, 1], [512, 256, 128, 64], strict=False):
            setattr(self, f"up{i}", nn.ConvTranspose2d(2 * w, w, 2, stride=2))
            setattr(self, f"dec{i}a", nn.Conv2d(2 * w, w, 3))
            setattr(self, f"dec{i}b", nn.Conv2d(w, w, 3))
        self.classifier = nn.Conv2d(64, 2, 1)

    def forward(self, x: Any) -> Any:
        t, skips = self.tap, {}
        for i in range(1, 5):
            x = t(f"enc{i}a", F.relu(getattr(self, f"enc{i}a")(x)))
            x = skips[i] = t(f"enc{i}b", F.relu(getattr(self, f"enc{i}b")(x)))
            x = t(f"pool{i}", F.max_pool2d(x, 2))
        x = t("bottleneck_a", F.relu(self.bottleneck_a(x)))
        x = t("bottleneck_b", F.relu(self.bottleneck_b(x)))
        for i in (4, 3, 2, 1):
            u = t(f"up{i}", getattr(self, f"up{i}")(x))
            x = t(f"skip{i}", torch.cat([center_crop(skips[i], u.shape[2:]), u], dim=1))
            x = t(f"dec{i}a", F.relu(getattr(self, f"dec{i}a")(x)))
            x = t(f"dec{i}b", F.relu(getattr(self, f"dec{i}b")(x)))
        return t("classifier", self.classifier(x))


class C3D(Tapped):
    """The PyTorch port of C3D (pool5 padded [0, 1, 1]) with Sports-1M's 487 classes."""

    def __init__(self) -> None:
        super().__init__()
        plan = [("conv1a", 3, 64), ("conv2a", 64, 128), ("conv3a", 128, 256),
                ("conv3b", 256, 256), ("conv4a", 256, 512), ("conv4b", 512, 512),
                ("conv5a", 512, 512), ("conv5b", 512, 512)]
        for name, cin, cout in plan:
            setattr(self, name, nn.Conv3d(cin, cout, 3, padding=1))
        self.fc6, self.fc7, self.fc8 = nn.Linear(8192, 4096), nn.Linear(4096, 4096), \
            nn.Linear(4096, 487)

    def forward(self, x: Any) -> Any:
        t = self.tap
        x = t("conv1a", F.relu(self.conv1a(x)))
        x = t("pool1", F.max_pool3d(x, (1, 2, 2)))
        x = t("conv2a", F.relu(self.conv2a(x)))
        x = t("pool2", F.max_pool3d(x, 2))
        for stage in (3, 4, 5):
            x = t(f"conv{stage}a", F.relu(getattr(self, f"conv{stage}a")(x)))
            x = t(f"conv{stage}b", F.relu(getattr(self, f"conv{stage}b")(x)))
            x = t(f"pool{stage}", F.max_pool3d(x, 2, padding=(0, 1, 1) if stage == 5 else 0))
        x = t("flatten", x.flatten(1))
        x = t("drop6", t("fc6", F.relu(self.fc6(x))))
        x = t("drop7", t("fc7", F.relu(self.fc7(x))))
        return t("fc8", F.softmax(self.fc8(x), dim=1))


class M5(Tapped):
    """The torchaudio tutorial's M5(n_input=1, n_output=35, stride=16, n_channel=32)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv1d(1, 32, 80, stride=16), nn.BatchNorm1d(32)
        self.conv2, self.bn2 = nn.Conv1d(32, 32, 3), nn.BatchNorm1d(32)
        self.conv3, self.bn3 = nn.Conv1d(32, 64, 3), nn.BatchNorm1d(64)
        self.conv4, self.bn4 = nn.Conv1d(64, 64, 3), nn.BatchNorm1d(64)
        self.fc1 = nn.Linear(64, 35)

    def forward(self, x: Any) -> Any:
        t = self.tap
        for i in range(1, 5):
            x = t(f"conv{i}", getattr(self, f"conv{i}")(x))
            x = t(f"relu{i}", F.relu(t(f"bn{i}", getattr(self, f"bn{i}")(x))))
            x = t(f"pool{i}", F.max_pool1d(x, 4))
        x = t("avg_pool", F.avg_pool1d(x, x.shape[-1]))
        return t("fc1", F.softmax(self.fc1(x.permute(0, 2, 1)), dim=2), channels_last=True)


class DCGANGenerator(Tapped):
    """The PyTorch DCGAN tutorial's generator, nz = 100, ngf = 64, nc = 3."""

    def __init__(self) -> None:
        super().__init__()
        widths = [100, 512, 256, 128, 64, 3]
        for i in range(1, 6):
            setattr(self, f"convt{i}", nn.ConvTranspose2d(widths[i - 1], widths[i], 4,
                                                          1 if i == 1 else 2,
                                                          0 if i == 1 else 1, bias=False))
            if i < 5:
                setattr(self, f"bn{i}", nn.BatchNorm2d(widths[i]))

    def forward(self, x: Any) -> Any:
        t = self.tap
        for i in range(1, 5):
            x = t(f"convt{i}", getattr(self, f"convt{i}")(x))
            x = t(f"relu{i}", F.relu(t(f"bn{i}", getattr(self, f"bn{i}")(x))))
        return t("convt5", torch.tanh(self.convt5(x)))


ZOO = {"unet": UNetPaper, "c3d": C3D, "audio1d": M5, "decoder": DCGANGenerator}


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_spec_against_torch_on_meta(name: str) -> None:
    """Shapes by name, params and MACs of the zoo specs against torch modules built on
    the meta device (torch infers every shape without computing a value)."""
    spec = json.loads((SPECS / f"{name}.json").read_text())
    with torch.device("meta"):
        net = ZOO[name]().eval()
        x = torch.empty(BATCH, spec["input"][-1], *spec["input"][:-1])
    modules = {n: n for n, m in net.named_children()}
    compare_structure(spec, net, modules, x)


# ---------------------------------------------------------------- errors and the JSON report

def run_cli(tmp_path: Path, spec: dict[str, Any], *args: str) -> Any:
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(spec))
    return CliRunner().invoke(main, [args[0], str(path), *args[1:]]), str(path)


CONV = {"type": "conv", "filters": 4, "kernel": 3}

BAD = {
    "unknown from": (
        [{**CONV, "name": "a"}, {**CONV, "name": "b", "from": "nope"}],
        'layers[1] (conv "b"): from: no layer is named "nope"'),
    "unknown merge input": (
        [{**CONV, "name": "a"}, {"type": "merge", "name": "m", "mode": "add",
                                 "inputs": ["a", "ghost"]}],
        'layers[1] (merge "m"): inputs: no layer is named "ghost"'),
    "later layer": (
        [{**CONV, "name": "a", "padding": 1},
         {"type": "merge", "name": "m", "mode": "add", "inputs": ["a", "z"]},
         {**CONV, "name": "z", "padding": 1}],
        'layers[1] (merge "m"): inputs: "z" is not computed yet at this point'),
    "itself": (
        [{**CONV, "name": "a", "from": "a"}],
        'layers[0] (conv "a"): from: "a" is not computed yet at this point'),
    "the composite containing it": (
        [{"type": "sequential", "name": "s", "layers": [{**CONV, "name": "a", "from": "s"}]}],
        'layers[0].layers[0] (conv "a"): from: "s" is not computed yet at this point'),
    "add shapes": (
        [{**CONV, "name": "a"}, {"type": "merge", "name": "m", "mode": "add",
                                 "inputs": ["input", "a"]}],
        'layers[1] (merge "m"): cannot add input (8, 8, 4), a (6, 6, 4): shapes must be '
        'equal or broadcast'),
    "multiply channels": (
        [{**CONV, "name": "a", "filters": 3, "padding": 1},
         {"type": "merge", "name": "m", "mode": "multiply", "inputs": ["a", "input"]}],
        'layers[1] (merge "m"): cannot multiply a (8, 8, 3), input (8, 8, 4)'),
    "concat spatial": (
        [{**CONV, "name": "a"}, {"type": "merge", "name": "m", "mode": "concat",
                                 "inputs": ["input", "a"]}],
        'layers[1] (merge "m"): cannot concatenate input (8, 8, 4) and a (6, 6, 4): '
        'spatial sizes differ'),
    "crop a flat input": (
        [{"type": "flatten", "name": "f"},
         {"type": "merge", "name": "m", "mode": "concat", "inputs": ["input", "f"],
          "crop": True}],
        'layers[1] (merge "m"): crop needs inputs with the same number of dimensions'),
    "crop too much": (
        [{"type": "crop", "name": "c", "cropping": [1, 4]}],
        'layers[0] (crop "c"): width: cropping 4 from both ends of 8 leaves 0'),
}


@pytest.mark.parametrize("case", sorted(BAD))
@pytest.mark.parametrize("command", ["table", "verify"])
def test_graph_errors_one_line_exit_2(tmp_path: Path, case: str, command: str) -> None:
    layers, expected = BAD[case]
    result, path = run_cli(tmp_path, {"input": [8, 8, 4], "layers": layers}, command)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{path}: {expected}"), lines[0]
    assert "Traceback" not in result.stderr
    with pytest.raises(cnnshape.SpecError) as error:
        cnnshape.analyze({"input": [8, 8, 4], "layers": layers})
    assert len(str(error.value).splitlines()) == 1


def test_json_report_inputs(tmp_path: Path) -> None:
    """Each row's "inputs" lists what a merge or a ``from`` reads, resolved to full names
    (repeat suffixes); every other row reads the previous layer and lists nothing."""
    spec, _, _ = graph_1d()
    result, _ = run_cli(tmp_path, spec, "table", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.stdout)["layers"]}
    reads = {name: row["inputs"] for name, row in rows.items() if row["inputs"]}
    assert reads == {"sum": ["c0", "d1", "d2", "d4"], "radd_1": ["r_1", "c0"],
                     "radd_2": ["r_2", "c0"], "cat": ["input", "up"], "gate": ["sum"],
                     "mul": ["cat", "gate"]}
    assert all(row["inputs"] == [] for name, row in rows.items() if name not in reads)
    # a merge's input_shape is its first input's; a from-layer's is what it reads
    assert rows["cat"]["input_shape"] == [64, 4] and rows["cat"]["output_shape"] == [64, 8]
    assert rows["gate"]["input_shape"] == rows["sum"]["output_shape"] == [64, 8]
    # and the FPN: lateral convs read the bottom-up maps by name
    spec, _, _ = fpn_graph()
    rows = {row.name: row for row in cnnshape.analyze(spec).rows}
    assert [rows[n].inputs for n in ("lat4", "lat3", "lat2", "p3", "p2", "out4")] == \
        [["c4"], ["c3"], ["c2"], ["lat3", "up4"], ["up3", "lat2"], ["lat4"]]
