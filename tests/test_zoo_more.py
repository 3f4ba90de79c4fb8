"""U-Net, C3D, the M5 audio CNN and the DCGAN generator against arithmetic written out.

Each network is rebuilt here layer by layer from its source's definition with the
textbook formulas (output size, (k·C_in + 1)·C_out parameters, MACs), independently of
cnnshape, and every row of the spec's report must match. The totals are also written
out as the sums the specs' descriptions quote.
"""

from __future__ import annotations

import json
from math import prod
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main

SPECS = Path(__file__).resolve().parent.parent / "specs"


def conv(n: tuple[int, ...], cin: int, cout: int, k: int, s: int = 1, p: int = 0,
         bias: bool = True) -> tuple[tuple[int, ...], int, int]:
    """(output shape, params, MACs) of a convolution with a cubic/square/line kernel."""
    out = tuple((m + 2 * p - k) // s + 1 for m in n)
    taps = k ** len(n)
    return (*out, cout), taps * cin * cout + (cout if bias else 0), prod(out) * cout * taps * cin


def conv_t(n: tuple[int, ...], cin: int, cout: int, k: int, s: int, p: int = 0,
           bias: bool = True) -> tuple[tuple[int, ...], int, int]:
    """A transposed convolution: (n - 1)s - 2p + k; every input pixel scatters k^d·C_out
    products per input channel."""
    out = tuple((m - 1) * s - 2 * p + k for m in n)
    taps = k ** len(n)
    return (*out, cout), taps * cin * cout + (cout if bias else 0), prod(n) * cin * taps * cout


def pool(n: tuple[int, ...], c: int, k: tuple[int, ...],
         p: tuple[int, ...] = ()) -> tuple[int, ...]:
    """Max pooling with stride = kernel, floor mode."""
    p = p or (0,) * len(n)
    return (*((m + 2 * q - kk) // kk + 1 for m, kk, q in zip(n, k, p, strict=False)), c)


def dense(cin: int, cout: int) -> tuple[int, int]:
    return cin * cout + cout, cin * cout


def leaves(report: cnnshape.Report) -> dict[str, cnnshape.Row]:
    return {row.name: row for row in report.rows if row.depth and not row.composite}


def check_rows(report: cnnshape.Report, expected: dict[str, tuple]) -> None:
    """Every expected row: (shape, params[, MACs]); every other row has no parameters."""
    rows = leaves(report)
    for name, values in expected.items():
        row = rows[name]
        got = (tuple(row.output_shape), row.params, row.macs)[:len(values)]
        assert got == values, name
    for name, row in rows.items():
        if name not in expected:
            assert row.params == 0 and row.macs == 0, name


# ---------------------------------------------------------------- U-Net

def unet_layers() -> dict[str, tuple]:
    """Ronneberger et al. 2015, Fig. 1: unpadded 3x3 convs, 2x2 pools, 2x2 up-convs."""
    rows: dict[str, tuple] = {}
    n, c = (572, 572), 1
    skips = {}
    for level, width in enumerate([64, 128, 256, 512], 1):
        shape, params, macs = conv(n, c, width, 3)
        rows[f"enc{level}a"] = (shape, params, macs)
        shape, params, macs = conv(shape[:-1], width, width, 3)
        rows[f"enc{level}b"] = (shape, params, macs)
        skips[level] = shape
        n, c = pool(shape[:-1], width, (2, 2))[:-1], width
        rows[f"pool{level}"] = ((*n, c), 0, 0)
    shape, params, macs = conv(n, 512, 1024, 3)
    rows["bottleneck_a"] = (shape, params, macs)
    shape, params, macs = conv(shape[:-1], 1024, 1024, 3)
    rows["bottleneck_b"] = (shape, params, macs)
    for level, width in zip([4, 3, 2, 1], [512, 256, 128, 64], strict=False):
        shape, params, macs = conv_t(shape[:-1], 2 * width, width, 2, 2)   # halves channels
        rows[f"up{level}"] = (shape, params, macs)
        skip = skips[level]
        # the skip is center-cropped to the up-convolution's size, then concatenated
        assert skip[0] > shape[0] and (skip[0] - shape[0]) % 2 == 0
        shape = (*shape[:-1], skip[-1] + width)
        rows[f"skip{level}"] = (shape, 0, 0)
        shape, params, macs = conv(shape[:-1], 2 * width, width, 3)
        rows[f"dec{level}a"] = (shape, params, macs)
        shape, params, macs = conv(shape[:-1], width, width, 3)
        rows[f"dec{level}b"] = (shape, params, macs)
    rows["classifier"] = conv(shape[:-1], 64, 2, 1)
    return rows


def test_unet_count_by_hand() -> None:
    """(k·k·C_in + 1)·C_out for all 23 convolutions, biases included: 31,030,658.

    The 31,031,685 often quoted is zhixuhao/unet's Keras model: same body, but its head is
    a 3x3 conv to 2 channels then a 1x1 sigmoid conv to 1 channel instead of 1x1 to 2."""
    contracting = [(3 * 3 * 1 + 1) * 64, (3 * 3 * 64 + 1) * 64,
                   (3 * 3 * 64 + 1) * 128, (3 * 3 * 128 + 1) * 128,
                   (3 * 3 * 128 + 1) * 256, (3 * 3 * 256 + 1) * 256,
                   (3 * 3 * 256 + 1) * 512, (3 * 3 * 512 + 1) * 512,
                   (3 * 3 * 512 + 1) * 1024, (3 * 3 * 1024 + 1) * 1024]
    assert contracting == [640, 36_928, 73_856, 147_584, 295_168, 590_080, 1_180_160,
                           2_359_808, 4_719_616, 9_438_208]
    assert sum(contracting) == 18_842_048
    expansive = []
    for c in (512, 256, 128, 64):
        expansive += [(2 * 2 * 2 * c + 1) * c,    # up-conv 2C -> C
                      (3 * 3 * 2 * c + 1) * c,    # after the concat: 2C -> C
                      (3 * 3 * c + 1) * c]
    assert expansive == [2_097_664, 4_719_104, 2_359_808, 524_544, 1_179_904, 590_080,
                         131_200, 295_040, 147_584, 32_832, 73_792, 36_928]
    assert sum(expansive) == 12_188_480
    head = 64 * 2 + 2
    total = sum(contracting) + sum(expansive) + head
    assert total == 31_030_658
    keras_head = (3 * 3 * 64 + 1) * 2 + (1 * 1 * 2 + 1) * 1
    assert total - head + keras_head == 31_031_685
    assert sum(p for _, p, _ in unet_layers().values()) == total

    report = cnnshape.analyze(SPECS / "unet.json")
    assert report.totals.params == total
    assert report.totals.non_trainable_params == 0
    assert report.totals.layers == 31  # 23 convs, 4 pools, 4 merges


def test_unet_shapes_and_crops() -> None:
    report = cnnshape.analyze(SPECS / "unet.json")
    assert report.input_shape == [572, 572, 1]
    assert report.output_shape == [388, 388, 2]
    check_rows(report, unet_layers())
    assert report.totals.macs == sum(m for _, _, m in unet_layers().values()) == 150_428_424_448
    rows = leaves(report)
    # the paper's Fig. 1 sizes: the crops 64->56, 136->104, 280->200, 568->392
    for level, (skip, up) in {4: (64, 56), 3: (136, 104), 2: (280, 200), 1: (568, 392)}.items():
        assert rows[f"enc{level}b"].output_shape[0] == skip
        assert rows[f"up{level}"].output_shape[0] == up
        assert rows[f"skip{level}"].inputs == [f"enc{level}b", f"up{level}"]
        assert rows[f"skip{level}"].output_shape[:2] == [up, up]
    assert rows["bottleneck_b"].output_shape == [28, 28, 1024]
    assert report.warnings == []  # every pool input is even


# ---------------------------------------------------------------- C3D

def c3d_layers(classes: int = 487) -> dict[str, tuple]:
    """Tran et al. 2015: 3x3x3 convs with padding 1; pool1 1x2x2, pool2-5 2x2x2."""
    rows: dict[str, tuple] = {}
    n, c = (16, 112, 112), 3
    plan = [("conv1a", 64), ("pool1", (1, 2, 2)), ("conv2a", 128), ("pool2", (2, 2, 2)),
            ("conv3a", 256), ("conv3b", 256), ("pool3", (2, 2, 2)),
            ("conv4a", 512), ("conv4b", 512), ("pool4", (2, 2, 2)),
            ("conv5a", 512), ("conv5b", 512)]
    for name, value in plan:
        if name.startswith("conv"):
            shape, params, macs = conv(n, c, value, 3, 1, 1)
            rows[name] = (shape, params, macs)
            n, c = shape[:-1], value
        else:
            n = pool(n, c, value)[:-1]
            rows[name] = ((*n, c), 0, 0)
    n = pool(n, c, (2, 2, 2), (0, 1, 1))[:-1]       # pool5: 2x7x7 -> 1x4x4
    rows["pool5"] = ((*n, c), 0, 0)
    features = prod(n) * c
    rows["flatten"] = ((features,), 0, 0)
    rows["fc6"] = ((4096,), *dense(features, 4096))
    rows["fc7"] = ((4096,), *dense(4096, 4096))
    rows["fc8"] = ((classes,), *dense(4096, classes))
    return rows


def test_c3d_count_by_hand() -> None:
    convs = [(27 * 3 + 1) * 64, (27 * 64 + 1) * 128, (27 * 128 + 1) * 256,
             (27 * 256 + 1) * 256, (27 * 256 + 1) * 512, (27 * 512 + 1) * 512,
             (27 * 512 + 1) * 512, (27 * 512 + 1) * 512]
    assert convs == [5_248, 221_312, 884_992, 1_769_728, 3_539_456, 7_078_400, 7_078_400,
                     7_078_400]
    assert sum(convs) == 27_655_936
    assert 512 * 1 * 4 * 4 == 8_192
    fcs = [8_192 * 4_096 + 4_096, 4_096 * 4_096 + 4_096, 4_096 * 487 + 487]
    assert fcs == [33_558_528, 16_781_312, 1_995_239]
    total = sum(convs) + sum(fcs)
    assert total == 79_991_015
    # the "about 78 M" is C3D with a 101-way fc8 (UCF101)
    assert total - fcs[2] + (4_096 * 101 + 101) == 78_409_573
    assert sum(p for _, p, _ in c3d_layers().values()) == total
    assert sum(p for _, p, _ in c3d_layers(101).values()) == 78_409_573

    report = cnnshape.analyze(SPECS / "c3d.json")
    assert report.totals.params == total
    assert report.input_shape == [16, 112, 112, 3]
    assert report.output_shape == [487]


def test_c3d_every_layer() -> None:
    report = cnnshape.analyze(SPECS / "c3d.json")
    check_rows(report, c3d_layers())
    assert leaves(report)["pool1"].output_shape == [16, 56, 56, 64]  # 1x2x2 keeps the frames
    assert leaves(report)["pool5"].output_shape == [1, 4, 4, 512]
    assert report.totals.macs == sum(m for _, _, m in c3d_layers().values()) == 38_548_959_232
    assert round(report.totals.macs / 1e9, 1) == 38.5
    # pool5's right padding row and column are never read, (7 + 2 - 2) % 2 == 1; the
    # only stride warning
    assert report.warnings and all('"pool5"' in w for w in report.warnings)


# ---------------------------------------------------------------- M5 (audio)

def m5_layers() -> dict[str, tuple]:
    """The torchaudio tutorial's M5(n_input=1, n_output=35, stride=16, n_channel=32)."""
    rows: dict[str, tuple] = {}
    n, c = (8000,), 1
    for i, (width, k, s) in enumerate([(32, 80, 16), (32, 3, 1), (64, 3, 1), (64, 3, 1)], 1):
        shape, params, macs = conv(n, c, width, k, s)
        rows[f"conv{i}"] = (shape, params, macs)
        rows[f"bn{i}"] = (shape, 2 * width, 0)
        n, c = pool(shape[:-1], width, (4,))[:-1], width
        rows[f"pool{i}"] = ((*n, c), 0, 0)
    rows["avg_pool"] = ((1, 64), 0, 0)
    rows["fc1"] = ((1, 35), *dense(64, 35))
    return rows


def test_m5_count_by_hand() -> None:
    parts = {"conv1": 80 * 1 * 32 + 32, "bn1": 2 * 32, "conv2": 3 * 32 * 32 + 32, "bn2": 2 * 32,
             "conv3": 3 * 32 * 64 + 64, "bn3": 2 * 64, "conv4": 3 * 64 * 64 + 64, "bn4": 2 * 64,
             "fc1": 64 * 35 + 35}
    assert parts == {"conv1": 2_592, "bn1": 64, "conv2": 3_104, "bn2": 64, "conv3": 6_208,
                     "bn3": 128, "conv4": 12_352, "bn4": 128, "fc1": 2_275}
    total = sum(parts.values())
    assert total == 26_915  # the tutorial prints "Number of parameters: 26915"
    report = cnnshape.analyze(SPECS / "audio1d.json")
    assert report.totals.params == total
    assert report.totals.non_trainable_params == 2 * (32 + 32 + 64 + 64)
    assert {name: row.params for name, row in leaves(report).items() if row.params} == parts


def test_m5_every_layer() -> None:
    report = cnnshape.analyze(SPECS / "audio1d.json")
    assert report.input_shape == [8000, 1]
    assert report.output_shape == [1, 35]
    check_rows(report, m5_layers())
    lengths = [leaves(report)[f"{kind}{i}"].output_shape[0]
               for i in range(1, 5) for kind in ("conv", "pool")]
    assert lengths == [496, 124, 122, 30, 28, 7, 5, 1]
    assert (8000 - 80) % 16 == 0  # conv1 reads every sample
    # pool2 drops 2 of 122 positions, pool4 1 of 5: the tutorial's network does too
    assert [w.split('"')[1] for w in report.warnings] == ["pool2", "pool4"]


# ---------------------------------------------------------------- DCGAN generator

def dcgan_layers() -> dict[str, tuple]:
    rows: dict[str, tuple] = {}
    shape, params, macs = conv_t((1, 1), 100, 512, 4, 1, 0, bias=False)
    rows["convt1"] = (shape, params, macs)
    for i, width in enumerate([256, 128, 64, 3], 2):
        shape, params, macs = conv_t(shape[:-1], shape[-1], width, 4, 2, 1, bias=False)
        rows[f"convt{i}"] = (shape, params, macs)
    return rows


def test_dcgan_count_by_hand() -> None:
    convs = [4 * 4 * 100 * 512, 4 * 4 * 512 * 256, 4 * 4 * 256 * 128, 4 * 4 * 128 * 64,
             4 * 4 * 64 * 3]
    assert convs == [819_200, 2_097_152, 524_288, 131_072, 3_072]
    norms = [2 * 512, 2 * 256, 2 * 128, 2 * 64]
    assert sum(convs) == 3_574_784 and sum(norms) == 1_920
    assert sum(convs) + sum(norms) == 3_576_704
    report = cnnshape.analyze(SPECS / "decoder.json")
    assert report.totals.params == 3_576_704
    assert report.totals.non_trainable_params == 1_920
    assert report.input_shape == [1, 1, 100]
    assert report.output_shape == [64, 64, 3]


def test_dcgan_every_layer() -> None:
    report = cnnshape.analyze(SPECS / "decoder.json")
    check_rows(report, {**dcgan_layers(), **{f"bn{i}": ((s, s, w), 2 * w) for i, (s, w) in
                                             enumerate([(4, 512), (8, 256), (16, 128),
                                                        (32, 64)], 1)}})
    assert [tuple(leaves(report)[f"convt{i}"].output_shape) for i in range(1, 6)] == \
        [(4, 4, 512), (8, 8, 256), (16, 16, 128), (32, 32, 64), (64, 64, 3)]
    assert report.totals.macs == sum(m for _, _, m in dcgan_layers().values())


# ---------------------------------------------------------------- descriptions, verify

NUMBERS = {"unet": ["31,030,658", "31,031,685", "572x572x1", "388x388x2"],
           "c3d": ["79,991,015", "78,409,573", "487"],
           "audio1d": ["26,915", "26915", "[8000, 1]"],
           "decoder": ["3,576,704", "3,574,784", "1,920"]}


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_description_states_source_and_numbers(name: str) -> None:
    description = json.loads((SPECS / f"{name}.json").read_text())["description"]
    for number in NUMBERS[name]:
        assert number in description, number
    assert any(year in description for year in ("2015", "2016", "2017"))


@pytest.mark.parametrize("name", sorted(NUMBERS))
def test_cli_verify_ok(name: str, verified: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reports the pass the library runs (computed once per session: U-Net's
    takes about 10 s), with the command's default budget and seed."""
    from cnnshape.engine import reference

    def once(network: Any, *, budget: int, seed: int) -> Any:
        assert (budget, seed) == (reference.DEFAULT_BUDGET, 0)
        assert network.source == str(SPECS / f"{name}.json")
        return verified(SPECS / f"{name}.json")

    monkeypatch.setattr(reference, "verify", once)
    result = CliRunner().invoke(main, ["verify", str(SPECS / f"{name}.json"), "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["ok"] and all(layer["ok"] for layer in data["layers"])
    assert len(data["layers"]) == len(cnnshape.analyze(SPECS / f"{name}.json").rows)
