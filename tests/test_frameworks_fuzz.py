"""Random networks (tests/strategies.py: every layer kind, named connections, 1-D to 3-D)
through spec -> to_torch -> from_torch.

Either step may refuse with one line (a construct a framework or the spec cannot express);
when both succeed, the imported spec has the original's totals, output shape and, in
order, the same layers with weights or MACs (kind, shape, parameters, statistics, MACs).
Weightless rows may differ in form, not in effect: a merge may come back as a residual or
concat block and the reverse (an activation moving with it), a crop as a merge's ``crop``,
dropout not at all (the identity in eval mode).
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hypothesis import assume, given
from strategies import fuzz_settings, networks

torch = pytest.importorskip("torch", reason="the round trip needs PyTorch")

import cnnshape  # noqa: E402
from cnnshape.core.errors import SpecError  # noqa: E402
from cnnshape.frameworks.torch.exporter import to_torch  # noqa: E402
from cnnshape.frameworks.torch.importer import from_torch  # noqa: E402

pytestmark = pytest.mark.torch


def rows(report: Any) -> list[tuple[Any, ...]]:
    return [(row.type, tuple(row.output_shape), row.params, row.non_trainable_params, row.macs)
            for row in report.rows
            if not row.composite and (row.params or row.non_trainable_params or row.macs)]


def ends_in_an_identity(report: Any) -> bool:
    """The output is an earlier layer's unchanged (a crop, pad or upsampling by 0 or 1, a
    dropout): the exported module returns that layer, and layers that read it after it
    are not part of what the module returns, so an import cannot place them."""
    last = [row for row in report.rows if row.depth == 1][-1]
    return (last.type in ("crop", "pad", "upsample", "dropout")
            and last.input_shape == last.output_shape)


def one_line(error: SpecError) -> None:
    text = str(error)
    assert text and "\n" not in text and "Traceback" not in text


@fuzz_settings(60)
@given(networks())
def test_spec_to_torch_and_back(spec: dict[str, Any]) -> None:
    original = cnnshape.analyze(spec)
    assume(not ends_in_an_identity(original))
    network = cnnshape.load(spec)
    if len(network.input) < 2:
        return  # a flat input has no channels axis for PyTorch's (N, C, ...) order
    try:
        module = to_torch(spec)
    except SpecError as error:
        one_line(error)
        return
    shape = (1, network.input[-1], *network.input[:-1])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            back = cnnshape.analyze(from_torch(module, shape))
    except SpecError as error:
        one_line(error)
        return
    totals = ("params", "non_trainable_params", "macs")
    assert [getattr(back.totals, t) for t in totals] == [getattr(original.totals, t)
                                                         for t in totals]
    assert back.output_shape == original.output_shape
    assert rows(back) == rows(original)
