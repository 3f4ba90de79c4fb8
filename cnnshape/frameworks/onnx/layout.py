"""ONNX ops that move data without computing: pass-through, layout, reshapes, padding,
cropping and nearest resizing.

A Transpose to channels-last (PyTorch's permute before a LayerNorm or a Linear on
channels, or before a flatten in the order Keras uses) changes only the layout, not the
spec; an Unsqueeze of trailing unit axes is followed until the global pool that reads it.
"""

from __future__ import annotations

import math
from typing import Any

from cnnshape.frameworks.onnx.patterns import Patterns
from cnnshape.frameworks.onnx.read import Problem, attrs, float32
from cnnshape.frameworks.onnx.shapes import compact, reshape


class Layout(Patterns):
    """Identity, Cast, Dropout, Transpose, Flatten, Reshape, (Un)Squeeze, Gather, Pad,
    Slice, Resize, Upsample; Shape of a dynamic tensor is refused."""

    def op_Shape(self, node: Any) -> None:
        raise Problem(f"reads the shape of {node.input[0]}, which is not static")

    op_Size = op_Shape

    # -- layout, shape and pass-through --------------------------------------------------------

    def op_Identity(self, node: Any) -> None:
        self.alias(node, self.tensor(node.input[0]))

    def op_Cast(self, node: Any) -> None:
        self.alias(node, self.tensor(node.input[0]))

    def op_Dropout(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        ratio_name = self.optional(node, 1)
        rate = float(self.value(ratio_name)) if ratio_name else \
            float(attrs(node).get("ratio", 0.5))
        self.add(node, {"type": "dropout", "rate": float32(rate)}, [x.node], x.last)

    def op_Transpose(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        perm = [int(v) % rank for v in attrs(node).get("perm", list(range(rank))[::-1])]
        to_last = [0, *range(2, rank), 1]
        to_first = [0, rank - 1, *range(1, rank - 1)]
        if perm == list(range(rank)):
            self.alias(node, x)
        elif rank >= 3 and not x.last and perm == to_last:
            self.alias(node, x, last=True)
        elif rank >= 3 and x.last and perm == to_first:
            self.alias(node, x, last=False)
        else:
            raise Problem(f"permutes {perm}; only channels-first <-> channels-last moves "
                           "no data a spec sees")

    def op_Flatten(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axis = int(attrs(node).get("axis", 1)) % rank if rank else 0
        if axis != 1:
            raise Problem(f"flattens from axis {axis}; a spec flattens all but the batch")
        self.add(node, {"type": "flatten"}, [x.node], False)

    def op_Reshape(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        target = self.ints(node.input[1])
        allowzero = bool(attrs(node).get("allowzero", 0))
        out = reshape(shape, target, allowzero)
        if out is None:
            raise Problem(f"reshapes {list(shape)} to {target}, which does not fit")
        if out == list(shape):
            self.alias(node, x)
        elif len(out) == 1:
            # everything, batch included, in one axis: only read back by a Gather (below)
            self.unrolled[node.output[0]] = (x, shape)
            self.passthrough.add(self.index)
        elif len(out) == 2 and out[0] == shape[0] and len(shape) >= 2:
            self.add(node, {"type": "flatten"}, [x.node], False)
        else:
            raise Problem(f"reshapes {list(shape)} to {out}; a spec reshapes only as a flatten "
                           "to [N, -1]")

    def _axes(self, node: Any) -> list[int] | None:
        """Squeeze's and Unsqueeze's axes: an input from opset 13, an attribute before."""
        if self.opset >= 13:
            name = self.optional(node, 1)
            return self.ints(name) if name else None
        axes = attrs(node).get("axes")
        return None if axes is None else [int(v) for v in axes]

    def op_Unsqueeze(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axes = self._axes(node) or []
        out_rank = rank + len(axes)
        added = sorted(a % out_rank for a in axes)
        if x.last or rank < 3 or added != list(range(rank, out_rank)):
            raise Problem(f"inserts axes {axes} into a rank-{rank} tensor; a spec's tensors "
                           "gain no axes (only trailing unit axes before a global pool are "
                           "understood)")
        self.alias(node, x, units=tuple(added))

    def op_Squeeze(self, node: Any) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        shape = self.dims(node.input[0])
        rank = len(shape)
        axes = self._axes(node)
        gone = sorted(a % rank for a in axes) if axes is not None else \
            [i for i, v in enumerate(shape) if v == 1 and i > 0]
        spatial = self.spatial_axes(node.input[0], x)
        if x.units and gone == sorted(x.units):
            self.alias(node, x, units=())
        elif not x.units and gone == spatial and all(shape[i] == 1 for i in gone):
            self.add(node, {"type": "flatten"}, [x.node], False)  # [N, C, 1, 1] -> [N, C]
        else:
            raise Problem(f"removes axes {gone} of {list(shape)}; a spec drops unit spatial "
                           "axes only after a global pool")

    def op_Gather(self, node: Any) -> None:
        """PyTorch's as_strided on a contiguous tensor exports as a Reshape to one axis and
        a Gather of every index in order, back into the original shape: the identity."""
        import numpy as np

        unrolled = self.unrolled.get(node.input[0])
        if unrolled is None or node.input[1] not in self.constants:
            raise Problem("gathers values of a computed tensor; a spec has no such layer")
        x, shape = unrolled
        if int(attrs(node).get("axis", 0)) != 0 or \
                tuple(self.const_shape(node.input[1])) != tuple(shape) or \
                not np.array_equal(self.value(node.input[1]).reshape(-1),
                                   np.arange(math.prod(shape))):
            raise Problem("gathers values out of their order; a spec has no such layer")
        self.alias(node, x)

    # -- padding, cropping, resizing -----------------------------------------------------------

    def op_Pad(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        a = attrs(node)
        mode = a.get("mode", "constant")
        pads_name = self.optional(node, 1)
        pads = self.ints(pads_name) if pads_name else [int(v) for v in a.get("pads", [])]
        value_name = self.optional(node, 2)
        value = float(self.value(value_name).reshape(-1)[0]) if value_name else \
            float(a.get("value", 0.0))
        axes_name = self.optional(node, 3)
        axes = [v % rank for v in self.ints(axes_name)] if axes_name else list(range(rank))
        if mode != "constant" or value != 0.0:
            raise Problem(f"pads with {mode} {value:g}; a spec pads with zeros")
        per_axis = {axis: (pads[i], pads[i + len(axes)]) for i, axis in enumerate(axes)}
        self._window_change(node, x, shape, per_axis, "pads")

    def op_Slice(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        a = attrs(node)
        if self.opset < 10:
            starts, ends = [int(v) for v in a["starts"]], [int(v) for v in a["ends"]]
            axes = [int(v) for v in a.get("axes", range(len(starts)))]
            steps = [1] * len(starts)
        else:
            starts, ends = self.ints(node.input[1]), self.ints(node.input[2])
            axes_name, steps_name = self.optional(node, 3), self.optional(node, 4)
            axes = self.ints(axes_name) if axes_name else list(range(len(starts)))
            steps = self.ints(steps_name) if steps_name else [1] * len(starts)
        per_axis: dict[int, tuple[int, int]] = {}
        for start, end, axis, step in zip(starts, ends, axes, steps, strict=False):
            axis %= rank
            n = shape[axis]
            if step != 1:
                raise Problem(f"slices axis {axis} with step {step}; a spec crops contiguous "
                               "ranges")
            begin = min(max(start + n if start < 0 else start, 0), n)
            stop = min(max(end + n if end < 0 else end, 0), n)
            if stop <= begin:
                raise Problem(f"slices axis {axis} to nothing ({start}:{end} of {n})")
            per_axis[axis] = (-begin, -(n - stop))
        self._window_change(node, x, shape, per_axis, "slices")

    def _resize(self, node: Any, scales_name: str | None, sizes_name: str | None,
                axes: list[int] | None) -> None:
        """Nearest resizing by whole factors repeats every value (whatever the coordinate
        transformation and rounding attributes say): the spec's upsample."""
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        mode = attrs(node).get("mode", "nearest")
        if mode != "nearest":
            raise Problem(f"{mode} interpolation; a spec upsamples by nearest neighbour")
        axes = [v % rank for v in axes] if axes else list(range(rank))
        factors: dict[int, float] = {}
        if scales_name is not None and math.prod(self.const_shape(scales_name)) > 0:
            factors = {ax: float(s) for ax, s in
                       zip(axes, self.value(scales_name).reshape(-1), strict=False)}
        elif sizes_name is not None:
            factors = {ax: int(s) / shape[ax] for ax, s in
                       zip(axes, self.value(sizes_name).reshape(-1), strict=False)}
        else:
            raise Problem("neither scales nor sizes")
        spatial = self.spatial_axes(node.input[0], x)
        scale = []
        for axis in range(rank):
            factor = factors.get(axis, 1.0)
            if axis not in spatial:
                if factor != 1.0:
                    raise Problem(f"resizes axis {axis} by {factor:g}; a spec upsamples "
                                   "spatial dims only")
                continue
            if factor < 1 or factor != int(factor):
                raise Problem(f"resizes by {factor:g}; a spec upsamples by whole factors")
            scale.append(int(factor))
        if all(s == 1 for s in scale):
            self.alias(node, x)
            return
        self.add(node, {"type": "upsample", "scale": compact(scale)}, [x.node], x.last)

    def op_Resize(self, node: Any) -> None:
        a = attrs(node)
        if self.opset < 11:
            self._resize(node, self.optional(node, 1), None, None)
        else:
            axes = [int(v) for v in a["axes"]] if "axes" in a else None
            self._resize(node, self.optional(node, 2), self.optional(node, 3), axes)

    def op_Upsample(self, node: Any) -> None:
        a = attrs(node)
        if "scales" in a:
            import numpy as np

            name = f"{node.output[0]}.scales"
            self.values[name] = np.array(a["scales"], dtype=np.float32)
            self.constants.add(name)
            self.shapes[name] = (len(a["scales"]),)
            self._resize(node, name, None, None)
        else:
            self._resize(node, self.optional(node, 1), None, None)
