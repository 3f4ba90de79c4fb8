"""Conv layers against the dense layer that would do the same mapping.

A dense layer from every input value to every output value needs in·out weights.
A conv layer needs far fewer for two reasons, both counted here: parameter sharing
(one filter's weights are reused at every output position) and sparsity of
connections (each output value reads only its window, not the whole input).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from math import prod
from typing import Any

from cnnshape.engine.analysis import Row, analyze
from cnnshape.layers import registry
from cnnshape.spec.loader import Source


@dataclass
class Comparison:
    """One conv, conv_transpose or dense layer and its dense equivalent."""

    name: str
    type: str
    input_shape: list[int]
    output_shape: list[int]
    params: int
    dense_weights: int
    dense_biases: int
    reuse: int
    """Output (conv) or input (conv_transpose) positions at which each weight is used."""
    reads: int | None
    """Input values each output value is computed from (None for conv_transpose: it varies)."""

    @property
    def dense_params(self) -> int:
        return self.dense_weights + self.dense_biases

    @property
    def ratio(self) -> float:
        return self.dense_params / self.params if self.params else float("inf")

    @property
    def inputs(self) -> int:
        return prod(self.input_shape)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(dense_params=self.dense_params, ratio=self.ratio, inputs=self.inputs)
        return data


@dataclass
class DenseReport:
    name: str | None
    layers: list[Comparison]

    @property
    def params(self) -> int:
        return sum(c.params for c in self.layers)

    @property
    def dense_params(self) -> int:
        return sum(c.dense_params for c in self.layers)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "layers": [c.to_dict() for c in self.layers],
                "totals": {"params": self.params, "dense_params": self.dense_params,
                           "ratio": self.dense_params / self.params if self.params else None}}


def _compare(row: Row, counts: tuple[int, int | None]) -> Comparison:
    inputs, outputs = prod(row.input_shape), prod(row.output_shape)
    reuse, reads = counts
    return Comparison(row.name, row.type, row.input_shape, row.output_shape, row.params,
                      inputs * outputs, outputs, reuse, reads)


def compare_dense(source: Source) -> DenseReport:
    """Every layer whose kind declares a dense equivalent (conv, conv_transpose, dense)
    against that equivalent; each kind counts its own reuse and reads."""
    from cnnshape.spec.loader import iter_layers, load

    network = load(source)
    report = analyze(network)
    layers = dict(iter_layers(network.layers))
    out = []
    for row in report.rows:
        if not registry.dense_equivalent(row.type):
            continue
        counts = layers[row.path].dense_counts(tuple(row.input_shape), tuple(row.output_shape))
        out.append(_compare(row, counts))
    return DenseReport(report.name, out)


def single_conv(input_shape: tuple[int, ...], filters: int, kernel: int, stride: int,
                padding: int | str) -> DenseReport:
    """The lecture's comparison for one conv layer (default: 32x32x3, six 5x5 filters)."""
    spec = {"name": "single conv layer", "input": list(input_shape),
            "layers": [{"type": "conv", "name": "conv", "filters": filters, "kernel": kernel,
                        "stride": stride, "padding": padding}]}
    return compare_dense(spec)


def explain(c: Comparison, kernel: int) -> list[str]:
    """The lecture's argument, in numbers, for one conv layer."""
    channels = c.input_shape[-1]
    dims = len(c.input_shape) - 1
    filters = c.output_shape[-1]
    taps = "·".join([str(kernel)] * dims)
    weights = c.params - filters
    lines = [
        f"Conv layer: {_x(c.input_shape)} -> {_x(c.output_shape)}, {filters} filters of "
        f"{'x'.join([str(kernel)] * dims)}x{channels}",
        f"  parameters: ({taps}·{channels} + 1)·{filters} = {c.params:,}"
        f"  ({weights:,} weights + {filters:,} biases)",
        f"Dense layer doing the same mapping: {c.inputs:,} inputs x "
        f"{prod(c.output_shape):,} outputs",
        f"  parameters: {c.inputs:,} x {prod(c.output_shape):,} = {c.dense_weights:,} weights"
        f" + {c.dense_biases:,} biases = {c.dense_params:,}",
        f"The dense layer needs {c.ratio:,.1f}x as many parameters "
        f"({c.dense_weights / weights:,.1f}x as many weights). Why:",
        f"  parameter sharing: each of the {weights:,} weights is reused at "
        f"{'·'.join(map(str, c.output_shape[:-1]))} = {c.reuse:,} output positions",
    ]
    if c.reads is not None:
        lines.append(f"  sparsity of connections: each output value reads {c.reads:,} of the "
                     f"{c.inputs:,} inputs ({taps}·{channels}, {100 * c.reads / c.inputs:.2f}%); "
                     f"the dense layer reads all {c.inputs:,}")
    lecture = (kernel ** dims + 1) * filters
    if channels != 1:
        lines.append(f"Note: ({taps} + 1)·{filters} = {lecture:,}"
                     f"{' (the lecture' + chr(39) + 's figure)' if lecture == 156 else ''} "
                     f"forgets the {channels} input channels: each filter spans "
                     f"all of them, {taps}·{channels} = {kernel ** dims * channels:,} weights. "
                     f"({taps} + 1)·{filters} is right for a one-channel input, such as LeNet-5's "
                     f"C1 on a 32x32x1 image (try --input "
                     f"{'x'.join(map(str, c.input_shape[:-1]))}x1).")
    else:
        lines.append(f"Note: with one input channel ({taps} + 1)·{filters} = {c.params:,}"
                     + (": the lecture's 156, exactly LeNet-5's C1 on a 32x32x1 image."
                        if c.params == 156 else "."))
    return lines


def _x(shape: list[int]) -> str:
    return "x".join(map(str, shape))
