"""Spec models: classes whose fields compile to one pydantic-core schema each.

A model declares its fields as class attributes (``filters: int = integer(1)``); the
class gets a strict pydantic-core validator for exactly those fields and its JSON
Schema from pydantic's generator. Using pydantic's core directly, not BaseModel,
keeps `cnnshape` starting in a few milliseconds beyond importing pydantic itself
(BaseModel's machinery alone costs ~40 ms per start; see docs/performance.md).
"""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from pydantic_core import SchemaValidator, ValidationError
from pydantic_core import core_schema as cs

REQUIRED: Any = object()
M = TypeVar("M", bound="Model")


class Field:
    """One field: its core schema, default, description, JSON name and JSON Schema."""

    __slots__ = ("_validator", "alias", "default", "description", "factory", "json", "schema")

    def __init__(self, schema: cs.CoreSchema, *, default: Any = REQUIRED,
                 factory: Any | None = None, description: str = "",
                 alias: str | None = None, json: dict[str, Any] | None = None) -> None:
        self.schema = schema
        self.default = default
        self.factory = factory
        self.description = description
        self.alias = alias
        self.json = json
        self._validator: SchemaValidator | None = None

    def check(self, value: Any) -> Any:
        """One value, validated as the field would validate it in a spec."""
        if self._validator is None:
            self._validator = SchemaValidator(self.schema)
        return self._validator.validate_python(value)

    @property
    def required(self) -> bool:
        return self.default is REQUIRED and self.factory is None

    def core(self) -> cs.TypedDictField:
        if self.required:
            return cs.typed_dict_field(self.schema)
        if self.factory is not None:
            return cs.typed_dict_field(cs.with_default_schema(self.schema,
                                                              default_factory=self.factory),
                                       required=False)
        return cs.typed_dict_field(cs.with_default_schema(self.schema, default=self.default),
                                   required=False)


class Model:
    """Fields declared once; ``validate`` checks a JSON object and builds an instance."""

    fields: ClassVar[dict[str, Field]] = {}
    tag: ClassVar[str | None] = None
    """The ``"type"`` a layer kind answers to; None for the top-level spec."""

    _validator: ClassVar[SchemaValidator | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        fields = dict(cls.fields)
        for key, value in list(vars(cls).items()):
            if isinstance(value, Field):
                fields[key] = value
                setattr(cls, key, None if value.required or value.factory else value.default)
        cls.fields = fields
        cls._validator = None

    @classmethod
    def core_schema(cls) -> cs.CoreSchema:
        entries = {f.alias or key: f.core() for key, f in cls.fields.items()}
        if cls.tag is not None:
            entries = {"type": cs.typed_dict_field(cs.literal_schema([cls.tag])), **entries}
        return cs.typed_dict_schema(entries, extra_behavior="forbid", strict=True)

    @classmethod
    def validate(cls: type[M], data: Any) -> M:
        """A JSON object -> an instance; raises pydantic_core.ValidationError or ValueError."""
        validator = cls.__dict__.get("_validator")
        if validator is None:
            validator = SchemaValidator(cls.core_schema())
            cls._validator = validator
        values = validator.validate_python(data)
        obj = cls.__new__(cls)
        obj.__dict__.update({key: values[f.alias or key] for key, f in cls.fields.items()})
        obj.check()
        return obj

    def check(self) -> None:
        """Rules across fields, after each field is valid; raise ValueError."""

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        from pydantic.json_schema import GenerateJsonSchema

        result = GenerateJsonSchema().generate(cls.core_schema())
        result["title"] = cls.__name__
        if cls.__doc__:
            result["description"] = " ".join(cls.__doc__.split())
        properties = result.get("properties", {})
        for key, f in cls.fields.items():
            prop = properties[f.alias or key]
            if f.json is not None:
                prop.clear()
                prop.update(f.json)
                if not f.required:
                    prop["default"] = f.default if f.factory is None else f.factory()
            if f.description:
                prop["description"] = f.description
        return result

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self.__dict__.items())
        return f"{type(self).__name__}({shown})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.__dict__ == self.__dict__

    __hash__ = None  # type: ignore[assignment]


__all__ = ["REQUIRED", "Field", "Model", "ValidationError"]
