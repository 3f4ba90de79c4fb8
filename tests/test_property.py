"""Property tests: on random valid networks in 1-D, 2-D and 3-D, every row shape the
calculator reports equals the shape the reference forward pass measured on its tensors,
and both equal an independent oracle written here from the frameworks' definitions.

The oracle (``expected_rows``) is a third, separate implementation of the shape rules:

    conv            (n + 2p - d(k-1) - 1) // s + 1;  "same": ceil(n/s);  "valid": p = 0
    conv_transpose  (n-1)s - 2p + d(k-1) + output_padding + 1;  Keras's "same": n*s,
                    "valid" without output_padding: n*s + max(d(k-1)+1 - s, 0)
    pool            floor/ceil of (n + 2p - k)/s + 1, PyTorch's ceil rule; "same": ceil(n/s)
    adaptive_pool   output_size;  global_pool 1;  upsample n*scale;  pad n + 2p

Examples: 200 by default; more with CNNSHAPE_FUZZ_EXAMPLES=N or ``pytest --fuzz-examples N``.
"""

from __future__ import annotations

import copy
import json
import os

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import cnnshape
import cnnshape.reference
from cnnshape import SpecError

EXAMPLES = int(os.environ.get("CNNSHAPE_FUZZ_EXAMPLES", "200"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])

FUNCTIONS = ["relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "hardsigmoid",
             "hardswish", "tanh", "softmax"]
CAP = {0: 0, 1: 16, 2: 9, 3: 5}  # largest spatial size per number of spatial dims
MAX_CHANNELS = 8


# ---------------------------------------------------------------- the oracle

class Invalid(Exception):
    pass


def ceil_div(a, b):
    return -(-a // b)


def per_dim(value, nd, minimum):
    values = (value,) * nd if isinstance(value, int) else tuple(value)
    if len(values) != nd or min(values) < minimum:
        raise Invalid
    return values


def at_least(layer, field, minimum, default=None):
    value = layer.get(field, default)
    if value < minimum:
        raise Invalid
    return value


def expected_rows(spec):
    """Every row's shape in table order (input first), or Invalid."""
    shape = tuple(spec["input"])
    if not 1 <= len(shape) <= 4 or min(shape) < 1:  # [C] is a flat input (an MLP)
        raise Invalid
    rows = [shape]
    _sequence(spec["layers"], shape, rows)
    return rows


def _sequence(layers, shape, rows):
    for layer in layers:
        slot = len(rows)
        rows.append(None)
        shape = _layer(layer, shape, rows)
        if min(shape) < 1:
            raise Invalid
        rows[slot] = shape
    return shape


def _layer(layer, shape, rows):
    kind = layer["type"]
    nd, c = len(shape) - 1, shape[-1]
    dims = shape[:-1]
    if kind in ("conv", "conv_transpose", "pool", "global_pool", "adaptive_pool", "pad",
                "upsample") and nd < 1:
        raise Invalid
    if kind in ("conv", "conv_transpose"):
        filters = at_least(layer, "filters", 1)
        groups = at_least(layer, "groups", 1, 1)
        if c % groups or filters % groups:
            raise Invalid
        k = per_dim(layer["kernel"], nd, 1)
        s = per_dim(layer.get("stride", 1), nd, 1)
        d = per_dim(layer.get("dilation", 1), nd, 1)
        e = [di * (ki - 1) + 1 for ki, di in zip(k, d)]
        padding = layer.get("padding", 0)
        if kind == "conv":
            if padding == "same":
                return (*(ceil_div(n, si) for n, si in zip(dims, s)), filters)
            p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
            if any(ei > n + 2 * pi for ei, n, pi in zip(e, dims, p)):
                raise Invalid
            return (*((n + 2 * pi - ei) // si + 1 for n, pi, ei, si in zip(dims, p, e, s)),
                    filters)
        op = per_dim(layer.get("output_padding", 0), nd, 0)
        if any(o >= max(si, di) for o, si, di in zip(op, s, d)):
            raise Invalid
        if padding == "same":  # Keras: n*s
            if any(op):
                raise Invalid
            return (*(n * si for n, si in zip(dims, s)), filters)
        if padding == "valid" and not any(op):  # Keras: n*s + max(e - s, 0)
            return (*(n * si + max(ei - si, 0) for n, si, ei in zip(dims, s, e)), filters)
        p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
        return (*((n - 1) * si - 2 * pi + ei - 1 + o + 1
                  for n, si, pi, ei, o in zip(dims, s, p, e, op)), filters)
    if kind == "pool":
        k = per_dim(layer["kernel"], nd, 1)
        s = per_dim(layer["stride"], nd, 1) if layer.get("stride") is not None else k
        padding = layer.get("padding", 0)
        ceil = layer.get("ceil_mode", False)
        if isinstance(padding, str) and ceil:
            raise Invalid
        if padding == "same":
            return (*(ceil_div(n, si) for n, si in zip(dims, s)), c)
        p = (0,) * nd if padding == "valid" else per_dim(padding, nd, 0)
        out = []
        for n, ki, si, pi in zip(dims, k, s, p):
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
        return (*(n + 2 * pi for n, pi in zip(dims, per_dim(layer["padding"], nd, 0))), c)
    if kind == "upsample":
        return (*(n * si for n, si in zip(dims, per_dim(layer["scale"], nd, 1))), c)
    if kind == "flatten":
        size = 1
        for n in shape:
            size *= n
        return (size,)
    if kind == "dense":
        return (*dims, at_least(layer, "units", 1))
    if kind in ("activation", "dropout", "batchnorm"):
        return shape
    if kind == "sequential":
        return _sequence(layer["layers"], shape, rows)
    if kind == "repeat":
        for _ in range(at_least(layer, "times", 1)):
            shape = _sequence(layer["layers"], shape, rows)
        return shape
    if kind == "residual":
        body = _sequence(layer["body"], shape, rows)
        shortcut = _sequence(layer.get("shortcut", []), shape, rows)
        if body != shortcut:
            raise Invalid
        return body
    if kind == "concat":
        outs = [_sequence(branch, shape, rows) for branch in layer["branches"]]
        if not outs or any(len(o) != len(outs[0]) or o[:-1] != outs[0][:-1] for o in outs):
            raise Invalid
        return (*outs[0][:-1], sum(o[-1] for o in outs))
    raise AssertionError(kind)


def output_of(layers, shape):
    """The oracle's output shape of a layer list, or Invalid."""
    return _sequence(layers, shape, [])


# ---------------------------------------------------------------- valid networks

def small(shape, nd):
    if len(shape) == 1:
        return shape[0] <= 2000
    return all(n <= CAP[nd] for n in shape[:-1]) and shape[-1] <= MAX_CHANNELS


def spatial_value(draw, values):
    """An int when every dim agrees (usually), else a list with one entry per dim."""
    if len(set(values)) == 1 and draw(st.booleans()):
        return values[0]
    return list(values)


def divisors(n):
    return [g for g in range(1, n + 1) if n % g == 0]


def maybe(draw, layer, field, value, default):
    """Set a field, or leave it out when it equals the default (both spellings tested)."""
    if value != default or draw(st.booleans()):
        layer[field] = value


def conv_layer(draw, shape, *, same=False, stride=None, filters=None):
    nd, c = len(shape) - 1, shape[-1]
    dims = shape[:-1]
    groups = draw(st.sampled_from(divisors(c)))
    if filters is None or filters % groups:
        filters = groups * draw(st.integers(1, max(1, 4 // groups)))
    layer = {"type": "conv", "filters": filters}
    mode = "same" if same else draw(st.sampled_from(["int", "list", "valid", "same"]))
    strides = [stride or draw(st.integers(1, 3)) for _ in dims] if stride is None or stride else []
    if stride is not None:
        strides = [stride] * nd
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
        for n, p in zip(dims, pads):
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


def conv_transpose_layer(draw, shape):
    nd, c = len(shape) - 1, shape[-1]
    dims = shape[:-1]
    groups = draw(st.sampled_from(divisors(c)))
    layer = {"type": "conv_transpose", "filters": groups * draw(st.integers(1, max(1, 4 // groups)))}
    kernel = [draw(st.integers(1, 3)) for _ in dims]
    dilation = [draw(st.integers(1, 2)) for _ in dims]
    mode = draw(st.sampled_from(["int", "list", "valid", "same"]))
    if mode == "same":
        stride = [draw(st.integers(1, 3)) for _ in dims]
        layer["padding"] = "same"
        extra = [0] * nd
    else:
        stride = [draw(st.integers(1, 3)) for _ in dims]
        extra = [draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation)]
        pads = []
        for n, k, s, d, op in zip(dims, kernel, stride, dilation, extra):
            most = ((n - 1) * s + d * (k - 1) + op) // 2  # keeps the output >= 1
            pads.append(draw(st.integers(0, min(2, most))))
        if mode == "valid":
            pads = [0] * nd
            layer["padding"] = "valid"
        elif mode == "int":
            pads = [min(pads)] * nd
            maybe(draw, layer, "padding", pads[0], 0)
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


def pool_layer(draw, shape, *, same_stride=None):
    dims = shape[:-1]
    layer = {"type": "pool", "mode": draw(st.sampled_from(["max", "avg"]))}
    if same_stride is not None:
        layer["kernel"] = spatial_value(draw, [draw(st.integers(1, 3)) for _ in dims])
        layer["stride"] = same_stride
        layer["padding"] = "same"
        return layer
    mode = draw(st.sampled_from(["int", "list", "valid", "same"]))
    kernel = [draw(st.integers(1, 3)) for _ in dims]
    if mode == "valid":
        kernel = [min(k, n) for k, n in zip(kernel, dims)]
        layer["padding"] = "valid"
    elif mode != "same":
        pads = []
        for n, k in zip(dims, kernel):
            p = draw(st.integers(0, k // 2))
            pads.append(p if n + 2 * p >= k else k // 2)
        if mode == "int":
            pads = [max(pads)] * len(dims) if all(max(pads) <= k // 2 for k in kernel) else pads
        value = spatial_value(draw, pads)
        maybe(draw, layer, "padding", value, 0)
        maybe(draw, layer, "ceil_mode", draw(st.booleans()), False)
    else:
        layer["padding"] = "same"
    layer["kernel"] = spatial_value(draw, kernel)
    if draw(st.booleans()):
        layer["stride"] = spatial_value(draw, [draw(st.integers(1, 3)) for _ in dims])
    return layer


def leaf_layer(draw, shape):
    nd = len(shape) - 1
    kinds = ["batchnorm", "activation", "dropout", "dense"]
    if nd:
        kinds += ["conv"] * 4 + ["conv_transpose"] * 2 + ["pool"] * 3 + [
            "adaptive_pool", "global_pool", "upsample", "pad"]
    kind = draw(st.sampled_from(kinds))
    dims = shape[:-1]
    if kind == "conv":
        return conv_layer(draw, shape)
    if kind == "conv_transpose":
        return conv_transpose_layer(draw, shape)
    if kind == "pool":
        return pool_layer(draw, shape)
    if kind == "adaptive_pool":
        return {"type": "adaptive_pool", "mode": draw(st.sampled_from(["max", "avg"])),
                "output_size": spatial_value(draw, [draw(st.integers(1, n + 1)) for n in dims])}
    if kind == "global_pool":
        return {"type": "global_pool", "mode": draw(st.sampled_from(["max", "avg"]))}
    if kind == "upsample":
        return {"type": "upsample", "scale": spatial_value(draw, [draw(st.integers(1, 2))
                                                                   for _ in dims])}
    if kind == "pad":
        return {"type": "pad", "padding": spatial_value(draw, [draw(st.integers(0, 2))
                                                                for _ in dims])}
    if kind == "activation":
        return {"type": "activation", "function": draw(st.sampled_from(FUNCTIONS))}
    if kind == "dropout":
        return {"type": "dropout", "rate": draw(st.sampled_from([0.0, 0.1, 0.5]))}
    if kind == "dense":
        layer = {"type": "dense", "units": draw(st.integers(1, 4))}
        maybe(draw, layer, "bias", draw(st.booleans()), True)
        return layer
    return {"type": "batchnorm"}


def preserving_layers(draw, shape, nd, depth, stride):
    """A short stack whose output has spatial sizes ceil(n/stride) (any channel count)."""
    layers = []
    if stride > 1:
        layers.append(draw(st.sampled_from([
            conv_layer(draw, shape, same=True, stride=stride),
            pool_layer(draw, shape, same_stride=stride)])))
        shape = output_of(layers, shape)
    for _ in range(draw(st.integers(0 if layers else 1, 2))):
        choice = draw(st.sampled_from(["conv", "conv", "pool", "batchnorm", "activation",
                                       "dense", "dropout", "block"]))
        if choice == "conv":
            layer = conv_layer(draw, shape, same=True, stride=1)
        elif choice == "pool":
            layer = pool_layer(draw, shape, same_stride=1)
        elif choice == "block" and depth < 1:
            layer, _ = draw(composite(shape, nd, depth + 1))
        else:
            layer = leaf_layer(draw, shape[-1:]) if choice != "block" else {"type": "batchnorm"}
            if layer["type"] not in ("dense", "batchnorm", "activation", "dropout"):
                layer = {"type": "batchnorm"}
        out = output_of([layer], shape)
        if small(out, nd):
            layers.append(layer)
            shape = out
    return layers, shape


@st.composite
def composite(draw, shape, nd, depth):
    kind = draw(st.sampled_from(["residual", "concat", "repeat", "sequential"]))
    stride = draw(st.sampled_from([1, 1, 2]))
    if kind == "residual":
        body, out = preserving_layers(draw, shape, nd, depth, stride)
        layer = {"type": "residual", "body": body}
        if out != shape or draw(st.booleans()):
            if stride == 1 and draw(st.booleans()):
                layer["shortcut"] = [{"type": "dense", "units": out[-1]}]
            else:
                layer["shortcut"] = [{"type": "conv", "filters": out[-1], "kernel": 1,
                                      "stride": stride}]
        if draw(st.booleans()):
            layer["activation"] = draw(st.sampled_from(FUNCTIONS))
    elif kind == "concat":
        branches = []
        for _ in range(draw(st.integers(1, 3))):
            if stride == 1 and draw(st.booleans()):
                branches.append([])
            else:
                branches.append(preserving_layers(draw, shape, nd, depth, stride)[0])
        layer = {"type": "concat", "branches": branches}
    else:
        body, _ = draw(stack(shape, nd, depth + 1, draw(st.integers(1, 2))))
        layer = {"type": kind, "layers": body}
        if kind == "repeat":
            layer["times"] = draw(st.integers(1, 3))
            while layer["times"] > 1:  # every repetition must fit and stay small
                try:
                    if small(output_of([layer], shape), nd):
                        break
                except Invalid:
                    pass
                layer["times"] -= 1
    try:
        out = output_of([layer], shape)
    except Invalid:
        out = None
    if out is None or not small(out, nd):
        layer, out = {"type": "batchnorm"}, shape
    return layer, out


@st.composite
def stack(draw, shape, nd, depth, count):
    layers = []
    for _ in range(count):
        if depth < 2 and len(shape) > 1 and draw(st.integers(0, 4)) == 0:
            layer, out = draw(composite(shape, nd, depth))
        else:
            layer = leaf_layer(draw, shape)
            try:
                out = output_of([layer], shape)
            except Invalid:
                out = None
            if out is None or not small(out, nd):
                layer, out = {"type": "activation", "function": "relu"}, shape
        layers.append(layer)
        shape = out
    return layers, shape


@st.composite
def networks(draw):
    nd = draw(st.sampled_from([1, 2, 3]))
    shape = (*(draw(st.integers(1, CAP[nd])) for _ in range(nd)), draw(st.integers(1, 4)))
    layers, out = draw(stack(shape, nd, 0, draw(st.integers(1, 5))))
    if draw(st.booleans()):
        layers.append({"type": "flatten"})
        if draw(st.booleans()):
            layers.append({"type": "dense", "units": draw(st.integers(1, 5)),
                           "activation": draw(st.sampled_from([None, "softmax", "relu"]))})
    return {"input": list(shape), "layers": layers}


# ---------------------------------------------------------------- the properties

def compare(spec):
    """Calculator rows == reference records == oracle rows."""
    report = cnnshape.analyze(spec)
    ref = cnnshape.reference.run(spec)
    calculated = [(row.path, row.name, tuple(row.output_shape)) for row in report.rows]
    measured = [(path, name, tuple(shape)) for path, name, shape in ref.records]
    assert calculated == measured, json.dumps(spec)
    assert [shape for _, _, shape in calculated] == expected_rows(spec), json.dumps(spec)
    return report


@SETTINGS
@given(networks())
def test_calculator_matches_reference_and_oracle(spec):
    output = output_of(spec["layers"], tuple(spec["input"]))  # the generator builds valid specs
    try:
        report = compare(spec)
    except SpecError as error:
        raise AssertionError(f"valid spec refused: {error}\n{json.dumps(spec)}") from None
    assert tuple(report.output_shape) == output


def numeric_sites(spec):
    """(container, key) of every int the spec holds, lists included."""
    sites = [(spec["input"], i) for i in range(len(spec["input"]))]

    def visit(layers):
        for layer in layers:
            for key, value in layer.items():
                if isinstance(value, bool):
                    continue
                if isinstance(value, int):
                    sites.append((layer, key))
                elif isinstance(value, list) and value and all(isinstance(v, int) for v in value):
                    sites.extend((value, i) for i in range(len(value)))
            for key in ("layers", "body", "shortcut"):
                visit(layer.get(key, []))
            for branch in layer.get("branches", []):
                visit(branch)

    visit(spec["layers"])
    return sites


@SETTINGS
@given(networks(), st.data())
def test_mutated_specs_are_refused_exactly_when_invalid(spec, data):
    """Nudge one number by -3..+3: the calculator refuses it (a SpecError, never another
    exception) exactly when the oracle finds it invalid, and agrees on every shape otherwise."""
    spec = copy.deepcopy(spec)
    sites = numeric_sites(spec)
    container, key = data.draw(st.sampled_from(sites))
    container[key] += data.draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
    try:
        rows = expected_rows(spec)
    except Invalid:
        rows = None
    try:
        report = cnnshape.analyze(spec)
    except SpecError as error:
        assert rows is None, f"refused a valid spec: {error}\n{json.dumps(spec)}"
        assert error.problems and all(line.startswith("<spec>: ") for line in error.problems)
        return
    assert rows is not None, f"accepted an invalid spec\n{json.dumps(spec)}"
    assert [tuple(row.output_shape) for row in report.rows] == rows
    sizes = [row.activation_size for row in report.rows]
    assume(max(sizes) <= 5000 and report.totals.macs <= 200_000)
    compare(spec)


def json_values():
    return st.recursive(
        st.none() | st.booleans() | st.integers(-3, 5) | st.floats(-2, 5, allow_nan=False)
        | st.sampled_from(["same", "valid", "conv", "max", "relu", "3", ""]),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
            st.sampled_from(["type", "filters", "kernel", "stride", "padding", "layers", "body",
                             "branches", "units", "name", "times", "x"]), inner, max_size=4),
        max_leaves=12)


@SETTINGS
@given(networks(), st.data())
def test_any_json_value_anywhere_is_a_spec_error_or_valid(spec, data):
    """Replace one field (or add one) with an arbitrary JSON value: never a traceback."""
    spec = copy.deepcopy(spec)
    layers = []

    def visit(items):
        for layer in items:
            layers.append(layer)
            for key in ("layers", "body", "shortcut"):
                visit(layer.get(key, []))
            for branch in layer.get("branches", []):
                visit(branch)

    visit(spec["layers"])
    target = data.draw(st.sampled_from([spec, *layers]))
    key = data.draw(st.sampled_from(sorted(set(target) | {"input", "output_padding", "groups",
                                                         "scale", "output_size", "mode"})))
    target[key] = data.draw(json_values())
    try:
        report = cnnshape.analyze(spec)
    except SpecError as error:
        assert error.problems
        assert all(line.startswith("<spec>") and "\n" not in line for line in error.problems)
        assert "Traceback" not in str(error)
        return
    sizes = [row.activation_size for row in report.rows]
    assume(max(sizes) <= 5000 and report.totals.macs <= 200_000)
    compare(spec)
