"""Receptive fields: hand-worked stacks, published figures, and an empirical check.

The empirical check runs the reference pass once per input position (a one-hot
input, positive weights) and finds which input positions change the centre output
unit; their span must be the computed field, clipped to the input.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnnshape
from cnnshape.engine.reference import influence

SPECS = Path(__file__).parent.parent / "specs"


def field(spec: dict, row: int = -1) -> dict:
    return cnnshape.analyze(spec).rows[row].receptive_field


def test_two_convs_and_a_pool_by_hand() -> None:
    spec = {"input": [32, 3], "layers": [
        {"type": "conv", "filters": 1, "kernel": 3},                 # r = 1 + 2*1 = 3, j = 1
        {"type": "pool", "kernel": 2},                               # r = 3 + 1*1 = 4, j = 2
        {"type": "conv", "filters": 1, "kernel": 3, "dilation": 2},  # r = 4 + 4*2 = 12, j = 2
    ]}
    rf = field(spec)
    assert rf["size"] == [12] and rf["stride"] == [2]
    # start: 0 -> 0 + (2/2)*1 = 1 -> 1 + (1/2)*1 = 1.5 -> 1.5 + (4/2)*2 = 5.5
    assert rf["start"] == [5.5]


def test_padding_moves_the_start() -> None:
    # conv 3x3 padding 1: start = 0 + (1 - 1)*1 = 0; then stride-2 conv 3x3 padding 1:
    # r = 3 + 2*1 = 5, j = 2, start = 0 + (1 - 1)*1 = 0
    spec = {"input": [16, 16, 1], "layers": [
        {"type": "conv", "filters": 1, "kernel": 3, "padding": 1},
        {"type": "conv", "filters": 1, "kernel": 3, "stride": 2, "padding": 1}]}
    assert field(spec) == {"size": [5, 5], "stride": [2, 2], "start": [0, 0],
                           "whole_input": False, "aligned": True}


def test_vgg16_pool5_is_212_with_jump_32() -> None:
    rows = cnnshape.analyze(SPECS / "vgg16.json").rows
    pool5 = next(r for r in rows if r.name == "pool5")
    assert pool5.receptive_field["size"] == [212, 212]
    assert pool5.receptive_field["stride"] == [32, 32]


def test_alexnet_and_resnet50_by_hand() -> None:
    # AlexNet: conv 11/4 p2, pool 3/2, conv 5/1 p2, pool 3/2, 3x conv 3/1 p1, pool 3/2.
    r, j = 1, 1
    for k, s in [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]:
        r, j = r + (k - 1) * j, j * s
    assert (r, j) == (195, 32)
    rows = cnnshape.analyze(SPECS / "alexnet.json").rows
    pool5 = next(x for x in rows if x.type == "pool" and x.output_shape[:2] == [6, 6])
    assert pool5.receptive_field["size"] == [r, r] and pool5.receptive_field["stride"] == [j, j]
    # ResNet-50's layer4 output: the widest path (every 3x3 and the stem), jump 32.
    r, j = 1, 1
    for k, s in [(7, 2), (3, 2)]:
        r, j = r + (k - 1) * j, j * s
    for blocks, stride in [(3, 1), (4, 2), (6, 2), (3, 2)]:
        for b in range(blocks):
            r, j = r + 2 * j, j * (stride if b == 0 else 1)   # the 3x3 (stride on the 3x3)
    assert (r, j) == (427, 32)
    rows = cnnshape.analyze(SPECS / "resnet50.json").rows
    layer4 = next(x for x in rows if x.name == "layer4")
    assert layer4.receptive_field["size"] == [427, 427]
    assert layer4.receptive_field["stride"] == [32, 32]


def test_whole_input_after_global_pool_and_flatten() -> None:
    rows = cnnshape.analyze(SPECS / "lenet.json").rows
    assert rows[5].type == "flatten" and rows[5].receptive_field["whole_input"] is True
    assert rows[-1].receptive_field["whole_input"] is True


def test_transposed_conv_has_a_fractional_jump() -> None:
    spec = {"input": [8, 1], "layers": [
        {"type": "conv_transpose", "filters": 1, "kernel": 3, "stride": 2, "padding": 1}]}
    rf = field(spec)
    # jump 1/2; size 1 + 2 * 1/2 = 2; start 0 + (1 - 1) * 1/2 = 0
    assert rf["stride"] == [0.5] and rf["size"] == [2] and rf["start"] == [0]


def test_misaligned_paths_are_flagged() -> None:
    spec = {"input": [16, 16, 1], "layers": [
        {"type": "conv", "name": "a", "filters": 1, "kernel": 3, "padding": 1},
        {"type": "conv", "name": "b", "from": "input", "filters": 1, "kernel": 3},
        {"type": "pad", "padding": 1},
        {"type": "merge", "mode": "add", "inputs": ["a", "pad_1"]}]}
    rf = field(spec)
    # a: start 0; b then pad: start 1 - 1 = 0 — aligned; both size 3
    assert rf["aligned"] is True and rf["size"] == [3, 3]
    spec["layers"][3] = {"type": "merge", "mode": "add", "inputs": ["a", "input"]}
    rf = field(spec)
    assert rf["aligned"] is True  # same start 0 and jump 1: sizes differ, centres agree
    spec["layers"].insert(3, {"type": "pool", "name": "p", "from": "a", "kernel": 2, "stride": 1,
                              "padding": 1})
    spec["layers"][4] = {"type": "merge", "mode": "add", "inputs": ["p", "pad_1"],
                         "crop": True}
    assert field(spec)["aligned"] is False  # the pool's window centre is half a pixel off


# ---------------------------------------------------------------- empirical


def computed_span(spec: dict, clip: bool = True) -> list[tuple[int, int]]:
    """The centre output unit's field in input positions (clipped to the input)."""
    report = cnnshape.analyze(spec)
    rf = report.rows[-1].receptive_field
    out = report.output_shape[:-1]
    spans = []
    for n, size, jump, start, o in zip(spec["input"][:-1], rf["size"], rf["stride"], rf["start"],
                                       out, strict=False):
        centre = Fraction(start) + ((o - 1) // 2) * Fraction(jump)
        half = Fraction(size - 1, 2)
        lo, hi = int(centre - half), int(centre + half)
        spans.append((max(0, lo), min(n - 1, hi)) if clip else (lo, hi))
    return spans


def test_empirical_matches_hand_stack() -> None:
    spec = {"input": [20, 20, 2], "layers": [
        {"type": "conv", "filters": 3, "kernel": 3, "activation": "relu"},
        {"type": "pool", "kernel": 2},
        {"type": "conv", "filters": 2, "kernel": 3, "dilation": 2, "padding": 1}]}
    assert influence(spec) == computed_span(spec) == [(4, 15), (4, 15)]


@st.composite
def stacks(draw: st.DrawFn) -> dict:
    dims = draw(st.integers(1, 2))
    size = draw(st.integers(9, 18 if dims == 2 else 40))
    layers: list[dict] = []
    n = size
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["conv", "pool", "pad", "act", "residual", "concat"]))
        if kind == "conv":
            k, s, d = draw(st.integers(1, 4)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
            p = draw(st.integers(0, 2))
            if d * (k - 1) + 1 > n + 2 * p:
                continue
            layers.append({"type": "conv", "filters": 2, "kernel": k, "stride": s,
                           "dilation": d, "padding": p, "activation": "relu"})
            n = (n + 2 * p - d * (k - 1) - 1) // s + 1
        elif kind == "pool":
            k = draw(st.integers(1, 3))
            s = draw(st.integers(1, 2))
            p = draw(st.integers(0, k // 2))
            if k > n + 2 * p:
                continue
            layers.append({"type": "pool", "mode": draw(st.sampled_from(["max", "avg"])),
                           "kernel": k, "stride": s, "padding": p})
            n = (n + 2 * p - k) // s + 1
        elif kind == "pad":
            layers.append({"type": "pad", "padding": 1})
            n += 2
        elif kind == "act":
            layers.append({"type": "batchnorm"})
        elif kind == "residual":
            layers.append({"type": "residual", "body": [
                {"type": "conv", "filters": 2, "kernel": 3, "padding": 1}], "activation": "relu"})
        else:
            layers.append({"type": "concat", "branches": [[], [
                {"type": "conv", "filters": 1, "kernel": 3, "padding": 1}]]})
        if n < 1:
            break
    return {"input": [size] * dims + [2], "layers": layers or [{"type": "batchnorm"}]}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stacks())
def test_empirical_influence_equals_computed_field(spec: dict) -> None:
    try:
        cnnshape.analyze(spec)
    except cnnshape.SpecError:
        return
    found = influence(spec)
    inside = all(0 <= lo and hi < n for (lo, hi), n in
                 zip(computed_span(spec, clip=False), spec["input"][:-1], strict=False))
    if inside:
        assert found == computed_span(spec)
    else:
        # Part of the field lies in padding: the positions that matter are inside the
        # clipped field, but with strides or dilation the outermost real input tap may
        # sit a few positions in from the clipped edge.
        assert all(c_lo <= lo and hi <= c_hi for (lo, hi), (c_lo, c_hi) in
                   zip(found, computed_span(spec), strict=False))


def test_cli_rf_columns() -> None:
    from click.testing import CliRunner

    from cnnshape.cli.app import main

    out = CliRunner().invoke(main, ["table", str(SPECS / "vgg16.json"), "--rf"]).output
    assert "RF size" in out and "212x212" in out and "32x32" in out and "whole input" in out
    md = CliRunner().invoke(main, ["table", str(SPECS / "lenet.json"), "--rf", "--format",
                                   "markdown"]).output
    assert "| RF size | RF stride |" in md and "| 5x5 | 1x1 |" in md


def test_adaptive_pool_after_global_pool_still_sees_the_whole_input() -> None:
    """A unit after global pooling sees every input position; an adaptive pool (or a conv)
    after it cannot shrink that: the field stays "whole", not an empty window."""
    report = cnnshape.analyze({"input": [8, 8, 3], "layers": [
        {"type": "global_pool"},
        {"type": "adaptive_pool", "output_size": 1},
        {"type": "conv", "filters": 2, "kernel": 1}]})
    for row in report.rows[1:]:
        assert row.receptive_field.whole, row.name
