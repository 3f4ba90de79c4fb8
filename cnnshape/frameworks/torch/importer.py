"""From a live PyTorch module to a spec, through torch.fx.

Why torch.fx and not torch's ONNX exporter: fx needs nothing beyond torch (the ONNX
route needs onnx and onnxscript and takes seconds for a ResNet-50); it keeps the
module's own names (``layer1.0.conv1`` becomes the layer's name); and it hands us the
module objects themselves, so kernel sizes, paddings, ceil_mode and bias flags are read
exactly rather than recovered from an exported graph. Its limit: code whose control flow
depends on tensor values cannot be traced; that stops the import with torch's reason.

Every imported layer's shape is then checked against the shape torch itself computed for
that node (a run on the meta device): a module the spec cannot mirror exactly stops the
import with one line instead of printing a wrong table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.core.window import effective, same_pads
from cnnshape.frameworks.common.build import Node, build_spec

SOURCE = "<torch module>"


class _Unsupported(Exception):
    pass


def _ints(value: Any, nd: int) -> list[int]:
    if isinstance(value, int):
        return [value] * nd
    return [int(v) for v in value]


def _spatial(value: Any, nd: int) -> Any:
    """An int when every dim agrees (as people write specs), else a list."""
    values = _ints(value, nd)
    return values[0] if len(set(values)) == 1 else values


ACTIVATIONS = {
    "ReLU": "relu", "ReLU6": "relu6", "ELU": "elu", "GELU": "gelu", "SiLU": "silu",
    "Sigmoid": "sigmoid", "Hardsigmoid": "hardsigmoid", "Hardswish": "hardswish",
    "Tanh": "tanh", "LeakyReLU": "leaky_relu", "Softmax": "softmax",
}

FUNCTIONS = {
    "relu": "relu", "relu_": "relu", "relu6": "relu6", "elu": "elu", "gelu": "gelu",
    "silu": "silu", "sigmoid": "sigmoid", "hardsigmoid": "hardsigmoid",
    "hardswish": "hardswish", "tanh": "tanh", "leaky_relu": "leaky_relu",
    "softmax": "softmax",
}


MERGES = ("add", "iadd", "__add__", "mul", "imul", "__mul__", "cat", "concat", "concatenate")


class _Translator:
    """One fx node at a time -> graph Nodes; keeps which fx values are channels-last."""

    def __init__(self, gm: Any, shapes: dict[str, tuple[int, ...]]) -> None:
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.shapes = shapes
        self.nodes: list[Node] = []
        self.alias: dict[str, str] = {}
        """fx value -> the graph node holding it (identities, permutes, size reads)."""
        self.last: set[str] = set()
        """fx values laid out channels-last (permuted for LayerNorm/Linear, as ConvNeXt does)."""
        self.notes: list[str] = []
        self.labels: dict[str, str] = {}
        self.used: set[str] = set()
        self.same_padded: set[str] = set()
        """fx values padded as TensorFlow's "same" for the conv or max pooling reading them."""
        self.cropped: dict[str, list[int]] = {}
        """fx values that are a center crop of another, read by a merge (crop: true)."""

    # -- helpers ---------------------------------------------------------------
    def ref(self, arg: Any) -> str:
        import torch.fx as fx

        if not isinstance(arg, fx.Node):
            raise _Unsupported(f"reads a constant ({arg!r}) where a tensor is expected")
        return self.alias.get(arg.name, arg.name)

    def rank(self, arg: Any) -> int:
        return len(self.shapes[arg.name])

    def add(self, node: Any, layer: dict[str, Any], inputs: list[str]) -> None:
        name = self.label(node)
        # an activation module is a layer of its own; a function call joins the layer before
        self.nodes.append(Node(name, layer, inputs, fuse=node.op != "call_module"))
        self.alias[node.name] = name

    def label(self, node: Any) -> str:
        """The module path for modules (``layer1.0.conv1``; ``pool_2`` for a module's second
        call); a function is named inside the module that calls it (``layer1.0.add``)."""
        if node.name in self.labels:
            return self.labels[node.name]
        if node.op == "call_module":
            base = str(node.target)
            if base in self.used and any(True for _ in self.modules[base].parameters()):
                raise _Unsupported("this module runs more than once with the same weights; "
                                   "a spec gives every layer its own")
        else:
            scope = list((node.meta.get("nn_module_stack") or {}).values())
            function = re.sub(r"_\d+$", "", str(node.name))
            base = f"{scope[-1][0]}.{function}" if scope else function
        label, n = base, 1
        while label in self.used:
            n += 1
            label = f"{base}_{n}"
        self.used.add(label)
        self.labels[node.name] = label
        return label

    def same(self, node: Any, arg: Any) -> None:
        self.alias[node.name] = self.ref(arg)
        if getattr(arg, "name", None) in self.last:
            self.last.add(node.name)

    # -- dispatch --------------------------------------------------------------
    def translate(self, node: Any) -> None:
        if node.op == "call_module":
            self.module(node, self.modules[node.target])
        elif node.op in ("call_function", "call_method"):
            self.function(node)
        elif node.op == "get_attr":
            pass  # a parameter or buffer: read by the node that uses it
        else:
            raise _Unsupported(f"fx op {node.op}")

    def module(self, node: Any, m: Any) -> None:
        from torch import nn

        kind = type(m).__name__
        x = node.args[0]
        nd = self.rank(x) - 2
        if isinstance(m, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d,
                          nn.ConvTranspose2d, nn.ConvTranspose3d)):
            transposed = isinstance(m, (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d))
            layer: dict[str, Any] = {
                "type": "conv_transpose" if transposed else "conv",
                "filters": m.out_channels, "kernel": _spatial(m.kernel_size, nd)}
            if _ints(m.stride, nd) != [1] * nd:
                layer["stride"] = _spatial(m.stride, nd)
            if x.name in self.same_padded:
                layer["padding"] = "same"  # an F.pad before it, TensorFlow's "same"
            elif isinstance(m.padding, str):
                layer["padding"] = m.padding  # torch's "same" (stride 1) pads as TensorFlow's
            elif any(_ints(m.padding, nd)):
                layer["padding"] = _spatial(m.padding, nd)
            if _ints(m.dilation, nd) != [1] * nd:
                layer["dilation"] = _spatial(m.dilation, nd)
            if m.groups != 1:
                layer["groups"] = m.groups
            if transposed and any(_ints(m.output_padding, nd)):
                layer["output_padding"] = _spatial(m.output_padding, nd)
            if m.bias is None:
                layer["bias"] = False
            if getattr(m, "padding_mode", "zeros") != "zeros":
                self.notes.append(f"{node.target} pads with {m.padding_mode!r}: shapes and counts "
                                  "are exact; the reference pass pads with zeros")
            self.add(node, layer, [self.ref(x)])
        elif isinstance(m, (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d,
                            nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d)):
            is_max = kind.startswith("Max")
            if is_max and _ints(m.dilation, nd) != [1] * nd:
                raise _Unsupported("dilated max pooling has no spec equivalent")
            if getattr(m, "return_indices", False):
                raise _Unsupported("return_indices has no spec equivalent")
            padding = "same" if x.name in self.same_padded else m.padding
            self.pool(node, x, "max" if is_max else "avg", m.kernel_size, m.stride, padding,
                      m.ceil_mode, getattr(m, "count_include_pad", True))
        elif isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
                            nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d)):
            if getattr(m, "return_indices", False):
                raise _Unsupported("return_indices has no spec equivalent")
            self.adaptive(node, x, "max" if "Max" in kind else "avg", m.output_size)
        elif isinstance(m, nn.Linear):
            self.linear(node, x, m.out_features, m.bias is not None)
        elif isinstance(m, nn.Flatten):
            self.flatten(node, x, m.start_dim, m.end_dim)
        elif kind in ACTIVATIONS:
            self.activation(node, x, ACTIVATIONS[kind], m)
        elif isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d,
                            nn.AlphaDropout)):
            self.add(node, {"type": "dropout", "rate": float(m.p)}, [self.ref(x)])
        elif isinstance(m, nn.Identity):
            self.same(node, x)
        elif isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d)):
            if not m.track_running_stats:
                raise _Unsupported("batchnorm without running statistics counts differently "
                                   "from the spec's batchnorm")
            layer = {"type": "batchnorm"}
            if not m.affine:
                layer.update(scale=False, center=False)
            if m.eps != 1e-5:
                layer["eps"] = m.eps
            if m.momentum is not None and m.momentum != 0.1:
                layer["momentum"] = m.momentum
            self.add(node, layer, [self.ref(x)])
        elif isinstance(m, nn.LayerNorm):
            self.layernorm(node, x, tuple(m.normalized_shape), m.elementwise_affine,
                           m.bias is not None if m.elementwise_affine else False, m.eps)
        elif isinstance(m, (nn.ZeroPad1d, nn.ZeroPad2d, nn.ZeroPad3d, nn.ConstantPad1d,
                            nn.ConstantPad2d, nn.ConstantPad3d)):
            self.pad(node, x, list(m.padding), float(getattr(m, "value", 0.0)))
        elif isinstance(m, nn.Upsample):
            self.upsample(node, x, m.mode, m.scale_factor)
        else:
            raise _Unsupported(f"module {kind} has no spec equivalent")

    def function(self, node: Any) -> None:
        target = node.target
        name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
        args, kwargs = node.args, node.kwargs

        def arg(i: int, key: str, default: Any = None) -> Any:
            return args[i] if len(args) > i else kwargs.get(key, default)

        if name in ("size", "dim", "getattr"):
            return  # shape reads feed view/reshape, which use the traced shapes
        if name in ("contiguous", "clone", "detach", "float", "to", "type_as",
                    "stochastic_depth"):  # torchvision's stochastic depth is the identity in eval
            self.same(node, args[0])
        elif name in MERGES and name not in ("cat", "concat", "concatenate"):
            self.binary(node, "add" if "add" in name else "multiply", args[0], args[1])
        elif name == "cat" or name == "concat" or name == "concatenate":
            tensors = arg(0, "tensors")
            dim = arg(1, "dim", 0)
            if dim not in (1, -self.rank(tensors[0]) + 1) or tensors[0].name in self.last:
                raise _Unsupported("concatenation on an axis other than channels")
            self.merge(node, "concat", list(tensors))
        elif name == "getitem":
            self.getitem(node, args[0], args[1])
        elif name in ("flatten",):
            self.flatten(node, args[0], arg(1, "start_dim", 0), arg(2, "end_dim", -1))
        elif name in ("view", "reshape"):
            shape_in, shape_out = self.shapes[args[0].name], self.shapes[node.name]
            if len(shape_out) == 2 and shape_out[0] == shape_in[0]:
                self.flatten(node, args[0], 1, -1)
            elif shape_in == shape_out:
                self.same(node, args[0])
            else:
                raise _Unsupported(f"reshape from {list(shape_in)} to {list(shape_out)}")
        elif name in ("permute", "movedim", "moveaxis", "transpose"):
            self.permute(node, args[0])
        elif name in FUNCTIONS:
            self.activation(node, args[0], FUNCTIONS[name], None, node)
        elif name in ("dropout", "dropout1d", "dropout2d", "dropout3d"):
            self.add(node, {"type": "dropout", "rate": float(arg(1, "p", 0.5))},
                     [self.ref(args[0])])
        elif name in ("adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
                      "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d"):
            self.adaptive(node, args[0], "max" if "max" in name else "avg", arg(1, "output_size"))
        elif name in ("max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
                      "avg_pool3d"):
            is_max = name.startswith("max")
            self.pool(node, args[0], "max" if is_max else "avg", arg(1, "kernel_size"),
                      arg(2, "stride"), arg(3, "padding", 0),
                      arg(5 if is_max else 4, "ceil_mode", False),
                      True if is_max else arg(5, "count_include_pad", True))
        elif name in ("mean", "amax"):
            self.mean(node, args[0], arg(1, "dim"), arg(2, "keepdim", False),
                      "avg" if name == "mean" else "max")
        elif name in ("interpolate", "upsample"):
            self.upsample(node, args[0], arg(3, "mode", "nearest"), arg(2, "scale_factor"))
        elif name == "pad":
            if arg(2, "mode", "constant") != "constant":
                raise _Unsupported("padding other than with a constant")
            self.pad(node, args[0], list(arg(1, "pad")), float(arg(3, "value", 0.0) or 0.0))
        elif name == "layer_norm":
            weight, bias = arg(2, "weight"), arg(3, "bias")
            self.layernorm(node, args[0], tuple(arg(1, "normalized_shape")), weight is not None,
                           bias is not None, arg(4, "eps", 1e-5))
        elif name == "linear":
            weight = self.param(args[1])
            self.linear(node, args[0], int(weight.shape[0]), arg(2, "bias") is not None)
        else:
            raise _Unsupported(f"{node.op} {name} has no spec equivalent")

    # -- layer kinds -------------------------------------------------------------
    def param(self, arg: Any) -> Any:
        if getattr(arg, "op", None) != "get_attr":
            raise _Unsupported("reads a weight that is not a parameter of the module")
        value: Any = self.gm
        for part in str(arg.target).split("."):
            value = getattr(value, part)
        return value

    def pool(self, node: Any, x: Any, mode: str, kernel: Any, stride: Any, padding: Any,
             ceil_mode: bool, count_include_pad: bool) -> None:
        nd = self.rank(x) - 2
        layer: dict[str, Any] = {"type": "pool", "mode": mode, "kernel": _spatial(kernel, nd)}
        if stride is not None and stride != [] and _ints(stride, nd) != _ints(kernel, nd):
            layer["stride"] = _spatial(stride, nd)
        if padding == "same":
            layer["padding"] = "same"
        elif any(_ints(padding, nd)):
            layer["padding"] = _spatial(padding, nd)
            if mode == "avg" and not count_include_pad:
                self.notes.append(f"{self.label(node)} averages without the padded cells: "
                                  "shapes are exact; the reference pass counts them")
        if ceil_mode:
            layer["ceil_mode"] = True
        self.add(node, layer, [self.ref(x)])

    def adaptive(self, node: Any, x: Any, mode: str, output_size: Any) -> None:
        out = list(self.shapes[node.name][2:])
        self.add(node, {"type": "adaptive_pool", "mode": mode,
                        "output_size": _spatial(out, len(out))}, [self.ref(x)])

    def linear(self, node: Any, x: Any, units: int, bias: bool) -> None:
        if self.rank(x) > 2 and x.name not in self.last:
            raise _Unsupported("a Linear on a channels-first feature map acts on the width "
                               "axis, which the spec's dense (on channels) cannot mirror")
        layer: dict[str, Any] = {"type": "dense", "units": units}
        if not bias:
            layer["bias"] = False
        self.add(node, layer, [self.ref(x)])
        if x.name in self.last:
            self.last.add(node.name)

    def flatten(self, node: Any, x: Any, start: int, end: int) -> None:
        rank = self.rank(x)
        if start not in (1, 1 - rank) or end not in (-1, rank - 1):
            if rank == 2 and self.shapes[node.name] == self.shapes[x.name]:
                self.same(node, x)
                return
            raise _Unsupported(f"flatten from dim {start} to {end} (only all but the batch)")
        self.add(node, {"type": "flatten"}, [self.ref(x)])

    def activation(self, node: Any, x: Any, function: str, m: Any, call: Any = None) -> None:
        if function == "leaky_relu":
            slope = m.negative_slope if m is not None else (
                call.args[1] if len(call.args) > 1 else call.kwargs.get("negative_slope", 0.01))
            if slope != 0.01:
                raise _Unsupported(f"leaky_relu with slope {slope} (the spec's is 0.01)")
        if function == "elu":
            alpha = m.alpha if m is not None else call.kwargs.get("alpha", 1.0)
            if alpha != 1.0:
                raise _Unsupported(f"elu with alpha {alpha} (the spec's is 1)")
        if function == "softmax":
            dim = m.dim if m is not None else (
                call.args[1] if len(call.args) > 1 else call.kwargs.get("dim"))
            rank = self.rank(x)
            channel = rank - 1 if x.name in self.last else 1
            if dim is None or dim % rank != channel:
                raise _Unsupported("softmax over an axis other than channels")
        self.add(node, {"type": "activation", "function": function}, [self.ref(x)])
        if x.name in self.last:
            self.last.add(node.name)

    def binary(self, node: Any, mode: str, a: Any, b: Any) -> None:
        import torch.fx as fx

        weights = [_weight(v) for v in (a, b) if _weight(v) is not None]
        tensors = [v for v in (a, b) if isinstance(v, fx.Node) and _weight(v) is None]
        if len(tensors) == 2:
            if (a.name in self.last) != (b.name in self.last):
                raise _Unsupported("merges a channels-last tensor with a channels-first one")
            self.merge(node, mode, [a, b])
            return
        if mode == "multiply" and len(tensors) == 1 and len(weights) == 1:
            x, weight = tensors[0], self.param(weights[0])
            channels = self.shapes[x.name][-1 if x.name in self.last else 1]
            if weight.numel() == channels and max(weight.shape) == channels:
                self.add(node, {"type": "scale"}, [self.ref(x)])
                if x.name in self.last:
                    self.last.add(node.name)
                return
        raise _Unsupported(f"{mode} with a constant operand has no spec equivalent")

    def getitem(self, node: Any, x: Any, index: Any) -> None:
        """``x[:, :, None, None]`` (an axis for broadcasting) passes ``x`` on; a slice of the
        spatial axes is a crop, folded into the merge that reads it when it center-crops as
        a merge's ``crop`` does; other indexing has no spec equivalent."""
        if x.name not in self.shapes or _weight(x) is not None:
            return  # indexing a shape, a tuple or a weight: the reader handles it
        before, after = self.shapes[x.name], self.shapes.get(node.name)
        index = index if isinstance(index, tuple) else (index,)
        if after is not None and all(i is None or i == slice(None) for i in index) and \
                [v for v in after if v != 1] == [v for v in before if v != 1]:
            self.same(node, x)
            return
        if (after is None or len(after) != len(before) or x.name in self.last
                or not all(isinstance(i, slice) and i.step in (None, 1) for i in index)
                or any(i != slice(None) for i in index[:2])):
            raise _Unsupported("indexing other than a crop of the spatial axes")
        starts = []
        for axis, n in enumerate(before[2:], start=2):
            start = index[axis].start if axis < len(index) else None
            starts.append((start or 0) % n)
        sizes = list(after[2:])
        users = list(node.users)
        if len(users) == 1 and self._merge_name(users[0]) and all(
                start == (n - m) // 2
                for start, n, m in zip(starts, before[2:], sizes, strict=False)):
            self.same(node, x)
            self.cropped[node.name] = sizes
            return
        if any(start * 2 != n - m for start, n, m in zip(starts, before[2:], sizes, strict=False)):
            raise _Unsupported("an off-centre crop (the spec's crop takes as much off both ends)")
        self.add(node, {"type": "crop", "cropping": _spatial(starts, len(starts))},
                 [self.ref(x)])

    def _merge_name(self, node: Any) -> str | None:
        target = node.target
        name = target if isinstance(target, str) else getattr(target, "__name__", "")
        return name if name in MERGES else None

    def merge(self, node: Any, mode: str, tensors: list[Any]) -> None:
        if len(tensors) == 1:  # torch.cat of one tensor
            self.same(node, tensors[0])
            return
        layer: dict[str, Any] = {"type": "merge", "mode": mode}
        crops = [self.cropped[t.name] for t in tensors if t.name in self.cropped]
        if crops:
            smallest = [min(v) for v in
                        zip(*(self.shapes[t.name][2:] for t in tensors), strict=False)]
            if any(c != smallest for c in crops):
                raise _Unsupported("its inputs are cropped to a size other than the smallest "
                                   "input's (the spec's merge crop)")
            layer["crop"] = True
        self.add(node, layer, [self.ref(t) for t in tensors])
        if tensors[0].name in self.last:
            self.last.add(node.name)

    def permute(self, node: Any, x: Any) -> None:
        rank = self.rank(x)
        args = node.args[1:]
        name = node.target if isinstance(node.target, str) else node.target.__name__
        if name == "permute":
            dims = list(args[0]) if len(args) == 1 and not isinstance(args[0], int) else list(args)
        elif name in ("movedim", "moveaxis") and len(args) == 2 and all(
                isinstance(a, int) for a in args):
            dims = list(range(rank))
            dims.insert(args[1] % rank, dims.pop(args[0] % rank))
        else:
            dims = []
        dims = [d % rank for d in dims if isinstance(d, int)]
        to_last = [0, *range(2, rank), 1]
        to_first = [0, rank - 1, *range(1, rank - 1)]
        last = x.name in self.last
        if rank >= 3 and not last and dims == to_last:
            self.alias[node.name] = self.ref(x)
            self.last.add(node.name)
        elif rank >= 3 and last and dims == to_first:
            self.alias[node.name] = self.ref(x)
        else:
            raise _Unsupported("a permutation other than channels-first <-> channels-last")

    def layernorm(self, node: Any, x: Any, normalized: tuple[int, ...], affine: bool,
                  bias: bool, eps: float) -> None:
        channels = self.shapes[x.name][-1]
        if x.name not in self.last and self.rank(x) > 2:
            raise _Unsupported("LayerNorm over the last axis of a channels-first map "
                               "(the spec's layernorm normalises channels)")
        if normalized != (channels,) or not affine or not bias:
            raise _Unsupported("LayerNorm other than over channels with weight and bias")
        layer: dict[str, Any] = {"type": "layernorm"}
        if eps != 1e-6:
            layer["eps"] = eps
        self.add(node, layer, [self.ref(x)])
        self.last.add(node.name)

    def pad(self, node: Any, x: Any, pads: list[int], value: float = 0.0) -> None:
        nd = self.rank(x) - 2
        if len(pads) == 1:
            pads = pads * (2 * nd)
        pairs = [pads[i:i + 2] for i in range(0, len(pads), 2)]  # last dim first
        per_dim = [(p[0], p[1]) for p in reversed(pairs)] if len(pairs) == nd else []
        if per_dim and self._same_before(node, x, per_dim, value):
            self.same(node, x)
            self.same_padded.add(node.name)
            return
        if value != 0.0:
            raise _Unsupported(f"padding with {value} (the spec pads with zeros, or with -inf "
                               "as a max pooling's TensorFlow-style \"same\")")
        if not per_dim or any(a != b or a < 0 for a, b in per_dim):
            raise _Unsupported(f"padding {pads}: the spec's pad is symmetric on every "
                               "spatial dim")
        self.add(node, {"type": "pad", "padding": _spatial([a for a, _ in per_dim], nd)},
                 [self.ref(x)])

    def _same_before(self, node: Any, x: Any, pads: list[tuple[int, int]],
                     value: float) -> bool:
        """Whether this pad is TensorFlow's "same" for the one conv (zeros) or max pooling
        (-inf) that reads it, as PyTorch ports of TensorFlow models and cnnshape's own
        export write it: then that layer takes ``padding: "same"``."""
        from torch import nn

        users = list(node.users)
        if len(users) != 1 or users[0].op != "call_module":
            return False
        m = self.modules[users[0].target]
        nd = len(pads)
        convs = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
        pools = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d)
        if isinstance(m, convs) and value == 0.0 and not isinstance(m.padding, str):
            dilation = _ints(m.dilation, nd)
        elif isinstance(m, pools) and value == float("-inf") and not m.ceil_mode:
            dilation = _ints(m.dilation, nd)
        else:
            return False
        if any(_ints(m.padding, nd)):
            return False
        kernel, stride = _ints(m.kernel_size, nd), _ints(m.stride or m.kernel_size, nd)
        sizes = self.shapes[x.name][2:]
        wanted = [same_pads(n, effective(k, d), s)
                  for n, k, s, d in zip(sizes, kernel, stride, dilation, strict=False)]
        return wanted == pads

    def upsample(self, node: Any, x: Any, mode: str, scale: Any) -> None:
        nd = self.rank(x) - 2
        before, after = self.shapes[x.name][2:], self.shapes[node.name][2:]
        factors = [a // b for a, b in zip(after, before, strict=False)]
        # integer factors: "nearest-exact" picks the same source cells as "nearest"
        if mode not in ("nearest", "nearest-exact") or any(
                a != b * f for a, b, f in zip(after, before, factors, strict=False)):
            raise _Unsupported(f"{mode} resizing by {scale}: only nearest by whole factors")
        self.add(node, {"type": "upsample", "scale": _spatial(factors, nd)}, [self.ref(x)])

    def mean(self, node: Any, x: Any, dims: Any, keepdim: bool, mode: str) -> None:
        rank = self.rank(x)
        spatial = set(range(1, rank - 1)) if x.name in self.last else set(range(2, rank))
        dims = {d % rank for d in ([dims] if isinstance(dims, int) else dims or [])}
        if dims != spatial:
            raise _Unsupported("a mean over axes other than all spatial ones")
        self.add(node, {"type": "global_pool", "mode": mode}, [self.ref(x)])
        if not keepdim:
            flat = f"{self.label(node)}.flatten"
            self.nodes.append(Node(flat, {"type": "flatten"}, [self.alias[node.name]]))
            self.alias[node.name] = flat


def _weight(value: Any) -> Any:
    """The parameter node behind ``gamma`` or ``gamma[:, None, None]``, else None."""
    while getattr(value, "op", None) in ("call_function", "call_method"):
        target = value.target
        name = target if isinstance(target, str) else getattr(target, "__name__", "")
        if name not in ("getitem", "view", "reshape", "unsqueeze"):
            return None
        value = value.args[0]
    return value if getattr(value, "op", None) == "get_attr" else None


def _trace(module: Any) -> Any:
    import torch.fx as fx

    try:
        return fx.symbolic_trace(module)
    except Exception as exc:  # torch says why (data-dependent control flow, ...)
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError([f"{SOURCE}: torch.fx cannot trace this module: {reason}"]) from None


def _shapes(gm: Any, example: Any) -> dict[str, tuple[int, ...]]:
    """Every fx node's output shape, as torch computes it (meta device: no arithmetic)."""
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        ShapeProp(gm).propagate(example)
    except Exception as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError([f"{SOURCE}: the module does not run on input "
                         f"{list(example.shape)}: {text}"]) from None
    out: dict[str, tuple[int, ...]] = {}
    for node in gm.graph.nodes:
        meta_value = node.meta.get("tensor_meta")
        if meta_value is not None and hasattr(meta_value, "shape"):
            out[node.name] = tuple(int(v) for v in meta_value.shape)
    return out


def _channels_last(shape: Sequence[int], last: bool) -> list[int]:
    rest = list(shape[1:])
    return rest if last or len(rest) == 1 else [*rest[1:], rest[0]]


def from_torch(module: Any, input_shape: Sequence[int], *,
               name: str | None = None) -> dict[str, Any]:
    """A spec computing what ``module`` computes on ``input_shape``.

    ``input_shape`` is in PyTorch's order with the batch, as ``torch.randn`` takes it:
    ``(1, 3, 224, 224)``. The spec's input is channels-last, ``[224, 224, 3]``.
    """
    import torch

    shape = tuple(int(v) for v in input_shape)
    if len(shape) < 3 or len(shape) > 5 or min(shape) < 1:
        raise SpecError([f"{SOURCE}: input_shape {list(shape)}: expected (N, C, L), "
                         "(N, C, H, W) or (N, C, D, H, W)"])
    _check_rank(module, shape)
    was_training = module.training
    module.eval()
    try:
        gm = _trace(module)
        example = torch.zeros(shape)
        with torch.no_grad():
            shapes = _shapes(gm, example)
        translator = _Translator(gm, shapes)
        placeholders = [n for n in gm.graph.nodes if n.op == "placeholder"]
        if len(placeholders) != 1:
            raise SpecError([f"{SOURCE}: the module takes {len(placeholders)} inputs; "
                             "a spec has one"])
        outputs = [n for n in gm.graph.nodes if n.op == "output"]
        result = outputs[0].args[0]
        import torch.fx as fx

        if not isinstance(result, fx.Node):
            raise SpecError([f"{SOURCE}: the module returns {type(result).__name__}; "
                             "a spec has one output tensor"])
        for node in gm.graph.nodes:
            if node.op in ("placeholder", "output"):
                continue
            try:
                translator.translate(node)
            except _Unsupported as exc:
                what = node.target if node.op == "call_module" else node.name
                raise SpecError([f"{SOURCE}: node {what} ({_op_text(node, translator)}): "
                                 f"{exc}"]) from None
        final = translator.ref(result)
        nodes = _upto(translator.nodes, final)
        description = "Imported from PyTorch by cnnshape (torch.fx)."
        if translator.notes:
            description += " Note: " + "; ".join(translator.notes) + "."
        spec = build_spec(nodes, placeholders[0].name,
                          _channels_last(shape, False),
                          name=name or type(module).__name__, description=description,
                          source=SOURCE)
        _check(spec, translator, gm)
        return spec
    finally:
        module.train(was_training)


def _check_rank(module: Any, shape: tuple[int, ...]) -> None:
    """torch runs a Conv2d on (C, H, W) as one unbatched sample: (3, 224, 224) would be read
    here as a batch of 3 one-dimensional signals. The first conv says how many axes it wants."""
    from torch import nn

    for sub in module.modules():
        if isinstance(sub, (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.ConvTranspose1d,
                            nn.ConvTranspose2d, nn.ConvTranspose3d)):
            wanted = len(sub.kernel_size) + 2
            if len(shape) != wanted:
                example = (1, sub.in_channels, *([224] * (wanted - 2)))
                raise SpecError([f"{SOURCE}: input_shape {tuple(shape)}: its first convolution "
                                 f"({type(sub).__name__}) wants {wanted} axes with the batch "
                                 f"first, e.g. {example}"])
            return


def _op_text(node: Any, translator: _Translator) -> str:
    if node.op == "call_module":
        return type(translator.modules[node.target]).__name__
    target = node.target
    return target if isinstance(target, str) else getattr(target, "__name__", str(target))


def _upto(nodes: list[Node], final: str) -> list[Node]:
    """The nodes in an order that ends with the output: layers computed after it that it
    does not feed are computed (and counted) before it; what reads the output is not."""
    names = [node.name for node in nodes]
    if final not in names:
        raise SpecError([f"{SOURCE}: the module returns its input unchanged"])
    cut = names.index(final)
    fed = {final}
    later: list[Node] = []
    for node in nodes[cut + 1:]:
        if fed.intersection(node.inputs):
            fed.add(node.name)
        else:
            later.append(node)
    return [*nodes[:cut], *later, nodes[cut]]


def _check(spec: dict[str, Any], translator: _Translator, gm: Any) -> None:
    """Every layer's calculated shape equals the one torch computed for its node."""
    from cnnshape.engine.analysis import analyze

    report = analyze(spec, receptive=False)
    rows = {row.name: row for row in report.rows}
    for node in gm.graph.nodes:
        held = translator.alias.get(node.name)
        row = rows.get(held) if held else None
        if row is None or row.composite or node.name not in translator.shapes:
            continue
        if held != translator.label(node):
            continue  # an alias (identity, permute) of another layer's value
        torch_shape = _channels_last(translator.shapes[node.name], node.name in translator.last)
        if list(row.output_shape) != torch_shape:
            raise SpecError([f"{SOURCE}: node {translator.label(node)}: torch computes "
                             f"{torch_shape} (channels-last) but the spec gives "
                             f"{list(row.output_shape)}; this module cannot be mirrored exactly"])

