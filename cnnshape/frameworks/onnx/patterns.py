"""Multi-node patterns that are one spec layer, and the merges they feed.

MatMul (or Conv) + Add of a per-channel constant is a layer with a bias; x * Sigmoid(x)
is silu (x * HardSigmoid(x) hardswish); consecutive Slices of spatial axes are one crop,
and crops that center every input of a Concat or Add on the smallest one are that
merge's ``crop``; a flat Concat of inputs sharing a branch point was a nested one
(Inception), and is nested again so the graph builder can fold it into concat blocks.
"""

from __future__ import annotations

import math
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.frameworks.onnx.builder import Builder
from cnnshape.frameworks.onnx.read import Problem, attrs
from cnnshape.frameworks.onnx.shapes import Tensor, channels_last, compact


class Patterns(Builder):
    """Merges, the constants an Add or Mul folds in, and crops."""

    def _binary(self, node: Any, mode: str) -> tuple[Tensor, str] | None:
        """A merge of two computed tensors; else the computed operand and the constant."""
        a_name, b_name = node.input[0], node.input[1]
        if a_name in self.constants:
            a_name, b_name = b_name, a_name
        a = self.tensor(a_name)
        if b_name in self.constants:
            return a, b_name
        self._merge(node, mode, [a_name, b_name])
        return None

    def _merge(self, node: Any, mode: str, names: list[str], output: str | None = None,
               name: str | None = None) -> None:
        tensors = [self.tensor(n) for n in names]
        ranks = {self.rank(n) for n in names}
        if len(ranks) != 1:
            raise Problem(f"merges tensors of ranks {sorted(ranks)}; ONNX broadcasting across "
                           "ranks aligns other axes than a spec's")
        if ranks.pop() > 2 and len({t.last for t in tensors}) != 1:
            raise Problem("merges a channels-last tensor with a channels-first one")
        inputs = [t.node for t in tensors]
        crop = self._crop_merge(inputs)
        layer: dict[str, Any] = {"type": "merge", "mode": mode}
        if crop is not None:
            inputs = crop
            layer["crop"] = True
        self.add(node, layer, inputs, tensors[0].last, output=output, name=name)

    def op_Add(self, node: Any) -> None:
        split = self._binary(node, "add")
        if split is None:
            return
        x, const = split
        # MatMul + Add is a dense layer with a bias (and Conv + Add a conv with one)
        before = self.layer_of(x.node)
        shape = self.const_shape(const)
        data = node.input[0] if node.input[0] != const else node.input[1]
        rank = self.rank(data)
        if before is not None and before.layer.get("bias") is False and \
                before.layer["type"] in ("dense", "conv", "conv_transpose") and \
                self.sole_reader(x.node):
            channels = int(before.layer.get("units", before.layer.get("filters", 0)))
            if self.per_channel(shape, rank, self.channel_axis(x, rank), channels):
                del before.layer["bias"]
                self.own(const, x.node)
                self.tensors[node.output[0]] = x
                self.passthrough.add(self.index)
                return
        raise Problem(f"adds the constant {const} {list(shape)}: a spec has no layer that "
                       "adds a constant, except as a conv's or dense layer's bias")

    def op_Sum(self, node: Any) -> None:
        if len([n for n in node.input if n]) == 1:
            self.alias(node, self.tensor(node.input[0]))
            return
        self._merge(node, "add", [n for n in node.input if n])

    def op_Mul(self, node: Any) -> None:
        a_name, b_name = node.input[0], node.input[1]
        if a_name not in self.constants and b_name not in self.constants:
            if self._swish(node, a_name, b_name) or self._swish(node, b_name, a_name):
                return
        split = self._binary(node, "multiply")
        if split is None:
            return
        x, const = split
        data = node.input[0] if node.input[0] != const else node.input[1]
        rank = self.rank(data)
        shape = self.const_shape(const)
        axis = self.channel_axis(x, rank)
        if self.per_channel(shape, rank, axis, self.dims(data)[axis]) and math.prod(shape) > 1:
            self.add(node, {"type": "scale"}, [x.node], x.last, weight=self.own(const))
            return
        raise Problem(f"multiplies by the constant {const} {list(shape)}: a spec has no such "
                       "layer, except a per-channel scale (one value per channel)")

    def _swish(self, node: Any, x_name: str, gate_name: str) -> bool:
        """x * sigmoid(x) is silu; x * hardsigmoid(x) is hardswish (older exporters' form)."""
        x, gate = self.tensor(x_name), self.tensor(gate_name)
        before = self.layer_of(gate.node)
        if before is None or before.layer.get("type") != "activation" or \
                before.inputs != [x.node] or not self.sole_reader(gate.node):
            return False
        function = {"sigmoid": "silu", "hardsigmoid": "hardswish"}.get(before.layer["function"])
        if function is None:
            return False
        before.layer["function"] = function
        self.tensors[node.output[0]] = gate
        self.passthrough.add(self.index)
        return True

    def op_Concat(self, node: Any) -> None:
        names = [n for n in node.input if n]
        for n in names:
            if n in self.constants:
                raise Problem(f"concatenates the constant {n}; a spec concatenates layers")
        if len(names) == 1:
            self.alias(node, self.tensor(names[0]))
            return
        x = self.tensor(names[0])
        rank = self.rank(names[0])
        axis = int(attrs(node).get("axis", 1)) % rank
        if axis != self.channel_axis(x, rank):
            raise Problem(f"concatenates on axis {axis}; a spec concatenates on channels")
        groups = self._nested(names)
        if len(groups) == 1:
            self._merge(node, "concat", names)
            return
        outer = self.name_for(node, None)
        inner = []
        for group in groups:
            if len(group) == 1:
                inner.append(group[0])
                continue
            value = f"{node.output[0]}/{len(inner)}"
            shape = list(self.dims(group[0]))
            shape[axis] = sum(self.dims(n)[axis] for n in group)
            self.shapes[value] = tuple(shape)
            self._merge(node, "concat", group, output=value,
                        name=self.unique(f"{outer}.{len(inner)}"))
            inner.append(value)
        self._merge(node, "concat", inner, name=outer)

    def _nested(self, names: list[str]) -> list[list[str]]:
        """Exporters flatten cat([a, cat([b1, b2]), c]) into one Concat. Inputs next to each
        other that share a layer no other input reads from (b1 and b2 from the same b0)
        were a nested concat: regroup them, so the spec has Inception's nested blocks."""
        ancestry = [self._ancestors(self.tensor(n).node) for n in names]
        common = set.intersection(*ancestry)
        groups = [[names[0]]]
        for i in range(1, len(names)):
            if (ancestry[i - 1] & ancestry[i]) - common:
                groups[-1].append(names[i])
            else:
                groups.append([names[i]])
        return groups

    def _ancestors(self, name: str) -> set[str]:
        """A Node and every Node it reads from, directly or not."""
        seen = {name}
        stack = [name]
        while stack:
            node = self.nodes.get(stack.pop())
            for read in node.inputs if node is not None else []:
                if read not in seen:
                    seen.add(read)
                    stack.append(read)
        return seen

    def _window_change(self, node: Any, x: Tensor, shape: tuple[int, ...],
                       per_axis: dict[int, tuple[int, int]], verb: str) -> None:
        """Pad (positive) or crop (negative) each spatial axis by (before, after)."""
        spatial = self.spatial_axes(node.input[0], x)
        for axis, pair in per_axis.items():
            if axis not in spatial and pair != (0, 0):
                raise Problem(f"{verb} axis {axis} ({'batch' if axis == 0 else 'channels'}); "
                               "a spec pads and crops spatial dims only")
        pairs = [per_axis.get(axis, (0, 0)) for axis in spatial]
        if all(p == (0, 0) for p in pairs):
            self.alias(node, x)
            return
        if all(b >= 0 and e >= 0 for b, e in pairs):
            if any(b != e for b, e in pairs):
                raise Problem(f"pads {pairs} (before, after) per spatial dim; a spec pads "
                               "both sides equally")
            self.add(node, {"type": "pad", "padding": compact([b for b, _ in pairs])},
                     [x.node], x.last)
            return
        if any(b > 0 or e > 0 for b, e in pairs):
            raise Problem(f"pads and crops at once {pairs}")
        self._crop(node, x, [shape[a] for a in spatial], [(-b, -e) for b, e in pairs])

    def _crop(self, node: Any, x: Tensor, dims: list[int], cuts: list[tuple[int, int]]) -> None:
        """A crop Node; consecutive crops of one tensor (one Slice per axis) become one."""
        previous = self.cuts.get(x.node)
        if previous is not None and self.sole_reader(x.node):
            source, size, before = previous
            merged = [(b0 + b1, a0 + a1) for (b0, a0), (b1, a1) in zip(before, cuts, strict=False)]
            self.cuts[x.node] = (source, size, merged)
            self.tensors[node.output[0]] = x
            shape = self.shapes.get(node.output[0])
            if shape is not None:
                self.expect[x.node] = channels_last(shape, x.last)
            self.passthrough.add(self.index)
            return
        name = self.add(node, {"type": "crop", "cropping": 0}, [x.node], x.last)
        self.cuts[name] = (x.node, tuple(dims), cuts)

    def _crop_merge(self, inputs: list[str]) -> list[str] | None:
        """Crops that only feed this merge and center every input on the smallest size are
        the merge's own ``crop`` (U-Net's skips): their sources, or None."""
        if not any(i in self.cuts for i in inputs):
            return None
        sources, sizes, outs = [], [], []
        for name in inputs:
            if name in self.cuts:
                if not self.sole_reader(name):
                    return None
                source, size, cuts = self.cuts[name]
                sources.append(source)
                sizes.append(size)
                outs.append(tuple(n - b - e for n, (b, e) in zip(size, cuts, strict=False)))
            else:
                shape = self.input_shape if name == self.input_name else self.expect.get(name)
                if shape is None or any(v is None for v in shape):
                    return None
                sources.append(name)
                sizes.append(tuple(shape[:-1]))  # type: ignore[arg-type]
                outs.append(tuple(shape[:-1]))  # type: ignore[arg-type]
        target = tuple(min(dim) for dim in zip(*sizes, strict=False))
        if any(o != target for o in outs):
            return None
        for name in inputs:
            if name in self.cuts:
                _, size, cuts = self.cuts[name]
                if any(b != (n - t) // 2 for n, t, (b, _) in zip(size, target, cuts, strict=False)):
                    return None
        for name in inputs:
            if name in self.cuts:
                del self.cuts[name]
                del self.nodes[name]
        return sources

    def _finish_crops(self) -> None:
        """Crop Nodes left standing: a spec's crop cuts both ends of a dim equally."""
        for name, (_, _, cuts) in self.cuts.items():
            if any(b != e for b, e in cuts):
                raise SpecError([f"{self.label}: {self.sites[name]}: crops {cuts} (before, "
                                 "after) per spatial dim; a spec crops both ends equally "
                                 "(or center-crops at a merge)"])
            self.nodes[name].layer["cropping"] = compact([b for b, _ in cuts])
