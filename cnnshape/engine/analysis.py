"""The calculator: a validated network -> one row per layer, subtotals and totals.

One pass over the layers, linear in their number (repeats expanded). The first
problem in a chain of shapes stops the walk: later shapes would be guesses.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from math import prod
from typing import Any

from cnnshape.core.errors import LayerError, SpecError
from cnnshape.core.fields import Shape, capped_channels, show_shape
from cnnshape.core.gcpause import paused_gc
from cnnshape.core.merging import added, concatenated
from cnnshape.core.rf import RF, merge
from cnnshape.engine.memory import DTYPES, Trace, estimate, peak_live
from cnnshape.engine.walk import GraphWalker, here
from cnnshape.layers import LayerBase
from cnnshape.spec.loader import Network, Source, load


def _missing_flatten(walker: _Calculator, source: str) -> None:
    """A dense layer on a spatial tensor is valid (it acts at each position, as a 1x1
    conv), but in a network whose output is still spatial it is nearly always a
    classifier missing its flatten: say so, once, at the first such layer."""
    for row in walker.rows:
        if row.type == "dense" and prod(row.input_shape[:-1]) > 1:  # one position: fine
            note = (f"dense on a spatial input {show_shape(tuple(row.input_shape))} acts at "
                    "each position (as a 1x1 conv), so the output stays spatial: a "
                    'classifier needs {"type": "flatten"} (or a global_pool) before it')
            row.warnings = [*row.warnings, note]
            walker.warnings.append(f"{source}: {row.path} (dense {json.dumps(row.name)}): {note}")
            return


@dataclass(slots=True)
class Row:
    """One layer of the report; a composite's numbers are the sums of its children."""

    name: str
    """Unique in the report: the spec's name, or ``<type>_<n>``; repeats add ``_<k>``."""
    type: str
    """The layer kind's tag (``"conv"``), or ``"input"`` for the first row."""
    depth: int
    """Nesting depth: 0 for the input, 1 for top-level layers, +1 inside each composite."""
    path: str
    """Where the layer is in the spec, as errors name it (``layers[3].body[1]``)."""
    details: str
    """The hyper-parameters in a few words, as the table's Layer column shows them."""
    input_shape: list[int]
    """Per sample, channels last (batch excluded); a merge's: its first input's."""
    output_shape: list[int]
    """Per sample, channels last (batch excluded)."""
    activation_size: int
    """Elements of the output per sample (the product of ``output_shape``)."""
    params: int
    """Trainable parameters (weights and biases)."""
    non_trainable_params: int
    """Parameters that are not trained, e.g. batch norm's running mean and variance."""
    macs: int
    """Multiply-accumulates of conv, conv_transpose and dense layers, times the batch."""
    inputs: list[str] = field(default_factory=list)
    """The layers read instead of the previous one (``from``, ``merge``)."""
    receptive_field: Mapping[str, Any] = field(default_factory=dict)
    """Per spatial dim: size, stride (jump) and start (centre of the first unit's field)."""
    warnings: list[str] = field(default_factory=list)
    """This layer's notes (e.g. rows a stride never reads)."""
    composite: bool = False
    """A block (sequential, repeat, residual, concat) whose numbers sum its children's."""


ROW_FIELDS = tuple(Row.__dataclass_fields__)


def _row_dict(row: Row, memory: dict[str, Any]) -> dict[str, Any]:
    data = {name: getattr(row, name) for name in ROW_FIELDS}
    data["receptive_field"] = dict(row.receptive_field)
    if memory:
        data["activation_bytes"] = (row.activation_size * memory["batch"]
                                    * memory["bytes_per_value"])
    return data


@dataclass
class Totals:
    """The whole network's numbers (leaf layers only: composites would count twice)."""

    params: int
    """Trainable parameters."""
    non_trainable_params: int
    """Parameters not trained (batch norm's running statistics)."""
    total_params: int
    """``params + non_trainable_params``, as Keras's summary and torchinfo count them."""
    macs: int
    """Multiply-accumulates of one forward pass of the batch."""
    layers: int
    """Leaf layers (the input and composites not counted)."""
    activation_peak: int = 0
    """Elements per sample alive at once during inference (liveness over the graph)."""
    activations_stored: int = 0
    """Elements per sample of every tensor of the forward pass (kept for training)."""


@dataclass
class Report:
    """What ``analyze`` returns: a row per layer (the input first) and the totals."""

    name: str | None
    """The spec's ``name``."""
    description: str | None
    """The spec's ``description``."""
    source: str
    """The file the spec came from, or ``<spec>`` for a dict."""
    input_shape: list[int]
    """Per sample, channels last."""
    output_shape: list[int]
    """The last layer's, per sample, channels last."""
    rows: list[Row]
    """The input, then every layer in spec order, composites before their children."""
    totals: Totals
    warnings: list[str]
    """Every layer's notes, each prefixed with the file and the layer."""
    channel_cap: int | None = None
    """The cap applied to channel counts (the reference pass's budget), or None."""
    batch: int = 1
    """The batch size MACs and memory are for."""
    memory: dict[str, Any] = field(default_factory=dict)
    """Batch, dtype, bytes per value, and the parameters', inference and training memory
    in bytes (engine/memory.py)."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON report: name, input_shape, output_shape, layers, totals, warnings."""
        return {
            "name": self.name,
            "description": self.description,
            "input_shape": self.input_shape,
            "output_shape": self.output_shape,
            # Rows hold only numbers, strings and lists of them: a shallow copy is a
            # JSON-ready dict, without asdict's deep copy (a third of `--format json`'s time).
            "layers": [_row_dict(row, self.memory) for row in self.rows],
            "totals": dict(vars(self.totals)),
            "memory": self.memory,
            "warnings": self.warnings,
        }


def analyze(source: Source, *, channel_cap: int | None = None, batch: int = 1,
            dtype: str = "float32", receptive: bool = True) -> Report:
    """Shapes, parameters, MACs, receptive fields and memory of every layer.

    ``batch`` scales MACs and activation memory; ``dtype`` sets bytes per value;
    ``receptive=False`` leaves receptive fields out (rows get an empty mapping).
    ``channel_cap`` limits every layer's channel count (the reference pass's budget);
    spatial geometry is unchanged. Raises SpecError for an invalid spec.
    """
    if batch < 1 or dtype not in DTYPES:
        raise ValueError(f"batch must be >= 1 and dtype one of {', '.join(DTYPES)}")
    with paused_gc():
        report = _analyze(load(source), channel_cap, receptive=receptive)
    if batch != 1:
        report.batch = batch
        for row in report.rows:
            row.macs *= batch
        report.totals.macs *= batch
    t = report.totals
    report.memory = estimate(t.params, t.non_trainable_params, t.activation_peak,
                             t.activations_stored, batch, dtype)
    return report


def _analyze(network: Network, channel_cap: int | None, lean: bool = False,
             receptive: bool = True) -> Report:
    input_shape = tuple(network.input)
    if channel_cap is not None:
        input_shape = capped_channels(input_shape, channel_cap)
    walker = _Calculator(network.source, network.names, channel_cap, lean, receptive)
    start = Walked(input_shape, RF.of_input(len(input_shape) - 1) if walker.receptive else None,
                   walker.tensor(prod(input_shape)))
    walker.rows.append(Row("input", "input", 0, "input", "", list(input_shape), list(input_shape),
                           prod(input_shape), 0, 0, 0, receptive_field=start.rf or {}))
    walker.outputs["input"] = start
    end = walker.sequence(network.layers, start, "layers")
    output = end.shape
    if len(output) > 1:
        _missing_flatten(walker, network.source)
    params, frozen, macs = walker.sums
    trace = Trace(walker.sizes, walker.ops, end.tensor)
    totals = Totals(params, frozen, params + frozen, macs,
                    sum(1 for row in walker.rows if row.depth and not row.composite),
                    peak_live(trace), sum(walker.sizes))
    return Report(network.name, network.description, network.source, list(input_shape),
                  list(output), walker.rows, totals, walker.warnings, channel_cap)


@dataclass(slots=True)
class Walked:
    """What the calculator carries from layer to layer."""

    shape: Shape
    rf: RF | None
    tensor: int
    """Which tensor of the forward pass this is (for memory liveness)."""


class _Calculator(GraphWalker):
    """Walks shapes through the layers, recording rows in table order."""

    def __init__(self, source: str, known: Collection[str], cap: int | None,
                 lean: bool = False, receptive: bool = True) -> None:
        super().__init__(known)
        self.source = source
        self.cap = cap
        self.labels = not lean
        """Lean walks skip labels and receptive fields: sweeps evaluate 10k specs a second."""
        self.receptive = receptive and not lean
        self.rows: list[Row] = []
        self.warnings: list[str] = []
        self._depth = 1
        self.sums = [0, 0, 0]  # params, non-trainable, MACs of the composite being walked
        self.sizes: list[int] = []
        self.ops: list[tuple[list[int], int]] = []

    def tensor(self, size: int, inputs: list[int] | None = None) -> int:
        """A new tensor of ``size`` values per sample, made from ``inputs`` by the next op."""
        self.sizes.append(size)
        if inputs is not None:
            self.ops.append((inputs, len(self.sizes) - 1))
        return len(self.sizes) - 1

    def fail(self, where: str, problem: str) -> Exception:
        return SpecError([f"{self.source}: {where}: {problem}"])

    def visit(self, layer: LayerBase, value: Any, path: str, name: str, reads: list[str]) -> Walked:
        shape = [v.shape for v in value] if layer.merges else value.shape
        first = shape[0] if layer.merges else shape
        row = Row(name, layer.kind, self._depth, path, layer.details() if self.labels else "",
                  list(first), [], 0, 0, 0, 0, inputs=reads, composite=layer.composite)
        self.rows.append(row)
        try:
            if layer.composite:
                saved = (self._depth, self.sums)
                self._depth, self.sums = self._depth + 1, [0, 0, 0]
                try:
                    walked = self.descend(layer, value, path)
                    out, field, tensor = walked.shape, walked.rf, walked.tensor
                    row.params, row.non_trainable_params, row.macs = self.sums
                finally:
                    self._depth, self.sums = saved
            else:
                result = layer.infer(shape, self.cap)  # type: ignore[arg-type]
                out = result.shape
                if not self.receptive:
                    field = None
                elif layer.merges:
                    field = layer.receptive([v.rf for v in value], shape)  # type: ignore[arg-type]
                else:
                    field = layer.receptive(value.rf, shape)  # type: ignore[arg-type]
                tensor = -1
                row.params, row.non_trainable_params, row.macs = \
                    result.params, result.non_trainable, result.macs
                row.warnings = result.warnings
                if result.warnings:
                    where = here(path, layer, name)
                    self.warnings.extend(f"{self.source}: {where}: {w}" for w in result.warnings)
        except LayerError as exc:
            raise self.fail(here(path, layer, name), str(exc)) from None
        if min(out, default=1) < 1:
            raise self.fail(here(path, layer, name),
                            f"a dimension reaches {min(out)}: output would be {list(out)}")
        sums = self.sums
        sums[0] += row.params
        sums[1] += row.non_trainable_params
        sums[2] += row.macs
        out = tuple(out)
        row.output_shape = list(out)
        size = row.activation_size = prod(out)
        if field is not None:
            row.receptive_field = field
        if tensor < 0:
            tensor = self.tensor(size, [v.tensor for v in value] if layer.merges
                                 else [value.tensor])
        return Walked(out, field, tensor)

    def add(self, values: list[Walked], labels: list[str]) -> Walked:
        first = added([v.shape for v in values], [f"{label} output" for label in labels])
        return Walked(first, self._merge(values),
                      self.tensor(prod(first), [v.tensor for v in values]))

    def concat(self, values: list[Walked], labels: list[str]) -> Walked:
        out = concatenated([v.shape for v in values], [f"{label} output" for label in labels])
        return Walked(out, self._merge(values),
                      self.tensor(prod(out), [v.tensor for v in values]))

    def _merge(self, values: list[Walked]) -> RF | None:
        return merge([v.rf for v in values]) if self.receptive else None  # type: ignore[misc]

    def activate(self, function: str | None, value: Walked) -> Walked:
        return value

