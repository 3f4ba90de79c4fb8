"""The normalization kind: Keras's preprocessing Normalization with its stored statistics.

Keras counts 2C + 1 weights for a Normalization built without fixed mean and variance: the
mean and the variance per channel and the count of samples ``adapt()`` has seen. Those are
the numbers checked here, by arithmetic and against Keras itself.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path
from typing import Any

import pytest

import cnnshape
from cnnshape.core.errors import SpecError
from cnnshape.frameworks.keras.importer import from_keras_json

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_import_keras import CONV, chain


def spec(channels: int, spatial: tuple[int, ...] = (6, 5)) -> dict[str, Any]:
    return {"input": [*spatial, channels],
            "layers": [{"type": "normalization", "name": "norm"}]}


@pytest.mark.parametrize("channels, spatial", [(3, (6, 5)), (1, (7,)), (16, (2, 2, 2)), (5, ())])
def test_two_statistics_per_channel_and_a_count(channels: int, spatial: tuple[int, ...]) -> None:
    row = cnnshape.analyze(spec(channels, spatial)).rows[-1]
    assert row.params == 0 and row.macs == 0
    assert row.non_trainable_params == 2 * channels + 1   # mean C, variance C, count 1
    assert row.output_shape == [*spatial, channels]


def test_efficientnet_b0s_stem() -> None:
    """Keras's EfficientNetB0 on 224x224x3 holds 2*3 + 1 = 7 statistics in its
    Normalization (keras.io: 5,330,571 parameters, of which 42,023 non-trainable =
    7 + the batch norms' 2 x 21,008)."""
    report = cnnshape.analyze({"input": [224, 224, 3], "layers": [
        {"type": "normalization"},
        {"type": "conv", "filters": 32, "kernel": 3, "stride": 2, "padding": "same",
         "bias": False},
        {"type": "batchnorm"}]})
    assert report.totals.non_trainable_params == 7 + 2 * 32
    assert report.totals.params == 3 * 3 * 3 * 32 + 2 * 32


def test_reference_pass_standardises_each_channel() -> None:
    """(x - mean) / sqrt(variance) with seeded statistics: the pass agrees with the
    calculator, and the output differs from the input (it is not an identity)."""
    result = cnnshape.verify(spec(3))
    assert result.ok
    run = cnnshape.run(spec(3))
    assert run.outputs["norm"] != run.outputs["input"]


def test_keras_import_without_statistics_is_the_kind() -> None:
    model = json.loads(chain(CONV, ("Normalization", {"name": "norm", "axis": -1,
                                                      "mean": None, "variance": None})))
    layers = from_keras_json(model)["layers"]
    assert layers[-1] == {"type": "normalization", "name": "norm"}
    report = cnnshape.analyze(from_keras_json(model))
    assert report.totals.non_trainable_params == 2 * 4 + 1  # CONV has 4 filters


def test_keras_import_with_fixed_statistics_holds_no_weights() -> None:
    """Keras keeps given mean and variance as constants: no layer, no parameters."""
    model = json.loads(chain(CONV, ("Normalization", {"name": "norm", "axis": -1,
                                                      "mean": [0.5] * 4, "variance": [2.0] * 4})))
    report = cnnshape.analyze(from_keras_json(model))
    assert report.totals.non_trainable_params == 0
    assert "norm" not in {row.name for row in report.rows}


def test_pytorch_export_refuses_in_one_line() -> None:
    with pytest.raises(SpecError) as info:
        cnnshape.torch_source(spec(3))
    assert str(info.value) == ('<spec>: layers[0] (normalization "norm"): export to pytorch: '
                               "PyTorch has no normalisation layer with stored statistics "
                               "(torchvision normalises in its input transforms)")


def test_schema_lists_it() -> None:
    definition = cnnshape.schema()["$defs"]["Normalization"]
    assert definition["properties"]["type"]["const"] == "normalization"


@pytest.mark.keras
def test_keras_counts_the_same() -> None:
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    layer = keras.layers.Normalization(axis=-1)
    layer.build((None, 6, 5, 3))
    assert layer.count_params() == 2 * 3 + 1
    assert not layer.trainable_weights
    model = cnnshape.to_keras(spec(3))
    assert model.count_params() == cnnshape.analyze(spec(3)).totals.non_trainable_params
    assert math.prod(model.outputs[0].shape[1:]) == 6 * 5 * 3
