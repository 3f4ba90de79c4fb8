"""Shape bookkeeping: ONNX's own shape inference, ONNX layouts -> the spec's, and the final
check that every layer's shape is the one ONNX gives its node.

ONNX is channels-first ([N, C, spatial...]); a spec is channels-last without the batch.
Each computed ONNX value is followed as a ``Tensor``: the graph Node holding it and
whether ONNX holds it channels-last (after a Transpose). The check at the end is why an
import is exact: a graph the spec cannot mirror stops with one line.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.frameworks.onnx.read import Problem, repaired, skeleton


@dataclass(frozen=True)


class Tensor:
    """A computed ONNX value: the graph node holding it and its ONNX layout."""

    node: str
    """The Node (or the graph input) whose output this is."""
    last: bool
    """Channels-last in ONNX ([N, spatial..., C], after a Transpose); else [N, C, spatial...]."""
    units: tuple[int, ...] = ()
    """ONNX axes of size 1 that an Unsqueeze added and the spec's tensor does not have
    (PyTorch pools a 1-D map globally as a 2-D one: Unsqueeze, ReduceMean, Squeeze)."""


def compact(values: list[int]) -> int | list[int]:
    """An int when every dim agrees (as people write specs), else a list."""
    return values[0] if len(set(values)) == 1 else list(values)


def channels_last(shape: tuple[int | None, ...], last: bool,
                   units: tuple[int, ...] = ()) -> tuple[int | None, ...]:
    """An ONNX shape with batch -> the spec's channels-last shape without it."""
    rest = tuple(v for i, v in enumerate(shape) if i and i not in units)
    if last or len(rest) <= 1:
        return rest
    return (*rest[1:], rest[0])


def reshape(shape: tuple[int, ...], target: list[int], allowzero: bool) -> list[int] | None:
    """ONNX Reshape's output shape (0 copies the input's dim, -1 takes the rest)."""
    out = [shape[i] if v == 0 and not allowzero and i < len(shape) else v
           for i, v in enumerate(target)]
    total = math.prod(shape)
    if out.count(-1) > 1:
        return None
    if -1 in out:
        known = math.prod(v for v in out if v != -1)
        if known == 0 or total % known:
            return None
        out[out.index(-1)] = total // known
    return out if math.prod(out) == total else None


class Shapes:
    """The model as read, with every value's ONNX shape (None: a dim inference leaves
    unknown) and what is expected of the layers built from it."""

    def __init__(self, onnx: Any, model: Any, label: str, base: str | None) -> None:
        self.onnx = onnx
        self.label = label
        self.base = base
        if model.functions:
            from onnx import inliner

            model = inliner.inline_local_functions(model)
        self.initializers = {t.name: t for t in model.graph.initializer}
        """The weights with their data (read only for small values: pads, scales, shapes)."""
        self.model = repaired(skeleton(model))
        self.graph = self.model.graph
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")),
                          1)
        self.types: dict[str, int] = {}
        """Value -> ONNX element type (CastLike of a constant takes a tensor's type)."""
        self.shapes = self._infer_shapes(self.model)
        self.sites: dict[str, str] = {}
        """Node name -> 'node NAME (OpType)', for messages about it after the walk."""
        self.expect: dict[str, tuple[int | None, ...]] = {}
        """Node name -> the channels-last shape ONNX shape inference gives its output."""

    def _infer_shapes(self, model: Any) -> dict[str, tuple[int | None, ...]]:
        """Every value's ONNX shape as shape inference gives it (None: unknown dim)."""
        from onnx import shape_inference

        try:
            inferred = shape_inference.infer_shapes(model, data_prop=True)
        except Exception as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
            raise SpecError([f"{self.label}: ONNX shape inference fails on this model: "
                             f"{reason}"]) from None
        shapes: dict[str, tuple[int | None, ...]] = {}
        graph = inferred.graph
        for info in [*graph.input, *graph.value_info, *graph.output]:
            tensor = info.type.tensor_type
            self.types[info.name] = tensor.elem_type
            if tensor.HasField("shape"):
                shapes[info.name] = tuple(d.dim_value if d.HasField("dim_value") else None
                                          for d in tensor.shape.dim)
        for name, init in self.initializers.items():
            shapes[name] = tuple(init.dims)
        return shapes

    def _size(self, name: str) -> int | None:
        """How many values a tensor holds, if shape inference knows."""
        shape = self.shapes.get(name)
        if shape is None or any(v is None for v in shape):
            return None
        return math.prod(v for v in shape if v is not None)

    def shape(self, name: str) -> tuple[int | None, ...]:
        shape = self.shapes.get(name)
        if shape is None:
            raise Problem(f"ONNX shape inference gives no shape for {name}")
        return shape

    def dims(self, name: str) -> tuple[int, ...]:
        """A shape whose dims are all known, except perhaps the batch (taken as 1)."""
        shape = self.shape(name)
        if any(v is None for v in shape[1:]):
            raise Problem(f"the shape of {name} is not static ({list(shape)})")
        return tuple(1 if v is None else v for v in shape)

    def rank(self, name: str) -> int:
        return len(self.shape(name))

    def spatial_axes(self, name: str, t: Tensor) -> list[int]:
        rank = self.rank(name)
        return list(range(1, rank - 1)) if t.last else list(range(2, rank))

    def _static(self, name: str) -> bool:
        shape = self.shapes.get(name)
        return shape is not None and all(v is not None for v in shape[1:])

    @staticmethod
    def channel_axis(x: Tensor, rank: int) -> int:
        """The ONNX axis of the spec's channels."""
        return rank - 1 if (x.last or rank == 2) else 1

    # -- the final check -----------------------------------------------------------------------

    def _check(self, spec: dict[str, Any]) -> None:
        """Every layer's calculated shape equals the one ONNX's shape inference gives it."""
        from cnnshape.engine.analysis import analyze
        from cnnshape.spec.loader import load

        report = analyze(load(spec, name=self.label), receptive=False)
        rows = {row.name: row for row in report.rows if not row.composite}
        for name, expected in self.expect.items():
            row = rows.get(name)
            if row is None or any(v is None for v in expected):
                continue
            if tuple(row.output_shape) != tuple(expected):
                raise SpecError([f"{self.label}: {self.sites[name]}: ONNX computes "
                                 f"{list(expected)} (channels-last) but the spec gives "
                                 f"{list(row.output_shape)}; this graph cannot be mirrored "
                                 "exactly"])
