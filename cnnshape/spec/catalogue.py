"""What ``cnnshape layers`` shows: every registered kind, its fields and an example.

Everything comes from the kinds themselves (their docstrings, their fields as the JSON
Schema describes them, their declared example), so a new kind is listed as soon as it is
registered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cnnshape.layers import KINDS, LayerBase

TYPICAL: dict[str, Any] = {
    "filters": 16, "kernel": 3, "output_size": 1, "units": 10, "function": "relu",
    "padding": 1, "cropping": 1, "scale": 2, "size": 5,
}
"""A value for each required leaf field that makes an example readable and valid."""

EXAMPLE_INPUT = [8, 8, 16]
"""The input every example is checked on (tests/test_catalogue.py)."""


@dataclass(frozen=True)
class FieldInfo:
    name: str
    type: str
    default: str
    """The default as JSON, or "required"."""
    description: str


@dataclass(frozen=True)
class KindInfo:
    tag: str
    summary: str
    fields: list[FieldInfo]
    example: dict[str, Any]
    before: list[dict[str, Any]]
    """Layers the example needs before it (a merge's named inputs)."""


def catalogue() -> list[KindInfo]:
    return [describe(kind) for kind in KINDS]


def describe(kind: type[LayerBase]) -> KindInfo:
    schema = kind.json_schema()
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    fields = [FieldInfo(key, _type(prop), "required" if key in required else
                        json.dumps(prop.get("default")), prop.get("description", ""))
              for key, prop in properties.items() if key != "type"]
    summary = " ".join((kind.__doc__ or "").split("\n\n")[0].split())
    return KindInfo(kind.tag or "", summary, fields, example(kind),
                    [dict(layer) for layer in kind.example_before])


def example(kind: type[LayerBase]) -> dict[str, Any]:
    """The kind's declared example, or its required fields at typical values."""
    if kind.example is not None:
        return _plain(kind.example)
    layer: dict[str, Any] = {"type": kind.tag}
    for key, field in kind.fields.items():
        if field.required:
            layer[field.alias or key] = TYPICAL[key]
    return layer


def _plain(value: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = json.loads(json.dumps(value))
    return copied


def _type(prop: Mapping[str, Any]) -> str:
    """``integer``, ``integer or list``, ``"max" | "avg"``: how the schema's type reads."""
    if "enum" in prop:
        return " | ".join(json.dumps(v) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"])
    if "anyOf" in prop:
        parts = [_type(p) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(dict.fromkeys(parts))
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items", {})
        return f"list of {_type(items)}" if isinstance(items, dict) and items else "list"
    return str(kind or "any")
