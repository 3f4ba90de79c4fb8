"""cnnshape.from_torch: live PyTorch modules -> specs, checked against torch itself.

Every expected number comes from torch (parameter counts, buffers, output shapes, MACs
counted by forward hooks from the modules' own attributes) or from torchvision's
documentation (parameters and GFLOPS of its model zoo).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch", reason="from_torch needs PyTorch (pip install torch==2.13.0)")
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402
from torch_macs import total_macs  # noqa: E402

import cnnshape  # noqa: E402
from cnnshape.core.errors import SpecError  # noqa: E402
from cnnshape.frameworks.torch.importer import from_torch  # noqa: E402

SPECS = sorted(Path(__file__).resolve().parent.parent.joinpath("specs").glob("*.json"))

pytestmark = pytest.mark.torch


def counts(module: nn.Module) -> tuple[int, int]:
    """(parameters, running statistics) as torch holds them."""
    params = sum(p.numel() for p in module.parameters())
    stats = sum(b.numel() for name, b in module.named_buffers()
                if name.endswith(("running_mean", "running_var")))
    return params, stats


def check(module: nn.Module, shape: tuple[int, ...]) -> dict[str, Any]:
    """Import ``module``; totals and the output shape must equal torch's."""
    spec = from_torch(module, shape)
    report = cnnshape.analyze(spec)
    x = torch.randn(shape)
    with torch.no_grad():
        out = module.eval()(x)
    params, stats = counts(module)
    assert (report.totals.params, report.totals.non_trainable_params) == (params, stats)
    assert report.totals.macs == total_macs(module, x)
    last = [*out.shape[2:], out.shape[1]] if out.dim() > 2 else list(out.shape[1:])
    assert list(report.rows[-1].output_shape) == last or _top_level_output(report) == last
    return spec


def _top_level_output(report: Any) -> list[int]:
    top = [row for row in report.rows if row.depth == 1]
    return list(top[-1].output_shape)


class LeNet(nn.Module):
    """The course's network as a PyTorch user writes it (functional relu, torch.flatten)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 5)
        self.pool = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.fc3 = nn.Linear(400, 120)
        self.fc4 = nn.Linear(120, 84)
        self.fc5 = nn.Linear(84, 10)

    def forward(self, x: Any) -> Any:
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc3(x))
        x = F.relu(self.fc4(x))
        return F.softmax(self.fc5(x), dim=1)


def test_lenet_gives_the_course_table() -> None:
    spec = check(LeNet(), (1, 3, 32, 32))
    report = cnnshape.analyze(spec)
    by_name = {row.name: row for row in report.rows}
    # (5*5*3+1)*8, (5*5*8+1)*16, 400*120+120, 120*84+84, 84*10+10
    assert [by_name[n].params for n in ("conv1", "conv2", "fc3", "fc4", "fc5")] == [
        608, 3216, 48120, 10164, 850]
    assert by_name["conv1"].output_shape == [28, 28, 8]
    assert by_name["pool_2"].output_shape == [5, 5, 16]  # the pool module's second call
    assert spec["layers"][0]["activation"] == "relu"  # F.relu folded into the conv


class Basic(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                   nn.BatchNorm2d(cout)) if stride > 1 or cin != cout else None)

    def forward(self, x: Any) -> Any:
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + (self.down(x) if self.down is not None else x))


class TinyResNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 7, 2, 3), nn.BatchNorm2d(16), nn.ReLU(),
                                  nn.MaxPool2d(3, 2, 1))
        self.layer1 = nn.Sequential(Basic(16, 16, 1), Basic(16, 32, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x: Any) -> Any:
        return self.fc(torch.flatten(self.pool(self.layer1(self.stem(x))), 1))


def test_residual_blocks_are_recovered() -> None:
    spec = check(TinyResNet(), (1, 3, 64, 64))
    # the module's stages: stem (a Sequential of 4) and layer1 (2 blocks) become sequentials
    assert [(layer["type"], layer["name"]) for layer in spec["layers"]] == [
        ("sequential", "stem"), ("sequential", "layer1"), ("adaptive_pool", "pool"),
        ("flatten", "flatten"), ("dense", "fc")]
    assert [layer["name"] for layer in spec["layers"][0]["layers"]] == [
        "stem.0", "stem.1", "stem.2", "stem.3"]
    blocks = [layer for layer in spec["layers"][1]["layers"] if layer["type"] == "residual"]
    assert [b["name"] for b in blocks] == ["layer1.0", "layer1.1"]
    assert blocks[0]["shortcut"] == [] and blocks[0]["activation"] == "relu"
    assert [layer["name"] for layer in blocks[1]["shortcut"]] == ["layer1.1.down.0",
                                                                   "layer1.1.down.1"]


class ConvNeXtBlock(nn.Module):
    """Depthwise conv, channels-last LayerNorm and Linear layers, a layer-scale parameter."""

    def __init__(self, c: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(c, c, 7, padding=3, groups=c)
        self.norm = nn.LayerNorm(c, eps=1e-6)
        self.pw1 = nn.Linear(c, 4 * c)
        self.act = nn.GELU()
        self.pw2 = nn.Linear(4 * c, c)
        self.gamma = nn.Parameter(torch.full((c,), 1e-6))

    def forward(self, x: Any) -> Any:
        y = self.dw(x).permute(0, 2, 3, 1)
        y = self.pw2(self.act(self.pw1(self.norm(y))))
        y = self.gamma * y
        return x + y.permute(0, 3, 1, 2)


def test_channels_last_blocks_layernorm_linear_and_layer_scale() -> None:
    spec = check(nn.Sequential(nn.Conv2d(3, 8, 4, 4), ConvNeXtBlock(8)), (1, 3, 32, 32))
    (block,) = [layer for layer in spec["layers"] if layer["type"] == "residual"]
    # nn.GELU is a module of its own, so it stays a row (F.gelu would join pw1)
    assert [layer["type"] for layer in block["body"]] == [
        "conv", "layernorm", "dense", "activation", "dense", "scale"]


class SE(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.fc1 = nn.Conv2d(c, c // 4, 1)
        self.fc2 = nn.Conv2d(c // 4, c, 1)

    def forward(self, x: Any) -> Any:
        y = self.conv(x)
        gate = torch.sigmoid(self.fc2(F.relu(self.fc1(y.mean((2, 3), keepdim=True)))))
        return y * gate


class Pyramid(nn.Module):
    """Concatenation, nearest upsampling, zero padding, average pooling with padding."""

    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.down = nn.AvgPool2d(3, 2, 1)
        self.b = nn.Conv2d(4, 4, 3)
        self.up = nn.Upsample(scale_factor=2)

    def forward(self, x: Any) -> Any:
        a = self.a(x)
        b = F.pad(self.b(self.down(a)), (1, 1, 1, 1))
        return torch.cat([a, self.up(b)], dim=1)


@pytest.mark.parametrize("module, shape", [
    (SE(8), (1, 8, 12, 12)),
    (Pyramid(), (1, 3, 16, 16)),
    (nn.Sequential(nn.Conv1d(1, 8, 9, 4), nn.BatchNorm1d(8), nn.ReLU(), nn.MaxPool1d(4),
                   nn.Conv1d(8, 16, 3, padding="same"), nn.AdaptiveAvgPool1d(1), nn.Flatten(),
                   nn.Linear(16, 5)), (1, 1, 400)),
    (nn.Sequential(nn.Conv3d(3, 8, 3, padding=1), nn.MaxPool3d((1, 2, 2)),
                   nn.ConvTranspose3d(8, 4, 2, 2), nn.Dropout(0.3)), (1, 3, 4, 8, 8)),
    (nn.Sequential(nn.ConvTranspose2d(16, 8, 4, 2, 1, output_padding=0, bias=False),
                   nn.Hardswish(), nn.ZeroPad2d(2), nn.MaxPool2d(2, ceil_mode=True)),
     (1, 16, 5, 5)),
], ids=["squeeze-excitation", "pyramid", "audio-1d", "video-3d", "transposed"])
def test_hand_written_modules(module: nn.Module, shape: tuple[int, ...]) -> None:
    check(module, shape)


@pytest.mark.parametrize("path", SPECS, ids=[p.stem for p in SPECS])
def test_round_trip_through_to_torch(path: Path) -> None:
    """spec -> to_torch -> from_torch gives the same table."""
    export = pytest.importorskip("cnnshape.frameworks.torch.exporter",
                                 reason="the PyTorch exporter is not there yet")
    original = cnnshape.analyze(str(path))
    module = export.to_torch(str(path))
    spec = cnnshape.load(str(path))
    shape = (1, spec.input[-1], *spec.input[:-1])
    imported = cnnshape.analyze(from_torch(module, shape))
    assert (imported.totals.params, imported.totals.non_trainable_params,
            imported.totals.macs) == (original.totals.params,
                                      original.totals.non_trainable_params, original.totals.macs)

    def leaves(report: Any) -> list[tuple[Any, ...]]:
        return [(r.type, tuple(r.output_shape), r.params, r.macs) for r in report.rows
                if not r.composite and r.type != "dropout"]

    assert leaves(imported) == leaves(original)


class Branchy(nn.Module):
    def forward(self, x: Any) -> Any:
        return x * 2 if x.sum() > 0 else x


class Shared(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(4, 4, 3, padding=1)

    def forward(self, x: Any) -> Any:
        return self.conv(self.conv(x))


class Split(nn.Module):
    def forward(self, x: Any) -> Any:
        a, b = x.chunk(2, dim=1)
        return a + b


@pytest.mark.parametrize("module, message", [
    (Branchy(), "torch.fx cannot trace this module"),
    (Shared(), "node conv (Conv2d): this module runs more than once with the same weights"),
    (Split(), "chunk"),
    (nn.Sequential(nn.Conv2d(4, 4, 3), nn.LeakyReLU(0.2)), "slope 0.2"),
    (nn.Sequential(nn.Conv2d(4, 4, 3), nn.Upsample(scale_factor=2, mode="bilinear")),
     "only nearest"),
])
def test_unsupported_modules_give_one_line(module: nn.Module, message: str) -> None:
    with pytest.raises(SpecError) as caught:
        from_torch(module, (1, 4, 8, 8))
    text = str(caught.value)
    assert "\n" not in text and text.startswith("<torch module>: ") and message in text


def test_input_shape_is_checked() -> None:
    with pytest.raises(SpecError, match="expected"):
        from_torch(LeNet(), (3, 32, 32, 1, 1, 1))
    with pytest.raises(SpecError, match=r"Conv2d\) wants 4 axes with the batch first, "
                                         r"e.g. \(1, 3, 224, 224\)"):
        from_torch(LeNet(), (3, 32, 32))  # no batch axis
    with pytest.raises(SpecError, match="does not run on input"):
        from_torch(LeNet(), (1, 3, 28, 28))  # the flattened size no longer fits fc3


# torchvision's documentation: parameters and GFLOPS (= multiply-accumulates) per model
TORCHVISION = {
    "alexnet": (61_100_840, 0.71), "vgg16": (138_357_544, 15.47),
    "resnet50": (25_557_032, 4.09), "resnext50_32x4d": (25_028_904, 4.23),
    "mobilenet_v2": (3_504_872, 0.3), "mobilenet_v3_large": (5_483_032, 0.22),
    "efficientnet_b0": (5_288_548, 0.39), "convnext_tiny": (28_589_128, 4.46),
    "googlenet": (6_624_904, 1.5), "densenet121": (7_978_856, 2.83),
    "squeezenet1_1": (1_235_496, 0.35), "regnet_y_400mf": (4_344_144, 0.4),
}


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_torchvision_models(name: str) -> None:
    models = pytest.importorskip("torchvision.models", reason="torchvision is not installed")
    extra = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    module = getattr(models, name)(**extra)
    report = cnnshape.analyze(from_torch(module, (1, 3, 224, 224)))
    params, gflops = TORCHVISION[name]
    assert report.totals.params == params == counts(module)[0]
    assert round(report.totals.macs / 1e9, len(str(gflops).split(".")[1])) == gflops


def test_module_mode_is_restored() -> None:
    module = LeNet().train()
    from_torch(module, (1, 3, 32, 32))
    assert module.training


class OneBranchConcat(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 3, 1)

    def forward(self, x: Any) -> Any:
        return torch.cat([self.conv(x)], dim=1)


def test_concatenating_one_tensor_is_the_tensor() -> None:
    spec = check(OneBranchConcat(), (1, 2, 4, 4))
    assert [layer["type"] for layer in spec["layers"]] == ["conv"]
