"""batchnorm's ``scale`` and ``center``: Keras's flags, PyTorch's ``affine=False``."""

from __future__ import annotations

from typing import Any

import pytest

import cnnshape
from cnnshape.core.errors import SpecError


def spec(**flags: Any) -> dict[str, Any]:
    return {"input": [6, 6, 3], "layers": [
        {"type": "conv", "filters": 8, "kernel": 3},
        {"type": "batchnorm", "name": "bn", **flags}]}


@pytest.mark.parametrize("flags, trainable, details", [
    ({}, 2 * 8, "batchnorm"),                       # gamma and beta per channel
    ({"scale": False}, 8, "batchnorm no scale"),      # beta only (Inception v3 in Keras)
    ({"center": False}, 8, "batchnorm no center"),    # gamma only
    ({"scale": False, "center": False}, 0, "batchnorm no scale or center"),
])
def test_counts(flags: dict[str, Any], trainable: int, details: str) -> None:
    report = cnnshape.analyze(spec(**flags))
    bn = report.rows[-1]
    assert (bn.params, bn.non_trainable_params) == (trainable, 2 * 8)  # running mean, variance
    assert f"{bn.type} {bn.details}".strip() == details
    assert cnnshape.verify(spec(**flags)).ok


def test_flags_are_booleans() -> None:
    with pytest.raises(SpecError, match=r"layers\[1\] \(batchnorm \"bn\"\): scale"):
        cnnshape.load(spec(scale="no"))


def test_torch_affine_false_both_ways() -> None:
    torch = pytest.importorskip("torch", reason="needs PyTorch")
    from cnnshape.frameworks.torch.exporter import to_torch, torch_source
    from cnnshape.frameworks.torch.importer import from_torch

    net = to_torch(spec(scale=False, center=False))
    bn = net.bn
    assert bn.affine is False and sum(p.numel() for p in net.parameters()) == 3 * 3 * 3 * 8 + 8
    back = from_torch(torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3),
                                          torch.nn.BatchNorm2d(8, affine=False)), (1, 3, 6, 6))
    assert back["layers"][1]["scale"] is False and back["layers"][1]["center"] is False
    with pytest.raises(SpecError) as caught:
        torch_source(spec(scale=False))
    assert "\n" not in str(caught.value) and "learns only the offset" in str(caught.value)
