"""AlexNet and VGG-16 against torchvision's documented numbers.

torchvision documents, per model weights (AlexNet_Weights.IMAGENET1K_V1,
VGG16_Weights.IMAGENET1K_V1): num_params 61,100,840 and 138,357,544, GFLOPS 0.71 and
15.47 at 224x224 (torchvision's "GFLOPS" count multiply-accumulates). The per-layer
arithmetic below rebuilds those totals from torchvision's layer definitions.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cnnshape

SPECS = Path(__file__).resolve().parent.parent / "specs"

TORCHVISION_PARAMS = {"alexnet": 61_100_840, "vgg16": 138_357_544}
TORCHVISION_GFLOPS = {"alexnet": 0.71, "vgg16": 15.47}


def conv(n, cin, cout, k, s=1, p=0):
    """(output size, params, MACs) of a square Conv2d, worked out by hand."""
    out = (n + 2 * p - k) // s + 1
    return out, (k * k * cin + 1) * cout, out * out * cout * k * k * cin


def pool(n, k, s):
    return (n - k) // s + 1


def dense(cin, cout):
    return (cin + 1) * cout, cin * cout


def alexnet_layers():
    """torchvision.models.AlexNet, layer by layer at 224x224x3."""
    rows = {}
    n, p1, m1 = conv(224, 3, 64, 11, 4, 2)       # (224 + 4 - 11) // 4 + 1 = 55
    rows["conv1"] = ((n, n, 64), p1, m1)
    n = pool(n, 3, 2)                            # 27
    rows["pool1"] = ((n, n, 64), 0, 0)
    n, p2, m2 = conv(n, 64, 192, 5, 1, 2)        # 27
    rows["conv2"] = ((n, n, 192), p2, m2)
    n = pool(n, 3, 2)                            # 13
    rows["pool2"] = ((n, n, 192), 0, 0)
    n, p3, m3 = conv(n, 192, 384, 3, 1, 1)
    rows["conv3"] = ((n, n, 384), p3, m3)
    n, p4, m4 = conv(n, 384, 256, 3, 1, 1)
    rows["conv4"] = ((n, n, 256), p4, m4)
    n, p5, m5 = conv(n, 256, 256, 3, 1, 1)
    rows["conv5"] = ((n, n, 256), p5, m5)
    n = pool(n, 3, 2)                            # 6
    rows["pool5"] = ((n, n, 256), 0, 0)
    rows["avgpool"] = ((6, 6, 256), 0, 0)        # AdaptiveAvgPool2d((6, 6))
    rows["flatten"] = ((6 * 6 * 256,), 0, 0)
    rows["fc6"] = ((4096,), *dense(6 * 6 * 256, 4096))
    rows["fc7"] = ((4096,), *dense(4096, 4096))
    rows["fc8"] = ((1000,), *dense(4096, 1000))
    return rows


def vgg16_layers():
    """torchvision.models.vgg16 (configuration D), layer by layer at 224x224x3."""
    rows = {}
    n, cin = 224, 3
    for block, (convs, width) in enumerate([(2, 64), (2, 128), (3, 256), (3, 512), (3, 512)], 1):
        for i in range(1, convs + 1):
            n, params, macs = conv(n, cin, width, 3, 1, 1)  # 3x3 padding 1 keeps the size
            rows[f"conv{block}_{i}"] = ((n, n, width), params, macs)
            cin = width
        n = pool(n, 2, 2)
        rows[f"pool{block}"] = ((n, n, width), 0, 0)
    rows["avgpool"] = ((7, 7, 512), 0, 0)        # AdaptiveAvgPool2d((7, 7))
    rows["flatten"] = ((7 * 7 * 512,), 0, 0)
    rows["fc6"] = ((4096,), *dense(7 * 7 * 512, 4096))
    rows["fc7"] = ((4096,), *dense(4096, 4096))
    rows["fc8"] = ((1000,), *dense(4096, 1000))
    return rows


EXPECTED = {"alexnet": alexnet_layers(), "vgg16": vgg16_layers()}


def test_hand_arithmetic_matches_torchvision():
    """The independent per-layer arithmetic reproduces torchvision's documented numbers."""
    for model, rows in EXPECTED.items():
        assert sum(p for _, p, _ in rows.values()) == TORCHVISION_PARAMS[model]
        assert round(sum(m for _, _, m in rows.values()) / 1e9, 2) == TORCHVISION_GFLOPS[model]
    alexnet = EXPECTED["alexnet"]
    assert alexnet["conv1"] == ((55, 55, 64), (11 * 11 * 3 + 1) * 64, 55 * 55 * 64 * 11 * 11 * 3)
    assert alexnet["pool5"][0] == (6, 6, 256)
    assert EXPECTED["vgg16"]["pool5"][0] == (7, 7, 512)


@pytest.fixture(scope="module", params=["alexnet", "vgg16"])
def model(request):
    return request.param, cnnshape.analyze(SPECS / f"{request.param}.json")


def test_params_match_torchvision(model):
    name, report = model
    assert report.totals.params == TORCHVISION_PARAMS[name]
    assert report.totals.non_trainable_params == 0
    assert tuple(report.input_shape) == (224, 224, 3)
    assert tuple(report.output_shape) == (1000,)


def test_macs_match_torchvision_gflops(model):
    name, report = model
    assert round(report.totals.macs / 1e9, 2) == TORCHVISION_GFLOPS[name]
    assert report.totals.macs == sum(m for _, _, m in EXPECTED[name].values())


def test_every_layer(model):
    name, report = model
    leaves = {row.name: row for row in report.rows if not row.composite and row.type != "input"}
    expected = EXPECTED[name]
    for layer, (shape, params, macs) in expected.items():
        row = leaves[layer]
        assert (tuple(row.output_shape), row.params, row.macs) == (shape, params, macs), layer
    # Everything else is parameter-free: dropout, adaptive pooling, flatten.
    for layer, row in leaves.items():
        if layer not in expected:
            assert row.type == "dropout" and row.params == row.macs == 0, layer


def test_composite_subtotals(model):
    name, report = model
    composites = {row.name: row for row in report.rows if row.composite}
    expected = EXPECTED[name]
    features = [v for k, v in expected.items() if k.startswith(("conv", "pool"))]
    classifier = [expected[k] for k in ("fc6", "fc7", "fc8")]
    assert composites["features"].params == sum(p for _, p, _ in features)
    assert composites["features"].macs == sum(m for _, _, m in features)
    assert composites["classifier"].params == sum(p for _, p, _ in classifier)
    assert tuple(composites["features"].output_shape) == features[-1][0]


def test_torchvision_structure():
    """Dropout, ReLU and adaptive pooling where torchvision puts them."""
    for name, size, dropouts in (("alexnet", 6, ["drop6", "fc6", "drop7", "fc7", "fc8"]),
                                 ("vgg16", 7, ["fc6", "drop6", "fc7", "drop7", "fc8"])):
        net = cnnshape.load(SPECS / f"{name}.json")
        kinds = [layer.kind for layer in net.layers]
        assert kinds == ["sequential", "adaptive_pool", "flatten", "sequential"]
        assert net.layers[1].output_size in (size, (size, size)) and net.layers[1].mode == "avg"
        classifier = net.layers[3].layers
        assert [layer.name for layer in classifier] == dropouts
        assert all(layer.rate == 0.5 for layer in classifier if layer.kind == "dropout")
        assert [layer.activation for layer in classifier if layer.kind == "dense"] == \
            ["relu", "relu", None]
        convs = [layer for layer in net.layers[0].layers if layer.kind == "conv"]
        assert all(layer.activation == "relu" for layer in convs)
        pools = [layer for layer in net.layers[0].layers if layer.kind == "pool"]
        assert all(layer.mode == "max" for layer in pools)


def test_alexnet_stride_warning():
    """(224 + 2*2 - 11) = 217 is not divisible by conv1's stride 4: one padded row is never read."""
    report = cnnshape.analyze(SPECS / "alexnet.json")
    assert (224 + 2 * 2 - 11) % 4 == 1
    (line,) = report.warnings  # one line for height and width
    assert 'layers[0].layers[0] (conv "conv1"): height, width: ' in line and "217" in line
    # the one unread position is the last of the 2 right-padding zeros: no input is lost
    assert "only padding" in line
    assert cnnshape.analyze(SPECS / "vgg16.json").warnings == []


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg16"])
def test_reference_pass_agrees(name, verified):
    result = verified(SPECS / f"{name}.json")
    assert result.ok, [c for c in result.checks if not c.ok]
