"""cnnshape: exact shapes, parameters and MACs of convolutional networks.

    >>> import cnnshape
    >>> report = cnnshape.analyze("specs/lenet.json")
    >>> report.totals.params
    62958

Heavy modules (pydantic, the layer models) load on first use, so importing the
package, and ``cnnshape --version``, stay fast. ``dir(cnnshape)`` lists the public API.

The package is layered, each folder importing only from those below it (checked by
import-linter in CI; docs/architecture.md): ``core`` < ``layers`` < ``spec`` < ``engine`` <
``render`` and ``frameworks`` < ``cli``.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from cnnshape import _compat
from cnnshape._version import __version__
from cnnshape.core.errors import SpecError

if TYPE_CHECKING:
    # Re-exported for type checkers (``X as X``); at run time ``__getattr__`` imports them.
    from cnnshape.engine.analysis import Report as Report
    from cnnshape.engine.analysis import Row as Row
    from cnnshape.engine.analysis import Totals as Totals
    from cnnshape.engine.analysis import analyze as analyze
    from cnnshape.engine.dense_compare import compare_dense as compare_dense
    from cnnshape.engine.reference import Verification as Verification
    from cnnshape.engine.reference import run as run
    from cnnshape.engine.reference import verify as verify
    from cnnshape.frameworks.keras.exporter import keras_source as keras_source
    from cnnshape.frameworks.keras.exporter import to_keras as to_keras
    from cnnshape.frameworks.keras.importer import from_keras_json as from_keras_json
    from cnnshape.frameworks.onnx.importer import from_onnx as from_onnx
    from cnnshape.frameworks.torch.exporter import to_torch as to_torch
    from cnnshape.frameworks.torch.exporter import torch_source as torch_source
    from cnnshape.frameworks.torch.importer import from_torch as from_torch
    from cnnshape.spec.loader import Network as Network
    from cnnshape.spec.loader import load as load
    from cnnshape.spec.schema import schema as schema

_LAZY = {
    "load": "spec.loader", "Network": "spec.loader",
    "analyze": "engine.analysis", "Report": "engine.analysis", "Row": "engine.analysis",
    "Totals": "engine.analysis",
    "verify": "engine.reference", "run": "engine.reference", "Verification": "engine.reference",
    "compare_dense": "engine.dense_compare",
    "schema": "spec.schema",
    "to_torch": "frameworks.torch.exporter", "torch_source": "frameworks.torch.exporter",
    "to_keras": "frameworks.keras.exporter", "keras_source": "frameworks.keras.exporter",
    "from_torch": "frameworks.torch.importer", "from_onnx": "frameworks.onnx.importer",
    "from_keras_json": "frameworks.keras.importer",
}
"""Public name -> the module (below cnnshape) that defines it, imported on first use."""



class _Package(ModuleType):
    """Keeps the public API's names: importing 0.1's module ``cnnshape.schema`` (now
    spec.schema) must not replace the function ``cnnshape.schema`` with that module, as
    Python's import system would when it binds a submodule to its package."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
_compat.install(__name__)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cnnshape' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The lazy API too, so editors and ``dir()`` show what ``__getattr__`` provides."""
    return sorted({*__all__, "core", "layers", "spec", "engine", "render", "frameworks", "cli"})


__all__ = ["__version__", "SpecError", *_LAZY]
