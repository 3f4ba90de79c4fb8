"""cnnshape: exact shapes, parameters and MACs of convolutional networks.

    >>> import cnnshape
    >>> report = cnnshape.analyze("specs/lenet.json")
    >>> report.totals.params
    62958

Heavy modules (pydantic, the layer models) load on first use, so importing the
package, and ``cnnshape --version``, stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import SpecError

if TYPE_CHECKING:
    from .analysis import Report, Row, Totals, analyze
    from .reference import Verification, run, verify
    from .spec import Network, load
    from .frameworks.keras_export import keras_source, to_keras
    from .frameworks.keras_import import from_keras_json
    from .frameworks.onnx_import import from_onnx
    from .frameworks.torch_export import to_torch, torch_source
    from .frameworks.torch_import import from_torch

_LAZY = {
    "load": "spec", "Network": "spec",
    "analyze": "analysis", "Report": "analysis", "Row": "analysis", "Totals": "analysis",
    "verify": "reference", "run": "reference", "Verification": "reference",
    "compare_dense": "dense_compare",
    "schema": "schema",
    "to_torch": "frameworks.torch_export", "torch_source": "frameworks.torch_export",
    "to_keras": "frameworks.keras_export", "keras_source": "frameworks.keras_export",
    "from_torch": "frameworks.torch_import", "from_onnx": "frameworks.onnx_import",
    "from_keras_json": "frameworks.keras_import",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'cnnshape' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = ["__version__", "SpecError", *_LAZY]
