"""The torchvision model-zoo specs against torchvision's published numbers.

Published source: torchvision's model documentation (pytorch.org/vision/stable/models.html and
each weights enum's meta, e.g. ResNet50_Weights.IMAGENET1K_V1): ``num_params`` (trainable
parameters, exact) and ``GFLOPS`` (which counts multiply-accumulates of conv and linear layers,
cnnshape's MAC convention), at 224x224 except Inception-v3 at 299x299. GFLOPS are compared to the
decimals torchvision publishes.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import cnnshape

SPECS = Path(__file__).resolve().parent.parent / "specs"

# Inception-v3's documented 27,161,264 parameters include the auxiliary classifier (AuxLogits),
# which the spec leaves out as torchvision's GFLOPS does (measured in eval mode, where it does
# not run).
INCEPTION_V3_DOCUMENTED = 27_161_264
INCEPTION_AUX = (
    (768 * 128 + 2 * 128)              # conv0: BasicConv2d 1x1 768 -> 128, no bias, batch norm
    + (5 * 5 * 128 * 768 + 2 * 768)    # conv1: BasicConv2d 5x5 128 -> 768
    + (768 * 1000 + 1000)              # fc: Linear 768 -> 1000
)

# spec: (input, documented num_params, documented GFLOPS as published)
PUBLISHED = {
    "vgg11": (224, 132_863_336, "7.609"),
    "vgg16_bn": (224, 138_365_992, "15.47"),
    "resnet18": (224, 11_689_512, "1.814"),
    "resnet34": (224, 21_797_672, "3.664"),
    "resnet50": (224, 25_557_032, "4.089"),
    "resnet101": (224, 44_549_160, "7.801"),
    "resnet152": (224, 60_192_808, "11.514"),
    "googlenet": (224, 6_624_904, "1.498"),        # aux_logits=False (torchvision's num_params too)
    "densenet121": (224, 7_978_856, "2.834"),
    "squeezenet1_1": (224, 1_235_496, "0.349"),
    "inception_v3": (299, INCEPTION_V3_DOCUMENTED - INCEPTION_AUX, "5.713"),
}


def test_inception_aux_head_arithmetic():
    assert INCEPTION_AUX == 98_560 + 2_459_136 + 769_000 == 3_326_696
    assert PUBLISHED["inception_v3"][1] == 23_834_568


@pytest.fixture(scope="module", params=sorted(PUBLISHED))
def model(request):
    return request.param, cnnshape.analyze(SPECS / f"{request.param}.json")


def test_params_match_torchvision(model):
    name, report = model
    size, params, _ = PUBLISHED[name]
    assert report.totals.params == params
    assert tuple(report.input_shape) == (size, size, 3)
    assert tuple(report.output_shape) == (1000,)


def test_macs_match_torchvision_gflops(model):
    name, report = model
    gflops = Decimal(PUBLISHED[name][2])
    decimals = -gflops.as_tuple().exponent
    assert round(report.totals.macs / 1e9, decimals) == float(gflops)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_reference_pass_verifies(name, verified):
    result = verified(SPECS / f"{name}.json")
    assert result.ok, [(c.name, c.expected, c.produced) for c in result.checks if not c.ok]


def _rows(name):
    return {row.name: row for row in cnnshape.analyze(SPECS / f"{name}.json").rows}


def test_torchvision_details():
    """The details the totals hinge on, where torchvision differs from the papers."""
    resnet50 = _rows("resnet50")
    # ResNet V1.5: a downsampling bottleneck strides on its 3x3, not on the first 1x1.
    assert tuple(resnet50["layer2.0.conv1"].output_shape) == (56, 56, 128)
    assert tuple(resnet50["layer2.0.conv2"].output_shape) == (28, 28, 128)
    assert resnet50["layer4.block_2"].params == 4_462_592   # torchvision's layer4[2]
    googlenet = _rows("googlenet")
    # The "5x5" branch is a 3x3 in torchvision (pytorch/vision#906); ceil-mode pools give
    # 56/28/14/7.
    assert googlenet["inception3a.branch3.1.conv"].params == 3 * 3 * 16 * 32
    pools = ("maxpool1", "maxpool2", "maxpool3", "maxpool4")
    assert [next(iter(googlenet[p].output_shape)) for p in pools] == [56, 28, 14, 7]
    densenet = _rows("densenet121")
    assert [densenet[f"transition{i}"].output_shape[-1] for i in (1, 2, 3)] == [128, 256, 512]
    assert tuple(densenet["norm5"].output_shape) == (7, 7, 1024)
    inception = _rows("inception_v3")
    assert inception["Mixed_6b.branch7x7_2.conv"].params == 1 * 7 * 128 * 128
    assert tuple(inception["Mixed_7c"].output_shape) == (8, 8, 2048)
