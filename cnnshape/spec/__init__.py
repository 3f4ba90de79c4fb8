"""Reading a spec: JSON/YAML text to validated layer models, and the JSON Schema."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """cnnshape 0.1's ``cnnshape.spec.NAME`` (now ``cnnshape.spec.loader.NAME``), deprecated."""
    from cnnshape._compat import forward

    return forward(__name__, "spec", name)
