"""The JSON Schema of the spec format, generated from the pydantic models."""

from __future__ import annotations

from typing import Any


def schema() -> dict[str, Any]:
    from .spec import Network

    result = Network.model_json_schema()
    result["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    result["title"] = "cnnshape spec"
    return result
