"""Hypothesis generators shared by the property and fuzz tests, and the shape oracle.

The oracle (``Oracle``, ``expected_rows``) is an implementation of the shape rules
written here from the frameworks' definitions, independent of the calculator:

    conv            (n + 2p - d(k-1) - 1) // s + 1;  "same": ceil(n/s);  "valid": p = 0
    conv_transpose  (n-1)s - 2p + d(k-1) + output_padding + 1;  Keras's "same": n*s,
                    "valid" without output_padding: n*s + max(d(k-1)+1 - s, 0)
    pool            floor/ceil of (n + 2p - k)/s + 1, PyTorch's ceil rule; "same": ceil(n/s)
    adaptive_pool   output_size;  global_pool 1;  upsample n*scale;  pad n + 2p;  crop n - 2c
    merge           add/multiply: NumPy broadcasting; concat: channels; crop: the smallest
                    spatial size of the inputs first
    names           a layer's output is stored under its name plus the suffixes of the
                    repetitions it runs in; inside a repetition a written name means that
                    repetition's layer first, then an enclosing repetition's, then itself

``networks()`` draws valid networks in 0-D (flat), 1-D, 2-D and 3-D over every layer kind,
with named connections: ``from`` on leaves and composites, merges over several names
(residual-style adds, squeeze-and-excitation gates that broadcast, U-Net crop concats),
names inside and across repeats. ``mutated_specs()``, ``spec_soup()`` and
``json_documents()`` draw (mostly) invalid specs for the robustness properties.

Examples per property: each test's default, or CNNSHAPE_FUZZ_EXAMPLES=N /
``pytest --fuzz-examples N`` (tests/conftest.py) for every property.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

FUNCTIONS = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "hardsigmoid",
             "hardswish", "tanh", "softmax"]
TYPES = ["conv", "conv_transpose", "pool", "global_pool", "adaptive_pool", "flatten", "dense",
         "activation", "dropout", "batchnorm", "layernorm", "scale", "pad", "crop", "upsample",
         "merge", "sequential", "repeat", "residual", "concat"]
COMPOSITES = ("sequential", "repeat", "residual", "concat")
CAP = {0: 2000, 1: 16, 2: 9, 3: 5}  # largest spatial size per number of spatial dims
MAX_CHANNELS = 8
MAX_NAMES = 40


def fuzz_settings(default: int) -> settings:
    """``default`` examples (the CI profile), or CNNSHAPE_FUZZ_EXAMPLES for every property."""
    examples = int(os.environ.get("CNNSHAPE_FUZZ_EXAMPLES", default))
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------- the oracle

class Invalid(Exception):
    pass


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def per_dim(value: Any, nd: int, minimum: int) -> tuple[int, ...]:
    values = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(values) != nd or min(values) < minimum:
        raise Invalid
    return values


def at_least(layer: dict, field: str, minimum: int, default: Any = None) -> int:
    value = layer.get(field, default)
    if value < minimum:
        raise Invalid
    return value


def broadcast(shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for sizes in zip(*padded, strict=False):
        big = set(sizes) - {1}
        if len(big) > 1:
            raise Invalid
        out.append(big.pop() if big else 1)
    return tuple(out)


def merged(layer: dict, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    if layer.get("crop", False):
        if len({len(s) for s in shapes}) != 1 or len(shapes[0]) < 2:
            raise Invalid
        target = tuple(min(sizes) for sizes in zip(*(s[:-1] for s in shapes), strict=False))
        shapes = [(*target, s[-1]) for s in shapes]
    if layer["mode"] == "concat":
        first = shapes[0]
        if any(len(s) != len(first) or s[:-1] != first[:-1] for s in shapes):
            raise Invalid
        return (*first[:-1], sum(s[-1] for s in shapes))
    return broadcast(shapes)


class Oracle:
    """Walks shapes through a spec the way the README defines it; raises Invalid."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.outputs: dict[str, tuple[int, ...]] = {"input": shape}
        self.scopes: list[tuple[str, set[str]]] = []  # repetitions being walked, innermost last
        self.suffix = ""
        self.output = shape
        self.rows: list[Any] = [shape]
        self.names: list[tuple[str | None, list[str]]] = [("input", [])]
        """Per row: its full name (None when unnamed: the spec auto-names it) and the full
        names it reads (``from``, merge inputs)."""
        self.merges: list[tuple[dict, list[tuple[int, ...]]]] = []  # (merge, its input shapes)

    def clone(self) -> Oracle:
        other = Oracle.__new__(Oracle)
        other.outputs = dict(self.outputs)
        other.scopes = [(suffix, set(produced)) for suffix, produced in self.scopes]
        other.suffix = self.suffix
        other.rows = list(self.rows)
        other.names = list(self.names)
        other.merges = list(self.merges)
        return other

    def resolve(self, wanted: Any) -> str:
        """The full name a written name reads at this point."""
        if not isinstance(wanted, str):
            raise Invalid
        for suffix, produced in reversed(self.scopes):
            if wanted + suffix in produced:
                return wanted + suffix
        if wanted in self.outputs:
            return wanted
        raise Invalid

    def lookup(self, wanted: Any) -> tuple[int, ...]:
        return self.outputs[self.resolve(wanted)]

    def enter(self, repetition: int) -> None:
        self.suffix += f"_{repetition}"
        self.scopes.append((self.suffix, set()))

    def leave(self) -> None:
        self.scopes.pop()
        self.suffix = self.scopes[-1][0] if self.scopes else ""

    def sequence(self, layers: list[dict], shape: tuple[int, ...]) -> tuple[int, ...]:
        for layer in layers:
            shape = self.step(layer, shape)
        return shape

    def step(self, layer: dict, shape: tuple[int, ...]) -> tuple[int, ...]:
        """One layer: resolve what it reads, record its row, store its named output."""
        if layer["type"] == "merge":
            if layer.get("from") is not None or len(layer["inputs"]) < 2:
                raise Invalid
            reads = [self.resolve(name) for name in layer["inputs"]]
            shapes = [self.outputs[name] for name in reads]
            self.merges.append((layer, shapes))
            value: Any = shapes
        elif layer.get("from") is not None:  # "from": null is no from
            reads = [self.resolve(layer["from"])]
            value = self.outputs[reads[0]]
        else:
            reads, value = [], shape
        slot = len(self.rows)
        self.rows.append(None)
        name = layer.get("name")
        self.names.append((None if name is None else name + self.suffix, reads))
        out = self.layer(layer, value)
        if min(out) < 1:
            raise Invalid
        self.rows[slot] = out
        if name is not None:
            self.register(name, out)
        return out

    def register(self, name: str, shape: tuple[int, ...]) -> None:
        """The output of the layer just walked, under its name and repetition suffixes."""
        full = name + self.suffix
        self.outputs[full] = shape
        for _, produced in self.scopes:
            produced.add(full)

    def layer(self, layer: dict, shape: Any) -> tuple[int, ...]:
        kind = layer["type"]
        if kind == "merge":
            return merged(layer, shape)
        if kind == "sequential":
            return self.sequence(layer["layers"], shape)
        if kind == "repeat":
            for repetition in range(1, at_least(layer, "times", 1) + 1):
                self.enter(repetition)
                try:
                    shape = self.sequence(layer["layers"], shape)
                finally:
                    self.leave()
            return shape
        if kind == "residual":
            body = self.sequence(layer["body"], shape)
            shortcut = self.sequence(layer.get("shortcut", []), shape)
            if body != shortcut:
                raise Invalid
            return body
        if kind == "concat":
            outs = [self.sequence(branch, shape) for branch in layer["branches"]]
            if not outs or any(len(o) != len(outs[0]) or o[:-1] != outs[0][:-1] for o in outs):
                raise Invalid
            return (*outs[0][:-1], sum(o[-1] for o in outs))
        return leaf_shape(layer, shape)


def leaf_shape(layer: dict, shape: tuple[int, ...]) -> tuple[int, ...]:
    kind = layer["type"]
    nd, c = len(shape) - 1, shape[-1]
    dims = shape[:-1]
    if kind in ("conv", "conv_transpose", "pool", "global_pool", "adaptive_pool", "pad",
                "crop", "upsample") and nd < 1:
        raise Invalid
    if kind in ("conv", "conv_transpose"):
        filters = at_least(layer, "filters", 1)
        groups = at_least(layer, "groups", 1, 1)
        if c % groups or filters % groups:
            raise Invalid
        k = per_dim(layer["kernel"], nd, 1)
        s = per_dim(layer.get("stride", 1), nd, 1)
        d = per_dim(layer.get("dilation", 1), nd, 1)
        e = [di * (ki - 1) + 1 for ki, di in zip(k, d, strict=False)]
        padding = layer.get("padding", 0)
        if kind == "conv":
            if padding == "same":
                return (*(ceil_div(n, si) for n, si in zip(dims, s, strict=False)), filters)
            p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
            if any(ei > n + 2 * pi for ei, n, pi in zip(e, dims, p, strict=False)):
                raise Invalid
            return (*((n + 2 * pi - ei) // si + 1
                      for n, pi, ei, si in zip(dims, p, e, s, strict=False)), filters)
        op = per_dim(layer.get("output_padding", 0), nd, 0)
        if any(o >= max(si, di) for o, si, di in zip(op, s, d, strict=False)):
            raise Invalid
        if padding == "same":  # Keras: n*s
            if any(op):
                raise Invalid
            return (*(n * si for n, si in zip(dims, s, strict=False)), filters)
        if padding == "valid" and not any(op):  # Keras: n*s + max(e - s, 0)
            return (*(n * si + max(ei - si, 0)
                      for n, si, ei in zip(dims, s, e, strict=False)), filters)
        p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
        return (*((n - 1) * si - 2 * pi + ei - 1 + o + 1
                  for n, si, pi, ei, o in zip(dims, s, p, e, op, strict=False)), filters)
    if kind == "pool":
        k = per_dim(layer["kernel"], nd, 1)
        s = per_dim(layer["stride"], nd, 1) if layer.get("stride") is not None else k
        padding = layer.get("padding", 0)
        ceil = layer.get("ceil_mode", False)
        if isinstance(padding, str) and ceil:
            raise Invalid
        if padding == "same":
            return (*(ceil_div(n, si) for n, si in zip(dims, s, strict=False)), c)
        p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
        out = []
        for n, ki, si, pi in zip(dims, k, s, p, strict=False):
            if pi > ki // 2 or n + 2 * pi < ki:
                raise Invalid
            if ceil:
                size = ceil_div(n + 2 * pi - ki, si) + 1
                if (size - 1) * si >= n + pi:  # the last window starts in the right padding
                    size -= 1
            else:
                size = (n + 2 * pi - ki) // si + 1
            out.append(size)
        return (*out, c)
    if kind == "global_pool":
        return (*(1,) * nd, c)
    if kind == "adaptive_pool":
        return (*per_dim(layer["output_size"], nd, 1), c)
    if kind == "pad":
        padding = per_dim(layer["padding"], nd, 0)
        return (*(n + 2 * pi for n, pi in zip(dims, padding, strict=False)), c)
    if kind == "crop":
        cropping = per_dim(layer["cropping"], nd, 0)
        return (*(n - 2 * ci for n, ci in zip(dims, cropping, strict=False)), c)
    if kind == "upsample":
        return (*(n * si for n, si in zip(dims, per_dim(layer["scale"], nd, 1), strict=False)), c)
    if kind == "flatten":
        size = 1
        for n in shape:
            size *= n
        return (size,)
    if kind == "dense":
        return (*dims, at_least(layer, "units", 1))
    if kind in ("activation", "dropout", "batchnorm", "layernorm", "scale"):
        return shape
    raise AssertionError(kind)


def expected_rows(spec: dict) -> list[tuple[int, ...]]:
    """Every row's shape in table order (input first), or Invalid."""
    return run_oracle(spec).rows


def run_oracle(spec: dict) -> Oracle:
    shape = tuple(spec["input"])
    if not 1 <= len(shape) <= 4 or min(shape) < 1:  # [C] is a flat input (an MLP)
        raise Invalid
    oracle = Oracle(shape)
    oracle.output = oracle.sequence(spec["layers"], shape)
    return oracle


def expected_output(spec: dict) -> tuple[int, ...]:
    """The network's output shape, or Invalid."""
    return run_oracle(spec).output


# ---------------------------------------------------------------- walking a spec

def children(layer: dict) -> Iterator[list]:
    """A layer's child lists (of well-formed composites only)."""
    for key in ("layers", "body", "shortcut"):
        value = layer.get(key)
        if isinstance(value, list):
            yield value
    branches = layer.get("branches")
    if isinstance(branches, list):
        yield from (b for b in branches if isinstance(b, list))


def all_layers(layers: Any) -> list[dict]:
    """Every layer dict, pre-order (the walk order of a network without repeats)."""
    found: list[dict] = []

    def visit(items: Any) -> None:
        if not isinstance(items, list):
            return
        for layer in items:
            if isinstance(layer, dict):
                found.append(layer)
                for child in children(layer):
                    visit(child)

    visit(layers)
    return found


def numeric_sites(spec: dict) -> list[tuple[Any, Any]]:
    """(container, key) of every int the spec holds, lists included."""
    shape = spec.get("input")
    sites = [(shape, i) for i in range(len(shape))] if isinstance(shape, list) else []
    for layer in all_layers(spec.get("layers")):
        for key, value in layer.items():
            if isinstance(value, bool):
                continue
            if isinstance(value, int):
                sites.append((layer, key))
            elif isinstance(value, list) and value and all(
                    isinstance(v, int) and not isinstance(v, bool) for v in value):
                sites.extend((value, i) for i in range(len(value)))
    return sites


def json_sites(document: Any) -> list[tuple[Any, Any]]:
    """(container, key) of every value anywhere in a JSON document."""
    sites = []
    stack = [document]
    while stack:
        node = stack.pop()
        keys = list(node) if isinstance(node, dict) else range(len(node)) \
            if isinstance(node, list) else []
        for key in keys:
            sites.append((node, key))
            if isinstance(node[key], (dict, list)):
                stack.append(node[key])
    return sites


# ---------------------------------------------------------------- valid layers

def small(shape: tuple[int, ...]) -> bool:
    if len(shape) == 1:
        return shape[0] <= CAP[0]
    return all(n <= CAP[len(shape) - 1] for n in shape[:-1]) and shape[-1] <= MAX_CHANNELS


def spatial_value(draw: Any, values: list[int]) -> Any:
    """An int when every dim agrees (usually), else a list with one entry per dim."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return list(values)


def divisors(n: int) -> list[int]:
    return [g for g in range(1, n + 1) if n % g == 0]


def maybe(draw: Any, layer: dict, field: str, value: Any, default: Any) -> None:
    """Set a field, or leave it out when it equals the default (both spellings tested)."""
    if value != default or draw(st.booleans()):
        layer[field] = value


def conv_layer(draw: Any, shape: tuple[int, ...], *, same: bool = False,
               stride: int | None = None, filters: int | None = None) -> dict:
    nd, c = len(shape) - 1, shape[-1]
    dims = shape[:-1]
    groups = draw(st.sampled_from(divisors(c)))
    if filters is not None and filters % groups:
        groups = 1
    if filters is None:
        filters = groups * draw(st.integers(1, max(1, 4 // groups)))
    layer = {"type": "conv", "filters": filters}
    mode = "same" if same else draw(st.sampled_from(["int", "list", "valid", "same"]))
    strides = [stride] * nd if stride is not None else [draw(st.integers(1, 3)) for _ in dims]
    if mode == "same":
        kernel = [draw(st.integers(1, 3)) for _ in dims]
        dilation = [draw(st.integers(1, 2)) for _ in dims]
        layer["padding"] = "same"
    else:
        if mode == "int":
            pads = [draw(st.integers(0, 2))] * nd
        elif mode == "list":
            pads = [draw(st.integers(0, 2)) for _ in dims]
        else:
            pads = [0] * nd
        kernel, dilation = [], []
        for n, p in zip(dims, pads, strict=False):
            room = n + 2 * p
            k = draw(st.integers(1, min(3, room)))
            d = draw(st.integers(1, min(3, (room - 1) // (k - 1)))) if k > 1 else 1
            kernel.append(k)
            dilation.append(d)
        if mode == "valid":
            layer["padding"] = "valid"
        elif mode == "int":
            maybe(draw, layer, "padding", pads[0], 0)
        else:
            layer["padding"] = pads
    layer["kernel"] = spatial_value(draw, kernel)
    maybe(draw, layer, "stride", spatial_value(draw, strides), 1)
    maybe(draw, layer, "dilation", spatial_value(draw, dilation), 1)
    maybe(draw, layer, "groups", groups, 1)
    maybe(draw, layer, "bias", draw(st.booleans()), True)
    if draw(st.booleans()):
        layer["activation"] = draw(st.sampled_from(FUNCTIONS))
    return layer


def conv_transpose_layer(draw: Any, shape: tuple[int, ...]) -> dict:
    c = shape[-1]
    dims = shape[:-1]
    groups = draw(st.sampled_from(divisors(c)))
    layer = {"type": "conv_transpose",
             "filters": groups * draw(st.integers(1, max(1, 4 // groups)))}
    kernel = [draw(st.integers(1, 3)) for _ in dims]
    dilation = [draw(st.integers(1, 2)) for _ in dims]
    mode = draw(st.sampled_from(["int", "list", "valid", "same"]))
    stride = [draw(st.integers(1, 3)) for _ in dims]
    if mode == "same":
        layer["padding"] = "same"
    else:
        extra = [draw(st.integers(0, max(s, d) - 1))
                 for s, d in zip(stride, dilation, strict=False)]
        pads = []
        for n, k, s, d, op in zip(dims, kernel, stride, dilation, extra, strict=False):
            most = ((n - 1) * s + d * (k - 1) + op) // 2  # keeps the output >= 1
            pads.append(draw(st.integers(0, min(2, most))))
        if mode == "valid":
            layer["padding"] = "valid"
        elif mode == "int":
            maybe(draw, layer, "padding", min(pads), 0)
        else:
            layer["padding"] = pads
        maybe(draw, layer, "output_padding", spatial_value(draw, extra), 0)
    layer["kernel"] = spatial_value(draw, kernel)
    maybe(draw, layer, "stride", spatial_value(draw, stride), 1)
    maybe(draw, layer, "dilation", spatial_value(draw, dilation), 1)
    maybe(draw, layer, "groups", groups, 1)
    if draw(st.booleans()):
        layer["activation"] = draw(st.sampled_from(FUNCTIONS))
    return layer


def pool_layer(draw: Any, shape: tuple[int, ...], *, same_stride: int | None = None) -> dict:
    dims = shape[:-1]
    layer: dict = {"type": "pool"}
    maybe(draw, layer, "mode", draw(st.sampled_from(["max", "avg"])), "max")
    if same_stride is not None:
        layer["kernel"] = spatial_value(draw, [draw(st.integers(1, 3)) for _ in dims])
        layer["stride"] = same_stride
        layer["padding"] = "same"
        return layer
    mode = draw(st.sampled_from(["int", "list", "valid", "same"]))
    kernel = [draw(st.integers(1, 3)) for _ in dims]
    if mode == "valid":
        kernel = [min(k, n) for k, n in zip(kernel, dims, strict=False)]
        layer["padding"] = "valid"
    elif mode != "same":
        pads = []
        for n, k in zip(dims, kernel, strict=False):
            p = draw(st.integers(0, k // 2))
            pads.append(p if n + 2 * p >= k else k // 2)
        if mode == "int":
            pads = [max(pads)] * len(dims) if all(max(pads) <= k // 2 for k in kernel) else pads
        maybe(draw, layer, "padding", spatial_value(draw, pads), 0)
        maybe(draw, layer, "ceil_mode", draw(st.booleans()), False)
    else:
        layer["padding"] = "same"
    layer["kernel"] = spatial_value(draw, kernel)
    if draw(st.booleans()):
        layer["stride"] = spatial_value(draw, [draw(st.integers(1, 3)) for _ in dims])
    return layer


SPATIAL_KINDS = ["conv"] * 4 + ["conv_transpose"] * 2 + ["pool"] * 3 + [
    "adaptive_pool", "global_pool", "upsample", "pad", "crop"]
FLAT_KINDS = ["batchnorm", "layernorm", "scale", "activation", "dropout", "dense"]


def leaf_layer(draw: Any, shape: tuple[int, ...], kinds: list[str] | None = None) -> dict:
    """A layer of a random leaf kind that is valid on ``shape`` (kinds: restrict them)."""
    nd = len(shape) - 1
    dims = shape[:-1]
    if kinds is None:
        kinds = FLAT_KINDS + (SPATIAL_KINDS if nd else [])
    elif not nd:
        kinds = [k for k in kinds if k not in SPATIAL_KINDS] or FLAT_KINDS
    kind = draw(st.sampled_from(kinds))
    if kind == "conv":
        return conv_layer(draw, shape)
    if kind == "conv_transpose":
        return conv_transpose_layer(draw, shape)
    if kind == "pool":
        return pool_layer(draw, shape)
    if kind == "adaptive_pool":
        layer = {"type": "adaptive_pool",
                 "output_size": spatial_value(draw, [draw(st.integers(1, n + 1)) for n in dims])}
        maybe(draw, layer, "mode", draw(st.sampled_from(["max", "avg"])), "avg")
        return layer
    if kind == "global_pool":
        layer = {"type": "global_pool"}
        maybe(draw, layer, "mode", draw(st.sampled_from(["max", "avg"])), "avg")
        return layer
    if kind == "upsample":
        layer = {"type": "upsample",
                 "scale": spatial_value(draw, [draw(st.integers(1, 2)) for _ in dims])}
        maybe(draw, layer, "mode", "nearest", "nearest")
        return layer
    if kind == "pad":
        return {"type": "pad", "padding": spatial_value(draw, [draw(st.integers(0, 2))
                                                                for _ in dims])}
    if kind == "crop":
        return {"type": "crop", "cropping": spatial_value(
            draw, [draw(st.integers(0, min(2, (n - 1) // 2))) for n in dims])}
    if kind == "activation":
        return {"type": "activation", "function": draw(st.sampled_from(FUNCTIONS))}
    if kind == "dropout":
        layer = {"type": "dropout"}
        maybe(draw, layer, "rate", draw(st.sampled_from([0.0, 0.1, 0.5])), 0.5)
        return layer
    if kind == "dense":
        layer = {"type": "dense", "units": draw(st.integers(1, 4))}
        maybe(draw, layer, "bias", draw(st.booleans()), True)
        if draw(st.booleans()):
            layer["activation"] = draw(st.sampled_from(FUNCTIONS))
        return layer
    if kind == "batchnorm":
        layer = {"type": "batchnorm"}
        if draw(st.booleans()):
            layer["eps"] = draw(st.sampled_from([1e-5, 1e-3]))
            layer["momentum"] = draw(st.sampled_from([0.0, 0.1, 0.99]))
        return layer
    if kind == "layernorm":
        layer = {"type": "layernorm"}
        if draw(st.booleans()):
            layer["eps"] = draw(st.sampled_from([1e-6, 1e-3]))
        return layer
    if kind == "flatten":
        return {"type": "flatten"}
    if kind == "scale":
        return {"type": "scale"}
    raise AssertionError(kind)


IDENTITY_KINDS = ["batchnorm", "layernorm", "scale", "activation", "dropout"]
"""Kinds that keep the shape exactly."""

STACK_KINDS = FLAT_KINDS + SPATIAL_KINDS + ["conv_transpose", "upsample", "pad", "crop", "flatten"]
"""The leaf kinds of a stack, the rarer ones weighted up."""


# ---------------------------------------------------------------- valid networks

class Builder:
    """Draws a network layer by layer, walking the oracle along to know every shape and
    which names can be read where. ``here`` is the current position: the shape the next
    layer of the list being drawn reads and the name it can be read by (if any). A drawn
    layer that turns out invalid, or too large for the reference pass, is dropped."""

    def __init__(self, draw: Any, shape: tuple[int, ...]) -> None:
        self.draw = draw
        self.state = Oracle(shape)
        self.here: tuple[tuple[int, ...], str | None] = (shape, "input")
        self.count = 0

    # -- plumbing

    @property
    def shape(self) -> tuple[int, ...]:
        return self.here[0]

    def fresh(self) -> str:
        self.count += 1
        return f"n{self.count}"

    def maybe_name(self, layer: dict, odds: int = 3) -> dict:
        if self.count < MAX_NAMES and self.draw(st.integers(1, odds)) == 1:
            layer["name"] = self.fresh()
        return layer

    def readable(self, accept: Callable[[tuple[int, ...]], bool] = lambda s: True
                 ) -> list[tuple[str, tuple[int, ...]]]:
        """(name as written, its shape) of every name that resolves at this point."""
        written = {"input": None}
        for full in self.state.outputs:
            written[full] = None
            for suffix, _ in self.state.scopes:  # a repetition's layer is read by its base name
                if full.endswith(suffix):
                    written[full[:-len(suffix)]] = None
        found = []
        for name in written:
            try:
                shape = self.state.lookup(name)
            except Invalid:
                continue
            if accept(shape):
                found.append((name, shape))
        return found

    def pick(self, accept: Callable[[tuple[int, ...]], bool] = lambda s: True
             ) -> tuple[str, tuple[int, ...]] | None:
        options = self.readable(accept)
        return self.draw(st.sampled_from(options)) if options else None

    def push(self, layers: list, layer: dict, start: Oracle | None = None) -> bool:
        """Walk ``layer`` from ``here`` (and the state ``start``, default the live one);
        keep it if it is valid and every shape it produces is small."""
        trial = (start or self.state).clone()
        first = len(trial.rows)
        try:
            out = trial.step(layer, self.shape)
        except Invalid:
            return False
        if not all(small(row) for row in trial.rows[first:]):
            return False
        self.state = trial
        layers.append(layer)
        self.here = (out, layer.get("name"))
        return True

    def name_here(self, layers: list) -> str | None:
        """A name for the current value: its own, or that of a named identity layer."""
        if self.here[1] is None:
            self.push(layers, self.maybe_name(leaf_layer(self.draw, self.shape,
                                                         IDENTITY_KINDS), odds=1))
        return self.here[1]

    def source(self, layers: list, accept: Callable[[tuple[int, ...]], bool]
               ) -> tuple[str, tuple[int, ...], bool] | None:
        """A name to branch from: usually the current value, else any readable name.
        Returns (name, shape, whether it is the current value) or None."""
        if self.draw(st.integers(0, 2)) and accept(self.shape):
            name = self.name_here(layers)
            if name is not None:
                return name, self.shape, True
        found = self.pick(accept)
        return (*found, found[0] == self.here[1]) if found else None

    def steps(self, layers: list, steps: list[dict]) -> bool:
        """Push layers in order; False (some pushed) as soon as one does not fit."""
        return all(self.push(layers, step) for step in steps)

    def name_last(self, layers: list) -> str:
        """Name the layer just pushed (the value ``here``), as if it had been drawn named."""
        if self.here[1] is None:
            name = self.fresh()
            layers[-1]["name"] = name
            self.state.register(name, self.shape)
            self.here = (self.shape, name)
        return self.here[1]

    # -- stacks

    def stack(self, layers: list, depth: int, count: int) -> None:
        """Append about ``count`` layers of any kind."""
        draw = self.draw
        for _ in range(count):
            before = len(layers)
            choices = ["leaf"] * 6 + ["from"] * 2 + ["merge", "gate", "branch", "branch"]
            if depth < 2:
                choices += ["composite"] * 3
            choice = draw(st.sampled_from(choices))
            if choice == "leaf":
                self.push(layers, self.maybe_name(leaf_layer(draw, self.shape, STACK_KINDS)))
            elif choice == "from":
                found = self.pick()
                if found:
                    layer = self.maybe_name(leaf_layer(draw, found[1]))
                    layer["from"] = found[0]
                    self.push(layers, layer)
            elif choice == "composite":
                self.composite(layers, depth)
            elif choice == "merge":
                self.merge(layers)
            elif choice == "gate":
                self.gate(layers)
            else:
                self.branch(layers, preserve=False)
            if len(layers) == before:  # nothing fitted: an identity layer instead
                self.push(layers, self.maybe_name(leaf_layer(draw, self.shape, IDENTITY_KINDS)))

    def preserving(self, layers: list, depth: int, stride: int) -> None:
        """A short stack whose output has spatial sizes ceil(n/stride) (any channel count)."""
        draw = self.draw
        if stride > 1:
            first = draw(st.sampled_from([conv_layer(draw, self.shape, same=True, stride=stride),
                                          pool_layer(draw, self.shape, same_stride=stride)]))
            if not self.push(layers, self.maybe_name(first)):
                return
        for _ in range(draw(st.integers(0 if layers else 1, 2))):
            shape = self.shape
            spatial = len(shape) > 1
            choices = ["identity", "dense", "gate", "add", "from"]
            if spatial:
                choices += ["conv", "conv", "pool", "pad_crop", "concat"]
            if depth < 2:
                choices.append("block")
            choice = draw(st.sampled_from(choices))
            if choice == "gate":
                self.gate(layers, same_shape=True)
            elif choice in ("add", "concat"):
                self.branch(layers, preserve=True, mode=None if choice == "add" else "concat")
            elif choice == "block":
                self.composite(layers, depth, stride=1)
            elif choice == "pad_crop":
                amounts = [draw(st.integers(0, 1)) for _ in shape[:-1]]
                pad = {"type": "pad", "padding": spatial_value(draw, amounts)}
                crop = {"type": "crop", "cropping": spatial_value(draw, amounts)}
                pair = [pad, crop] if draw(st.booleans()) or min(shape[:-1]) < 3 else [crop, pad]
                self.steps(layers, [pair[0], self.maybe_name(pair[1])])
            elif choice == "from":
                found = self.pick(lambda s, shape=shape: s[:-1] == shape[:-1])
                if found:
                    layer = self.maybe_name(leaf_layer(draw, found[1], IDENTITY_KINDS))
                    layer["from"] = found[0]
                    self.push(layers, layer)
            else:
                if choice == "conv":
                    layer = conv_layer(draw, shape, same=True, stride=1)
                elif choice == "pool":
                    layer = pool_layer(draw, shape, same_stride=1)
                elif choice == "dense":
                    layer = leaf_layer(draw, shape, ["dense"])
                else:
                    layer = leaf_layer(draw, shape, IDENTITY_KINDS)
                self.push(layers, self.maybe_name(layer))

    # -- composites

    def composite(self, layers: list, depth: int, stride: int | None = None) -> None:
        draw = self.draw
        snapshot, outer = self.state.clone(), self.here
        kind = draw(st.sampled_from(COMPOSITES))
        layer: dict = {"type": kind}
        inner = self.here
        if draw(st.integers(0, 4)) == 0:
            found = self.pick()
            if found:
                layer["from"] = found[0]
                inner = (found[1], found[0])
        spatial = len(inner[0]) > 1
        if stride is None:
            stride = draw(st.sampled_from([1, 1, 2])) if spatial else 1
        if kind == "residual":
            body: list = []
            self.here = inner
            self.preserving(body, depth + 1, stride)
            out = self.shape
            layer["body"] = body
            if out != inner[0] or draw(st.booleans()):
                shortcut: list = []
                if (stride == 1 and draw(st.booleans())) or not spatial:
                    projection = {"type": "dense", "units": out[-1]}
                else:
                    projection = {"type": "conv", "filters": out[-1], "kernel": 1,
                                  "stride": stride}
                self.here = inner
                self.push(shortcut, self.maybe_name(projection))
                layer["shortcut"] = shortcut
            if draw(st.booleans()):
                layer["activation"] = draw(st.sampled_from(FUNCTIONS))
        elif kind == "concat":
            branches = []
            for _ in range(draw(st.integers(1, 3))):
                branch: list = []
                if stride > 1 or draw(st.booleans()):
                    self.here = inner
                    self.preserving(branch, depth + 1, stride)
                branches.append(branch)
            layer["branches"] = branches
        elif kind == "sequential":
            body = []
            self.here = inner
            self.stack(body, depth + 1, draw(st.integers(1, 3)))
            layer["layers"] = body
        else:
            body = []
            self.here = inner
            self.state.enter(1)  # drawn as repetition 1 sees it
            try:
                self.stack(body, depth + 1, draw(st.integers(1, 3)))
            finally:
                self.state.leave()
            layer["layers"] = body
            layer["times"] = draw(st.integers(1, 3))
        self.maybe_name(layer)
        self.state, self.here = snapshot, outer
        while not self.push(layers, layer, start=snapshot):  # walked whole, from before it
            if kind != "repeat" or layer["times"] == 1:
                return
            layer["times"] -= 1  # fewer repetitions fit

    # -- named connections

    def merge(self, layers: list) -> None:
        """A merge over whichever readable names fit together."""
        draw = self.draw
        mode = draw(st.sampled_from(["add", "multiply", "concat"]))
        crop = draw(st.booleans())
        layer: dict = {"type": "merge", "mode": mode}
        if crop or draw(st.booleans()):
            layer["crop"] = crop
        first = self.pick()
        if first is None:
            return
        inputs, shapes = [first[0]], [first[1]]
        for _ in range(draw(st.integers(1, 3))):
            fits = []
            for name, s in self.readable():
                try:
                    if small(merged(layer, [*shapes, s])):
                        fits.append((name, s))
                except Invalid:
                    pass
            distinct = [f for f in fits if f[0] not in inputs]
            options = distinct if distinct and draw(st.integers(0, 4)) else fits
            if not options:
                break
            name, s = draw(st.sampled_from(options))
            inputs.append(name)
            shapes.append(s)
        if len(inputs) >= 2:
            layer["inputs"] = inputs
            self.push(layers, self.maybe_name(layer))

    def gate(self, layers: list, same_shape: bool = False) -> None:
        """Squeeze-and-excitation: x * gate(x), the gate [1, ..., 1, C] (or [C]) broadcast."""
        draw = self.draw
        shape = self.shape
        found = self.source(layers, (lambda s: s == shape) if same_shape else (lambda s: True))
        if found is None:
            return
        name, x, is_current = found
        c = x[-1]
        steps: list[dict] = []
        if len(x) > 1:
            if draw(st.booleans()):
                steps.append({"type": "global_pool"})
                maybe(draw, steps[-1], "mode", draw(st.sampled_from(["max", "avg"])), "avg")
            else:
                steps.append({"type": "adaptive_pool", "output_size": 1})
            squeeze = draw(st.integers(1, 4))
            if draw(st.booleans()):
                steps.append({"type": "conv", "filters": squeeze, "kernel": 1,
                              "activation": "relu"})
                steps.append({"type": "conv", "filters": c, "kernel": 1,
                              "activation": draw(st.sampled_from(["sigmoid", "hardsigmoid"]))})
            else:
                steps.append({"type": "dense", "units": squeeze, "activation": "relu"})
                steps.append({"type": "dense", "units": c})
                steps.append({"type": "activation", "function": "sigmoid"})
            if draw(st.integers(0, 3)) == 0:
                steps.append({"type": "flatten"})  # a [C] gate broadcasts too
        else:
            steps.append({"type": "dense", "units": draw(st.integers(1, 4)),
                          "activation": "relu"})
            steps.append({"type": "dense", "units": c, "activation": "sigmoid"})
        if not is_current or draw(st.booleans()):
            steps[0]["from"] = name
        if not self.steps(layers, steps):
            return
        inputs = [name, self.name_last(layers)]
        if draw(st.booleans()):
            inputs.reverse()
        self.push(layers, self.maybe_name({"type": "merge", "mode": "multiply",
                                           "inputs": inputs}))

    def branch(self, layers: list, preserve: bool, mode: str | None = None) -> None:
        """A named layer A, a branch from it to B, then merge [A, B, ...]: a skip connection
        (add or multiply, same shape), a concat (same spatial size) or, with crop, U-Net's
        concat of a larger encoder map with a smaller decoder map."""
        draw = self.draw
        shape = self.shape
        if mode is None:
            mode = draw(st.sampled_from(["add", "add", "multiply", "concat", "unet"]))
        if preserve and mode == "unet":
            mode = "concat"
        if mode == "unet":
            accept: Callable[[tuple[int, ...]], bool] = _has_spatial_dims
        elif preserve:
            accept = (lambda s: s == shape) if mode != "concat" else (
                lambda s: s[:-1] == shape[:-1])
        else:
            accept = _anything
        found = self.source(layers, accept)
        if found is None:
            return
        name, a, is_current = found
        for i in range(draw(st.integers(1, 3))):
            value = self.shape if i else a
            if mode == "unet":
                layer = leaf_layer(draw, value, SPATIAL_KINDS)
            elif len(value) > 1 and draw(st.booleans()):
                layer = conv_layer(draw, value, same=True, stride=1,
                                   filters=a[-1] if mode != "concat" else None)
            elif mode == "concat":
                layer = leaf_layer(draw, value, [*IDENTITY_KINDS, "dense"])
            else:
                layer = leaf_layer(draw, value, IDENTITY_KINDS)
            if i == 0 and (not is_current or draw(st.booleans())):
                layer["from"] = name
            if not self.push(layers, layer):
                return
        if mode == "unet" and self.shape[-1] != a[-1] and draw(st.booleans()):
            if not self.push(layers, conv_layer(draw, self.shape, same=True, stride=1,
                                                filters=a[-1])):
                return
        b = self.shape
        inputs = [name, self.name_last(layers)]
        if draw(st.booleans()):
            inputs.reverse()
        merge: dict = {"type": "merge"}
        if mode == "unet":
            merge["mode"] = "concat" if b[-1] != a[-1] else draw(
                st.sampled_from(["add", "multiply", "concat"]))
            merge["crop"] = True
        else:
            merge["mode"] = mode
            if draw(st.integers(0, 3)) == 0:
                merge["crop"] = False
        if draw(st.integers(0, 2)) == 0:  # a third (or repeated) input of a fitting shape
            extra = []
            for other, s in self.readable():
                try:
                    out = merged(merge, [a, b, s])
                    if small(out) and (not preserve or out == merged(merge, [a, b])):
                        extra.append(other)
                except Invalid:
                    pass
            if extra:
                inputs.insert(draw(st.integers(0, len(inputs))), draw(st.sampled_from(extra)))
        merge["inputs"] = inputs
        self.push(layers, self.maybe_name(merge))


@st.composite
def networks(draw: Any) -> dict:
    """A valid network in 0-D (a flat input), 1-D, 2-D or 3-D."""
    nd = draw(st.sampled_from([0, 1, 1, 2, 2, 2, 3, 3]))
    if nd:
        shape = (*(draw(st.integers(1, CAP[nd])) for _ in range(nd)), draw(st.integers(1, 4)))
    else:
        shape = (draw(st.integers(1, 12)),)
    builder = Builder(draw, shape)
    layers: list = []
    builder.stack(layers, 0, draw(st.integers(1, 5)))
    if draw(st.booleans()):
        builder.push(layers, builder.maybe_name({"type": "flatten"}))
        if draw(st.booleans()):
            builder.push(layers, {"type": "dense", "units": draw(st.integers(1, 5)),
                                  "activation": draw(st.sampled_from([None, "softmax", "relu"]))})
    spec: dict = {"input": list(shape), "layers": layers}
    if draw(st.integers(0, 3)) == 0:
        spec["name"] = draw(st.sampled_from(["net", "Fuzzed network", "ünïcode ✓", "[/]",
                                             "[bold]x", "a\nb"]))
    return spec


def features(spec: dict) -> set[str]:
    """What a valid spec exercises: its layer kinds and named connections, by dimension."""
    oracle = run_oracle(spec)
    nd = len(spec["input"]) - 1
    found = {f"{nd}d"}
    for layer in all_layers(spec["layers"]):
        found.add(layer["type"])
        found.add(f"{layer['type']}/{nd}d")
        if "from" in layer:
            found.add("from")
            found.add(f"from/{nd}d")
            if layer["type"] in COMPOSITES:
                found.add("from on a composite")
        if layer["type"] == "repeat" and layer["times"] > 1 and any(
                "name" in inner for inner in all_layers(layer["layers"])):
            found.add("names inside a repeat")
    for merge, shapes in oracle.merges:
        mode = merge["mode"]
        found.add(f"merge {mode}")
        found.add(f"merge/{nd}d")
        if len(shapes) > 2:
            found.add("merge of 3+ names")
        if len(set(merge["inputs"])) < len(merge["inputs"]):
            found.add("merge reading a name twice")
        if mode != "concat" and len(set(shapes)) > 1:
            found.add(f"broadcasting {mode}")
        maps = [s for s in shapes if len(s) > 1 and max(s[:-1]) > 1]
        gates = [s for s in shapes if len(s) == 1 or max(s[:-1]) == 1]
        if mode == "multiply" and maps and gates:
            found.add("multiply by a [1, ..., 1, C] or [C] gate")
        if merge.get("crop") and len({s[:-1] for s in shapes}) > 1:
            found.add(f"crop merge {mode} of different sizes")
        if "input" in merge["inputs"]:
            found.add("merge reading input")
        if any("_" in name for name in merge["inputs"]):
            found.add("merge reading a repetition by suffix")
    return found


# ---------------------------------------------------------------- invalid specs

FIELDS = sorted({"type", "name", "from", "filters", "kernel", "stride", "padding", "dilation",
                 "groups", "bias", "activation", "output_padding", "mode", "ceil_mode",
                 "output_size", "units", "function", "rate", "eps", "momentum", "cropping",
                 "scale", "inputs", "crop", "layers", "times", "body", "shortcut", "branches"})
UNKNOWN_FIELDS = ["filter", "kernel_size", "x", "Type", "", "input", "strides", "layer", " name"]
WORDS = ["same", "valid", "max", "avg", "add", "multiply", "concat", "relu", "sigmoid",
         "nearest", "input", "n1", "n2", "ghost", "3", "", "conv", "merge", "repeat", "true",
         "null", "ünï", "a\u0000b", "<spec>", "a b", '"quoted"', "\\", "a\nb", "x\r",
         "\u2028", "[/]", "[bold]x", "[link=x]y"]
TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=5)
HUGE = [10 ** 6, 2 ** 31, 2 ** 63, 10 ** 30, -(10 ** 9)]


def json_values(max_leaves: int = 12) -> st.SearchStrategy:
    """Any JSON value, biased to the words and sizes a spec uses."""
    scalars = (st.none() | st.booleans() | st.integers(-3, 6) | st.sampled_from(HUGE)
               | st.floats(-2, 5, allow_nan=False) | st.sampled_from([0.5, 1.0, 2.0, 1e300])
               | st.sampled_from(WORDS) | TEXT)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
            st.sampled_from(FIELDS + UNKNOWN_FIELDS), inner, max_size=4),
        max_leaves=max_leaves)


def plausible(field: str) -> st.SearchStrategy:
    """Values that are often, not always, right for a field."""
    small_ints = st.integers(1, 4) | st.sampled_from([0, -1])
    spatial = small_ints | st.lists(st.integers(1, 3), min_size=1, max_size=3) | st.lists(
        st.integers(0, 4), max_size=4)
    strategies = {
        "padding": spatial | st.sampled_from(["same", "valid", "full"]),
        "mode": st.sampled_from(["max", "avg", "add", "multiply", "concat", "nearest", "sum"]),
        "activation": st.none() | st.sampled_from([*FUNCTIONS, "swish"]),
        "function": st.sampled_from([*FUNCTIONS, "swish", None]),
        "inputs": st.lists(st.sampled_from(["input", "n1", "n2", "n3", "n1_1", "ghost"]),
                           max_size=4),
        "from": st.sampled_from(["input", "n1", "n2", "n3", "ghost", "", 3, None]),
        "name": st.sampled_from(["n1", "n2", "n3", "n4", "input", "", "conv_1", "n1_1", None]),
        "bias": st.booleans(), "crop": st.booleans(), "ceil_mode": st.booleans(),
        "rate": st.sampled_from([0.0, 0.5, 1.0, -0.1, 2]),
        "eps": st.sampled_from([1e-5, 0.0, -1.0, 1]),
        "momentum": st.sampled_from([0.1, 1.5, -0.1, 0]),
    }
    return strategies.get(field, spatial if field in (
        "kernel", "stride", "dilation", "output_padding", "output_size", "scale",
        "cropping") else small_ints)


KIND_FIELDS = {
    "conv": "filters kernel | stride padding dilation groups bias activation",
    "conv_transpose": "filters kernel | stride padding output_padding dilation groups bias "
                      "activation",
    "pool": "kernel | mode stride padding ceil_mode", "global_pool": "| mode",
    "adaptive_pool": "output_size | mode", "flatten": "|", "dense": "units | bias activation",
    "activation": "function |", "dropout": "| rate", "batchnorm": "| eps momentum",
    "layernorm": "| eps", "scale": "|", "pad": "padding |", "crop": "cropping |",
    "upsample": "scale | mode", "merge": "mode inputs | crop", "sequential": "layers |",
    "repeat": "times layers |", "residual": "body | shortcut activation",
    "concat": "branches |"}
"""Per kind: required fields | optional ones (the README's spec reference)."""


@st.composite
def soup_layer(draw: Any, depth: int = 0) -> dict:
    """A layer dict of a known kind (usually) with its fields (usually) holding random,
    plausible values: most fail on a value or a shape, some are valid."""
    kind = draw(st.sampled_from(TYPES * 4 + ["lstm", 3, None]))
    layer: dict = {"type": kind}
    required, optional = KIND_FIELDS.get(kind, "|").split("|")
    fields = [f for f in required.split() if draw(st.integers(0, 9))]
    fields += [f for f in [*optional.split(), "name", "from"] if draw(st.integers(0, 2)) == 0]
    if draw(st.integers(0, 9)) == 0:
        fields.append(draw(st.sampled_from([*FIELDS, "x"])))
    for field in fields:
        if field == "type":
            continue
        if field in ("layers", "body", "shortcut"):
            layer[field] = draw(st.lists(soup_layer(depth + 1), max_size=2)) if depth < 2 else []
        elif field == "branches":
            layer[field] = draw(st.lists(st.lists(soup_layer(depth + 1), max_size=2),
                                         max_size=2)) if depth < 2 else [[]]
        elif field == "x" or draw(st.integers(0, 19)) == 0:
            layer[field] = draw(json_values(4))
        else:
            layer[field] = draw(plausible(field))
    return layer


@st.composite
def spec_soup(draw: Any) -> dict:
    """A spec-shaped document: an input and a list of randomly filled layers."""
    spec = {"input": draw(st.lists(st.integers(1, 6), min_size=1, max_size=4)
                          | json_values(4)),
            "layers": draw(st.lists(soup_layer(), max_size=5))}
    if draw(st.integers(0, 4)) == 0:
        del spec[draw(st.sampled_from(["input", "layers"]))]
    return spec


def _kind(layer: dict) -> Any:
    return layer.get("type")


def _names(spec: dict) -> list[str]:
    return [layer["name"] for layer in all_layers(spec.get("layers"))
            if isinstance(layer.get("name"), str)]


def _replace_value(draw: Any, spec: dict) -> None:
    container, key = draw(st.sampled_from(json_sites(spec)))
    container[key] = draw(json_values() | st.sampled_from(_names(spec) or ["input"]))
    tame(spec)


def _delete_field(draw: Any, spec: dict) -> None:
    sites = [(c, k) for c, k in json_sites(spec) if isinstance(c, dict)]
    container, key = draw(st.sampled_from(sites))
    del container[key]


def _add_field(draw: Any, spec: dict) -> None:
    target = draw(st.sampled_from([spec, *all_layers(spec["layers"])]))
    target[draw(st.sampled_from(FIELDS + UNKNOWN_FIELDS))] = draw(json_values(6))


def _rename_referenced(draw: Any, spec: dict) -> None:
    layers = all_layers(spec["layers"])
    read = [layer.get("from") for layer in layers]
    read += [name for layer in layers if isinstance(layer.get("inputs"), list)
             for name in layer["inputs"]]
    targets = [layer for layer in layers if isinstance(layer.get("name"), str)
               and layer["name"] in read] or layers
    target = draw(st.sampled_from(targets))
    choice = draw(st.sampled_from(["fresh", "duplicate", "delete", "input", "suffix"]))
    if choice == "fresh":
        target["name"] = "renamed"
    elif choice == "duplicate":
        target["name"] = draw(st.sampled_from(_names(spec) or ["input"]))
    elif choice == "delete":
        target.pop("name", None)
    elif choice == "input":
        target["name"] = "input"
    else:
        target["name"] = f"{target.get('name', _kind(target))}_1"


def _dangling_reference(draw: Any, spec: dict) -> None:
    """Point ``from`` or a merge input at a later layer, itself, an enclosing composite or
    an unknown name."""
    layers = all_layers(spec["layers"])
    index = draw(st.integers(0, len(layers) - 1))
    layer = layers[index]
    later = [other.get("name") for other in layers[index:]]
    names = [n for n in later if isinstance(n, str)]
    wanted = draw(st.sampled_from([*names, "ghost", "n1_9", "input_1", "conv_1"]))
    if _kind(layer) == "merge" and isinstance(layer.get("inputs"), list) and layer["inputs"]:
        inputs = layer["inputs"]
        if draw(st.booleans()):
            inputs[draw(st.integers(0, len(inputs) - 1))] = wanted
        else:
            inputs.append(wanted)
    else:
        layer["from"] = wanted


def _wrong_nesting(draw: Any, spec: dict) -> None:
    """Wrong types in nested composites: their layer lists, branches and children."""
    composites = [layer for layer in all_layers(spec["layers"]) if _kind(layer) in COMPOSITES]
    target = draw(st.sampled_from(composites or [{"type": "sequential", "layers": []}]))
    if not composites:
        spec["layers"].append(target)
    field = {"sequential": "layers", "repeat": "layers", "concat": "branches"}.get(
        _kind(target)) or draw(st.sampled_from(["body", "shortcut"]))
    child = {"type": "conv", "filters": 2, "kernel": 1}
    value = draw(st.sampled_from([
        "wrong kind", child, 3, None, [3], ["conv"], [None], [[child]], [child, [child]],
        [{"type": "concat", "branches": [child]}], [{"type": "repeat", "times": 2, "layers": 3}],
        [{"type": "sequential", "layers": [{"type": "bogus"}]}], [[]], [{}], [[[]]],
        [{"type": "residual", "body": [child], "shortcut": {"type": "dense"}}]]))
    if field in target and isinstance(target[field], list) and target[field] and \
            draw(st.booleans()):
        items = target[field]
        items[draw(st.integers(0, len(items) - 1))] = copy.deepcopy(value)
    else:
        target[field] = copy.deepcopy(value)


def _swap(draw: Any, spec: dict) -> None:
    lists = [spec["layers"]] + [c for layer in all_layers(spec["layers"]) for c in children(layer)]
    lists = [items for items in lists if len(items) > 1]
    if lists:
        items = draw(st.sampled_from(lists))
        i, j = draw(st.integers(0, len(items) - 1)), draw(st.integers(0, len(items) - 1))
        items[i], items[j] = items[j], items[i]


def _retype(draw: Any, spec: dict) -> None:
    layer = draw(st.sampled_from(all_layers(spec["layers"])))
    layer["type"] = draw(st.sampled_from([*TYPES, "Conv", "lstm"]))


def _huge(draw: Any, spec: dict) -> None:
    sites = numeric_sites(spec)
    if sites:
        container, key = draw(st.sampled_from(sites))
        container[key] = draw(st.sampled_from(HUGE))
        tame(spec)


MUTATIONS = {"replace": _replace_value, "delete": _delete_field, "add": _add_field,
             "rename": _rename_referenced, "dangling": _dangling_reference,
             "nesting": _wrong_nesting, "swap": _swap, "retype": _retype, "huge": _huge}
WEIGHTED = ["replace"] * 3 + ["delete", "rename", "dangling"] * 2 + [
    "add", "nesting", "swap", "retype", "huge"]


@st.composite
def mutated_specs(draw: Any) -> dict:
    """A valid network after one to three mutations (most results are invalid)."""
    spec = copy.deepcopy(draw(networks()))
    if not spec["layers"]:
        spec["layers"].append({"type": "activation", "function": "relu"})
    for _ in range(draw(st.integers(1, 3))):
        if not isinstance(spec.get("layers"), list) or not all_layers(spec["layers"]):
            break
        MUTATIONS[draw(st.sampled_from(WEIGHTED))](draw, spec)
    return tame(spec)


def json_documents() -> st.SearchStrategy:
    """Anything a spec file could hold."""
    return st.one_of(json_values(20).map(tame), spec_soup().map(tame), mutated_specs())


MAX_TIMES = 10
"""The spec allows repeats up to 10 million expanded layers (a report row each): a million
take about 16 s and 1.2 GB in `cnnshape table`, so the fuzzing caps repetition counts."""


def tame(document: Any) -> Any:
    """Cap every integer "times" at MAX_TIMES (in place)."""
    for container, key in json_sites(document):
        if isinstance(container, dict) and key == "times" and isinstance(container[key], int) \
                and container[key] > MAX_TIMES:
            container[key] = MAX_TIMES
    return document


def _has_spatial_dims(shape: tuple[int, ...]) -> bool:
    return len(shape) > 1


def _anything(shape: tuple[int, ...]) -> bool:
    return True
