"""Reading a spec: file or text -> validated models, or one line per problem.

Pydantic checks the structure (types, fields, ranges) one layer at a time, each
against the model of its ``type``: only the kinds a spec uses build their validators,
and no nesting depth reaches pydantic's recursion. This module walks the layers
without recursion, turns pydantic's errors into lines that name the file and the
layer, then names the unnamed layers. Shape problems are found later, by the
calculator, which knows the shapes.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any, Union

from pydantic_core import PydanticCustomError
from pydantic_core import core_schema as cs

from cnnshape.core.errors import SpecError
from cnnshape.core.fields import Shape, free_text, layers
from cnnshape.core.gcpause import paused_gc
from cnnshape.core.model import Field, Model, ValidationError
from cnnshape.layers import BY_TYPE, TYPE_NAMES, LayerBase, child_lists


def _check_input(value: Any) -> Shape:
    if not isinstance(value, list) or not value or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise PydanticCustomError("input", "expected a list of ints, channels last: [C] (no "
                                  "spatial dims), [L, C], [H, W, C] or [D, H, W, C]; got {got}",
                                  {"got": json.dumps(value, default=repr)})
    if len(value) > 4:
        raise PydanticCustomError("input", "{n} entries means {d} spatial dimensions; at most 3 "
                                  "are supported ([D, H, W, C])",
                                  {"n": len(value), "d": len(value) - 1})
    if min(value) < 1:
        raise PydanticCustomError("input", "every size must be >= 1, got {got}", {"got": value})
    return tuple(value)


class Network(Model):
    """A validated spec."""

    name: str | None = free_text("Shown as the table's title.")
    description: str | None = free_text()
    input: Shape = Field(  # type: ignore[assignment]
        cs.no_info_plain_validator_function(_check_input, json_schema_input_schema=cs.list_schema(
            cs.int_schema(ge=1), min_length=1, max_length=4)),
        description="Channels last: [L, C], [H, W, C] or [D, H, W, C] ([C]: no spatial dims).")
    layers: list[Any] = layers(optional=True)

    _source: str = "<spec>"
    _names: frozenset[str] = frozenset()

    @property
    def names(self) -> frozenset[str]:
        """Every layer's name as the report shows it (repeat suffixes included)."""
        return self._names

    @property
    def source(self) -> str:
        """The file the spec came from, or "<spec>", as error lines name it."""
        return self._source


Source = Union[str, "os.PathLike[str]", dict[str, Any], Network]


SYNTAXES = ("json", "yaml")

FORCED_SYNTAX: ContextVar[str | None] = ContextVar("cnnshape_spec_syntax", default=None)
"""The syntax every file and text is read as when set (the CLI's ``--format-in``); by
default it is told from the content: JSON when it starts with ``{`` or ``[``, else YAML."""


def load(source: Source, *, name: str | None = None, syntax: str | None = None) -> Network:
    """A path, JSON/YAML text, a dict or a Network -> a validated, fully named Network.

    Files and text are read as JSON or YAML by their content (a UTF-8 byte-order mark and
    CRLF line ends are fine), or as ``syntax`` ("json" or "yaml") when given. Raises
    SpecError (a ValueError) with one line per problem.
    """
    if syntax is not None:
        if syntax not in SYNTAXES:
            raise ValueError(f"syntax {syntax!r}: expected one of {', '.join(SYNTAXES)}")
        token = FORCED_SYNTAX.set(syntax)
        try:
            return load(source, name=name)
        finally:
            FORCED_SYNTAX.reset(token)
    if isinstance(source, Network):
        return source
    if isinstance(source, dict):
        return _validate(source, name or "<spec>")
    if isinstance(source, str) and not source.strip():
        raise SpecError([f"{name or '<spec>'}: empty spec: expected a file name or JSON/YAML text"])
    if isinstance(source, os.PathLike) or (isinstance(source, str) and _looks_like_path(source)):
        path = os.fspath(source)
        return _validate(_read(path), name or ("<stdin>" if path == "-" else path))
    if isinstance(source, str):
        return _validate(_parse(source, _syntax(source), name or "<spec>"), name or "<spec>")
    raise TypeError(f"cannot load a spec from {type(source).__name__}")


def _looks_like_path(text: str) -> bool:
    if "\n" in text or text.lstrip().startswith(("{", "[")) or ":" in text.strip()[:1]:
        return False
    # One-line YAML ("input: [4, 3]") is text unless a file of that name exists.
    return ": " not in text or os.path.exists(text)


MAX_BYTES = 64 * 1024 * 1024
"""Largest spec read: the zoo's largest is a few kB; a bigger file is not a spec."""


def _read(path: str) -> Any:
    import sys

    if path == "-":
        text = sys.stdin.read(MAX_BYTES + 1)
        if len(text) > MAX_BYTES:
            raise _too_big("<stdin>")
        text = text.removeprefix("\ufeff")
        return _parse(text, _syntax(text), "<stdin>")
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > MAX_BYTES:
                raise _too_big(path)
            data = handle.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise _too_big(path)
        text = data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark: no content
    except FileNotFoundError:
        from cnnshape.spec import zoo

        found = zoo.text(path)  # a bare zoo name: "resnet50"
        if found is None:
            raise SpecError([f"{path}: no such file (and no zoo spec of that name: "
                             "cnnshape zoo lists them)"]) from None
        text = found
    except IsADirectoryError:
        raise SpecError([f"{path}: is a directory, not a spec file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([f"{path}: cannot read: {exc}"]) from None
    return _parse(text, _syntax(text), path)


def _syntax(text: str) -> str:
    """FORCED_SYNTAX when set, else "auto": JSON when the text starts with ``{`` (YAML's
    flow style if it is not JSON), YAML otherwise, whatever the file is called."""
    forced = FORCED_SYNTAX.get()
    return forced if forced is not None else "auto"


def _too_big(where: str) -> SpecError:
    return SpecError([f"{where}: larger than {MAX_BYTES // (1024 * 1024)} MiB; a spec is a small "
                      "text file (refused unread)"])


MAX_NESTING = 200
"""JSON levels a spec may nest (about 100 levels of composite layers): deeper specs are
refused with one line rather than exhausting Python's stack."""


def _too_deep(where: str, depth: str) -> SpecError:
    return SpecError([f"{where}: the spec is nested {depth} levels deep; at most {MAX_NESTING} "
                      "levels (about 100 levels of composite layers) are supported"])


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
"""A JSON or YAML escape of a UTF-16 surrogate (``\ud800``): only the escapes can make one."""


def _parse(text: str, kind: str, where: str) -> Any:
    try:
        data = _parse_text(text, kind, where)
    except RecursionError:
        raise _too_deep(where, "thousands of") from None
    except ValueError as exc:  # int("9" * 5000): Python's 4,300-digit conversion limit
        if isinstance(exc, SpecError) or "digits" not in str(exc):
            raise
        raise SpecError([f"{where}: a number with more than 4,300 digits: no spec needs "
                         "one (refused unread)"]) from None
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(data, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise SpecError([f"{where}: a lone UTF-16 surrogate "
                             f"({exc.object[exc.start:exc.end]!a}) in a string: text must be "
                             "valid Unicode"]) from None
    return data


def _nesting(data: Any) -> int:
    """How deep lists and objects nest, found without recursion."""
    deepest = 0
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, depth)
            if depth > MAX_NESTING:
                break
            stack.extend((child, depth + 1) for child in node if isinstance(child, (dict, list)))
    return deepest


def _parse_text(text: str, kind: str, where: str) -> Any:
    if kind == "json" or text.lstrip().startswith("{"):
        try:
            return json.loads(text, object_pairs_hook=_no_duplicate_keys)
        except json.JSONDecodeError as exc:
            error = SpecError([f"{where}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                               f"{exc.msg}"])
            if kind == "json":
                raise error from None
            data = _yaml_or_none(text)  # YAML text in flow style: {input: [4, 3]}
            if not isinstance(data, dict):
                raise error from None
            return data
        except _DuplicateKey as exc:
            raise SpecError([f"{where}: invalid JSON: key \"{exc}\" appears twice in one object"]) \
                from None
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1} column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise SpecError([f"{where}: invalid YAML{at}: {problem}"]) from None


def _yaml_or_none(text: str) -> Any:
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError:
        return None


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _DuplicateKey(key)
        result[key] = value
    return result


def _validate(data: Any, where: str) -> Network:
    with paused_gc():
        return _validate_spec(data, where)


def _validate_spec(data: Any, where: str) -> Network:
    if not isinstance(data, dict):
        raise SpecError([f"{where}: a spec must be an object with \"input\" and \"layers\", "
                         f"got {_json_kind(data)}"])
    if _nesting(data) > MAX_NESTING:
        raise _too_deep(where, f"more than {MAX_NESTING}")
    problems: list[str] = []
    try:
        network: Network | None = Network.validate(data)
        layers = network.layers  # type: ignore[union-attr]
    except (ValidationError, ValueError) as exc:
        network = None
        problems.extend(_lines(exc, where, "", None))
        raw = data.get("layers")
        layers = list(raw) if isinstance(raw, list) else []
    problems.extend(_validate_layers(layers, where))
    if problems or network is None:
        raise SpecError(list(dict.fromkeys(problems)))
    network._source = where
    _name_layers(network, where)
    return network


def _validate_layers(layers: list[Any], where: str) -> list[str]:
    """Replace each raw layer (in place, pre-order, no recursion) by its validated model."""
    problems: list[str] = []
    stack: list[tuple[list[Any], str, int]] = [(layers, "layers", 0)]
    while stack:
        items, base, index = stack.pop()
        if index >= len(items):
            continue
        stack.append((items, base, index + 1))
        path = f"{base}[{index}]"
        raw = items[index]
        kind, problem = _kind_of(raw)
        if kind is None:
            problems.append(f"{where}: {site(path, raw)}: {problem}")
            continue
        try:
            model = kind.validate(raw)
            children = model.children()
            items[index] = model
        except (ValidationError, ValueError) as exc:
            problems.extend(_lines(exc, where, path, raw))
            children = [(w, list(c)) for w, c in child_lists(kind, raw)]  # still check them
        for suffix, child in reversed(children):
            stack.append((child, f"{path}.{suffix}", 0))
    return problems


def _kind_of(raw: Any) -> tuple[type[LayerBase] | None, str]:
    if not isinstance(raw, dict):
        return None, f"expected an object, got {_show(raw)}"
    if "type" not in raw:
        return None, "a layer needs a \"type\" field"
    tag = raw["type"]
    if not isinstance(tag, str):
        return None, f"type: expected a string (one of {', '.join(TYPE_NAMES)}), got {_show(tag)}"
    kind = BY_TYPE.get(tag)
    if kind is None:
        from cnnshape.spec import hints

        return None, (f"unknown layer type {json.dumps(tag)}{hints.layer_type(tag, TYPE_NAMES)} "
                      f"(known: {', '.join(TYPE_NAMES)})")
    return kind, ""


def _lines(exc: Exception, where: str, path: str, raw: Any) -> list[str]:
    """Pydantic's errors for one object -> `file: layers[5] (conv): kernel: must be >= 1`."""
    lines = []
    prefix = f"{where}: {site(path, raw)}" if path else where
    if not isinstance(exc, ValidationError):
        return [f"{prefix}: {exc}"]
    for error in exc.errors():
        loc = list(error["loc"])
        field = _field_text(loc)
        parts = [where]
        if path:
            parts.append(site(path, raw))
        if field and error["type"] not in ("missing", "extra_forbidden"):
            parts.append(field)
        message = _message(error, loc)
        if error["type"] == "extra_forbidden" and isinstance(raw, dict) and len(loc) == 1:
            message += _field_hint(str(loc[0]), raw)
        lines.append(": ".join([*parts, message]))
    return lines


def _field_hint(name: str, raw: dict[str, Any]) -> str:
    """What an unknown field of this layer's kind is probably called."""
    from cnnshape.spec import hints

    tag = raw.get("type")
    kind = BY_TYPE.get(tag) if isinstance(tag, str) else None
    if kind is None:
        return ""
    known = [f.alias or key for key, f in kind.fields.items()]
    return hints.field(name, known)


def _json_kind(value: Any) -> str:
    if value is None:
        return "an empty document (null)"
    if isinstance(value, bool):
        return f"a boolean ({json.dumps(value)})"
    if isinstance(value, (int, float)):
        return f"a number ({value!r})"
    if isinstance(value, str):
        return f"a string ({_show(value)})"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__


# ---------------------------------------------------------------- error lines

def site(path: str, layer: Any) -> str:
    """`layers[3] (conv "CONV2")`: where a problem is, as every message names it."""
    if isinstance(layer, LayerBase):
        return f"{path} ({layer.kind} {json.dumps(layer.name)})"
    if isinstance(layer, dict):
        kind = layer.get("type")
        label = kind if isinstance(kind, str) and kind.isprintable() else "layer"
        name = layer.get("name")
        if isinstance(name, str):
            return f"{path} ({label} {json.dumps(name)})"
        return f"{path} ({label})"
    return path


def _field_text(rest: list[Any]) -> str:
    text = ""
    for key in rest:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else str(key))
    return text


def _message(error: Any, rest: list[Any]) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    got = error.get("input")
    field = _field_text(rest)
    if kind == "missing":
        return f"missing required field {json.dumps(field)}"
    if kind == "extra_forbidden":
        return f"unknown field {json.dumps(field)}"
    if kind == "union_tag_invalid":
        from cnnshape.spec import hints

        tag = str(ctx.get("tag"))
        return (f"unknown layer type {json.dumps(tag)}{hints.layer_type(tag, TYPE_NAMES)} "
                f"(known: {', '.join(TYPE_NAMES)})")
    if kind == "union_tag_not_found":
        return "a layer needs a \"type\" field"
    if kind in ("model_attributes_type", "model_type", "dict_type"):
        return f"expected an object, got {_show(got)}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}, got {_show(got)}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected an integer, got {_show(got)}"
    if kind == "finite_number":
        return f"must be a finite number, got {_show(got)}"
    if kind in ("float_type", "float_parsing"):
        return f"expected a number, got {_show(got)}"
    if kind in ("bool_type", "bool_parsing"):
        return f"expected true or false, got {_show(got)}"
    if kind in ("string_type", "str_type"):
        return f"expected a string, got {_show(got)}"
    if kind in ("list_type", "tuple_type"):
        return f"expected a list, got {_show(got)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "too_short":
        return f"needs at least {ctx.get('min_length')} item(s)"
    bounds = {"greater_than_equal": (">=", "ge"), "greater_than": (">", "gt"),
              "less_than_equal": ("<=", "le"), "less_than": ("<", "lt")}
    if kind in bounds:
        op, key = bounds[kind]
        return f"must be {op} {ctx.get(key)}, got {_show(got)}"
    return str(error["msg"])


def _show(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


# ---------------------------------------------------------------- names

def iter_layers(layers: list[Any], path: str = "layers") -> Iterator[tuple[str, Any]]:
    """Every layer of the spec (not expanded by repeat), pre-order, with its path."""
    stack: list[tuple[str, list[Any], int]] = [(path, layers, 0)]
    while stack:
        base, items, index = stack.pop()
        if index >= len(items):
            continue
        stack.append((base, items, index + 1))
        layer = items[index]
        here = f"{base}[{index}]"
        yield here, layer
        for where, children in reversed(layer.children()):
            stack.append((f"{here}.{where}", children, 0))


MAX_LAYERS = 1_000_000
"""Layers a spec may expand to (repeats multiplied out): a report row each, and a million
rows already take seconds and a gigabyte to report."""


def _expanded_count(layers: list[Any]) -> int:
    """Layers after repeats are multiplied out, without expanding them."""
    total = 0
    for layer in layers:
        inner = sum(_expanded_count(children) for _, children in layer.children())
        total += 1 + inner * (layer.times if layer.kind == "repeat" else 1)
        if total > MAX_LAYERS:
            break
    return total


def _name_layers(network: Network, where: str) -> None:
    """Give unnamed layers `type_N` names and refuse duplicates (after repeat's suffixes)."""
    if _expanded_count(network.layers) > MAX_LAYERS:
        raise SpecError([f"{where}: repeats expand the network to more than {MAX_LAYERS:,} "
                         "layers; that is more rows than any report can show"])
    everything = list(iter_layers(network.layers))
    taken = {layer.name for _, layer in everything if layer.name is not None}
    counters: dict[str, int] = {}
    for _, layer in everything:
        if layer.name is None:
            n = counters.get(layer.kind, 0)
            while True:
                n += 1
                candidate = f"{layer.kind}_{n}"
                if candidate not in taken:
                    break
            counters[layer.kind] = n
            taken.add(candidate)
            layer.name = candidate
    seen: dict[str, str] = {"input": "the network's input"}
    problems = []
    for path, name, layer in _expanded(network.layers, "layers", ""):
        if name in seen:
            problems.append(f"{where}: {site(path, layer)}: duplicate name {json.dumps(name)} "
                            f"(also used by {seen[name]})")
        else:
            seen[name] = path
    if problems:
        raise SpecError(problems)
    network._names = frozenset(seen)


def _expanded(layers: list[Any], base: str, suffix: str) -> Iterator[tuple[str, str, Any]]:
    for index, layer in enumerate(layers):
        path = f"{base}[{index}]"
        yield path, layer.name + suffix, layer
        times = getattr(layer, "times", None) if layer.kind == "repeat" else None
        for where, children in layer.children():
            if times:
                for r in range(1, times + 1):
                    yield from _expanded(children, f"{path}.{where}", f"{suffix}_{r}")
            else:
                yield from _expanded(children, f"{path}.{where}", suffix)
