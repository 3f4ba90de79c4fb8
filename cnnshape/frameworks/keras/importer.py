"""From a Keras model's JSON (``model.to_json()``) to a spec, with neither Keras nor TensorFlow.

Why the JSON and not a live model: it is what people have at hand (``to_json()``, the
``model_config`` of an .h5 file, a TensorFlow.js ``model.json``) and reading it needs
only ``json``. Both layouts are read: Keras 3 (``inbound_nodes`` as ``{"args": ...}``
holding ``__keras_tensor__`` records, ``batch_shape``) and Keras 2 / tf.keras
(``[[layer, node_index, tensor_index, kwargs]]``, ``batch_input_shape``), Functional and
Sequential models, and models nested inside them (expanded in place).

Every translated layer's output shape is computed on the spot by cnnshape's own layer
rules (``same`` padding, broadcasting, ...), so the importer knows channel counts
(DepthwiseConv2D's groups) and can tell when two Keras layers are exactly one spec
layer: a ZeroPadding only a conv reads is that conv's padding (an asymmetric one only
when it is exactly Keras's "same"), zeros before an average pooling or -inf before a
max pooling (cnnshape's exporter's MinusInfPadding) that pooling's padding, a Cropping
after a transposed conv that conv's padding, centred Croppings before a merge the
merge's ``crop``, GlobalPooling + Reshape([1, 1, C]) a global_pool. It stops at the
first layer the spec cannot mirror exactly, naming it, rather than print a wrong table.

Keras activation layers stay rows of their own (build_spec's ``Node.fuse``), except
after an Add (a residual's activation) and where cnnshape's exporter spelt a fused
activation as a layer named ``<layer>_<function>``: so spec -> Keras -> spec gives
the table it started from.
"""

from __future__ import annotations

import heapq
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cnnshape.core import window
from cnnshape.core.errors import LayerError, SpecError
from cnnshape.frameworks.common.build import Node, build_spec
from cnnshape.layers import BY_TYPE
from cnnshape.layers.conv import ConvTranspose

TEXT = "<keras json>"
"""How error lines name JSON handed over as text."""

MODELS = ("Functional", "Model", "Sequential")

Shape = tuple[int, ...]
TensorKey = tuple[str, int, int]
"""A Keras tensor: (layer name, node index, tensor index)."""


class _Refused(Exception):
    """This layer has no exact spec equivalent; the message says why."""


@dataclass
class _Pending:
    """A padding or cropping not written yet: the layer reading it may absorb it exactly
    (a conv its zero padding, a pooling its padding, a merge its centre crops); any other
    reader gets it as a pad or crop layer of its own, if cnnshape's symmetric one fits."""

    call: _Call
    kind: str
    """"pad" (zeros), "-inf" (cnnshape's Keras exporter's MinusInfPadding) or "crop"."""
    source: str
    pairs: list[tuple[int, int]]
    """(before, after) per spatial dim."""
    shape: Shape
    made: str | None = None
    """The node written for it, once a reader could not absorb it."""

    @property
    def symmetric(self) -> bool:
        return all(a == b for a, b in self.pairs)

    @property
    def alone(self) -> bool:
        """Read once: absorbing it into that reader loses nothing."""
        return self.call.uses == 1 and self.made is None


@dataclass
class _HardSigmoid:
    """Keras's hard sigmoid written out, relu6(x + 3) * (1/6) (MobileNetV3), part way:
    ``step`` 1 after the ``+ 3``, 2 after the relu6. Only the next step may read it; the
    last step is the ``hardsigmoid`` activation (cnnshape's is exactly relu6(x + 3) / 6),
    any other reader is refused as the constant's arithmetic was."""

    call: _Call
    """The ``Add`` of the constant 3 (named in a refusal)."""
    source: str
    step: int


Value = str | _Pending | _HardSigmoid
"""What a Keras tensor became: a node's name (or the input's), a pending pad/crop, or a
hard sigmoid on its way."""


@dataclass
class _Call:
    """One call of a Keras layer: its JSON entry and the tensors it reads."""

    entry: dict[str, Any]
    name: str
    cls: str
    index: int = 0
    inputs: list[TensorKey] = field(default_factory=list)
    constants: list[Any] = field(default_factory=list)
    """Non-tensor positional arguments (Keras 3 ops: ``x + 3.0``)."""
    uses: int = 1
    """How many calls read this call's output (a folded padding needs exactly one)."""
    shared: bool = False
    prefix: str = ""
    """The nested model holding the layer, if any: its names may clash with the outer ones."""

    @property
    def config(self) -> dict[str, Any]:
        config = self.entry.get("config")
        return config if isinstance(config, dict) else {}


@dataclass
class _Item:
    """A node in the making (graph.Node once complete)."""

    name: str
    layer: dict[str, Any]
    inputs: list[str]
    readers: int = 1
    """Keras calls reading it (a transposed conv absorbs the crop after it only if alone)."""
    fuse: bool = True
    """Whether build_spec may fold this activation into the layer before it."""


# ---------------------------------------------------------------- reading the document

def from_keras_json(source: str | os.PathLike[str] | dict[str, Any], *,
                    name: str | None = None) -> dict[str, Any]:
    """A spec dict from Keras model JSON: a path, the JSON text, or the parsed dict.

    Raises SpecError with one line naming the file and the layer when the model cannot be
    expressed exactly (an unsupported layer, several inputs or outputs, bad JSON).
    """
    where, data = _read(source)
    model, version = _unwrap(data, where)
    keras2 = not version.startswith("3") if version else "module" not in model
    importer = _Importer(where, keras2)
    output = importer.model(model, None, "")
    title = name or _model_name(model)
    made_by = f"Keras {version}" if version else ("Keras 2" if importer.keras2 else "Keras 3")
    nodes = importer.nodes(output)
    description = f"Imported from {made_by} model JSON ({where})"
    if importer.other_outputs:
        description += (f"; the model's other outputs ({', '.join(importer.other_outputs)}) "
                        "are layers the spec's output does not read, counted all the same")
    return build_spec(nodes, importer.input_name, importer.input_shape, name=title,
                      description=description, source=where)


def _read(source: str | os.PathLike[str] | dict[str, Any]) -> tuple[str, Any]:
    if isinstance(source, dict):
        return TEXT, source
    if isinstance(source, str) and source.lstrip().startswith(("{", "[")):
        return TEXT, _parse(source, TEXT)
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"cannot read Keras JSON from {type(source).__name__}")
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        raise SpecError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([f"{path}: cannot read: {exc}"]) from None
    return path, _parse(text, path)


def _parse(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpecError([f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                         f"{exc.msg}"]) from None
    except RecursionError:
        raise SpecError([f"{where}: invalid JSON: nested too deeply"]) from None


def _unwrap(data: Any, where: str) -> tuple[dict[str, Any], str | None]:
    """The model object, through an .h5 ``model_config`` or a TF.js ``modelTopology``."""
    version = None
    for _ in range(3):
        if not isinstance(data, dict):
            break
        if isinstance(data.get("keras_version"), str):
            version = data["keras_version"]
        inner = data.get("modelTopology", data.get("model_config"))
        if inner is None:
            break
        data = _parse(inner, where) if isinstance(inner, str) else inner
    if not isinstance(data, dict) or "class_name" not in data:
        raise SpecError([f"{where}: not a Keras model's JSON: expected an object with "
                         "\"class_name\" and \"config\" (what model.to_json() writes)"])
    if data["class_name"] not in MODELS:
        raise SpecError([f"{where}: not a Keras model: class_name {json.dumps(data['class_name'])}"
                         f" (expected one of {', '.join(MODELS)})"])
    return data, version


def _model_name(model: dict[str, Any]) -> str | None:
    config = model.get("config")
    text = config.get("name") if isinstance(config, dict) else None
    return text if isinstance(text, str) and text else None


# ---------------------------------------------------------------- small conversions

def _ints(value: Any, nd: int, what: str) -> list[int]:
    """A Keras int-or-tuple argument as one int per spatial dim."""
    values = [value] * nd if isinstance(value, int) else value
    if (not isinstance(values, list) or len(values) != nd
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in values)):
        raise _Refused(f"{what}: expected an int or {nd} ints, got {json.dumps(value)}")
    return list(values)


def _compact(values: list[int]) -> int | list[int]:
    """An int when every dim agrees, as people write specs."""
    return values[0] if len(set(values)) == 1 else values


def _pairs(value: Any, nd: int, what: str) -> list[tuple[int, int]]:
    """ZeroPadding/Cropping arguments as (before, after) per spatial dim."""
    if isinstance(value, int):
        return [(value, value)] * nd
    if isinstance(value, list) and len(value) == 2 and nd == 1 and all(
            isinstance(v, int) for v in value):
        return [(value[0], value[1])]
    if isinstance(value, list) and len(value) == nd:
        pairs = []
        for part in value:
            if isinstance(part, int):
                pairs.append((part, part))
            elif isinstance(part, list) and len(part) == 2 and all(
                    isinstance(v, int) for v in part):
                pairs.append((part[0], part[1]))
            else:
                break
        else:
            return pairs
    raise _Refused(f"{what}: expected an int, {nd} ints or {nd} (before, after) pairs, "
                   f"got {json.dumps(value)}")


def _dims(cls: str) -> int:
    """The spatial rank a class name carries: Conv2D -> 2."""
    match = re.search(r"([123])D", cls)
    return int(match.group(1)) if match else 0


def _axis(value: Any, rank: int, what: str) -> None:
    """Only the channel axis (last) is expressible; ``rank`` counts the batch axis."""
    axes = value if isinstance(value, list) else [value]
    if len(axes) != 1 or not isinstance(axes[0], int) or axes[0] not in (-1, rank - 1):
        raise _Refused(f"{what} {json.dumps(value)}: only the last (channel) axis is supported")


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


ACTIVATIONS = {
    "relu": "relu", "relu6": "relu6", "elu": "elu", "gelu": "gelu", "silu": "silu",
    "swish": "silu", "sigmoid": "sigmoid", "hard_sigmoid": "hardsigmoid",
    "hard_silu": "hardswish", "hard_swish": "hardswish", "tanh": "tanh", "softmax": "softmax",
}
"""Keras activation names with the same function in cnnshape. Keras 3's hard_sigmoid is
relu6(x + 3) / 6, as cnnshape's; Keras 2's was 0.2x + 0.5 (refused there)."""


# ---------------------------------------------------------------- the importer

class _Importer:
    """Keras calls in order -> items, each with its output shape by cnnshape's rules."""

    def __init__(self, where: str, keras2: bool) -> None:
        self.where = where
        self.keras2 = keras2
        self.items: dict[str, _Item] = {}
        self.shapes: dict[str, Shape] = {}
        self.taken: set[str] = {"input"}
        self.keras_names: set[str] = set()
        """Every Keras layer name seen: names made up here (``<layer>_pool``) avoid them."""
        self.input_name = ""
        self.input_shape: list[int] = []
        self.other_outputs: list[str] = []
        """The top-level model's outputs after the first (kept as unread layers)."""
        self.pools: dict[str, tuple[str, int]] = {}
        """GlobalPooling(keepdims=False) flatten item -> (its global_pool item, readers)."""

    # -- models --------------------------------------------------------------
    def model(self, data: Any, bound: Value | None, prefix: str) -> Value:
        """Translate a model; ``bound`` is the value its input takes when nested."""
        if not isinstance(data, dict) or not isinstance(data.get("config"), (dict, list)):
            raise SpecError([f"{self.where}: {prefix or 'model'}: a model needs a \"config\""])
        if data.get("class_name") == "Sequential":
            return self.sequential(data["config"], bound, prefix)
        return self.functional(data["config"], bound, prefix)

    def sequential(self, config: Any, bound: Value | None, prefix: str) -> Value:
        entries = config.get("layers") if isinstance(config, dict) else config
        if not isinstance(entries, list) or not entries:
            raise SpecError([f"{self.where}: {prefix or 'Sequential'}: no layers"])
        value = bound
        calls = [self.call_of(entry, prefix, index=0) for entry in entries]
        calls[-1].uses = 2  # a nested model's output may have other readers
        for call in calls:
            if call.cls == "InputLayer":
                value = value if value is not None else self.start(call, call.config)
                continue
            if value is None:  # no InputLayer: Keras 2 puts the shape on the first layer
                outer = config if isinstance(config, dict) else {}
                value = self.start(call, {**outer, **call.config}, implicit=True)
            value = self.translate(call, [value])
        assert value is not None
        return value

    def functional(self, config: Any, bound: Value | None, prefix: str) -> Value:
        entries = config.get("layers") if isinstance(config, dict) else None
        if not isinstance(entries, list):
            raise SpecError([f"{self.where}: {prefix or 'model'}: config has no \"layers\" list"])
        ins = _endpoints(config.get("input_layers"))
        outs = _endpoints(config.get("output_layers"))
        label = f"{self.where}: {prefix + ': ' if prefix else ''}"
        if ins is None or outs is None:
            raise SpecError([f"{label}malformed input_layers or output_layers"])
        if len(ins) != 1:
            raise SpecError([f"{label}the model has {len(ins)} inputs; a spec has exactly one"])
        if len(outs) != 1 and (prefix or not outs):
            raise SpecError([f"{label}the model has {len(outs)} outputs; a spec has exactly one"])
        calls = self.calls(entries, prefix)
        for call in calls:  # a model output is read (by whoever calls the model)
            call.uses += sum(key == (call.name, call.index, 0) for key in outs[1:])
        order = _order(calls, outs, self.where, prefix)
        if not prefix:
            self.other_outputs = [key[0] for key in outs[1:]]
        values: dict[TensorKey, Value] = {}
        for call in order:
            if call.cls == "InputLayer":
                if (call.name, call.index, 0) != ins[0]:
                    raise SpecError([f"{label}layer {call.name} (InputLayer): a second input "
                                     "the output depends on; a spec has exactly one"])
                values[ins[0]] = bound if bound is not None else self.start(call, call.config)
                continue
            reads = [values[key] for key in call.inputs]
            values[(call.name, call.index, 0)] = self.translate(call, reads)
        if outs[0] not in values:
            raise SpecError([f"{label}output {outs[0][0]} is not computed by any layer"])
        return values[outs[0]]

    def calls(self, entries: list[Any], prefix: str) -> list[_Call]:
        """Every call of every layer, with the tensors it reads and how often it is read."""
        calls: list[_Call] = []
        for entry in entries:
            nodes = entry.get("inbound_nodes") if isinstance(entry, dict) else None
            if not isinstance(nodes, list):
                nodes = []
            if not nodes:
                calls.append(self.call_of(entry, prefix, 0))
            for index, node in enumerate(nodes):
                call = self.call_of(entry, prefix, index)
                call.shared = len(nodes) > 1
                try:
                    call.inputs, call.constants = _inbound(node)
                except ValueError as exc:
                    raise self.fail(call, f"malformed inbound_nodes: {exc}") from None
                calls.append(call)
        uses: dict[TensorKey, int] = {}
        for call in calls:
            for key in call.inputs:
                uses[key] = uses.get(key, 0) + 1
        for call in calls:
            call.uses = uses.get((call.name, call.index, 0), 0)
        return calls

    def call_of(self, entry: Any, prefix: str, index: int) -> _Call:
        if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
            raise SpecError([f"{self.where}: {prefix + ': ' if prefix else ''}a layer entry "
                             f"without \"class_name\": {json.dumps(entry)[:80]}"])
        config = entry.get("config")
        name = entry.get("name") or (config.get("name") if isinstance(config, dict) else None)
        if not isinstance(name, str) or not name:
            raise SpecError([f"{self.where}: a {entry['class_name']} layer without a name"])
        self.keras_names.add(name)
        return _Call(entry, name, entry["class_name"], index, prefix=prefix)

    def start(self, call: _Call, config: dict[str, Any], implicit: bool = False) -> str:
        """The network's input: its name and shape (batch axis dropped)."""
        shape = None
        for key in ("batch_shape", "batch_input_shape", "build_input_shape"):
            if isinstance(config.get(key), list):
                shape = config[key][1:]
                break
        else:
            if isinstance(config.get("shape"), list):
                shape = config["shape"]
        if shape is None:
            raise self.fail(call, "no input shape: give the model an Input (or build it) with a "
                            "fixed shape")
        if not shape or len(shape) > 4 or not all(isinstance(n, int) and n > 0 for n in shape):
            raise self.fail(call, f"input shape {json.dumps([None, *shape])}: cnnshape needs "
                            "fixed sizes, channels last, with 0 to 3 spatial dims")
        if self.input_name:
            raise self.fail(call, "a second input; a spec has exactly one")
        self.input_name = "input" if implicit else call.name
        self.taken.add(self.input_name)
        self.input_shape = list(shape)
        self.shapes[self.input_name] = tuple(shape)
        return self.input_name

    # -- one call ----------------------------------------------------------------
    def translate(self, call: _Call, values: list[Value]) -> Value:
        if call.cls in MODELS:
            if len(values) != 1:
                raise self.fail(call, f"a nested model called on {len(values)} tensors; "
                                "only single-input models are supported")
            if call.shared:
                raise self.fail(call, "a nested model called more than once shares its "
                                "weights; a spec's layers each have their own")
            out = self.model(call.entry, values[0], call.name)
            return self.resolve(out, call)
        handler = HANDLERS.get(call.cls)
        module = call.entry.get("module")
        if isinstance(module, str) and module.startswith("keras.src.ops") and \
                call.cls not in ("Add", "Multiply"):
            handler = None
        if handler is None:
            raise self.fail(call, "unsupported Keras layer (cnnshape has no exact equivalent)")
        config = call.config
        try:
            if (config.get("data_format") or "channels_last") != "channels_last":
                raise _Refused(f"data_format {json.dumps(config['data_format'])}: only "
                               "channels_last is supported (cnnshape's layout)")
            if config.get("lora_rank"):
                raise _Refused("LoRA weights (lora_rank) are not counted by cnnshape")
            return handler(self, call, config, values)
        except _Refused as exc:
            raise self.fail(call, str(exc)) from None
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            if isinstance(exc, SpecError):
                raise
            raise self.fail(call, f"malformed layer config ({type(exc).__name__}: {exc})") \
                from None

    def fail(self, call: _Call, problem: str) -> SpecError:
        return SpecError([f"{self.where}: layer {call.name} ({call.cls}): {problem}"])

    def claim(self, wanted: str, prefix: str = "", made_up: bool = False) -> str:
        """A unique node name: Keras's own when free (nested models may reuse names); a
        made-up one also keeps clear of the Keras names still to come."""
        avoid = self.taken | self.keras_names if made_up else self.taken
        candidates = [wanted] + ([f"{prefix}_{wanted}"] if prefix else [])
        for candidate in candidates:
            if candidate not in avoid:
                self.taken.add(candidate)
                return candidate
        n = 2
        while f"{candidates[-1]}_{n}" in avoid:
            n += 1
        self.taken.add(f"{candidates[-1]}_{n}")
        return f"{candidates[-1]}_{n}"

    def resolve(self, value: Value, reader: _Call) -> str:
        """The node a reader that cannot absorb a pending pad or crop reads: the pad or
        crop written as a layer of its own, when cnnshape's symmetric one fits."""
        if isinstance(value, _HardSigmoid):
            raise self.fail(value.call, f"with a constant ({_constants(value.call)}): cnnshape "
                            "merges tensors only (a hard sigmoid written out as relu6(x + 3) / 6 "
                            "is read as one)")
        if not isinstance(value, _Pending):
            return value
        if value.made is None:
            value.made = self._write(value, reader)
        return value.made

    def _write(self, pending: _Pending, reader: _Call) -> str:
        call = pending.call
        cuts = [list(p) for p in pending.pairs]
        if pending.kind == "-inf":
            raise self.fail(call, f"padding {json.dumps(cuts)} with -inf means something only to "
                            f"a max pooling right after it, but {reader.name} ({reader.cls}) "
                            "reads it")
        if not pending.symmetric:
            what = "padding" if pending.kind == "pad" else "cropping"
            absorbs = ("a conv right after it whose \"same\" padding is exactly this"
                       if pending.kind == "pad" else
                       "a transposed conv before it, or a merge that centre-crops its inputs")
            raise self.fail(call, f"asymmetric {what} {json.dumps(cuts)} has no spec equivalent "
                            f"(cnnshape's {pending.kind} is the same on both sides); it folds "
                            f"only into {absorbs}, and {reader.name} ({reader.cls}) reads it")
        sizes = _compact([a for a, _ in pending.pairs])
        layer = ({"type": "pad", "padding": sizes} if pending.kind == "pad" else
                 {"type": "crop", "cropping": sizes})
        try:
            return self.emit(call, self.own(call), layer, [pending.source])
        except _Refused as exc:
            raise self.fail(call, str(exc)) from None

    def one(self, call: _Call, values: list[Value]) -> str:
        if len(values) != 1 or call.constants:
            raise _Refused(f"expected one input tensor, got {len(values)}"
                           + (f" and a constant ({_constants(call)})" if call.constants else ""))
        return self.resolve(values[0], call)

    def infer(self, layer: dict[str, Any], inputs: list[str]) -> Shape:
        """The output shape by cnnshape's own rules (Keras's, for "same" and broadcasting)."""
        return self._infer(layer, inputs)[0]

    def _infer(self, layer: dict[str, Any], inputs: list[str]) -> tuple[Shape, int]:
        kind = BY_TYPE[layer["type"]]
        probe = {**layer, "inputs": inputs} if kind.merges else layer
        try:
            model = kind.validate(probe)
            shapes: Any = [self.shapes[n] for n in inputs]  # a merge's infer takes the list
            result = model.infer(shapes if kind.merges else shapes[0], None)
        except LayerError as exc:
            raise _Refused(str(exc)) from None
        except ValueError as exc:  # pydantic's ValidationError: a value out of range
            raise _Refused(f"{layer['type']} {_first_error(exc)}") from None
        return tuple(result.shape), result.params + result.non_trainable

    def emit(self, call: _Call, name: str, layer: dict[str, Any], inputs: list[str]) -> str:
        """Add a node after computing its shape by cnnshape's rules."""
        shape, weights = self._infer(layer, inputs)
        if call.shared and weights:
            raise _Refused(f"called {len(call.entry['inbound_nodes'])} times with shared weights; "
                           "a spec layer has its own weights, so they would be counted per call")
        self.items[name] = _Item(name, layer, inputs, call.uses)
        self.shapes[name] = shape
        return name

    def rename(self, old: str, new: str) -> str:
        """Give a node nothing reads yet another name (what it became, e.g. a crop)."""
        item = self.items.pop(old)
        item.name = new
        self.items[new] = item
        self.shapes[new] = self.shapes.pop(old)
        return new

    def own(self, call: _Call) -> str:
        """The node name for a call: Keras's name, suffixed for a shared layer's later calls."""
        return self.claim(call.name if call.index == 0 else f"{call.name}_{call.index}",
                          call.prefix)

    def nodes(self, output: Value) -> list[Node]:
        if isinstance(output, _Pending | _HardSigmoid):
            output = self.resolve(output, output.call)
        if output == self.input_name or output not in self.items:
            raise SpecError([f"{self.where}: the model computes nothing (its output is its input)"])
        names = list(self.items)
        kept = names[:names.index(output) + 1]  # later items cannot feed the output
        return [Node(n, self.items[n].layer, self.items[n].inputs, fuse=self.items[n].fuse)
                for n in kept]


def _constants(call: _Call) -> str:
    return ", ".join(json.dumps(c, default=str) for c in call.constants)[:60]


def _first_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"{where}: {first.get('msg')} (got {json.dumps(first.get('input'), default=str)})"
    return str(exc)


def _endpoints(value: Any) -> list[TensorKey] | None:
    """input_layers/output_layers: ``[name, 0, 0]`` (Keras 3, one) or a list of those."""
    if isinstance(value, list) and len(value) == 3 and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not (isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str)
                and isinstance(item[1], int) and isinstance(item[2], int)):
            return None
        out.append((item[0], item[1], item[2]))
    return out


def _inbound(node: Any) -> tuple[list[TensorKey], list[Any]]:
    """The tensors one call reads (in order) and its constant arguments, either layout."""
    if isinstance(node, dict):  # Keras 3: {"args": [...], "kwargs": {...}}
        tensors: list[TensorKey] = []
        constants: list[Any] = []
        stack = [list(node.get("args", []))]
        while stack:
            items = stack.pop()
            if not items:
                continue
            head, rest = items[0], items[1:]
            stack.append(rest)
            if isinstance(head, dict) and head.get("class_name") == "__keras_tensor__":
                history = head.get("config", {}).get("keras_history")
                if not (isinstance(history, list) and len(history) == 3):
                    raise ValueError("a tensor without keras_history")
                tensors.append((history[0], history[1], history[2]))
            elif isinstance(head, list):
                stack.append(list(head))
            else:
                constants.append(head)
        return tensors, constants
    if isinstance(node, list):  # Keras 2: [[layer, node_index, tensor_index, kwargs], ...]
        keys = []
        for item in node:
            if not (isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str)):
                raise ValueError(f"expected [layer, node_index, tensor_index], got "
                                 f"{json.dumps(item)[:60]}")
            keys.append((item[0], item[1], item[2]))
        return keys, []
    raise ValueError(f"expected an object or a list, got {json.dumps(node)[:60]}")


def _order(calls: list[_Call], outputs: list[TensorKey], where: str,
           prefix: str) -> list[_Call]:
    """The calls the outputs depend on, in a topological order that keeps Keras's own
    order wherever it already is one, the first output's layer last: it is the spec's
    output; the other outputs' layers stay, computed and counted, read by nothing."""
    output = outputs[0]
    label = f"{where}: {prefix + ': ' if prefix else ''}"
    producers = {(c.name, c.index, 0): c for c in calls}
    position = {id(c): i for i, c in enumerate(calls)}
    for call in calls:
        for key in call.inputs:
            if key not in producers:
                what = "a layer output other than the first" if key[2] else "an unknown tensor"
                raise SpecError([f"{label}layer {call.name} ({call.cls}): reads "
                                 f"{json.dumps(list(key))}, {what}"])
    if output not in producers:
        raise SpecError([f"{label}output {json.dumps(list(output))} is not a layer output"])
    for other in outputs[1:]:
        if other not in producers:
            raise SpecError([f"{label}output {json.dumps(list(other))} is not a layer output"])
    needed: dict[int, _Call] = {}
    stack = [producers[key] for key in outputs]
    while stack:
        call = stack.pop()
        if id(call) in needed:
            continue
        needed[id(call)] = call
        stack.extend(producers[key] for key in call.inputs)
    waiting = {i: len(c.inputs) for i, c in needed.items()}
    readers: dict[int, list[_Call]] = {}
    for call in needed.values():
        for key in call.inputs:
            readers.setdefault(id(producers[key]), []).append(call)
    ready = [(position[i], i) for i, n in waiting.items() if n == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        _, i = heapq.heappop(ready)
        order.append(needed[i])
        for reader in readers.get(i, []):
            waiting[id(reader)] -= 1
            if waiting[id(reader)] == 0:
                heapq.heappush(ready, (position[id(reader)], id(reader)))
    if len(order) != len(needed):
        raise SpecError([f"{label}the layers form a cycle"])
    last = producers[output]
    if readers.get(id(last)):
        reader = readers[id(last)][0]
        raise SpecError([f"{label}layer {reader.name} ({reader.cls}) reads the first output "
                         f"{last.name}: a spec's output is its last layer"])
    return [call for call in order if call is not last] + [last]


# ---------------------------------------------------------------- layer translations

Handler = Callable[[_Importer, _Call, dict[str, Any], list[Value]], Value]


def _function(value: Any, keras2: bool) -> str | None:
    """A Keras activation (name or serialized function) as cnnshape's, None for linear."""
    if isinstance(value, dict):
        value = value.get("config") if isinstance(value.get("config"), str) else \
            value.get("class_name")
    if value is None or value == "linear":
        return None
    if value == "hard_sigmoid" and keras2:
        raise _Refused("Keras 2's hard_sigmoid (0.2x + 0.5, clipped) is not cnnshape's "
                       "hardsigmoid (relu6(x + 3) / 6)")
    if value == "leaky_relu":
        raise _Refused("Keras's leaky_relu activation has slope 0.2; cnnshape's leaky_relu "
                       "has 0.01")
    if not isinstance(value, str) or value not in ACTIVATIONS:
        raise _Refused(f"activation {json.dumps(value)} has no cnnshape equivalent")
    return ACTIVATIONS[value]


def _fused(layer: dict[str, Any], config: dict[str, Any], keras2: bool) -> dict[str, Any]:
    """Conv/Dense options shared by all: bias and a fused activation."""
    if not config.get("use_bias", True):
        layer["bias"] = False
    function = _function(config.get("activation"), keras2)
    if function:
        layer["activation"] = function
    return layer


def _window(config: dict[str, Any], nd: int) -> tuple[list[int], list[int], list[int]]:
    kernel = _ints(config["kernel_size"], nd, "kernel_size")
    stride = _ints(config.get("strides", 1), nd, "strides")
    dilation = _ints(config.get("dilation_rate", 1), nd, "dilation_rate")
    return kernel, stride, dilation


def _conv_input(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value],
                kernel: list[int], stride: list[int],
                dilation: list[int]) -> tuple[str, str | int | list[int]]:
    """The conv's input and padding, absorbing a ZeroPadding that only it reads: zeros
    then a "valid" conv is the conv with that padding (numeric when symmetric, "same"
    when it is exactly Keras's "same" pads, the odd one after)."""
    if len(values) != 1 or call.constants:
        raise _Refused(f"expected one input tensor, got {len(values)}")
    padding = str(config.get("padding", "valid")).lower()
    if padding not in ("valid", "same"):
        raise _Refused(f"padding {json.dumps(padding)}: only \"valid\" and \"same\" are "
                       "supported (causal padding pads one side only)")
    value = values[0]
    if isinstance(value, _Pending) and value.kind == "pad" and value.alone and \
            padding == "valid":
        if value.symmetric:
            return value.source, _compact([a for a, _ in value.pairs])
        dims = imp.shapes[value.source][:-1]
        if value.pairs == [window.same_pads(n, window.effective(k, d), s)
                           for n, k, s, d in zip(dims, kernel, stride, dilation, strict=False)]:
            return value.source, "same"
    return imp.resolve(value, call), padding


def _conv(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    nd = _dims(call.cls)
    kernel, stride, dilation = _window(config, nd)
    x, padding = _conv_input(imp, call, config, values, kernel, stride, dilation)
    layer: dict[str, Any] = {"type": "conv", "filters": config["filters"],
                             "kernel": _compact(kernel)}
    _window_fields(layer, stride, padding)
    if set(dilation) != {1}:
        layer["dilation"] = _compact(dilation)
    if config.get("groups", 1) != 1:
        layer["groups"] = config["groups"]
    return imp.emit(call, imp.own(call), _fused(layer, config, imp.keras2), [x])


def _window_fields(layer: dict[str, Any], stride: list[int],
                   padding: str | int | list[int]) -> None:
    """stride and padding, left out at their defaults (1, "valid" = 0) as people write."""
    if set(stride) != {1}:
        layer["stride"] = _compact(stride)
    if padding not in ("valid", 0):
        layer["padding"] = padding


def _depthwise_layer(imp: _Importer, config: dict[str, Any], x: str,
                     padding: str | int | list[int], kernel: list[int], stride: list[int],
                     dilation: list[int]) -> dict[str, Any]:
    """groups = channels, filters = channels x depth_multiplier."""
    channels = imp.shapes[x][-1]
    multiplier = config.get("depth_multiplier", 1)
    layer: dict[str, Any] = {"type": "conv", "filters": channels * multiplier,
                             "kernel": _compact(kernel)}
    _window_fields(layer, stride, padding)
    layer["groups"] = channels
    if set(dilation) != {1}:
        layer["dilation"] = _compact(dilation)
    return layer


def _depthwise(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    kernel, stride, dilation = _window(config, _dims(call.cls))
    x, padding = _conv_input(imp, call, config, values, kernel, stride, dilation)
    layer = _depthwise_layer(imp, config, x, padding, kernel, stride, dilation)
    return imp.emit(call, imp.own(call), _fused(layer, config, imp.keras2), [x])


def _separable(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """A depthwise conv (no bias) then a 1x1 conv: Keras's SeparableConv weights exactly."""
    kernel, stride, dilation = _window(config, _dims(call.cls))
    x, padding = _conv_input(imp, call, config, values, kernel, stride, dilation)
    layer = _depthwise_layer(imp, config, x, padding, kernel, stride, dilation)
    layer["bias"] = False
    name = imp.own(call)
    inner = imp.emit(call, imp.claim(f"{name}_depthwise", made_up=True), layer, [x])
    point: dict[str, Any] = {"type": "conv", "filters": config["filters"], "kernel": 1}
    return imp.emit(call, name, _fused(point, config, imp.keras2), [inner])


def _transpose(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    nd = _dims(call.cls)
    kernel, stride, dilation = _window(config, nd)
    x = imp.one(call, values)
    padding: str | int | list[int] = str(config.get("padding", "valid")).lower()
    if padding not in ("valid", "same"):
        raise _Refused(f"padding {json.dumps(padding)}: only \"valid\" and \"same\" are supported")
    layer: dict[str, Any] = {"type": "conv_transpose", "filters": config["filters"],
                             "kernel": _compact(kernel)}
    if set(stride) != {1}:
        layer["stride"] = _compact(stride)
    extra = config.get("output_padding")
    if extra is not None:
        extra = _ints(extra, nd, "output_padding")
        layer["output_padding"] = _compact(extra)
        if padding == "same":  # Keras then pads k'//2 on both sides, k' the dilated kernel
            padding = _compact([window.effective(k, d) // 2
                                for k, d in zip(kernel, dilation, strict=False)])
    layer["padding"] = padding
    if set(dilation) != {1}:
        layer["dilation"] = _compact(dilation)
    if config.get("groups", 1) != 1:
        layer["groups"] = config["groups"]
    return imp.emit(call, imp.own(call), _fused(layer, config, imp.keras2), [x])


def _dense(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    layer = {"type": "dense", "units": config["units"]}
    return imp.emit(call, imp.own(call), _fused(layer, config, imp.keras2), [imp.one(call, values)])


def _activation_node(imp: _Importer, call: _Call, function: str | None,
                     values: list[Value]) -> Value:
    """A Keras activation layer stays a row of its own (as the source wrote it), except
    after an Add (cnnshape's residual holds it) and where cnnshape's Keras exporter spelt
    a layer's activation as a layer named ``<layer>_<function>`` (Keras has no
    activation argument for leaky_relu's slope 0.01, nor for a transposed conv whose
    output it crops)."""
    x = imp.one(call, values)
    if function is None:
        return x  # linear: the identity
    name = imp.emit(call, imp.own(call), {"type": "activation", "function": function}, [x])
    before = imp.items.get(x)
    after_add = before is not None and before.layer == {"type": "merge", "mode": "add"}
    imp.items[name].fuse = after_add or call.name in (f"{x}_{function}",
                                                      f"{x.replace('.', '_')}_{function}")
    return name


def _activation(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    return _activation_node(imp, call, _function(config.get("activation"), imp.keras2), values)


def _relu(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """ReLU(max_value, negative_slope, threshold): relu, relu6 or leaky_relu(0.01) only."""
    top = config.get("max_value")
    slope = config.get("negative_slope") or 0.0
    if config.get("threshold") or 0.0:
        raise _Refused(f"threshold {config['threshold']} has no cnnshape equivalent")
    plus3 = values[0] if len(values) == 1 else None
    if isinstance(plus3, _HardSigmoid) and plus3.step == 1 and slope == 0.0 \
            and top is not None and _same(top, 6.0) and not call.constants and not call.shared:
        return _HardSigmoid(plus3.call, plus3.source, 2)
    if slope == 0.0 and top is None:
        return _activation_node(imp, call, "relu", values)
    if slope == 0.0 and top is not None and _same(top, 6.0):
        return _activation_node(imp, call, "relu6", values)
    if top is None and _same(slope, 0.01):
        return _activation_node(imp, call, "leaky_relu", values)
    raise _Refused(f"max_value {top} with negative_slope {slope}: cnnshape has relu, relu6 "
                   "and leaky_relu with slope 0.01")


def _leaky(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    slope = config.get("negative_slope", config.get("alpha", 0.3))
    if not isinstance(slope, (int, float)) or not _same(slope, 0.01):
        raise _Refused(f"negative slope {slope}: cnnshape's leaky_relu has slope 0.01")
    return _activation_node(imp, call, "leaky_relu", values)


def _elu(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    alpha = config.get("alpha", 1.0)
    if not isinstance(alpha, (int, float)) or not _same(alpha, 1.0):
        raise _Refused(f"alpha {alpha}: cnnshape's elu has alpha 1")
    return _activation_node(imp, call, "elu", values)


def _softmax(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    x = imp.one(call, values)
    _axis(config.get("axis", -1), len(imp.shapes[x]) + 1, "axis")
    return _activation_node(imp, call, "softmax", [x])


def _pool(mode: str) -> Handler:
    def pool(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
        nd = _dims(call.cls)
        kernel = _ints(config.get("pool_size", 2), nd, "pool_size")
        strides = config.get("strides")
        stride = kernel if strides is None else _ints(strides, nd, "strides")
        padding = str(config.get("padding", "valid")).lower()
        if padding not in ("valid", "same"):
            raise _Refused(f"padding {json.dumps(padding)}: only \"valid\" and \"same\"")
        if len(values) != 1 or call.constants:
            raise _Refused(f"expected one input tensor, got {len(values)}")
        layer: dict[str, Any] = {"type": "pool", "mode": mode, "kernel": _compact(kernel)}
        if stride != kernel:
            layer["stride"] = _compact(stride)
        if padding == "same":
            layer["padding"] = "same"
        elif isinstance(values[0], _Pending):
            absorbed = _padded_pool(imp, layer, values[0], kernel, stride)
            if absorbed is not None:
                return imp.emit(call, imp.own(call), absorbed, [values[0].source])
        return imp.emit(call, imp.own(call), layer, [imp.resolve(values[0], call)])
    return pool


def _padded_pool(imp: _Importer, layer: dict[str, Any], value: _Pending, kernel: list[int],
                 stride: list[int]) -> dict[str, Any] | None:
    """A "valid" pooling right after a padding only it reads, as one padded pooling:
    zeros before an average pooling are counted as PyTorch's (and cnnshape's) are; -inf
    (the exporter's MinusInfPadding) before a max pooling is never chosen, as padding is
    not; extra -inf at the end is ceil mode. Only if the windows come out the same."""
    if not value.alone:
        return None
    fits = (value.kind == "-inf" and layer["mode"] == "max") or \
        (value.kind == "pad" and layer["mode"] == "avg" and value.symmetric)
    if not fits or any(b > k // 2 or a < b for (b, a), k in zip(value.pairs, kernel, strict=False)):
        return None
    padded = {**layer, "padding": _compact([b for b, _ in value.pairs])}
    if not value.symmetric:
        padded["ceil_mode"] = True
    dims = imp.shapes[value.source][:-1]
    try:
        keras = tuple(window.output_length(n, k, s, pads)
                      for n, pads, k, s in zip(dims, value.pairs, kernel, stride, strict=False))
        same = imp.infer(padded, [value.source])[:-1] == keras
    except (_Refused, LayerError):
        same = False
    return padded if same else None


def _global(mode: str) -> Handler:
    """keepdims=True is global_pool; False (the default) is global_pool then flatten."""
    def pool(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
        x = imp.one(call, values)
        if config.get("keepdims", False):
            return imp.emit(call, imp.own(call), {"type": "global_pool", "mode": mode}, [x])
        name = imp.own(call)
        pooled = imp.emit(call, imp.claim(f"{name}_pool", made_up=True),
                          {"type": "global_pool", "mode": mode}, [x])
        out = imp.emit(call, name, {"type": "flatten"}, [pooled])
        imp.pools[out] = (pooled, call.uses)
        return out
    return pool


def _adaptive(mode: str) -> Handler:
    """Keras's adaptive pooling computes PyTorch's windows, as cnnshape's adaptive_pool."""
    def pool(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
        size = _ints(config["output_size"], _dims(call.cls), "output_size")
        layer = {"type": "adaptive_pool", "mode": mode, "output_size": _compact(size)}
        return imp.emit(call, imp.own(call), layer, [imp.one(call, values)])
    return pool


def _batchnorm(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    x = imp.one(call, values)
    _axis(config.get("axis", -1), len(imp.shapes[x]) + 1, "axis")
    if config.get("renorm"):
        raise _Refused("renorm=True keeps 2C more statistics than cnnshape's batchnorm counts")
    layer = {"type": "batchnorm", "eps": float(config.get("epsilon", 1e-3)),
             "momentum": round(1.0 - float(config.get("momentum", 0.99)), 12)}
    for flag in ("scale", "center"):
        if not config.get(flag, True):
            layer[flag] = False
    return imp.emit(call, imp.own(call), layer, [x])


def _layernorm(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    x = imp.one(call, values)
    _axis(config.get("axis", -1), len(imp.shapes[x]) + 1, "axis")
    if not config.get("center", True) or not config.get("scale", True) or \
            config.get("rms_scaling"):
        raise _Refused("center=False, scale=False or rms_scaling changes the weights "
                       "cnnshape's layernorm counts (2C)")
    layer = {"type": "layernorm", "eps": float(config.get("epsilon", 1e-3))}
    return imp.emit(call, imp.own(call), layer, [x])


def _layer_scale(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """keras.applications' ConvNeXt LayerScale: one learnt multiplier per channel."""
    x = imp.one(call, values)
    channels = imp.shapes[x][-1]
    if config.get("projection_dim", channels) != channels:
        raise _Refused(f"projection_dim {config['projection_dim']} differs from the {channels} "
                       "input channels")
    return imp.emit(call, imp.own(call), {"type": "scale"}, [x])


def _dropout(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    rate = float(config.get("rate", 0.5))
    return imp.emit(call, imp.own(call), {"type": "dropout", "rate": rate},
                    [imp.one(call, values)])


def _identity(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """Element-wise preprocessing without weights (Rescaling): no shape, parameter or MAC."""
    return imp.one(call, values)


def _normalization(imp: _Importer, call: _Call, config: dict[str, Any],
                   values: list[Value]) -> Value:
    """With mean and variance given, Keras keeps them as constants (no weights): identity.
    Without, it holds 2C+1 statistics for ``adapt()`` to fill: a normalization layer."""
    x = imp.one(call, values)
    if config.get("invert"):
        raise _Refused("invert=True is not supported")
    if config.get("mean") is not None and config.get("variance") is not None:
        return x
    axis = config.get("axis", -1)
    rank = len(imp.shapes[x]) + 1
    if axis not in (-1, rank - 1, [-1], [rank - 1]):
        raise _Refused(f"axis {json.dumps(axis)}: cnnshape keeps statistics per channel "
                       "(the last axis) only")
    return imp.emit(call, imp.own(call), {"type": "normalization"}, [x])


def _flatten(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    return imp.emit(call, imp.own(call), {"type": "flatten"}, [imp.one(call, values)])


def _reshape(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """Exact cases only: to one axis (flatten), to the same shape (identity), and back to
    [1, ..., 1, C] right after a global pooling without keepdims (undoing its flatten)."""
    x = imp.one(call, values)
    shape = imp.shapes[x]
    target = list(config["target_shape"])
    size = math.prod(shape)
    if target.count(-1) == 1:
        known = math.prod(t for t in target if t != -1)
        target[target.index(-1)] = size // known if known and size % known == 0 else -1
    if not all(isinstance(t, int) and t > 0 for t in target) or math.prod(target) != size:
        raise _Refused(f"target_shape {json.dumps(config['target_shape'])} does not fit the "
                       f"input {list(shape)}")
    if tuple(target) == shape:
        return x
    pooled = imp.pools.get(x)
    if pooled is not None and pooled[1] == 1 and tuple(target) == imp.shapes[pooled[0]]:
        return _undo_flatten(imp, call, x, pooled[0])
    if len(target) == 1:
        return imp.emit(call, imp.own(call), {"type": "flatten"}, [x])
    raise _Refused(f"reshape of {list(shape)} to {target}: only flattening, the identity and "
                   "[1, ..., 1, C] after a global pooling have spec equivalents")


def _undo_flatten(imp: _Importer, call: _Call, flat: str, pooled: str) -> str:
    """GlobalPooling(keepdims=False) + Reshape([1, 1, C]) is global_pool alone: drop the
    flatten (nothing else reads it) and give the pool the Reshape's name."""
    del imp.items[flat], imp.shapes[flat], imp.pools[flat]
    imp.taken.discard(flat)
    return imp.rename(pooled, imp.own(call))


def _padding(kind: str) -> Handler:
    """ZeroPadding ("pad") and the exporter's MinusInfPadding ("-inf"): pending, so the
    conv or pooling after it can take it as its own padding."""
    def pad(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
        x = imp.one(call, values)
        shape = imp.shapes[x]
        nd = _dims(call.cls) or len(shape) - 1
        pairs = _pairs(config.get("padding", 1), nd, "padding")
        if any(a < 0 or b < 0 for a, b in pairs):
            raise _Refused("negative padding")
        if not any(a or b for a, b in pairs):
            return x
        padded = (*(n + a + b for n, (a, b) in zip(shape, pairs, strict=False)), shape[-1])
        return _Pending(call, kind, x, pairs, padded)
    return pad


def _cropping(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """Pending too: a merge may take it as its centre crop; right after a transposed conv
    that nothing else reads, it is that conv's own cropping (its padding)."""
    x = imp.one(call, values)
    shape = imp.shapes[x]
    pairs = _pairs(config.get("cropping", 0), _dims(call.cls), "cropping")
    if any(a < 0 or b < 0 for a, b in pairs):
        raise _Refused("negative cropping")
    if not any(a or b for a, b in pairs):
        return x
    cut = (*(n - a - b for n, (a, b) in zip(shape, pairs, strict=False)), shape[-1])
    if min(cut) < 1:
        raise _Refused(f"cropping {json.dumps([list(p) for p in pairs])} leaves nothing of "
                       f"{list(shape)}")
    return _cropped_transpose(imp, call, x, pairs, cut) or _Pending(call, "crop", x, pairs, cut)


def _cropped_transpose(imp: _Importer, call: _Call, x: str, pairs: list[tuple[int, int]],
                       cut: Shape) -> str | None:
    """A transposed conv cuts its canvas: padding p at the start, p - output_padding at
    the end. A crop that only reads it adds to those cuts; the sum is again a padding p'
    (the start cut) and output_padding p' - (end cut), if that lies in [0, stride)."""
    item = imp.items.get(x)
    if item is None or item.layer["type"] != "conv_transpose" or item.readers != 1:
        return None
    model = ConvTranspose.validate(item.layer)
    nd = len(pairs)
    kernel, stride, dilation = model.window(nd)
    crops, extra = model.crops(nd, kernel, stride, dilation)
    before = [c[0] + b for c, (b, _) in zip(crops, pairs, strict=False)]
    end = [c[1] - op + a for c, op, (_, a) in zip(crops, extra, pairs, strict=False)]
    output_padding = [p - e for p, e in zip(before, end, strict=False)]
    if not all(map(window.output_padding_ok, output_padding, stride, dilation)):
        return None
    layer = {k: v for k, v in item.layer.items() if k != "output_padding"}
    layer["padding"] = _compact(before)
    if any(output_padding):
        layer["output_padding"] = _compact(output_padding)
    try:
        if imp.infer(layer, item.inputs) != cut:
            return None
    except _Refused:
        return None
    item.layer = layer
    imp.shapes[x] = cut
    if call.name in (f"{x}_crop", f"{x.replace('.', '_')}_crop"):
        return x  # the exporter's crop of the spec's own transposed conv: keep its name
    return imp.rename(x, imp.own(call))


def _upsampling(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    if config.get("interpolation", "nearest") != "nearest":
        raise _Refused(f"interpolation {json.dumps(config['interpolation'])}: cnnshape "
                       "upsamples by nearest neighbour only")
    scale = _ints(config.get("size", 2), _dims(call.cls), "size")
    return imp.emit(call, imp.own(call), {"type": "upsample", "scale": _compact(scale)},
                    [imp.one(call, values)])


def _merge(mode: str) -> Handler:
    def merge(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
        if call.constants:
            found = _hard_sigmoid_step(imp, call, mode, values)
            if found is not None:
                return found
            raise _Refused(f"with a constant ({_constants(call)}): cnnshape merges tensors only")
        if len(values) < 2:
            raise _Refused(f"merges {len(values)} tensor(s); a merge needs at least 2")
        layer: dict[str, Any] = {"type": "merge", "mode": mode}
        inputs = _centre_crops(imp, values)
        if inputs is not None:
            layer["crop"] = True
        else:
            inputs = [imp.resolve(v, call) for v in values]
        if mode == "concat":
            _axis(config.get("axis", -1), len(imp.shapes[inputs[0]]) + 1, "axis")
        return imp.emit(call, imp.own(call), layer, inputs)
    return merge


def _hard_sigmoid_step(imp: _Importer, call: _Call, mode: str,
                       values: list[Value]) -> Value | None:
    """``x + 3`` starts a hard sigmoid, ``relu6(x + 3) * (1/6)`` ends it; None otherwise."""
    if len(values) != 1 or len(call.constants) != 1 or call.shared:
        return None
    constant = call.constants[0]
    if not isinstance(constant, (int, float)) or isinstance(constant, bool):
        return None
    value = values[0]
    if mode == "add" and _same(constant, 3.0) and not isinstance(value, _HardSigmoid):
        return _HardSigmoid(call, imp.resolve(value, call), 1)
    if mode == "multiply" and isinstance(value, _HardSigmoid) and value.step == 2 \
            and _same(constant, 1 / 6):
        return imp.emit(call, imp.own(call), {"type": "activation", "function": "hardsigmoid"},
                        [value.source])
    return None


def _centre_crops(imp: _Importer, values: list[Value]) -> list[str] | None:
    """The merge's inputs before their Croppings, if those cut every input to the
    smallest spatial size, centred with the odd position after (cnnshape's merge crop)."""
    if not any(isinstance(v, _Pending) and v.kind == "crop" for v in values):
        return None
    sources: list[str] = []
    for value in values:
        if isinstance(value, _HardSigmoid):
            return None  # resolve refuses it
        if isinstance(value, _Pending) and not (value.kind == "crop" and value.alone):
            return None
        sources.append(value.source if isinstance(value, _Pending) else value)
    shapes = [imp.shapes[n] for n in sources]
    if len({len(shape) for shape in shapes}) != 1:
        return None
    target = [min(sizes) for sizes in zip(*(shape[:-1] for shape in shapes), strict=False)]
    for value, shape in zip(values, shapes, strict=False):
        wanted = [((n - t) // 2, n - t - (n - t) // 2) for n, t in zip(shape, target, strict=False)]
        pairs = value.pairs if isinstance(value, _Pending) else [(0, 0)] * len(target)
        if pairs != wanted:
            return None
    return sources


def _scale(imp: _Importer, call: _Call, config: dict[str, Any], values: list[Value]) -> Value:
    """EinsumDense("...c,c->...c", or "nhwc,c->nhwc"): one learnt multiplier per channel,
    cnnshape's scale (the exporter's spelling of it)."""
    x = imp.one(call, values)
    equation = str(config.get("equation", "")).replace(" ", "")
    shape = imp.shapes[x]
    out = config.get("output_shape")
    if (not _per_channel(equation, len(shape) + 1) or config.get("bias_axes")
            or _function(config.get("activation"), imp.keras2)
            or out not in (shape[-1], [shape[-1]], list(shape))):
        raise _Refused(f"only a per-channel multiplier (\"...c,c->...c\", no bias, no "
                       f"activation) has a cnnshape equivalent, not {json.dumps(equation)}")
    return imp.emit(call, imp.own(call), {"type": "scale"}, [x])


def _per_channel(equation: str, rank: int) -> bool:
    """x * w over the last axis: "<axes>,c-><axes>", the axes ending in c (or "...c")."""
    match = re.fullmatch(r"(\.\.\.|[a-z]+)([a-z]),([a-z])->\1([a-z])", equation)
    if match is None:
        return False
    axes, channel = match.group(1), match.group(2)
    return (match.group(3) == match.group(4) == channel and channel not in axes
            and (axes == "..." or (len(set(axes)) == len(axes) == rank - 1)))


def _register() -> dict[str, Handler]:
    table: dict[str, Handler] = {
        "Dense": _dense, "Activation": _activation, "ReLU": _relu, "LeakyReLU": _leaky,
        "ELU": _elu, "Softmax": _softmax, "BatchNormalization": _batchnorm,
        "LayerNormalization": _layernorm, "LayerScale": _layer_scale, "Flatten": _flatten,
        "Reshape": _reshape, "Rescaling": _identity, "Normalization": _normalization,
        "Dropout": _dropout, "AlphaDropout": _dropout, "GaussianDropout": _dropout,
        "Add": _merge("add"), "Multiply": _merge("multiply"), "Concatenate": _merge("concat"),
        "EinsumDense": _scale, "MinusInfPadding": _padding("-inf"),
    }
    for d in (1, 2, 3):
        table.update({
            f"Conv{d}D": _conv, f"Conv{d}DTranspose": _transpose,
            f"MaxPooling{d}D": _pool("max"), f"AveragePooling{d}D": _pool("avg"),
            f"GlobalAveragePooling{d}D": _global("avg"), f"GlobalMaxPooling{d}D": _global("max"),
            f"AdaptiveAveragePooling{d}D": _adaptive("avg"),
            f"AdaptiveMaxPooling{d}D": _adaptive("max"),
            f"ZeroPadding{d}D": _padding("pad"), f"Cropping{d}D": _cropping,
            f"UpSampling{d}D": _upsampling, f"SpatialDropout{d}D": _dropout,
        })
    for d in (1, 2):
        table[f"DepthwiseConv{d}D"] = _depthwise
        table[f"SeparableConv{d}D"] = _separable
    return table


HANDLERS = _register()
"""Keras class name -> translation. Anything else stops the import with one line."""
