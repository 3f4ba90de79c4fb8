"""Export a spec as a Keras 3 functional model: the text of a module, and the model itself.

Keras is channels-last like cnnshape, so shapes map one to one and every spec layer
becomes one Keras layer of the same name. Where Keras has no argument for cnnshape's
rule (numeric padding, PyTorch's ceil mode, a transposed convolution's PyTorch-style
cropping) a small helper layer named after the spec layer (``<name>_pad``,
``<name>_crop``, ...) pads or crops exactly; what no exact construct covers stops the
export with one line naming the layer. ``to_keras`` runs the very text ``keras_source``
returns, so the file a user saves and the model a test checks cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cnnshape.core import window
from cnnshape.core.fields import Shape, per_dim
from cnnshape.frameworks.common.emit import (
    Backend,
    Unsupported,
    Value,
    emit,
    identifier,
    writer,
)
from cnnshape.layers import LayerBase
from cnnshape.layers.conv import DIM_NAMES
from cnnshape.spec.loader import Network, Source, load

Pads = list[tuple[int, int]]

KERAS_ACTIVATIONS = {
    "relu": "relu", "relu6": "relu6", "elu": "elu", "gelu": "gelu", "silu": "silu",
    "sigmoid": "sigmoid", "hardsigmoid": "hard_sigmoid", "hardswish": "hard_swish",
    "tanh": "tanh", "softmax": "softmax",
}
"""cnnshape's functions whose Keras string means the same function: Keras's gelu is
the erf form by default, hard_sigmoid is relu6(x + 3) / 6 and softmax takes the last
axis. leaky_relu is missing on purpose: Keras's default slope is 0.2, cnnshape's 0.01."""

LEAKY_SLOPE = 0.01

MINUS_INF_PADDING = '''

class MinusInfPadding(layers.Layer):
    """Pads the spatial axes with -inf, so the max pooling after it ignores the padding
    (PyTorch's padded max pooling; zero padding would let 0 beat negative values)."""

    def __init__(self, padding, **kwargs):
        super().__init__(**kwargs)
        self.padding = [tuple(pair) for pair in padding]

    def call(self, inputs):
        pads = [(0, 0), *self.padding, (0, 0)]
        return keras.ops.pad(inputs, pads, constant_values=float("-inf"))

    def compute_output_shape(self, input_shape):
        spatial = [n + before + after
                   for n, (before, after) in zip(input_shape[1:-1], self.padding)]
        return (input_shape[0], *spatial, input_shape[-1])

    def get_config(self):
        return {**super().get_config(), "padding": [list(pair) for pair in self.padding]}
'''


def keras_source(spec: Source) -> str:
    """The text of a Python module whose ``build_model()`` returns the spec as a Keras model.

    Raises SpecError (one line) for an invalid spec or a layer Keras cannot express.
    """
    network = load(spec)
    backend = KerasBackend(network)
    report, result = emit(network, backend)
    totals = report.totals
    return backend.module(result, totals.params, totals.non_trainable_params, totals.macs)


def to_keras(spec: Source) -> Any:
    """The spec as a ``keras.Model``, built by running exactly the text ``keras_source``
    writes (typed Any: keras is optional and imported only by that text)."""
    from importlib.util import find_spec

    if find_spec("keras") is None:
        raise ImportError("to_keras needs Keras 3 (pip install keras, and a backend such as "
                          "torch with KERAS_BACKEND=torch); keras_source needs nothing")
    text = keras_source(spec)
    namespace: dict[str, Any] = {"__name__": "cnnshape_keras_export"}
    exec(compile(text, "<cnnshape keras export>", "exec"), namespace)
    return namespace["build_model"]()


def _int_or_tuple(values: Sequence[int]) -> str:
    """Keras's spelling of a per-dim argument: one int when every dim agrees."""
    values = list(values)
    if len(set(values)) == 1:
        return str(values[0])
    return "(" + ", ".join(map(str, values)) + ")"


def _pairs(pads: Pads) -> str:
    """Keras's spelling of (before, after) per dim for ZeroPadding/Cropping layers."""
    if all(b == a for b, a in pads):
        return _int_or_tuple([b for b, _ in pads])
    if len(pads) == 1:
        return f"({pads[0][0]}, {pads[0][1]})"
    return "(" + ", ".join(f"({b}, {a})" for b, a in pads) + ")"


def _number(value: float) -> str:
    """A float as short as it reads in the spec (1 - 0.1 prints 0.9, not 0.8999...)."""
    return f"{value:.12g}" if "e" not in f"{value:.12g}" else repr(value)


def _transpose_crops(padding: str, extra: int | None, e: int, s: int) -> tuple[int, int]:
    """How much of the full scattered canvas ((n-1)s + e long) Keras's ConvTranspose keeps:
    (cut at the start, cut at the end), a negative cut meaning zeros appended. Keras
    documents its rule as JAX's padding of the stride-dilated input; this is that rule."""
    if padding == "valid":
        op = max(e, s) - e if extra is None else extra
        left, right = e - 1, e - 1 + op
    else:
        total = s + e - 2 if extra is None else e + e % 2 - 2 + extra
        left = min(total // 2 + total % 2, e - 1)
        right = total - left
    return e - 1 - left, e - 1 - right


class KerasBackend(Backend):
    """One Keras functional-API statement per layer (plus the helpers a rule needs)."""

    framework = "keras"

    def __init__(self, network: Network) -> None:
        super().__init__()
        self.taken |= {"model", "layer", "build_model", "SPEC_NAMES", "MinusInfPadding"}
        self.network = network
        self.names: set[str] = set(network.names) | {"input"}
        """Keras names in use or reserved: every spec layer keeps its own name."""
        self.classes: list[str] = []
        """Helper classes the module must define, in order of first use."""
        self.name = ""
        """The spec name of the layer being emitted."""
        self.keras_name = ""
        """The name it is built under: the spec name, or a stand-in (see ``renamed``)."""
        self.produced: list[str] = []
        self.read: set[str] = set()
        """Variables assigned and variables read: a layer nothing reads becomes an extra
        model output, or Keras would leave it out of the model (and its weights)."""
        self.renamed: dict[str, str] = {}
        """Stand-in name -> spec name, for names with a ".": Keras's torch backend
        cannot build them (torch parameter names cannot hold a "."), so the model is
        built under stand-ins and its layers get their spec names back afterwards."""

    # ------------------------------------------------------------ plumbing

    def layer(self, layer: LayerBase, name: str, x: Any, out: Shape) -> Value:
        if "/" in name:
            raise Unsupported('Keras layer names cannot contain "/"')
        self.name = name
        self.keras_name = name
        if "." in name:
            self.keras_name = self.fresh(name.replace(".", "_"))
            self.renamed[self.keras_name] = name
        method = writer(self, layer, "keras", WRITERS, UNSUPPORTED)
        written: Value = method(layer, identifier(name, self.taken), x, out)
        return written

    def helper_name(self, what: str) -> str:
        """A Keras name for a helper layer, unique among spec and helper names."""
        return self.fresh(f"{self.keras_name}_{what}")

    def statement(self, var: str, call: str, name: str, inputs: list[str]) -> None:
        """`var = layers.Call(..., name="name")(inputs)`; ``call`` ends before its ')'."""
        sep = "" if call.endswith("(") else ", "
        args = inputs[0] if len(inputs) == 1 else f"[{', '.join(inputs)}]"
        self.code.forward.append(f"{var} = {call}{sep}name={json.dumps(name)})({args})")
        self.produced.append(var)
        self.read.update(inputs)

    def helper(self, ident: str, x: Value, what: str, call: str, shape: Shape,
               var: str | None = None) -> Value:
        """A helper layer on ``x``, named ``<spec name>_<what>`` in Keras and
        ``<ident>_<what>`` in the code unless ``var`` is given."""
        var = var or identifier(f"{ident}_{what}", self.taken)
        self.statement(var, call, self.helper_name(what), [x.var])
        return Value(var, shape)

    def finish(self, ident: str, call: str, x: Value, out: Shape,
               activation: str | None = None) -> Value:
        """The spec layer's own Keras layer; a leaky_relu follows as its own layer."""
        if activation == "leaky_relu":
            raw = Value(identifier(f"{ident}_linear", self.taken), out)
            self.statement(raw.var, call, self.keras_name, [x.var])
            return self.helper(ident, raw, "leaky_relu", _activation_call("leaky_relu"), out,
                               var=ident)
        self.statement(ident, call, self.keras_name, [x.var])
        return Value(ident, out)

    @staticmethod
    def activation_arg(function: str | None) -> str:
        if function is None or function == "leaky_relu":
            return ""
        return f", activation={json.dumps(KERAS_ACTIVATIONS[function])}"

    def module(self, result: Value, params: int, frozen: int, macs: int) -> str:
        """The whole module: header, helper classes, build_model, a __main__ summary."""
        network = self.network
        unread = [v for v in self.produced if v not in self.read and v != result.var]
        title = network.name or "cnnshape model"
        model_name = (network.name or "").replace("/", "_").strip() or "cnnshape_model"
        lines = [
            f'"""{_docstring(title)}: a Keras 3 model generated by cnnshape."""',
            "",
            f"# Generated by cnnshape from {' '.join(network.source.splitlines())}.",
            f"# cnnshape's totals: {params:,} trainable + {frozen:,} non-trainable parameters, "
            f"{macs:,} MACs per sample.",
            "# Channels last, as the spec: input shape "
            f"{list(network.input)}, output shape {list(result.shape)} (batch axis not shown).",
            *(["# Outputs: the spec's output, then the layers nothing reads (a Keras model",
               "# keeps only the layers that lead to an output)."] if unread else []),
            "",
            "import keras",
            "from keras import layers",
        ]
        for cls in self.classes:
            lines.extend(cls.rstrip("\n").split("\n"))
        lines += ["", "", "def build_model() -> keras.Model:",
                  f"    x = keras.Input(shape={tuple(network.input)!r}, name=\"input\")"]
        lines += [f"    {line}" for line in self.code.forward]
        outputs = f"[{', '.join([result.var, *unread])}]" if unread else result.var
        model = f"keras.Model(x, {outputs}, name={json.dumps(model_name)})"
        if self.renamed:
            lines += [f"    model = {model}",
                      "    for layer in model.layers:  # the spec's names, dots included",
                      "        layer.name = SPEC_NAMES.get(layer.name, layer.name)",
                      "    return model"]
        else:
            lines.append(f"    return {model}")
        lines += self.renames()
        lines += ["", "", 'if __name__ == "__main__":', "    build_model().summary()", ""]
        return "\n".join(lines)

    def renames(self) -> list[str]:
        """The SPEC_NAMES table: layers built under a stand-in for a dotted name."""
        if not self.renamed:
            return []
        lines = ["", "",
                 "# Keras's torch backend cannot build a layer whose name holds a \".\" (torch",
                 "# parameter names cannot), so build_model builds these under a stand-in name",
                 "# and then gives them their names from the spec.",
                 "SPEC_NAMES = {"]
        lines += [f"    {json.dumps(k)}: {json.dumps(v)}," for k, v in self.renamed.items()]
        return [*lines, "}"]

    # ------------------------------------------------------------ composites

    def add(self, values: list[Value], ident: str) -> Value:
        self.statement(ident, "layers.Add(", self.fresh(ident), [v.var for v in values])
        return Value(ident, values[0].shape)

    def concat(self, values: list[Value], ident: str) -> Value:
        if len(values) == 1:
            return values[0]
        channels = sum(v.shape[-1] for v in values)
        self.statement(ident, "layers.Concatenate(axis=-1", self.fresh(ident),
                       [v.var for v in values])
        return Value(ident, (*values[0].shape[:-1], channels))

    def activate(self, function: str, value: Value, ident: str) -> Value:
        self.statement(ident, _activation_call(function), self.fresh(ident), [value.var])
        return Value(ident, value.shape)

    def fresh(self, base: str) -> str:
        """A unique Keras name for a layer that is not a spec layer (a block's add)."""
        candidate, n = base, 1
        while candidate in self.names:
            n += 1
            candidate = f"{base}_{n}"
        self.names.add(candidate)
        return candidate

    # ------------------------------------------------------------ leaf kinds

    def emit_conv(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        kernel, stride, dilation = layer.window(nd)
        if max(stride) > 1 and max(dilation) > 1:
            raise Unsupported("Keras convolutions cannot combine stride > 1 with dilation > 1")
        effective = list(map(window.effective, kernel, dilation))
        padding = layer.padding
        if not isinstance(padding, str):
            pads = [(p, p) for p in per_dim(padding, nd, "padding")]
            if not any(p for p, _ in pads):
                padding = "valid"
            elif pads == [window.same_pads(n, e, s)
                          for n, e, s in zip(x.shape, effective, stride, strict=False)]:
                padding = "same"  # the same zeros in the same places: Keras's own spelling
            else:
                x = self.helper(ident, x, "pad", f"layers.ZeroPadding{nd}D({_pairs(pads)}",
                                _padded(x.shape, pads))
                padding = "valid"
        args = [str(layer.filters), _int_or_tuple(kernel)]
        if max(stride) > 1:
            args.append(f"strides={_int_or_tuple(stride)}")
        if padding != "valid":
            args.append(f'padding="{padding}"')
        if max(dilation) > 1:
            args.append(f"dilation_rate={_int_or_tuple(dilation)}")
        if layer.groups != 1:
            args.append(f"groups={layer.groups}")
        if not layer.bias:
            args.append("use_bias=False")
        call = f"layers.Conv{nd}D({', '.join(args)}{self.activation_arg(layer.activation)}"
        return self.finish(ident, call, x, out, layer.activation)

    def emit_conv_transpose(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        if layer.groups != 1:
            raise Unsupported("Keras transposed convolutions have no groups")
        kernel, stride, dilation = layer.window(nd)
        if max(stride) > 1 and max(dilation) > 1:
            raise Unsupported("Keras transposed convolutions cannot combine stride > 1 with "
                              "dilation > 1")
        crops, extra = layer.crops(nd, kernel, stride, dilation)
        effective = list(map(window.effective, kernel, dilation))
        # The canvas cut cnnshape applies: `before` at the start, `after` less the
        # output padding at the end (negative: zeros plus bias appended).
        wanted = [(b, a - op) for (b, a), op in zip(crops, extra, strict=False)]
        padding, output_padding, rest = _transpose_arguments(wanted, effective, stride,
                                                             layer.padding)
        args = [str(layer.filters), _int_or_tuple(kernel)]
        if max(stride) > 1:
            args.append(f"strides={_int_or_tuple(stride)}")
        if padding != "valid":
            args.append(f'padding="{padding}"')
        if output_padding is not None:
            args.append(f"output_padding={_int_or_tuple(output_padding)}")
        if max(dilation) > 1:
            args.append(f"dilation_rate={_int_or_tuple(dilation)}")
        if not layer.bias:
            args.append("use_bias=False")
        call = f"layers.Conv{nd}DTranspose({', '.join(args)}"
        if not any(b or a for b, a in rest):
            return self.finish(ident, call + self.activation_arg(layer.activation), x, out,
                               layer.activation)
        # Keras's arguments cut the canvas elsewhere (TensorFlow puts an odd cut at the
        # end, PyTorch's padding at the start): keep it whole and crop it as cnnshape does.
        full = Value(identifier(f"{ident}_full", self.taken), _padded(out, rest))
        self.statement(full.var, call, self.keras_name, [x.var])
        crop = f"layers.Cropping{nd}D({_pairs(rest)}"
        if not layer.activation:
            return self.helper(ident, full, "crop", crop, out, var=ident)
        cropped = self.helper(ident, full, "crop", crop, out)
        return self.helper(ident, cropped, layer.activation,
                           _activation_call(layer.activation), out, var=ident)

    def emit_pool(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        dims = x.shape[:-1]
        kernel, stride, pads = layer.geometry(dims)
        kind = "Max" if layer.mode == "max" else "Average"
        padding = layer.padding if isinstance(layer.padding, str) else "valid"
        if padding == "same" and layer.mode == "avg" and any(b != a for b, a in pads):
            raise Unsupported('average pooling with "same" padding that pads unevenly '
                              f"({_uneven(pads)}): Keras's torch backend averages "
                              "replicated edge values into those windows")
        if not isinstance(layer.padding, str):
            # Pad so that a "valid" pooling has exactly cnnshape's windows; ceil mode's
            # last window may run past the padding, so pad the end that far.
            pads = [(b, max(a, (o - 1) * s + k - n - b))
                    for n, o, k, s, (b, a) in zip(dims, out, kernel, stride, pads, strict=False)]
            runs_past = any(a > b for b, a in pads)
            if layer.mode == "avg" and runs_past:
                raise Unsupported("average pooling in ceil_mode whose last window runs past "
                                  "the padding (PyTorch divides it by the cells it covers; "
                                  "Keras has no such pooling)")
            if layer.mode == "max" and pads == [window.same_pads(n, k, s) for n, k, s in
                                                zip(dims, kernel, stride, strict=False)] and any(
                    b or a for b, a in pads):
                padding = "same"  # Keras's max pooling ignores its own padding too
            elif any(b or a for b, a in pads):
                if layer.mode == "avg":
                    call = f"layers.ZeroPadding{nd}D({_pairs(pads)}"
                else:
                    self.need(MINUS_INF_PADDING)
                    call = f"MinusInfPadding({[list(p) for p in pads]}"
                x = self.helper(ident, x, "pad", call, _padded(x.shape, pads))
        args = [_int_or_tuple(kernel)]
        if list(stride) != list(kernel):
            args.append(f"strides={_int_or_tuple(stride)}")
        if padding != "valid":
            args.append(f'padding="{padding}"')
        return self.finish(ident, f"layers.{kind}Pooling{nd}D({', '.join(args)}", x, out)

    def emit_global_pool(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        kind = "Max" if layer.mode == "max" else "Average"
        return self.finish(ident, f"layers.Global{kind}Pooling{_spatial(x)}D(keepdims=True",
                           x, out)

    def emit_adaptive_pool(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        # Keras 3's adaptive pooling uses PyTorch's windows [floor(i*n/o), ceil((i+1)*n/o)).
        nd = _spatial(x)
        kind = "Max" if layer.mode == "max" else "Average"
        size = per_dim(layer.output_size, nd, "output_size")
        return self.finish(ident, f"layers.Adaptive{kind}Pooling{nd}D({_int_or_tuple(size)}",
                           x, out)

    def emit_flatten(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        return self.finish(ident, "layers.Flatten(", x, out)  # channels-last order, as cnnshape

    def emit_dense(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        args = str(layer.units) + ("" if layer.bias else ", use_bias=False")
        return self.finish(ident, f"layers.Dense({args}{self.activation_arg(layer.activation)}",
                           x, out, layer.activation)

    def emit_activation(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        return self.finish(ident, _activation_call(layer.function), x, out)

    def emit_declared(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        """A kind that declares its Keras layer itself (``LayerBase.exports``)."""
        call = layer.export_call("keras") or ""
        return self.finish(ident, call.removesuffix(")"), x, out)

    def emit_dropout(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        return self.finish(ident, f"layers.Dropout({_number(layer.rate)}", x, out)

    def emit_batchnorm(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        # The spec's momentum is PyTorch's (weight of the new batch); Keras's is 1 - that.
        momentum, eps = _number(1 - layer.momentum), _number(layer.eps)
        flags = ("" if layer.center else ", center=False") + \
            ("" if layer.scale else ", scale=False")
        return self.finish(ident, f"layers.BatchNormalization(momentum={momentum}, epsilon={eps}"
                           + flags, x, out)

    def emit_layernorm(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        return self.finish(ident, f"layers.LayerNormalization(epsilon={_number(layer.eps)}",
                           x, out)

    def emit_scale(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        # A per-channel learnable multiplier: Keras's EinsumDense with a [C] kernel. The
        # axes are spelled out: with "..." Keras 3.15 reverses the elided axes' static shape.
        axes = "n" + {1: "", 2: "l", 3: "hw", 4: "dhw"}[len(out)] + "c"
        shape = str(out[0]) if len(out) == 1 else repr(tuple(out))
        return self.finish(ident, f'layers.EinsumDense("{axes},c->{axes}", output_shape={shape}',
                           x, out)

    def emit_pad(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        pads = [(p, p) for p in per_dim(layer.padding, nd, "padding")]
        return self.finish(ident, f"layers.ZeroPadding{nd}D({_pairs(pads)}", x, out)

    def emit_crop(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        cuts = [(c, c) for c in per_dim(layer.cropping, nd, "cropping")]
        return self.finish(ident, f"layers.Cropping{nd}D({_pairs(cuts)}", x, out)

    def emit_upsample(self, layer: Any, ident: str, x: Value, out: Shape) -> Value:
        nd = _spatial(x)
        size = _int_or_tuple(per_dim(layer.scale, nd, "scale"))
        extra = ', interpolation="nearest"' if nd == 2 else ""
        return self.finish(ident, f"layers.UpSampling{nd}D({size}{extra}", x, out)

    def emit_merge(self, layer: Any, ident: str, xs: list[Value], out: Shape) -> Value:
        if layer.crop:
            xs = self.center_crop(ident, xs, layer.inputs)
        call = {"add": "layers.Add(", "multiply": "layers.Multiply(",
                "concat": "layers.Concatenate(axis=-1"}[layer.mode]
        self.statement(ident, call, self.keras_name, [v.var for v in xs])
        return Value(ident, out)

    def center_crop(self, ident: str, xs: list[Value], names: list[str]) -> list[Value]:
        """cnnshape's merge crop: each input cut to the smallest spatial size, centred
        (the odd position off the end)."""
        target = [min(sizes) for sizes in zip(*(v.shape[:-1] for v in xs), strict=False)]
        cropped = []
        for value, source in zip(xs, names, strict=False):
            cuts = [((n - t) // 2, n - t - (n - t) // 2)
                    for n, t in zip(value.shape, target, strict=False)]
            if any(b or a for b, a in cuts):
                value = self.helper(ident, value, f"crop_{source}",
                                    f"layers.Cropping{len(target)}D({_pairs(cuts)}",
                                    (*target, value.shape[-1]))
            cropped.append(value)
        return cropped

    def need(self, cls: str) -> None:
        if cls not in self.classes:
            self.classes.append(cls)


def _transpose_arguments(wanted: Pads, effective: list[int], stride: tuple[int, ...],
                         spec_padding: Any) -> tuple[str, list[int] | None, Pads]:
    """Keras ConvTranspose arguments (padding, output_padding) cutting the canvas as
    ``wanted``; failing that, "valid" and the cut still to make by a Cropping layer."""
    order = ["same", "valid"] if spec_padding == "same" else ["valid", "same"]
    for padding in order:
        if all(_transpose_crops(padding, None, e, s) == w
               for w, e, s in zip(wanted, effective, stride, strict=False)):
            return padding, None, [(0, 0)] * len(wanted)
        chosen = []
        for w, e, s in zip(wanted, effective, stride, strict=False):
            fits = [op for op in range(s) if _transpose_crops(padding, op, e, s) == w]
            if not fits:
                break
            chosen.append(fits[0])
        else:
            return padding, chosen, [(0, 0)] * len(wanted)
    # Keras "valid" keeps the whole canvas (plus output_padding zeros at the end).
    extra = [max(-a, 0) for _, a in wanted]
    for op, s in zip(extra, stride, strict=False):
        if op >= s:
            raise Unsupported(f"output_padding {op} is not smaller than the stride {s}, "
                              "which Keras requires")
    rest = [(b, a + op) for (b, a), op in zip(wanted, extra, strict=False)]
    if extra == [max(e, s) - e for e, s in zip(effective, stride, strict=False)]:
        return "valid", None, rest  # what Keras appends by default
    return "valid", extra, rest


def _spatial(x: Value) -> int:
    return len(x.shape) - 1


def _padded(shape: Shape, pads: Pads) -> Shape:
    return (*(n + b + a for n, (b, a) in zip(shape, pads, strict=False)), shape[-1])


WRITERS: dict[str, str] = {
    "conv": "emit_conv", "conv_transpose": "emit_conv_transpose",
    "pool": "emit_pool", "global_pool": "emit_global_pool",
    "adaptive_pool": "emit_adaptive_pool", "flatten": "emit_flatten",
    "dense": "emit_dense", "pad": "emit_pad",
    "crop": "emit_crop", "upsample": "emit_upsample",
    "activation": "emit_activation",
    "dropout": "emit_dropout", "batchnorm": "emit_batchnorm",
    "layernorm": "emit_layernorm", "scale": "emit_scale",
    "merge": "emit_merge",
}
"""Leaf kind -> the name of the backend method writing it (a name, so a subclass can
replace one). Composites need none: the shared Emitter walks them
and calls the backend's add/concat/activate. tests/test_registry.py checks that every
registered kind is here or in UNSUPPORTED."""

UNSUPPORTED: dict[str, str] = {}
"""Leaf kind -> the one-line reason it cannot be exported to Keras."""


def _activation_call(function: str) -> str:
    if function == "leaky_relu":
        return f"layers.LeakyReLU(negative_slope={LEAKY_SLOPE}"
    return f"layers.Activation({json.dumps(KERAS_ACTIVATIONS[function])}"


def _uneven(pads: Pads) -> str:
    """`width 0 before, 1 after` for every dim padded unevenly."""
    names = DIM_NAMES[len(pads)]
    return "; ".join(f"{name} {b} before, {a} after"
                     for name, (b, a) in zip(names, pads, strict=False) if b != a)


def _docstring(text: str) -> str:
    """Spec text made safe inside a triple-quoted docstring, on one line."""
    return " ".join(text.replace("\\", "\\\\").replace('"""', '\\"\\"\\"').split())
