"""Design sweeps: every combination of a few hyper-parameters, one row each.

The spec is validated once; each combination sets the varied fields on the models
(each value checked by its field's own validator) and walks the network lean, without
receptive fields or labels, so LeNet-sized sweeps run at over 10,000 specs a second.
A combination that is invalid becomes a row with its one-line error, not an abort.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.core.gcpause import paused_gc
from cnnshape.core.model import Model, ValidationError
from cnnshape.engine.analysis import _analyze
from cnnshape.engine.memory import DTYPES, estimate
from cnnshape.spec.loader import Network, Source, iter_layers, load
from cnnshape.spec.loader import _message as message


@dataclass
class SweepRow:
    values: dict[str, Any]
    output_shape: list[int] | None = None
    params: int | None = None
    macs: int | None = None
    peak_memory_bytes: int | None = None
    """Parameters plus peak live activations for inference, at the sweep's batch and dtype."""
    error: str | None = None


@dataclass
class SweepReport:
    keys: list[str]
    rows: list[SweepRow] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": self.keys, "rows": [vars(row) for row in self.rows]}


def parse_values(text: str) -> list[Any]:
    """`6,8,16` or `[64,64,3],[32,32,3]` or `same,valid`: JSON values split at top-level commas."""
    parts, depth, current = [], 0, ""
    for char in text:
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += char in "[{"
        depth -= char in "]}"
        current += char
    parts.append(current)
    values = []
    for part in parts:
        part = part.strip()
        try:
            values.append(json.loads(part))
        except json.JSONDecodeError:
            values.append(part)  # a bare word: "same", "max"
    return values


def sweep(source: Source, settings: dict[str, list[Any]], *, batch: int = 1,
          dtype: str = "float32") -> SweepReport:
    """Evaluate the grid of ``settings`` ({"CONV1.filters": [6, 8], "input": [[64, 64, 3]]})."""
    if batch < 1 or dtype not in DTYPES:
        raise ValueError(f"batch must be >= 1 and dtype one of {', '.join(DTYPES)}")
    network = copy.deepcopy(load(source))
    targets = [_target(network, key) for key in settings]
    report = SweepReport(list(settings))
    with paused_gc():
        for combo in product(*settings.values()):
            row = SweepRow(dict(zip(settings, combo, strict=True)))
            report.rows.append(row)
            try:
                for (model, name, key), value in zip(targets, combo, strict=True):
                    setattr(model, name, _check(model, name, key, value, network.source))
                result = _analyze(network, None, lean=True)
            except SpecError as exc:
                row.error = exc.problems[0]
                continue
            t = result.totals
            row.output_shape, row.params, row.macs = result.output_shape, t.params, t.macs * batch
            memory = estimate(t.params, t.non_trainable_params, t.activation_peak,
                              t.activations_stored, batch, dtype)
            row.peak_memory_bytes = memory["inference_bytes"]
    return report


def _target(network: Network, key: str) -> tuple[Model, str, str]:
    """`input` or `LAYER.field` -> (model, attribute, field key as written)."""
    if key == "input":
        return network, "input", "input"
    layer_name, _, field_name = key.rpartition(".")
    layers = [layer for _, layer in iter_layers(network.layers) if layer.name == layer_name]
    if not layer_name or not layers:
        raise SpecError([f"{network.source}: --set {key}: no layer is named {layer_name!r} "
                         "(use NAME.field, or input)"])
    layer = layers[0]
    for attribute, spec in layer.fields.items():
        if field_name in (attribute, spec.alias):
            return layer, attribute, field_name
    raise SpecError([f"{network.source}: --set {key}: a {layer.kind} layer has no field "
                     f"{field_name!r} (fields: {', '.join(layer.fields)})"])


def _check(model: Model, attribute: str, key: str, value: Any, source: str) -> Any:
    try:
        return model.fields[attribute].check(value)
    except ValidationError as exc:
        raise SpecError([f"{source}: --set {key}: {message(exc.errors()[0], [key])}"]) from None
