"""ONNX op -> cnnshape layer: the windows (Conv, ConvTranspose, pools), dense layers,
activations and normalisations, and ``OPS``, the table of every op the importer reads.

Activations after a conv or dense layer, residual and concat blocks are the graph
builder's work (common.build.build_spec), not this module's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from cnnshape.frameworks.common.build import Node
from cnnshape.frameworks.onnx.layout import Layout
from cnnshape.frameworks.onnx.patterns import Patterns
from cnnshape.frameworks.onnx.read import Problem, attrs, close, float32
from cnnshape.frameworks.onnx.shapes import Tensor, channels_last, compact
from cnnshape.layers.conv import same_pads


class Windows(Layout):
    """Conv, ConvTranspose, pools, global pools and reductions that are global pools."""

    # -- convolution and pooling ---------------------------------------------------------------

    def window_pads(self, node: Any, dims: tuple[int, ...], kernel: list[int], stride: list[int],
                    dilation: list[int], allow_same: bool = True) -> int | list[int] | str:
        """ONNX pads/auto_pad -> the spec's padding: symmetric numbers, or TensorFlow's
        "same" where the pads are exactly what it would choose for this input."""
        a = attrs(node)
        nd = len(kernel)
        auto = a.get("auto_pad", "NOTSET")
        effective = [d * (k - 1) + 1 for k, d in zip(kernel, dilation, strict=False)]
        same = [same_pads(n, e, s) for n, e, s in zip(dims, effective, stride, strict=False)]
        if auto == "VALID":
            return 0
        if auto == "SAME_UPPER":
            pairs = same
        elif auto == "SAME_LOWER":
            pairs = [(after, before) for before, after in same]
        elif auto == "NOTSET":
            pads = list(a.get("pads", [0] * (2 * nd)))
            pairs = list(zip(pads[:nd], pads[nd:], strict=False))
        else:
            raise Problem(f"unknown auto_pad {auto!r}")
        if all(b == e for b, e in pairs):
            return compact([b for b, _ in pairs])
        if pairs == same and allow_same:
            return "same"
        raise Problem(f"pads {[p[0] for p in pairs] + [p[1] for p in pairs]} differ before and "
                       "after: a spec pads both sides equally, or as TensorFlow's \"same\" "
                       f"(for this input {[p[0] for p in same] + [p[1] for p in same]})")

    def _window(self, node: Any, weights_first: int
                ) -> tuple[Tensor, tuple[int, ...], tuple[int, ...], list[int], list[int],
                           list[int], int]:
        """What Conv and ConvTranspose share: the input, its shape, the weights' shape,
        kernel, stride, dilation and groups; the weights must read the input's channels."""
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last or len(shape) < 3:
            raise Problem(f"convolves a {'channels-last' if x.last else 'flat'} tensor "
                           f"{list(shape)}: ONNX's {node.op_type} reads [N, C, spatial...]")
        w = self.const_shape(node.input[1])
        a = attrs(node)
        nd = len(shape) - 2
        groups = int(a.get("group", 1))
        kernel = [int(v) for v in a.get("kernel_shape", w[2:])]
        stride = [int(v) for v in a.get("strides", [1] * nd)]
        dilation = [int(v) for v in a.get("dilations", [1] * nd)]
        reads = w[1] * groups if weights_first == 0 else w[0]  # Conv: [M, C/g, k...]
        if reads != shape[1]:
            raise Problem(f"weights {list(w)} with group {groups} do not read the input's "
                           f"{shape[1]} channels")
        return x, shape, w, kernel, stride, dilation, groups

    def _finish_window(self, node: Any, layer: dict[str, Any], x: Tensor, dilation: list[int],
                       groups: int) -> None:
        if any(d != 1 for d in dilation):
            layer["dilation"] = compact(dilation)
        if groups != 1:
            layer["groups"] = groups
        if not self.bias(node, 2):
            layer["bias"] = False
        self.add(node, layer, [x.node], False, weight=self.own(node.input[1]))

    def op_Conv(self, node: Any) -> None:
        x, shape, w, kernel, stride, dilation, groups = self._window(node, 0)
        layer: dict[str, Any] = {"type": "conv", "filters": w[0], "kernel": compact(kernel)}
        if any(s != 1 for s in stride):
            layer["stride"] = compact(stride)
        padding = self.window_pads(node, shape[2:], kernel, stride, dilation)
        if padding != 0:
            layer["padding"] = padding
        self._finish_window(node, layer, x, dilation, groups)

    def op_ConvTranspose(self, node: Any) -> None:
        x, shape, w, kernel, stride, dilation, groups = self._window(node, 1)
        extra = [int(v) for v in attrs(node).get("output_padding", [0] * len(kernel))]
        layer: dict[str, Any] = {"type": "conv_transpose", "filters": w[1] * groups,
                                 "kernel": compact(kernel)}
        if any(s != 1 for s in stride):
            layer["stride"] = compact(stride)
        pairs = self._transpose_crops(attrs(node), shape[2:], kernel, stride, dilation, extra)
        if all(b == e for b, e in pairs):
            if any(b for b, _ in pairs):
                layer["padding"] = compact([b for b, _ in pairs])
            if any(extra):
                layer["output_padding"] = compact(extra)
        else:
            # Keras's "same": output n*s, the canvas cropped (t//2, t - t//2), t = d(k-1)+1-s
            # (as cnnshape's conv_transpose crops it)
            keras = []
            for k, s, d in zip(kernel, stride, dilation, strict=False):
                t = d * (k - 1) + 1 - s
                keras.append((t // 2, t - t // 2) if t >= 0 else (0, t))
            if pairs != keras or any(extra):
                raise Problem(f"crops {pairs} (before, after) per dim: a spec crops both "
                               "sides equally, or as Keras's \"same\"")
            layer["padding"] = "same"
        self._finish_window(node, layer, x, dilation, groups)

    @staticmethod
    def _transpose_crops(a: dict[str, Any], dims: tuple[int, ...], kernel: list[int],
                         stride: list[int], dilation: list[int],
                         extra: list[int]) -> list[tuple[int, int]]:
        """(before, after) crops of ConvTranspose's canvas, from pads, auto_pad or output_shape."""
        nd = len(kernel)
        auto = a.get("auto_pad", "NOTSET")
        wanted = a.get("output_shape")
        if wanted is not None or auto in ("SAME_UPPER", "SAME_LOWER"):
            outs = [int(v) for v in wanted][-nd:] if wanted is not None else \
                [n * s for n, s in zip(dims, stride, strict=False)]
            pairs = []
            for n, k, s, d, e, o in zip(dims, kernel, stride, dilation, extra, outs, strict=False):
                total = s * (n - 1) + e + d * (k - 1) + 1 - o
                if auto == "SAME_UPPER":
                    pairs.append((total // 2, total - total // 2))
                else:
                    pairs.append((total - total // 2, total // 2))
            return pairs
        if auto == "VALID":
            return [(0, 0)] * nd
        pads = [int(v) for v in a.get("pads", [0] * (2 * nd))]
        return list(zip(pads[:nd], pads[nd:], strict=False))

    def _pool(self, node: Any, mode: str) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last or len(shape) < 3:
            raise Problem(f"pools a {'channels-last' if x.last else 'flat'} tensor "
                           f"{list(shape)}: ONNX's pools read [N, C, spatial...]")
        a = attrs(node)
        nd = len(shape) - 2
        kernel = [int(v) for v in a["kernel_shape"]]
        stride = [int(v) for v in a.get("strides", [1] * nd)]
        if any(int(d) != 1 for d in a.get("dilations", [1] * nd)):
            raise Problem("dilated pooling: a spec's pool has no dilation")
        ceil = bool(a.get("ceil_mode", 0))
        layer: dict[str, Any] = {"type": "pool", "mode": mode, "kernel": compact(kernel),
                                 "stride": compact(stride)}
        padding = self.window_pads(node, shape[2:], kernel, stride, [1] * nd,
                                   allow_same=not ceil)
        if mode == "avg" and padding != 0:
            padding = self._averaged(node, padding, shape[2:], kernel, stride, ceil)
        if padding != 0:
            layer["padding"] = padding
        if ceil:
            layer["ceil_mode"] = True
        self.add(node, layer, [x.node], False)

    def _averaged(self, node: Any, padding: int | list[int] | str, dims: tuple[int, ...],
                  kernel: list[int], stride: list[int], ceil: bool) -> int | list[int] | str:
        """A spec's average pool counts the padded cells with numeric padding (PyTorch's
        default), not with "same" (TensorFlow's). ONNX says which with count_include_pad:
        where the pads are the ones "same" picks, "same" is exact, values too; elsewhere
        the shapes are, and the description says the reference pass's values are not."""
        counted = bool(attrs(node).get("count_include_pad", 0))
        if padding == "same" and counted:
            self.notes.append(f"{self.site(node)} averages the padded cells too: shapes are "
                              "exact; the reference pass leaves them out")
        elif padding != "same" and not counted:
            pads = [padding] * len(kernel) if isinstance(padding, int) else list(padding)
            same = [same_pads(n, k, s) for n, k, s in zip(dims, kernel, stride, strict=False)]
            if not ceil and [(p, p) for p in pads] == same:
                return "same"
            self.notes.append(f"{self.site(node)} averages without the padded cells: shapes "
                              "are exact; the reference pass counts them")
        return padding

    def op_MaxPool(self, node: Any) -> None:
        if attrs(node).get("storage_order", 0):
            raise Problem("column-major storage_order")
        self._pool(node, "max")

    def op_AveragePool(self, node: Any) -> None:
        self._pool(node, "avg")

    def _global(self, node: Any, mode: str, keepdims: bool = True) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        if self.rank(node.input[0]) - len(x.units) < 3:
            raise Problem("pools a tensor without spatial dims")
        name = self.add(node, {"type": "global_pool", "mode": mode}, [x.node], x.last,
                        units=x.units if keepdims else ())
        if not keepdims:
            flat = self.unique(f"{name}.flatten")
            self.nodes[flat] = Node(flat, {"type": "flatten"}, [name])
            self.sites[flat] = self.site(node)
            self.tensors[node.output[0]] = Tensor(flat, False)
            shape = self.shapes.get(node.output[0])
            del self.expect[name]
            if shape is not None:
                self.expect[flat] = channels_last(shape, False)

    def op_GlobalAveragePool(self, node: Any) -> None:
        if self.tensor(node.input[0]).last:
            raise Problem("pools a channels-last tensor: ONNX's GlobalAveragePool reads "
                           "[N, C, spatial...]")
        self._global(node, "avg")

    def op_GlobalMaxPool(self, node: Any) -> None:
        if self.tensor(node.input[0]).last:
            raise Problem("pools a channels-last tensor: ONNX's GlobalMaxPool reads "
                           "[N, C, spatial...]")
        self._global(node, "max")

    def _reduce(self, node: Any, mode: str) -> None:
        x = self.tensor(node.input[0], units_ok=True)
        rank = self.rank(node.input[0])
        a = attrs(node)
        axes_input = self.optional(node, 1)
        if axes_input is not None:
            axes = self.ints(axes_input)
        else:
            axes = [int(v) for v in a.get("axes", [])]
        if not axes and not a.get("noop_with_empty_axes", 0):
            axes = list(range(rank))
        spatial = self.spatial_axes(node.input[0], x)
        if rank - len(x.units) < 3 or sorted({v % rank for v in axes}) != spatial:
            raise Problem(f"reduces axes {axes} of a rank-{rank} "
                           f"{'channels-last' if x.last else 'channels-first'} tensor; only a "
                           f"reduction over all spatial axes {spatial} is a global pool")
        self._global(node, mode, bool(a.get("keepdims", 1)))

    def op_ReduceMean(self, node: Any) -> None:
        self._reduce(node, "avg")

    def op_ReduceMax(self, node: Any) -> None:
        self._reduce(node, "max")


class Ops(Windows):
    """Dense layers, activations and normalisations."""

    # -- dense ---------------------------------------------------------------------------------

    def op_Gemm(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        a = attrs(node)
        if a.get("transA", 0):
            raise Problem("transA: a layer multiplies its input on the left")
        shape = self.dims(node.input[0])
        w = self.const_shape(node.input[1])
        units, inputs = (w[0], w[1]) if a.get("transB", 0) else (w[1], w[0])
        if len(shape) != 2 or shape[1] != inputs:
            raise Problem(f"weights {list(w)} (transB={a.get('transB', 0)}) do not read the "
                           f"input {list(shape)}")
        layer: dict[str, Any] = {"type": "dense", "units": units}
        bias = self.optional(node, 2)
        if bias is not None and a.get("beta", 1.0) != 0.0:
            size = math.prod(self.const_shape(bias))
            if size != units:
                raise Problem(f"bias {bias} has {size} values for {units} units")
        if bias is None or a.get("beta", 1.0) == 0.0 or not self.bias(node, 2):
            layer["bias"] = False
        self.add(node, layer, [x.node], False, weight=self.own(node.input[1]))

    def op_MatMul(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if node.input[1] not in self.constants:
            raise Problem("multiplies two computed tensors; a dense layer multiplies by weights")
        w = self.const_shape(node.input[1])
        if len(w) != 2 or w[0] != shape[-1]:
            raise Problem(f"weights {list(w)} do not map the input's last axis {list(shape)}")
        if len(shape) > 2 and not x.last:
            raise Problem("multiplies the last axis of a channels-first tensor (its width), "
                           "not its channels")
        self.add(node, {"type": "dense", "units": w[1], "bias": False}, [x.node], x.last,
                 weight=self.own(node.input[1]))

    # -- element-wise --------------------------------------------------------------------------

    # -- activations ---------------------------------------------------------------------------

    def _activation(self, node: Any, function: str) -> None:
        x = self.tensor(node.input[0])
        self.add(node, {"type": "activation", "function": function}, [x.node], x.last)

    def op_Relu(self, node: Any) -> None:
        self._activation(node, "relu")

    def op_Sigmoid(self, node: Any) -> None:
        self._activation(node, "sigmoid")

    def op_Tanh(self, node: Any) -> None:
        self._activation(node, "tanh")

    def op_HardSwish(self, node: Any) -> None:
        self._activation(node, "hardswish")

    def op_Elu(self, node: Any) -> None:
        alpha = attrs(node).get("alpha", 1.0)
        if not close(alpha, 1.0):
            raise Problem(f"alpha {alpha:g}: a spec's elu has alpha 1")
        self._activation(node, "elu")

    def op_LeakyRelu(self, node: Any) -> None:
        alpha = attrs(node).get("alpha", 0.01)
        if not close(alpha, 0.01):
            raise Problem(f"alpha {float32(alpha):g}: a spec's leaky_relu has slope 0.01")
        self._activation(node, "leaky_relu")

    def op_HardSigmoid(self, node: Any) -> None:
        a = attrs(node)
        alpha, beta = a.get("alpha", 0.2), a.get("beta", 0.5)
        if not (close(alpha, 1 / 6) and close(beta, 0.5)):
            raise Problem(f"alpha {float32(alpha):g}, beta {float32(beta):g}: a spec's "
                           "hardsigmoid is x/6 + 1/2 (alpha 1/6, beta 0.5)")
        self._activation(node, "hardsigmoid")

    def op_Gelu(self, node: Any) -> None:
        approximate = attrs(node).get("approximate", "none")
        if approximate != "none":
            raise Problem(f"approximate={approximate!r}: a spec's gelu is the exact (erf) form")
        self._activation(node, "gelu")

    def op_Clip(self, node: Any) -> None:
        a = attrs(node)
        low_name, high_name = self.optional(node, 1), self.optional(node, 2)
        low = float(self.value(low_name)) if low_name else a.get("min", -math.inf)
        high = float(self.value(high_name)) if high_name else a.get("max", math.inf)
        if low == 0.0 and high == 6.0:
            self._activation(node, "relu6")
        elif low == 0.0 and high == math.inf:
            self._activation(node, "relu")
        else:
            raise Problem(f"clips to [{low:g}, {high:g}]: a spec clips only as relu6 [0, 6]")

    def op_Softmax(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        rank = self.rank(node.input[0])
        axis = int(attrs(node).get("axis", -1 if self.opset >= 13 else 1)) % rank
        channel = self.channel_axis(x, rank)
        # before opset 13 Softmax flattens from `axis` on: only the last axis is one axis
        if axis != channel or (self.opset < 13 and axis != rank - 1):
            raise Problem(f"softmax over axis {axis} of a rank-{rank} tensor; a spec's softmax "
                           "normalises channels")
        self._activation(node, "softmax")

    # -- normalisation -------------------------------------------------------------------------

    def op_BatchNormalization(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        if x.last and len(shape) > 2:
            raise Problem("normalises axis 1 of a channels-last tensor (not its channels)")
        scale = self.const_shape(node.input[1])
        if list(scale) != [shape[1]]:
            raise Problem(f"scale {list(scale)} for {shape[1]} channels")
        a = attrs(node)
        layer: dict[str, Any] = {"type": "batchnorm"}
        eps = float32(a.get("epsilon", 1e-5))
        momentum = round(1.0 - float32(a.get("momentum", 0.9)), 6)  # ONNX keeps 1 - torch's
        if eps != 1e-5:
            layer["eps"] = eps
        if momentum != 0.1:
            layer["momentum"] = momentum
        for stat in node.input[2:5]:
            self.own(stat)
        self.add(node, layer, [x.node], x.last, weight=self.own(node.input[1]))

    def op_LayerNormalization(self, node: Any) -> None:
        x = self.tensor(node.input[0])
        shape = self.dims(node.input[0])
        rank = len(shape)
        axis = int(attrs(node).get("axis", -1)) % rank
        if axis != rank - 1 or (rank > 2 and not x.last):
            raise Problem(f"normalises axes {list(range(axis, rank))} of a "
                           f"{'channels-last' if x.last else 'channels-first'} rank-{rank} "
                           "tensor; a spec's layernorm normalises channels")
        if self.optional(node, 2) is None:
            raise Problem("no bias: a spec's layernorm has a scale and a bias per channel")
        eps = float32(attrs(node).get("epsilon", 1e-5))
        layer: dict[str, Any] = {"type": "layernorm"}
        if eps != 1e-6:
            layer["eps"] = eps
        self.const_shape(node.input[1])
        self.own(node.input[2])
        self.add(node, layer, [x.node], x.last, weight=self.own(node.input[1]))



OPS: dict[str, Callable[[Ops, Any], None]] = {
    "Add": Patterns.op_Add,
    "AveragePool": Windows.op_AveragePool,
    "BatchNormalization": Ops.op_BatchNormalization,
    "Cast": Layout.op_Cast,
    "Clip": Ops.op_Clip,
    "Concat": Patterns.op_Concat,
    "Conv": Windows.op_Conv,
    "ConvTranspose": Windows.op_ConvTranspose,
    "Dropout": Layout.op_Dropout,
    "Elu": Ops.op_Elu,
    "Flatten": Layout.op_Flatten,
    "Gather": Layout.op_Gather,
    "Gelu": Ops.op_Gelu,
    "Gemm": Ops.op_Gemm,
    "GlobalAveragePool": Windows.op_GlobalAveragePool,
    "GlobalMaxPool": Windows.op_GlobalMaxPool,
    "HardSigmoid": Ops.op_HardSigmoid,
    "HardSwish": Ops.op_HardSwish,
    "Identity": Layout.op_Identity,
    "LayerNormalization": Ops.op_LayerNormalization,
    "LeakyRelu": Ops.op_LeakyRelu,
    "MatMul": Ops.op_MatMul,
    "MaxPool": Windows.op_MaxPool,
    "Mul": Patterns.op_Mul,
    "Pad": Layout.op_Pad,
    "ReduceMax": Windows.op_ReduceMax,
    "ReduceMean": Windows.op_ReduceMean,
    "Relu": Ops.op_Relu,
    "Reshape": Layout.op_Reshape,
    "Resize": Layout.op_Resize,
    "Shape": Layout.op_Shape,
    "Sigmoid": Ops.op_Sigmoid,
    "Size": Layout.op_Shape,
    "Slice": Layout.op_Slice,
    "Softmax": Ops.op_Softmax,
    "Squeeze": Layout.op_Squeeze,
    "Sum": Patterns.op_Sum,
    "Tanh": Ops.op_Tanh,
    "Transpose": Layout.op_Transpose,
    "Unsqueeze": Layout.op_Unsqueeze,
    "Upsample": Layout.op_Upsample,
}
"""ONNX op type (default domain) -> its translation; any other op stops the import."""
