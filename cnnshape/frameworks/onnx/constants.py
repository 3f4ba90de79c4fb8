"""Constant folding: initializers, Constant nodes and whatever is computed from them alone
(including the Shape of a tensor whose shape is static) are data, never layers.

Only small values are ever read (pads, axes, scales, a Reshape's target: ``SMALL``);
a weight is known by its dims alone, and by the initializer it comes from through ops
that only rearrange it (``weight_root``), which names the layer owning it.
"""

from __future__ import annotations

from typing import Any

from cnnshape.frameworks.onnx.read import SMALL, Problem, attrs
from cnnshape.frameworks.onnx.shapes import Shapes

REARRANGING = ("Identity", "Cast", "Transpose", "Reshape", "Unsqueeze", "Squeeze", "Flatten",
               "Expand")
"""Ops that move a weight's values without computing new ones (for a weight's name)."""


class Constants(Shapes):
    """Which values are constants, their values when small, and a second round of shape
    inference through the small constant computations it cannot see through."""

    def __init__(self, onnx: Any, model: Any, label: str, base: str | None) -> None:
        super().__init__(onnx, model, label, base)
        self.producer: dict[str, Any] = {out: node for node in self.graph.node
                                         for out in node.output if out}
        self.constants: set[str] = set(self.initializers)
        self.values: dict[str, Any] = {}
        if any(out and not self._static(out) for node in self.graph.node for out in node.output):
            self.shapes = self._infer_shapes(self._folded())

    def _folded(self) -> Any:
        """A copy of the model for a second round of shape inference, its small constant
        computations (a Slice's bounds built from Constant and Unsqueeze nodes, as PyTorch's
        exporter writes them without constant folding) replaced by Constant nodes: shape
        inference does not see through them, so every shape after them would be unknown."""
        from onnx import helper, numpy_helper

        constant = set(self.initializers)
        for node in self.graph.node:
            data = [n for n in node.input if n][:1] if node.op_type == "CastLike" else \
                [n for n in node.input if n]
            static = node.op_type in ("Shape", "Size") and self._static(node.input[0])
            if node.op_type == "Constant" or static or all(n in constant for n in data):
                constant.update(node.output)
        model = type(self.model)()
        model.CopyFrom(self.model)
        for index, node in enumerate(self.graph.node):
            if node.op_type == "Constant" or len(node.output) != 1 or \
                    node.output[0] not in constant or not self._small(node):
                continue
            try:
                value = self.value(node.output[0])
            except Problem:
                continue
            if value.size > SMALL:
                continue  # weights: shape inference knows their dims already
            model.graph.node[index].CopyFrom(helper.make_node(
                "Constant", [], [node.output[0]],
                value=numpy_helper.from_array(value, node.output[0])))
        return model

    def _small(self, node: Any) -> bool:
        """A constant computation worth folding: a known, small output from small inputs
        (never a weight: a Transpose of a dense layer's kernel may be gigabytes)."""
        reads = [] if node.op_type in ("Shape", "Size") else [n for n in node.input if n]
        sizes = [self._size(n) for n in [node.output[0], *reads]]
        return sizes[0] is not None and all(v is None or v <= SMALL for v in sizes) and \
            sizes[0] <= SMALL

    def value(self, name: str) -> Any:
        """A constant's value (small ones: pads, axes, scales; never a layer's weights)."""
        from onnx import numpy_helper

        if name in self.values:
            return self.values[name]
        if name in self.initializers:
            tensor = self.initializers[name]
            if tensor.data_location == self.onnx.TensorProto.EXTERNAL:
                if self.base is None:
                    raise Problem(f"needs the value of {name}, stored outside the model")
                from onnx import external_data_helper

                tensor = type(tensor)()
                tensor.CopyFrom(self.initializers[name])
                try:
                    external_data_helper.load_external_data_for_tensor(tensor, self.base)
                except Exception as exc:  # OSError, onnx's ValidationError: missing file
                    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
                    raise Problem(f"needs the value of {name}, stored outside the model, "
                                   f"which cannot be read ({reason})") from None
            array = numpy_helper.to_array(tensor)
        elif name in self.producer:
            node = self.producer[name]
            if node.op_type == "Shape":
                array = self._shape_value(node)
            else:
                array = self._evaluate(node)
        else:
            raise Problem(f"needs the value of {name}, which is not a constant")
        self.values[name] = array
        return array

    def _shape_value(self, node: Any) -> Any:
        import numpy as np

        data = node.input[0]
        dims = list(self.const_shape(data) if data in self.constants else self.dims(data))
        a = attrs(node)
        start, end = a.get("start", 0), a.get("end", len(dims))
        return np.array(dims[start:end], dtype=np.int64)

    def _evaluate(self, node: Any) -> Any:
        from onnx.reference import ReferenceEvaluator

        if node.op_type == "CastLike" and node.input[1] not in self.constants:
            import numpy as np
            from onnx import helper

            dtype = helper.tensor_dtype_to_np_dtype(self.types.get(node.input[1], 1))
            feeds = {node.input[0]: self.value(node.input[0]),
                     node.input[1]: np.zeros((0,), dtype=dtype)}
        else:
            feeds = {n: self.value(n) for n in node.input if n}
        try:
            results = ReferenceEvaluator(node, opsets={"": self.opset}).run(None, feeds)
        except Exception as exc:
            raise Problem(f"cannot fold the constant {node.output[0]} "
                           f"({node.op_type}: {str(exc).strip().splitlines()[0]})") from None
        for out, array in zip(node.output, results, strict=False):
            self.values[out] = array
        return self.values[node.output[0]]

    def const_shape(self, name: str) -> tuple[int, ...]:
        """A constant's shape, without reading its data (weights may be kilobytes or gigabytes)."""
        if name not in self.constants:
            raise Problem(f"reads a computed tensor where a constant weight is expected ({name})")
        shape = self.shapes.get(name)
        if shape is not None and all(v is not None for v in shape):
            return tuple(int(v) for v in shape)  # type: ignore[arg-type]
        return tuple(self.value(name).shape)

    def ints(self, name: str) -> list[int]:
        return [int(v) for v in self.value(name).reshape(-1)]

    def optional(self, node: Any, index: int) -> str | None:
        return node.input[index] if len(node.input) > index and node.input[index] else None

    def weight_root(self, name: str) -> str | None:
        """The initializer a weight comes from through folded ops (a Transpose of W, an
        Unsqueeze of a per-channel scale)."""
        seen = 0
        while name not in self.initializers and name in self.producer and seen < 8:
            producer = self.producer[name]
            if producer.op_type not in REARRANGING or not producer.input:
                return None
            name, seen = producer.input[0], seen + 1
        return name if name in self.initializers else None
