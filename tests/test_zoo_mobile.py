"""MobileNetV2, MobileNetV3-Large, EfficientNet-B0 and ConvNeXt-Tiny against torchvision.

The published numbers come from torchvision's model documentation (each weights enum's
meta: num_params, and GFLOPS, which counts multiply-accumulates of conv and linear layers
only, cnnshape's convention) for MobileNet_V2_Weights, MobileNet_V3_Large_Weights,
EfficientNet_B0_Weights and ConvNeXt_Tiny_Weights at 224x224. The parameter counts are
exact; GFLOPS is published to three decimals.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cnnshape

SPECS = Path(__file__).resolve().parent.parent / "specs"

# model: (num_params, GFLOPS) as torchvision documents them.
PUBLISHED = {
    "mobilenet_v2": (3_504_872, 0.301),
    "mobilenet_v3_large": (5_483_032, 0.217),
    "efficientnet_b0": (5_288_548, 0.386),
    "convnext_tiny": (28_589_128, 4.456),
}

# Blocks with a residual connection (stride 1 and equal input and output channels) and
# squeeze-and-excitation gates (a multiply merge), counted from torchvision's configurations.
RESIDUALS = {"mobilenet_v2": 10, "mobilenet_v3_large": 10, "efficientnet_b0": 9,
             "convnext_tiny": 18}
SE_GATES = {"mobilenet_v2": 0, "mobilenet_v3_large": 8, "efficientnet_b0": 16, "convnext_tiny": 0}


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def model(request):
    return request.param, cnnshape.analyze(SPECS / f"{request.param}.json")


def test_params_match_torchvision(model):
    name, report = model
    assert report.totals.params == PUBLISHED[name][0]


def test_macs_match_torchvision_gflops(model):
    name, report = model
    assert round(report.totals.macs / 1e9, 3) == PUBLISHED[name][1]


def test_classifier_shapes(model):
    _, report = model
    assert tuple(report.input_shape) == (224, 224, 3)
    assert tuple(report.output_shape) == (1000,)


def test_block_structure(model):
    name, report = model
    types = [row.type for row in report.rows]
    assert types.count("residual") == RESIDUALS[name]
    assert types.count("merge") == SE_GATES[name]


def test_mobilenet_v3_squeeze_widths():
    """SE squeezes to _make_divisible(expanded // 4, 8): 72 -> 24, 120 -> 32, 480 -> 120, ..."""
    report = cnnshape.analyze(SPECS / "mobilenet_v3_large.json")
    fc1 = [row.output_shape[-1] for row in report.rows if row.name.endswith(".fc1")]
    assert fc1 == [24, 32, 32, 120, 168, 168, 240, 240]


def test_efficientnet_squeeze_widths():
    """EfficientNet's SE squeezes to a quarter of the block's input channels, not its expanded
    width."""
    report = cnnshape.analyze(SPECS / "efficientnet_b0.json")
    fc1 = [row.output_shape[-1] for row in report.rows if row.name.endswith(".fc1")]
    assert fc1 == [32 // 4, 16 // 4, 24 // 4, 24 // 4, 40 // 4, 40 // 4, 80 // 4, 80 // 4,
                   80 // 4, 112 // 4, 112 // 4, 112 // 4, 192 // 4, 192 // 4, 192 // 4, 192 // 4]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reference_pass_agrees(name, verified):
    result = verified(SPECS / f"{name}.json")
    assert result.ok, [c for c in result.checks if not c.ok]
