""""Did you mean" (issue 14, item 3): the words learners bring from PyTorch, Keras and
courses get the spec's word in the one-line error; nothing is suggested when nothing is close."""

from __future__ import annotations

from typing import Any

import pytest

import cnnshape
from cnnshape.core.errors import SpecError


def error(layer: dict[str, Any]) -> list[str]:
    with pytest.raises(SpecError) as info:
        cnnshape.load({"input": [8, 8, 3], "layers": [layer]})
    return info.value.problems


@pytest.mark.parametrize("tag, hint", [
    ("maxpool", '(did you mean "pool" (max pooling is its default mode)?)'),
    ("MaxPool2d", '(did you mean "pool" (max pooling is its default mode)?)'),
    ("AvgPool2d", '(did you mean "pool" with "mode": "avg"?)'),
    ("fc", '(did you mean "dense"?)'),
    ("Linear", '(did you mean "dense"?)'),
    ("Conv2d", '(did you mean "conv"?)'),
    ("Conv2DTranspose", '(did you mean "conv_transpose"?)'),
    ("BatchNorm2d", '(did you mean "batchnorm"?)'),
    ("relu", '(did you mean "activation" with "function": "relu"?)'),
    ("Flatten", '(did you mean "flatten"?)'),
    ("pol", '(did you mean "pool"?)'),
])
def test_unknown_types(tag: str, hint: str) -> None:
    (line,) = error({"type": tag})
    assert line.startswith(f'<spec>: layers[0] ({tag}): unknown layer type "{tag}" {hint} '
                           "(known: conv, ")


def test_nothing_close_means_no_guess() -> None:
    (line,) = error({"type": "xyz"})
    assert "did you mean" not in line and '"xyz" (known: conv' in line


@pytest.mark.parametrize("layer, field, hint", [
    ({"type": "conv", "filters": 2, "kernel": 3}, "kernel_size", '(did you mean "kernel"?)'),
    ({"type": "conv", "filters": 2, "kernel": 3}, "out_channels", '(did you mean "filters"?)'),
    ({"type": "conv", "filters": 2, "kernel": 3}, "strides", '(did you mean "stride"?)'),
    ({"type": "conv", "filters": 2, "kernel": 3}, "paddin", '(did you mean "padding"?)'),
    ({"type": "pool", "kernel": 2}, "pool_size", '(did you mean "kernel"?)'),
    ({"type": "dense", "units": 2}, "out_features", '(did you mean "units"?)'),
    ({"type": "dropout"}, "p", '(did you mean "rate"?)'),
    ({"type": "conv", "filters": 2, "kernel": 3}, "in_channels",
     "(a spec leaves it out: each layer takes its input from the layer before)"),
])
def test_unknown_fields(layer: dict[str, Any], field: str, hint: str) -> None:
    lines = error({**layer, field: 1})
    assert f'<spec>: layers[0] ({layer["type"]}): unknown field "{field}" {hint}' in lines


def test_a_field_of_another_kind_is_not_suggested() -> None:
    """Dense has no "kernel": kernel_size gets no hint there."""
    lines = error({"type": "dense", "units": 2, "kernel_size": 3})
    assert lines == ['<spec>: layers[0] (dense): unknown field "kernel_size"']
