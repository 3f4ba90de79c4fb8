"""The JSON Schema of the spec format, generated from the models' pydantic-core schemas.

Layers are validated one at a time against the model of their ``type``, so the
recursive union that the schema shows is assembled here: each kind's schema, and a
``Layer`` definition that every list of layers refers to.
"""

from __future__ import annotations

from typing import Any


def schema() -> dict[str, Any]:
    from cnnshape.layers import BY_TYPE
    from cnnshape.spec.loader import Network

    result = Network.json_schema()
    definitions: dict[str, Any] = {kind.__name__: kind.json_schema() for kind in BY_TYPE.values()}
    definitions["Layer"] = {
        "oneOf": [{"$ref": f"#/$defs/{kind.__name__}"} for kind in BY_TYPE.values()],
        "discriminator": {"propertyName": "type", "mapping": {
            tag: f"#/$defs/{kind.__name__}" for tag, kind in BY_TYPE.items()}},
    }
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **result,
            "title": "cnnshape spec", "$defs": definitions}
