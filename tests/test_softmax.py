"""The softmax layer: shape, counts, receptive field, reference values and exports.

Values are checked against arithmetic written out here and against torch's own softmax.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main
from cnnshape.engine.reference import Reference


def reference_output(spec: dict[str, Any], x: Any) -> Any:
    """The pure-Python reference pass on a given input (softmax and lrn draw no weights)."""
    network = cnnshape.load(spec)
    ref = Reference(network.names)
    ref.outputs["input"] = x
    return ref.sequence(network.layers, x, "layers")


def random_tensor(shape: tuple[int, ...], rng: random.Random, spread: float = 3.0) -> Any:
    if len(shape) == 1:
        return [rng.uniform(-spread, spread) for _ in range(shape[0])]
    return [random_tensor(shape[1:], rng, spread) for _ in range(shape[0])]


def test_shape_params_macs_and_receptive_field_unchanged() -> None:
    spec = {"input": [8, 8, 3], "layers": [
        {"type": "conv", "name": "c", "filters": 5, "kernel": 3, "stride": 2},
        {"type": "softmax", "name": "probs"}]}
    conv, probs = cnnshape.analyze(spec).rows[1:]
    assert probs.type == "softmax" and probs.output_shape == conv.output_shape == [3, 3, 5]
    assert (probs.params, probs.non_trainable_params, probs.macs) == (0, 0, 0)
    assert probs.receptive_field == conv.receptive_field  # position-wise
    flat = cnnshape.analyze({"input": [10], "layers": [{"type": "softmax"}]}).rows[-1]
    assert flat.output_shape == [10] and flat.params == 0


def test_values_written_out() -> None:
    """[0, ln 3] -> [1/4, 3/4]; huge equal logits -> 1/2 each (max-subtracted: no overflow)."""
    spec = {"input": [2], "layers": [{"type": "softmax"}]}
    assert reference_output(spec, [0.0, math.log(3.0)]) == pytest.approx([0.25, 0.75], abs=1e-15)
    assert reference_output(spec, [1000.0, 1000.0]) == [0.5, 0.5]
    out = reference_output({"input": [1, 2, 3], "layers": [{"type": "softmax"}]},
                           [[[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]]])
    e = [math.exp(-2), math.exp(-1), 1.0]
    assert out[0][0] == pytest.approx([v / sum(e) for v in e], abs=1e-15)
    assert out[0][1] == pytest.approx([1 / 3] * 3, abs=1e-15)


@pytest.mark.torch
def test_reference_equals_torch_softmax() -> None:
    torch = pytest.importorskip("torch", reason="needs torch")
    rng = random.Random(5)
    spec = {"input": [3, 4, 6], "layers": [{"type": "softmax"}]}
    x = random_tensor((3, 4, 6), rng, spread=30.0)
    expected = torch.nn.functional.softmax(torch.tensor(x, dtype=torch.float64), dim=-1)
    assert torch.allclose(torch.tensor(reference_output(spec, x), dtype=torch.float64),
                          expected, rtol=1e-12, atol=1e-15)


@pytest.mark.torch
def test_torch_export_round_trip() -> None:
    """nn.Softmax(dim=1) on (N, C, H, W): the exported module's output is the reference's."""
    torch = pytest.importorskip("torch", reason="needs torch")
    spec = {"input": [3, 4, 6], "layers": [{"type": "softmax", "name": "probs"}]}
    assert "nn.Softmax(dim=1)" in cnnshape.torch_source(spec)
    model = cnnshape.to_torch(spec).double()
    x = random_tensor((3, 4, 6), random.Random(2))
    out = model(torch.tensor(x, dtype=torch.float64).permute(2, 0, 1).unsqueeze(0))
    assert tuple(out.shape) == (1, 6, 3, 4)
    assert torch.allclose(out[0].permute(1, 2, 0),
                          torch.tensor(reference_output(spec, x), dtype=torch.float64),
                          rtol=1e-12, atol=1e-15)


def test_keras_export_text() -> None:
    source = cnnshape.keras_source({"input": [4, 4, 3], "layers": [
        {"type": "softmax", "name": "probs"}]})
    assert 'layers.Softmax(axis=-1, name="probs")' in source


def test_schema_lists_it_and_unknown_fields_are_one_line() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0 and '"const": "softmax"' in result.output
    assert "Softmax" in cnnshape.schema()["$defs"]
    with pytest.raises(cnnshape.SpecError) as error:
        cnnshape.analyze({"input": [4, 4, 3], "layers": [
            {"type": "softmax", "name": "probs", "axis": 1}]})
    assert str(error.value) == '<spec>: layers[0] (softmax "probs"): unknown field "axis"'
