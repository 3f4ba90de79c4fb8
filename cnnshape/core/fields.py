"""Field types of the spec, as pydantic-core schemas with JSON Schemas.

JSON types are checked exactly: a string "3", 2.5 or true where an int belongs is
refused, never coerced. Spatial parameters take an int for every spatial dimension
or a list with one int each.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeGuard

from pydantic_core import PydanticCustomError
from pydantic_core import core_schema as cs

from cnnshape.core.errors import LayerError
from cnnshape.core.model import REQUIRED, Field

Shape = tuple[int, ...]
Spatial = int | tuple[int, ...]

LAYER_REF = {"$ref": "#/$defs/Layer"}


def integer(minimum: int = 1, *, default: Any = REQUIRED, description: str = "") -> Any:
    return Field(cs.int_schema(strict=True, ge=minimum), default=default,
                 description=description)


def number(*, ge: float | None = None, gt: float | None = None,
           le: float | None = None, lt: float | None = None, default: Any = REQUIRED,
           description: str = "") -> Any:
    # Finite only: JSON's Infinity/NaN (Python's json reads them) would be exported as
    # eps=inf, which is not even Python.
    return Field(cs.float_schema(strict=True, ge=ge, gt=gt, le=le, lt=lt, allow_inf_nan=False),
                 default=default, description=description)


def flag(default: bool, description: str = "") -> Any:
    return Field(cs.bool_schema(strict=True), default=default, description=description)


def text(description: str = "", alias: str | None = None) -> Any:
    """Optional, non-empty text."""
    return Field(cs.nullable_schema(cs.str_schema(strict=True, min_length=1)), default=None,
                 description=description, alias=alias)


def free_text(description: str = "") -> Any:
    """Optional text, empty allowed (a network's name or description)."""
    return Field(cs.nullable_schema(cs.str_schema(strict=True)), default=None,
                 description=description)


def choice(values: Sequence[str], *, default: Any = REQUIRED, optional: bool = False,
           description: str = "") -> Any:
    schema: cs.CoreSchema = cs.literal_schema(list(values))
    if optional:
        schema = cs.nullable_schema(schema)
        default = None if default is REQUIRED else default
    return Field(schema, default=default, description=description)


def names(description: str = "") -> Any:
    """Two or more layer names."""
    return Field(cs.list_schema(cs.str_schema(strict=True, min_length=1), min_length=2,
                                strict=True), description=description)


def layers(*, optional: bool = False, description: str = "") -> Any:
    """A list of layers; the loader validates each against its own kind."""
    return Field(cs.list_schema(cs.any_schema(), strict=True),
                 factory=list if optional else None, description=description,
                 json={"type": "array", "items": LAYER_REF})


def branches(description: str = "") -> Any:
    """A list of layer lists."""
    return Field(cs.list_schema(cs.list_schema(cs.any_schema(), strict=True), min_length=1,
                                strict=True), description=description,
                 json={"type": "array", "minItems": 1,
                       "items": {"type": "array", "items": LAYER_REF}})


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _spatial_check(minimum: int, words: tuple[str, ...]) -> Any:
    def check(value: Any) -> Spatial | str:
        if isinstance(value, str) and value in words:
            return value
        if _is_int(value):
            if value < minimum:
                raise PydanticCustomError("spatial", "must be >= {minimum} (got {got})",
                                          {"minimum": minimum, "got": value})
            return value
        if isinstance(value, list) and value and all(_is_int(v) for v in value):
            if len(value) > 3:
                raise PydanticCustomError(
                    "spatial", "a list needs one int per spatial dimension (at most 3), got {n}",
                    {"n": len(value)})
            if min(value) < minimum:
                raise PydanticCustomError("spatial", "every entry must be >= {minimum} (got {got})",
                                          {"minimum": minimum, "got": value})
            return tuple(value)
        expected = "an int or a list of ints"
        if words:
            expected += " or " + " or ".join(f'"{w}"' for w in words)
        raise PydanticCustomError("spatial", "expected {expected}, got {got}",
                                  {"expected": expected, "got": show_json(value)})
    return check


def spatial(minimum: int, *, words: tuple[str, ...] = (), default: Any = REQUIRED,
            optional: bool = False, description: str = "") -> Any:
    """kernel, stride, dilation, scale, output_size (>= 1); paddings (>= 0, or words)."""
    choices: list[Any] = [
        cs.int_schema(ge=minimum),
        cs.list_schema(cs.int_schema(ge=minimum), min_length=1, max_length=3)]
    if words:
        choices.append(cs.literal_schema(list(words)))
    schema: cs.CoreSchema = cs.no_info_plain_validator_function(
        _spatial_check(minimum, words), json_schema_input_schema=cs.union_schema(choices))
    if optional:
        schema = cs.nullable_schema(schema)
        default = None
    return Field(schema, default=default, description=description)


def per_dim(value: Spatial, dims: int, field: str) -> tuple[int, ...]:
    """Expand an int to every spatial dim, or check a list has one entry per dim."""
    if isinstance(value, int):
        return (value,) * dims
    if len(value) != dims:
        raise LayerError(f"{field}: has {len(value)} entr{'y' if len(value) == 1 else 'ies'} "
                         f"but the input has {dims} "
                         f"spatial dimension{'s' if dims != 1 else ''}")
    return value


def capped_channels(shape: Shape, cap: int) -> Shape:
    """The input under the reference pass's channel cap (spatial sizes unchanged)."""
    return (*shape[:-1], min(shape[-1], cap))


def show_shape(shape: Shape) -> str:
    """Tuple notation, as the course writes shapes: (28, 28, 8), (120,)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"


def show_json(value: Any) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
