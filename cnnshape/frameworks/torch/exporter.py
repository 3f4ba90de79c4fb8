"""Export a spec as PyTorch code: a readable module a person could have written.

The text is the product: ``torch_source`` writes one ``nn.Module`` subclass whose
``forward`` is straight-line, one statement per layer, each variable named after its
layer; ``to_torch`` executes exactly that text, so the file and the in-memory module
cannot disagree. Every tensor in the generated code is in PyTorch's order
(N, C, spatial...); the spec's channels-last rules (flatten order, dense and layernorm
on the channel axis, NumPy broadcasting of merges) are written out where they differ.
Input sizes are known, so TensorFlow's input-dependent "same" padding becomes fixed
numbers: symmetric ``padding=`` when it is, an explicit ``F.pad`` before otherwise.

torch is imported only by ``to_torch``: writing the text needs no framework.
"""

from __future__ import annotations

import hashlib
import keyword
import linecache
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cnnshape.core import window
from cnnshape.core.errors import SpecError
from cnnshape.core.fields import Shape, per_dim
from cnnshape.frameworks.common.emit import Backend, Unsupported, Value, emit, identifier, writer
from cnnshape.layers import LayerBase
from cnnshape.layers.activation import Activation, Dropout
from cnnshape.layers.conv import Conv, ConvTranspose, resolve_pads
from cnnshape.layers.dense import Dense, Flatten
from cnnshape.layers.merge import Crop, Merge
from cnnshape.layers.norm import BatchNorm, LayerNorm, Scale
from cnnshape.layers.pool import AdaptivePool, GlobalPool, Pool
from cnnshape.layers.resize import Pad, Upsample
from cnnshape.spec.loader import Source, load

FUNCTIONAL = {
    "relu": "F.relu({})", "relu6": "F.relu6({})", "leaky_relu": "F.leaky_relu({}, 0.01)",
    "elu": "F.elu({})", "gelu": "F.gelu({})", "silu": "F.silu({})",
    "sigmoid": "torch.sigmoid({})", "hardsigmoid": "F.hardsigmoid({})",
    "hardswish": "F.hardswish({})", "tanh": "torch.tanh({})",
    "softmax": "torch.softmax({}, dim=1)",
}
"""A fused activation wrapped around an expression. torch's defaults are cnnshape's
definitions: gelu's erf form, hardsigmoid x/6 + 1/2 clipped; softmax runs over dim 1,
the channel axis of every tensor here."""

MODULES = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "leaky_relu": "nn.LeakyReLU(0.01)",
    "elu": "nn.ELU()", "gelu": "nn.GELU()", "silu": "nn.SiLU()", "sigmoid": "nn.Sigmoid()",
    "hardsigmoid": "nn.Hardsigmoid()", "hardswish": "nn.Hardswish()", "tanh": "nn.Tanh()",
    "softmax": "nn.Softmax(dim=1)",
}
"""A standalone activation layer is a submodule, so printing the network shows it."""

RESERVED = frozenset("""
    T_destination add_module apply bfloat16 buffers call_super_init children compile cpu cuda
    double dump_patches eval extra_repr float forward get_buffer get_extra_state get_parameter
    get_submodule half ipu load_state_dict modules mtia named_buffers named_children
    named_modules named_parameters parameters register_backward_hook register_buffer
    register_forward_hook register_forward_pre_hook register_full_backward_hook
    register_full_backward_pre_hook register_load_state_dict_post_hook
    register_load_state_dict_pre_hook register_module register_parameter
    register_state_dict_post_hook register_state_dict_pre_hook requires_grad_
    set_extra_state set_submodule share_memory state_dict to to_empty train training type xpu
    zero_grad _apply _backward_hooks _backward_pre_hooks _buffers _call_impl
    _compiled_call_impl _forward_hooks _forward_hooks_always_called
    _forward_hooks_with_kwargs _forward_pre_hooks _forward_pre_hooks_with_kwargs
    _get_backward_hooks _get_backward_pre_hooks _get_name _is_full_backward_hook
    _load_from_state_dict _load_state_dict_post_hooks _load_state_dict_pre_hooks
    _maybe_warn_non_full_backward_hook _modules _named_members _non_persistent_buffers_set
    _parameters _register_load_state_dict_pre_hook _register_state_dict_hook
    _replicate_for_data_parallel _save_to_state_dict _slow_forward _state_dict_hooks
    _state_dict_pre_hooks _version _wrapped_call_impl
    """.split())
"""Names an attribute of an nn.Module must not take (its methods and state: a layer named
"forward" or "training" would break the module). The tests check this covers torch's."""

DEFAULT_CLASS = "Net"


@dataclass
class TorchCode:
    """The generated module's text, its class name, and where each layer's output lives."""

    source: str
    class_name: str
    variables: dict[str, str] = field(default_factory=dict)
    """Layer name as the report shows it (repeat suffixes included) -> forward variable,
    which is also the submodule's attribute for layers that have one."""


def torch_source(spec: Source, class_name: str | None = None) -> str:
    """A runnable Python module defining the network as one ``nn.Module`` subclass."""
    return torch_code(spec, class_name).source


def to_torch(spec: Source, class_name: str | None = None) -> Any:
    """The network as a ``torch.nn.Module`` in eval mode, built by executing exactly
    the text ``torch_source`` returns (one code path for the file and the module)."""
    try:
        import torch  # noqa: F401  (the generated text imports it; fail here with a clear line)
    except ImportError as exc:
        raise ImportError("to_torch needs PyTorch: pip install torch") from exc
    code = torch_code(spec, class_name)
    digest = hashlib.sha256(code.source.encode()).hexdigest()[:12]
    filename = f"<cnnshape export {code.class_name} {digest}>"
    # Registered so tracebacks, inspect.getsource(net.forward) and torch.jit.script see the
    # generated lines; named by content, so exporting the same network reuses the entry.
    linecache.cache[filename] = (len(code.source), None, code.source.splitlines(True), filename)
    namespace: dict[str, Any] = {"__name__": "cnnshape_export"}
    exec(compile(code.source, filename, "exec"), namespace)
    return namespace[code.class_name]().eval()


def torch_code(spec: Source, class_name: str | None = None) -> TorchCode:
    """Walk the spec into a TorchBackend and assemble the module's text."""
    network = load(spec)
    backend = TorchBackend()
    report, end = emit(network, backend)
    name = class_name if class_name is not None else class_name_for(network.name)
    if not name.isidentifier() or keyword.iskeyword(name) or name in ("torch", "nn", "F"):
        raise SpecError([f"{network.source}: class name {name!r} is not a usable Python "
                         "identifier"])
    lines = _header(network.source, network.name, network.description, tuple(network.input),
                    end.shape, report.totals.params, report.totals.non_trainable_params,
                    report.totals.macs)
    lines += ["import torch", "import torch.nn.functional as F", "from torch import nn", "", "",
              f"class {name}(nn.Module):",
              f"    {_docstring(network.name or 'A network')}", "",
              "    def __init__(self) -> None:", "        super().__init__()"]
    lines += [f"        {line}" for line in backend.code.init]
    lines += ["", "    def forward(self, x: torch.Tensor) -> torch.Tensor:"]
    lines += [f"        {line}" for line in backend.code.forward]
    lines.append(f"        return {end.var}")
    return TorchCode("\n".join(lines) + "\n", name, backend.variables)


def class_name_for(title: str | None) -> str:
    """"ResNet-50 (torchvision)" -> "ResNet50Torchvision"; "Net" when nothing is left."""
    words = re.findall(r"[A-Za-z0-9]+", title or "")
    name = "".join(w[0].upper() + w[1:] for w in words)
    if not name or name[0].isdigit():
        name = DEFAULT_CLASS + name
    return DEFAULT_CLASS if name == "F" else name  # "F" is torch.nn.functional here


# ---------------------------------------------------------------- text helpers

def torch_shape(shape: Shape) -> str:
    """A channels-last shape in PyTorch's order with the batch axis: (N, C, H, W)."""
    return "(" + ", ".join(["N", str(shape[-1]), *map(str, shape[:-1])]) + ")"


def _one_line(text: str) -> str:
    """Text safe inside a comment: control characters escaped, nothing ends the line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _docstring(text: str) -> str:
    text = _one_line(text)
    if '"' in text or "\\" in text:
        return repr(text)
    return f'"""{text}"""'


def _header(source: str, name: str | None, description: str | None, input_shape: Shape,
            output_shape: Shape, params: int, frozen: int, macs: int) -> list[str]:
    axes = {1: "(N, C)", 2: "(N, C, L)", 3: "(N, C, H, W)", 4: "(N, C, D, H, W)"}
    lines = [f"# Generated by cnnshape from {_one_line(source)}"
             + (f": {_one_line(name)}" if name else "") + "."]
    if description:
        lines += ["#", *_wrap(_one_line(description), "# "), "#"]
    lines += _wrap(f"Input {torch_shape(input_shape)} in PyTorch's order "
                   f"{axes[len(input_shape)]}; the spec's {list(input_shape)} is channels-last. "
                   f"Output {torch_shape(output_shape)}.", "# ")
    lines += _wrap(f"As cnnshape counts them: {params:,} trainable parameters, {frozen:,} "
                   f"non-trainable (batchnorm running statistics), {macs:,} "
                   "multiply-accumulates (MACs) per sample.", "# ")
    lines.append("")
    return lines


def _wrap(text: str, prefix: str, width: int = 96) -> list[str]:
    import textwrap

    return [prefix + line for line in textwrap.wrap(text, width - len(prefix))] or [prefix]


def _ints(values: Sequence[int]) -> str:
    """An int when every dim agrees, else a tuple: torch takes both."""
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def _call(function: str, *args: Any, **keywords: Any) -> str:
    """``function(args, key=value)``, leaving out keywords that are None."""
    parts = [str(a) for a in args] + [f"{k}={v}" for k, v in keywords.items() if v is not None]
    return f"{function}({', '.join(parts)})"


def _pad_arg(pads: Sequence[tuple[int, int]]) -> str:
    """F.pad's argument: (before, after) pairs from the last dim to the first."""
    flat = [str(p) for before_after in reversed(pads) for p in before_after]
    return "(" + ", ".join(flat) + ")"


def _symmetric(pads: Sequence[tuple[int, int]]) -> bool:
    return all(before == after for before, after in pads)


def _channels_last(expression: str, shape: Shape, inner: str) -> str:
    """Apply ``inner`` ("{}" for the tensor) on the channel axis: torch's Linear and
    LayerNorm act on the last axis, so move channels there and back."""
    if len(shape) == 1:
        return inner.format(expression)
    return inner.format(f"{expression}.movedim(1, -1)") + ".movedim(-1, 1)"


def _with(activation: str | None, expression: str) -> str:
    return FUNCTIONAL[activation].format(expression) if activation else expression


def _nd(x: Value) -> int:
    return len(x.shape) - 1


# ---------------------------------------------------------------- the backend

class TorchBackend(Backend):
    """One ``emit_<kind>`` per layer kind: a constructor line (if the layer is a
    submodule or parameter) and one forward statement."""

    framework = "pytorch"

    def __init__(self) -> None:
        super().__init__()
        self.taken |= RESERVED
        self.variables: dict[str, str] = {}
        self._name = ""

    def layer(self, layer: LayerBase, name: str, x: Any, out: Shape) -> Value:
        # A leading "__" would be name-mangled inside the class: keep attributes as named.
        self._name = name
        method = writer(self, layer, "pytorch", WRITERS, UNSUPPORTED)
        ident = identifier("layer" + name if name.startswith("__") else name, self.taken)
        value: Value = method(layer, ident, x, out)
        self.variables[name] = value.var
        return value

    def _module(self, ident: str, constructor: str, note: str = "") -> None:
        self.code.init.append(f"self.{ident} = {constructor}" + (f"  # {note}" if note else ""))

    def _assign(self, ident: str, expression: str, out: Shape, name: str | None = None) -> Value:
        """One forward statement; the comment gives the shape (and the spec's name when
        the identifier had to differ from it)."""
        name = self._name if name is None else name
        label = f"{_one_line(name)}: " if name and name != ident else ""
        self.code.forward.append(f"{ident} = {expression}  # {label}{torch_shape(out)}")
        return Value(ident, out)

    # -------------------------------------------------------- convolutions

    def emit_conv(self, layer: Conv, ident: str, x: Value, out: Shape) -> Value:
        nd, cin = _nd(x), x.shape[-1]
        kernel = per_dim(layer.kernel, nd, "kernel")
        stride = per_dim(layer.stride, nd, "stride")
        dilation = per_dim(layer.dilation, nd, "dilation")
        effective = tuple(map(window.effective, kernel, dilation))
        pads = resolve_pads(layer.padding, x.shape[:-1], effective, stride)
        symmetric = _symmetric(pads)
        padding = [p for p, _ in pads] if symmetric else [0]
        self._module(ident, _call(
            f"nn.Conv{nd}d", cin, layer.filters, kernel_size=_ints(kernel),
            stride=_ints(stride) if any(s != 1 for s in stride) else None,
            padding=_ints(padding) if any(padding) else None,
            dilation=_ints(dilation) if any(d != 1 for d in dilation) else None,
            groups=layer.groups if layer.groups != 1 else None,
            bias=None if layer.bias else False),
            "" if symmetric else 'uneven "same" padding: F.pad in forward')
        read = x.var if symmetric else f"F.pad({x.var}, {_pad_arg(pads)})"
        return self._assign(ident, _with(layer.activation, f"self.{ident}({read})"), out)

    def emit_conv_transpose(self, layer: ConvTranspose, ident: str, x: Value, out: Shape) -> Value:
        """cnnshape crops (before, after) off the scattered canvas and appends
        output_padding; torch crops ``padding`` off both ends and appends its own
        output_padding. Equal when padding = before and torch's output_padding =
        output_padding - after + before; a negative remainder is cut off the end."""
        nd, cin = _nd(x), x.shape[-1]
        kernel = per_dim(layer.kernel, nd, "kernel")
        stride = per_dim(layer.stride, nd, "stride")
        dilation = per_dim(layer.dilation, nd, "dilation")
        crops, extra = layer.crops(nd, kernel, stride, dilation)
        padding, output_padding, trim = [], [], []
        for (before, after), op, s, d in zip(crops, extra, stride, dilation, strict=False):
            wanted = op - after + before
            if not window.output_padding_ok(max(wanted, 0), s, d):
                raise Unsupported(f"export to pytorch: output_padding {wanted} would be needed, "
                                  f"but torch requires less than stride {s} or dilation {d}")
            padding.append(before)
            output_padding.append(max(wanted, 0))
            trim.append(max(-wanted, 0))
        self._module(ident, _call(
            f"nn.ConvTranspose{nd}d", cin, layer.filters, kernel_size=_ints(kernel),
            stride=_ints(stride) if any(s != 1 for s in stride) else None,
            padding=_ints(padding) if any(padding) else None,
            output_padding=_ints(output_padding) if any(output_padding) else None,
            groups=layer.groups if layer.groups != 1 else None,
            bias=None if layer.bias else False,
            dilation=_ints(dilation) if any(d != 1 for d in dilation) else None),
            "forward trims the end to cnnshape's size" if any(trim) else "")
        expression = f"self.{ident}({x.var})"
        if any(trim):
            expression += "[:, :, " + ", ".join(f":{-t}" if t else ":" for t in trim) + "]"
        return self._assign(ident, _with(layer.activation, expression), out)

    # -------------------------------------------------------- pooling

    def emit_pool(self, layer: Pool, ident: str, x: Value, out: Shape) -> Value:
        """Numeric padding is torch's (avg counts the padded cells); "same" is
        TensorFlow's (max ignores the padding, avg leaves it out of the divisor)."""
        nd = _nd(x)
        kernel, stride, pads = layer.geometry(x.shape[:-1])
        if layer.mode == "avg" and nd == 3 and any(
                n < k for n, k in zip(x.shape[:-1], kernel, strict=False)):
            raise Unsupported("export to pytorch: torch's AvgPool3d refuses an input smaller "
                              f"than its kernel {list(kernel)}, padded or not "
                              f"(input {list(x.shape[:-1])})")
        symmetric = _symmetric(pads)
        padding = [p for p, _ in pads] if symmetric else [0]
        tf_same = layer.padding == "same"
        cls = f"nn.{'Max' if layer.mode == 'max' else 'Avg'}Pool{nd}d"
        self._module(ident, _call(
            cls, _ints(kernel), stride=_ints(stride) if stride != kernel else None,
            padding=_ints(padding) if any(padding) else None,
            ceil_mode=True if layer.ceil_mode else None,
            count_include_pad=False if layer.mode == "avg" and tf_same and any(padding) else None),
            "" if symmetric else 'uneven "same" padding: F.pad in forward')
        if symmetric:
            expression = f"self.{ident}({x.var})"
        elif layer.mode == "max":
            expression = f"self.{ident}(F.pad({x.var}, {_pad_arg(pads)}, value=float('-inf')))"
        else:
            # The mean of the real cells: the zero-padded window sum over the count of
            # real cells, both as averages over the same window (the kernel size cancels).
            arg = _pad_arg(pads)
            expression = (f"self.{ident}(F.pad({x.var}, {arg})) / "
                          f"self.{ident}(F.pad(torch.ones_like({x.var}[:, :1]), {arg}))")
        return self._assign(ident, expression, out)

    def emit_global_pool(self, layer: GlobalPool, ident: str, x: Value, out: Shape) -> Value:
        """A mean (or max) over the spatial axes, so an adaptive_pool to 1 in the spec stays
        distinguishable (nn.AdaptiveAvgPool) when the module is read back."""
        axes = tuple(range(2, 2 + _nd(x)))
        reduce = "mean" if layer.mode == "avg" else "amax"
        return self._assign(ident, f"{x.var}.{reduce}({axes}, keepdim=True)", out)

    def emit_adaptive_pool(self, layer: AdaptivePool, ident: str, x: Value, out: Shape) -> Value:
        """torch's windows are cnnshape's: [floor(i*n/o), ceil((i+1)*n/o))."""
        nd = _nd(x)
        size = per_dim(layer.output_size, nd, "output_size")
        kind = "Max" if layer.mode == "max" else "Avg"
        self._module(ident, f"nn.Adaptive{kind}Pool{nd}d({_ints(size)})")
        return self._assign(ident, f"self.{ident}({x.var})", out)

    # -------------------------------------------------------- reshaping and dense

    def emit_flatten(self, layer: Flatten, ident: str, x: Value, out: Shape) -> Value:
        """Channels-last order, as the spec's (and Keras's) flatten: the dense weights
        after it then read the values in the spec's order."""
        if all(n == 1 for n in x.shape[:-1]):
            return self._assign(ident, f"torch.flatten({x.var}, 1)", out)
        return self._assign(ident, f"torch.flatten({x.var}.movedim(1, -1), 1)", out)

    def emit_dense(self, layer: Dense, ident: str, x: Value, out: Shape) -> Value:
        self._module(ident, _call("nn.Linear", x.shape[-1], layer.units,
                                  bias=None if layer.bias else False))
        expression = _channels_last(x.var, x.shape, f"self.{ident}({{}})")
        return self._assign(ident, _with(layer.activation, expression), out)

    def emit_pad(self, layer: Pad, ident: str, x: Value, out: Shape) -> Value:
        pads = per_dim(layer.padding, _nd(x), "padding")
        return self._assign(ident, f"F.pad({x.var}, {_pad_arg([(p, p) for p in pads])})", out)

    def emit_crop(self, layer: Crop, ident: str, x: Value, out: Shape) -> Value:
        cuts = per_dim(layer.cropping, _nd(x), "cropping")
        starts = dict(zip(range(len(cuts)), cuts, strict=False))
        return self._assign(ident, _slice(x, starts, out[:-1]), out)

    def emit_upsample(self, layer: Upsample, ident: str, x: Value, out: Shape) -> Value:
        scale = per_dim(layer.scale, _nd(x), "scale")
        # "nearest-exact" at an integer scale repeats each value `scale` times, exactly;
        # "nearest" computes the source index in floating point and is off by one for
        # some scales (41, 47, ...).
        self._module(ident, f'nn.Upsample(scale_factor={_ints(scale)}, mode="nearest-exact")')
        return self._assign(ident, f"self.{ident}({x.var})", out)

    # -------------------------------------------------------- element-wise

    def emit_activation(self, layer: Activation, ident: str, x: Value, out: Shape) -> Value:
        self._module(ident, MODULES[layer.function])
        return self._assign(ident, f"self.{ident}({x.var})", out)

    def emit_declared(self, layer: LayerBase, ident: str, x: Value, out: Shape) -> Value:
        """A kind that declares its torch module itself (``LayerBase.exports``)."""
        self._module(ident, layer.export_call("pytorch") or "")
        return self._assign(ident, f"self.{ident}({x.var})", out)

    def emit_dropout(self, layer: Dropout, ident: str, x: Value, out: Shape) -> Value:
        self._module(ident, f"nn.Dropout(p={layer.rate!r})")
        return self._assign(ident, f"self.{ident}({x.var})", out)

    def emit_batchnorm(self, layer: BatchNorm, ident: str, x: Value, out: Shape) -> Value:
        """The spec's momentum is torch's convention (weight of the new batch)."""
        if layer.scale != layer.center:
            raise Unsupported("export to pytorch: torch's BatchNorm learns both the scale and "
                              "the offset or neither (affine); this one learns only the "
                              + ("scale" if layer.scale else "offset (center)"))
        self._module(ident, _call(f"nn.BatchNorm{max(_nd(x), 1)}d", x.shape[-1],
                                  eps=repr(layer.eps) if layer.eps != 1e-5 else None,
                                  momentum=repr(layer.momentum) if layer.momentum != 0.1 else None,
                                  affine=None if layer.scale else False))
        return self._assign(ident, f"self.{ident}({x.var})", out)

    def emit_layernorm(self, layer: LayerNorm, ident: str, x: Value, out: Shape) -> Value:
        self._module(ident, _call("nn.LayerNorm", x.shape[-1],
                                  eps=repr(layer.eps) if layer.eps != 1e-5 else None))
        return self._assign(ident, _channels_last(x.var, x.shape, f"self.{ident}({{}})"), out)

    def emit_scale(self, layer: Scale, ident: str, x: Value, out: Shape) -> Value:
        self._module(ident, f"nn.Parameter(torch.ones({x.shape[-1]}))",
                     "a learnable multiplier per channel")
        gamma = f"self.{ident}" + ("[:" + ", None" * _nd(x) + "]" if _nd(x) else "")
        return self._assign(ident, f"{x.var} * {gamma}", out)

    # -------------------------------------------------------- merges

    def emit_merge(self, layer: Merge, ident: str, x: list[Value], out: Shape) -> Value:
        values = x
        if layer.crop:
            target = tuple(min(sizes)
                           for sizes in zip(*(v.shape[:-1] for v in values), strict=False))
            values = [_cropped(v, target) for v in values]
        if layer.mode == "concat":
            return self._assign(ident, _cat([v.var for v in values]), out)
        operator = " + " if layer.mode == "add" else " * "
        return self._assign(ident, operator.join(_broadcast(v, len(out)) for v in values), out)

    def add(self, values: list[Value], ident: str) -> Value:
        return self._assign(ident, " + ".join(v.var for v in values), values[0].shape, "")

    def concat(self, values: list[Value], ident: str) -> Value:
        shape = (*values[0].shape[:-1], sum(v.shape[-1] for v in values))
        return self._assign(ident, _cat([v.var for v in values]), shape, "")

    def activate(self, function: str, value: Value, ident: str) -> Value:
        return self._assign(ident, FUNCTIONAL[function].format(value.var), value.shape, "")


WRITERS: dict[str, str] = {
    "conv": "emit_conv", "conv_transpose": "emit_conv_transpose",
    "pool": "emit_pool", "global_pool": "emit_global_pool",
    "adaptive_pool": "emit_adaptive_pool", "flatten": "emit_flatten",
    "dense": "emit_dense", "pad": "emit_pad",
    "crop": "emit_crop", "upsample": "emit_upsample",
    "activation": "emit_activation",
    "dropout": "emit_dropout", "batchnorm": "emit_batchnorm",
    "layernorm": "emit_layernorm",
    "scale": "emit_scale", "merge": "emit_merge",
}
"""Leaf kind -> the name of the backend method writing it (a name, so a subclass can
replace one). Composites need none: the shared Emitter walks them
and calls the backend's add/concat/activate. tests/test_registry.py checks that every
registered kind is here or in UNSUPPORTED."""

UNSUPPORTED: dict[str, str] = {}
"""Leaf kind -> the one-line reason it cannot be exported to PyTorch (none today)."""


def _slice(x: Value, starts: dict[int, int], sizes: Sequence[int]) -> str:
    """Static slices of the spatial dims: ``x[:, :, 4:14, 4:14]``, ``:`` where unchanged."""
    parts = [":", ":"]
    for dim, (n, size) in enumerate(zip(x.shape[:-1], sizes, strict=False)):
        start = starts.get(dim, 0)
        parts.append(":" if (start, size) == (0, n) else f"{start}:{start + size}")
    return f"{x.var}[{', '.join(parts)}]"


def _cropped(x: Value, target: Sequence[int]) -> Value:
    """The merge's center crop, offset (n - t) // 2 as cnnshape's merge takes it."""
    if tuple(x.shape[:-1]) == tuple(target):
        return x
    starts = {d: (n - t) // 2 for d, (n, t) in enumerate(zip(x.shape[:-1], target, strict=False))}
    return Value(_slice(x, starts, target), (*target, x.shape[-1]))


def _cat(expressions: Sequence[str]) -> str:
    return f"torch.cat([{', '.join(expressions)}], dim=1)"


def _broadcast(x: Value, rank: int) -> str:
    """NumPy aligns channels-last shapes from the right; in torch's order the missing
    leading axes of a lower-rank input sit right after N and C: (N, C) -> (N, C, 1, 1)."""
    missing = rank - len(x.shape)
    return f"{x.var}[:, :{', None' * missing}]" if missing > 0 else x.var
