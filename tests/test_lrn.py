"""Local response normalisation: defaults, shape, counts, reference values and exports.

The definition (PyTorch's nn.LocalResponseNorm): b_c = a_c / (k + alpha/size * S_c)^beta,
S_c the sum of a_c'^2 for c' from c - size//2 to c + (size-1)//2, channels outside counting 0.
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from click.testing import CliRunner
from test_softmax import random_tensor, reference_output

import cnnshape
from cnnshape.cli.app import main


def test_defaults_are_pytorchs() -> None:
    """nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0)."""
    layer = cnnshape.load({"input": [4, 4, 8], "layers": [{"type": "lrn", "size": 5}]}).layers[0]
    assert (layer.size, layer.alpha, layer.beta, layer.k) == (5, 1e-4, 0.75, 1.0)


def test_shape_params_macs_and_receptive_field_unchanged() -> None:
    """AlexNet's first block: conv 96 11x11/4 on 227x227x3 -> 55x55x96, then LRN size 5."""
    spec = {"input": [227, 227, 3], "layers": [
        {"type": "conv", "name": "conv1", "filters": 96, "kernel": 11, "stride": 4},
        {"type": "lrn", "name": "norm1", "size": 5}]}
    conv, norm = cnnshape.analyze(spec).rows[1:]
    assert norm.output_shape == conv.output_shape == [55, 55, 96]
    assert (norm.params, norm.non_trainable_params, norm.macs) == (0, 0, 0)
    assert norm.receptive_field == conv.receptive_field
    assert norm.details == "size 5"


def test_values_written_out_for_an_even_window() -> None:
    """size 2: the window is c-1..c (one before, none after). With alpha = 2 (alpha/size = 1),
    beta = 1, k = 1 on channels [1, 2, 3, 4]: 1/(1+1), 2/(1+1+4), 3/(1+4+9), 4/(1+9+16)."""
    spec = {"input": [1, 4], "layers": [
        {"type": "lrn", "size": 2, "alpha": 2.0, "beta": 1.0, "k": 1.0}]}
    out = reference_output(spec, [[1.0, 2.0, 3.0, 4.0]])
    assert out[0] == pytest.approx([1 / 2, 2 / 6, 3 / 14, 4 / 26], abs=1e-15)


def test_values_written_out_for_an_odd_window() -> None:
    """size 3: c-1..c+1. alpha = 3, beta = 0.5, k = 2 on [3, 0, 4]:
    3/sqrt(2+9), 0, 4/sqrt(2+16)."""
    spec = {"input": [1, 3], "layers": [
        {"type": "lrn", "size": 3, "alpha": 3.0, "beta": 0.5, "k": 2.0}]}
    out = reference_output(spec, [[3.0, 0.0, 4.0]])
    assert out[0] == pytest.approx([3 / 11 ** 0.5, 0.0, 4 / 18 ** 0.5], abs=1e-15)


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 9])
def test_reference_equals_torch(size: int) -> None:
    """Sizes even and odd, one larger than the channel count (9 > 7)."""
    torch = pytest.importorskip("torch", reason="needs torch")
    rng = random.Random(size)
    spec: dict[str, Any] = {"input": [3, 4, 7], "layers": [
        {"type": "lrn", "size": size, "alpha": 0.7, "beta": 0.6, "k": 1.5}]}
    x = random_tensor((3, 4, 7), rng)
    module = torch.nn.LocalResponseNorm(size, alpha=0.7, beta=0.6, k=1.5)
    expected = module(torch.tensor(x, dtype=torch.float64).permute(2, 0, 1).unsqueeze(0))
    got = torch.tensor(reference_output(spec, x), dtype=torch.float64).permute(2, 0, 1)
    assert torch.allclose(got, expected[0], rtol=1e-12, atol=1e-14)


@pytest.mark.torch
def test_torch_export_round_trip() -> None:
    torch = pytest.importorskip("torch", reason="needs torch")
    spec = {"input": [5, 6, 4], "layers": [{"type": "lrn", "name": "norm", "size": 3,
                                            "alpha": 0.01}]}
    assert "nn.LocalResponseNorm(3, alpha=0.01, beta=0.75, k=1.0)" in cnnshape.torch_source(spec)
    model = cnnshape.to_torch(spec).double()
    x = random_tensor((5, 6, 4), random.Random(1))
    out = model(torch.tensor(x, dtype=torch.float64).permute(2, 0, 1).unsqueeze(0))
    assert tuple(out.shape) == (1, 4, 5, 6)
    assert torch.allclose(out[0].permute(1, 2, 0),
                          torch.tensor(reference_output(spec, x), dtype=torch.float64),
                          rtol=1e-12, atol=1e-14)


def one_line(spec: dict[str, Any], call: Any = cnnshape.analyze) -> str:
    with pytest.raises(cnnshape.SpecError) as error:
        call(spec)
    text = str(error.value)
    assert len(text.splitlines()) == 1, text
    return text


def test_spec_errors_are_one_line_naming_the_layer() -> None:
    def spec(layer: dict[str, Any], shape: list[int] | None = None) -> dict[str, Any]:
        return {"input": shape or [4, 4, 3], "layers": [{"type": "lrn", "name": "n1", **layer}]}

    assert one_line(spec({"size": 0})) == '<spec>: layers[0] (lrn "n1"): size: must be >= 1, got 0'
    assert 'layers[0] (lrn "n1")' in one_line(spec({}))  # size is required
    assert 'layers[0] (lrn "n1")' in one_line(spec({"size": 3, "k": 0.0}))
    flat = one_line(spec({"size": 3}, [12]))
    assert 'layers[0] (lrn "n1")' in flat and "needs spatial dimensions" in flat


def test_keras_refuses_in_one_line() -> None:
    text = one_line({"input": [4, 4, 3], "layers": [{"type": "lrn", "name": "n1", "size": 3}]},
                    cnnshape.keras_source)
    assert text == ('<spec>: layers[0] (lrn "n1"): export to keras: Keras has no local '
                    "response normalisation layer")


def test_schema_lists_it_with_its_defaults() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0 and '"const": "lrn"' in result.output
    props = cnnshape.schema()["$defs"]["LocalResponseNorm"]["properties"]
    assert (props["alpha"]["default"], props["beta"]["default"], props["k"]["default"]) == \
        (1e-4, 0.75, 1.0)
    assert "size" in cnnshape.schema()["$defs"]["LocalResponseNorm"]["required"]
