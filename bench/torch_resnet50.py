"""ResNet-50 for the torchinfo side of bench/run.py: torchvision's own, or a plain torch.nn rebuild.

If torchvision is importable, the model is ``torchvision.models.resnet50(weights=None)``, the
model people actually summarise. Otherwise (torchvision cannot be installed next to
torch 2.13.0 here) this file rebuilds its architecture ("ResNet V1.5"): Bottleneck blocks with
the stride on the 3x3 conv, expansion 4, layers [3, 4, 6, 3], batch norm after every conv, a
1x1 conv + batch norm downsample on the first block of each stage, and torchvision's weight
initialisation. Either way the model has exactly torchvision's 25,557,032 parameters.

Run as a script (bench/run.py runs it with ``--torch-python``, default its own interpreter):

    python bench/torch_resnet50.py --check     # imports, builds, prints {"params": ..., ...}
    python bench/torch_resnet50.py --summary   # imports torch, torchinfo (and torchvision if
                                               # importable), builds ResNet-50, prints
                                               # torchinfo.summary(model, (1, 3, 224, 224))

``--check`` prints one JSON line: the parameter count, which model was built ("torchvision
X.Y.Z" or "plain torch.nn rebuild") and the versions of Python, torch, torchvision and
torchinfo. ``--summary`` prints the summary on stdout and, as the last line of stderr, the
seconds each phase took as JSON (import torch, import torchinfo, import torchvision when
used, build, summary).
"""

from __future__ import annotations

import time

_T0 = time.perf_counter()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
from typing import Any  # noqa: E402

EXPECTED_PARAMS = 25_557_032
"""torchvision's documented num_params for resnet50 (IMAGENET1K_V1 / V2)."""

EXIT_MISSING = 3
"""Exit code when torch or torchinfo cannot be imported (bench/run.py then skips)."""

try:
    import torch
    from torch import nn
except ImportError as error:  # pragma: no cover - exercised only without torch
    print(f"torch is not importable: {error}", file=sys.stderr)
    sys.exit(EXIT_MISSING)

_T_TORCH = time.perf_counter()


def conv3x3(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(cin: int, cout: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (carrying the stride), 1x1 expand x4; ReLU after the addition."""

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: nn.Module | None = None) -> None:
        super().__init__()
        width = planes
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, layers: tuple[int, int, int, int] = (3, 4, 6, 3),
                 num_classes: int = 1000) -> None:
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)
        # torchvision's initialisation, so that building the model costs what it costs there.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> nn.Sequential:
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            out = planes * Bottleneck.expansion
            downsample = nn.Sequential(conv1x1(self.inplanes, out, stride), nn.BatchNorm2d(out))
        modules = [Bottleneck(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * Bottleneck.expansion
        modules += [Bottleneck(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*modules)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet50() -> ResNet:
    return ResNet((3, 4, 6, 3))


PLAIN = "plain torch.nn rebuild"


def import_torchvision() -> tuple[Any, str | None]:
    """(the torchvision module or None, why it is not used or None)."""
    if importlib.util.find_spec("torchvision") is None:
        return None, None
    try:
        import torchvision
    except ImportError as error:  # installed but broken (say, built for another torch)
        return None, f"{type(error).__name__}: {error}"
    return torchvision, None


def build(torchvision: Any) -> nn.Module:
    """torchvision's ResNet-50 (random weights, nothing downloaded), else the rebuild."""
    if torchvision is not None:
        return torchvision.models.resnet50(weights=None)
    return resnet50()


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="print the parameter count as JSON")
    mode.add_argument("--summary", action="store_true", help="run torchinfo.summary on ResNet-50")
    args = parser.parse_args(argv)

    t_torch = _T_TORCH
    try:
        import torchinfo
    except ImportError as error:
        print(f"torchinfo is not importable: {error}", file=sys.stderr)
        return EXIT_MISSING
    t_torchinfo = time.perf_counter()
    torchvision, torchvision_error = import_torchvision()
    t_torchvision = time.perf_counter()
    if args.check:
        params = count_params(build(torchvision))
        print(json.dumps({
            "params": params, "expected": EXPECTED_PARAMS,
            "model": PLAIN if torchvision is None else f"torchvision {torchvision.__version__}",
            "torchvision": None if torchvision is None else torchvision.__version__,
            "torchvision_error": torchvision_error,
            "torch": torch.__version__, "torchinfo": getattr(torchinfo, "__version__", None),
            "python": platform.python_version(), "executable": sys.executable,
            "threads": torch.get_num_threads()}))
        return 0 if params == EXPECTED_PARAMS else 1

    model = build(torchvision)
    t_build = time.perf_counter()
    stats = torchinfo.summary(model, input_size=(1, 3, 224, 224), verbose=0)
    print(stats)
    sys.stdout.flush()
    t_summary = time.perf_counter()
    phases = {"import torch": t_torch - _T0, "import torchinfo": t_torchinfo - t_torch}
    if torchvision is not None:
        phases["import torchvision"] = t_torchvision - t_torchinfo
    phases.update({"build model": t_build - t_torchvision, "summary": t_summary - t_build})
    print(json.dumps(phases), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
