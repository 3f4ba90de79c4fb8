"""Memory figures against hand arithmetic: LeNet and a residual block."""

from __future__ import annotations

from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main

LENET_TENSORS = [32 * 32 * 3, 28 * 28 * 8, 14 * 14 * 8, 10 * 10 * 16, 5 * 5 * 16, 400, 120, 84, 10]
LENET_PARAMS = 608 + 3216 + 48120 + 10164 + 850


def test_lenet_float32_batch_1() -> None:
    report = cnnshape.analyze("specs/lenet.json")
    # While CONV1 runs, its input and its output are both alive: 3,072 + 6,272 values.
    assert report.totals.activation_peak == 3072 + 6272 == 9344
    assert report.totals.activations_stored == sum(LENET_TENSORS) == 13526
    m = report.memory
    assert m["params_bytes"] == LENET_PARAMS * 4
    assert m["inference_peak_activation_bytes"] == 9344 * 4
    assert m["training_activation_bytes"] == 13526 * 4
    # weights + gradients (+ one velocity for momentum, two moments for adam) + stored activations
    assert m["training_bytes"]["sgd"] == (2 * LENET_PARAMS + 13526) * 4
    assert m["training_bytes"]["momentum"] == (3 * LENET_PARAMS + 13526) * 4
    assert m["training_bytes"]["adam"] == (4 * LENET_PARAMS + 13526) * 4


def test_batch_and_dtype_scale() -> None:
    report = cnnshape.analyze("specs/lenet.json", batch=32, dtype="float16")
    m = report.memory
    assert m["params_bytes"] == LENET_PARAMS * 2                    # weights do not scale
    assert m["inference_peak_activation_bytes"] == 9344 * 32 * 2
    assert report.totals.macs == 32 * (470400 + 320000 + 48000 + 10080 + 840)
    assert report.rows[1].macs == 32 * 28 * 28 * 8 * 5 * 5 * 3


def test_residual_block_keeps_its_input_alive() -> None:
    spec = {"input": [8, 8, 4], "layers": [{"type": "residual", "body": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm"}], "activation": "relu"}]}
    report = cnnshape.analyze(spec)
    x = 8 * 8 * 4
    # conv: x + conv; batchnorm: x (the shortcut still needs it) + conv + bn; add: x + bn + sum
    assert report.totals.activation_peak == 3 * x
    assert report.totals.activations_stored == 4 * x            # x, conv, bn, sum
    params = (3 * 3 * 4 + 1) * 4 + 2 * 4
    assert report.memory["training_bytes"]["adam"] == ((params + 8) + 3 * params + 4 * x) * 4


def test_a_skip_held_across_layers_counts_in_the_peak() -> None:
    spec = {"input": [10, 1], "layers": [
        {"type": "conv", "name": "a", "filters": 1, "kernel": 1},
        {"type": "conv", "filters": 4, "kernel": 1},
        {"type": "conv", "filters": 1, "kernel": 1, "name": "c"},
        {"type": "merge", "mode": "add", "inputs": ["a", "c"]}]}
    # peak while the 4-channel conv runs: a (10, kept for the merge) + its input a + 40 out
    # -> 10 + 40 = 50; then c: a + 40 + 10 = 60; merge: a + c + sum = 30
    assert cnnshape.analyze(spec).totals.activation_peak == 60


def test_cli_memory_line_in_mib() -> None:
    out = CliRunner().invoke(main, ["table", "specs/lenet.json", "--batch", "2"]).output
    assert "MACs for a batch of 2: 1,698,640" in out
    assert "Memory (batch 2, float32): parameters 0.24 MiB" in out


def test_json_rows_carry_activation_bytes() -> None:
    data = cnnshape.analyze("specs/lenet.json", batch=2, dtype="bfloat16").to_dict()
    conv1 = data["layers"][1]
    assert conv1["activation_bytes"] == 28 * 28 * 8 * 2 * 2   # values x batch x 2 bytes
    assert data["memory"]["dtype"] == "bfloat16" and data["memory"]["batch"] == 2
