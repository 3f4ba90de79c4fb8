"""Field types shared by the layer models.

Spatial parameters take an int for every spatial dimension or a list with one int
each. JSON types are checked exactly: a string "3", 2.5 or true where an int belongs
is refused, never coerced.
"""

from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

Shape = tuple[int, ...]
Spatial = Union[int, tuple[int, ...]]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _spatial_validator(minimum: int, words: tuple[str, ...] = ()) -> PlainValidator:
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
            low = min(value)
            if low < minimum:
                raise PydanticCustomError("spatial", "every entry must be >= {minimum} (got {got})",
                                          {"minimum": minimum, "got": value})
            return tuple(value)
        expected = "an int or a list of ints"
        if words:
            expected += " or " + " or ".join(f'"{w}"' for w in words)
        raise PydanticCustomError("spatial", "expected {expected}, got {got}",
                                  {"expected": expected, "got": _show(value)})
    return PlainValidator(check)


def _spatial_schema(minimum: int, words: tuple[str, ...] = ()) -> WithJsonSchema:
    choices: list[dict[str, Any]] = [
        {"type": "integer", "minimum": minimum},
        {"type": "array", "items": {"type": "integer", "minimum": minimum},
         "minItems": 1, "maxItems": 3},
    ]
    if words:
        choices.append({"enum": list(words)})
    return WithJsonSchema({"anyOf": choices})


def _show(value: Any) -> str:
    import json

    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)


PositiveSpatial = Annotated[Spatial, _spatial_validator(1), _spatial_schema(1)]
"""kernel, stride, dilation, scale, output_size: >= 1."""

NonNegativeSpatial = Annotated[Spatial, _spatial_validator(0), _spatial_schema(0)]
"""pad's padding and conv_transpose's output_padding: >= 0."""

Padding = Annotated[Union[Spatial, str], _spatial_validator(0, ("valid", "same")),
                    _spatial_schema(0, ("valid", "same"))]
"""conv and pool padding: an int, a list, or Keras's "valid" / "same"."""


def per_dim(value: Spatial, dims: int, field: str) -> tuple[int, ...]:
    """Expand an int to every spatial dim, or check a list has one entry per dim."""
    from .errors import LayerError

    if isinstance(value, int):
        return (value,) * dims
    if len(value) != dims:
        raise LayerError(f"{field}: has {len(value)} entr{'y' if len(value) == 1 else 'ies'} "
                         f"but the input has {dims} "
                         f"spatial dimension{'s' if dims != 1 else ''}")
    return value


def show_shape(shape: Shape) -> str:
    """Tuple notation, as the course writes shapes: (28, 28, 8), (120,)."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(map(str, shape)) + ")"
