"""The module paths of cnnshape 0.1 (``cnnshape.analysis``, ``cnnshape.frameworks.torch_import``,
...) as aliases of where the code lives now, with a DeprecationWarning.

Other tools import those paths; an alias keeps them working for a release without keeping
28 shim files at the top of the package. An old name is the very module object of its new
home, so ``isinstance`` checks and monkeypatching behave.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

MOVED: dict[str, str] = {
    "errors": "core.errors", "model": "core.model", "fields": "core.fields",
    "tensor": "core.tensor", "gcpause": "core.gcpause", "rf": "core.rf",
    "spec": "spec.loader", "schema": "spec.schema",
    "walk": "engine.walk", "analysis": "engine.analysis", "reference": "engine.reference",
    "memory": "engine.memory", "sweep": "engine.sweep", "dense_compare": "engine.dense_compare",
    "graphview": "engine.topology",
    "render": "render.text", "svg": "render.svg", "charts": "render.charts",
    "draw_volume": "render.volume", "draw_graph": "render.diagram",
    "report_html": "render.report",
    "cli": "cli.app",
    "frameworks.graph": "frameworks.common.build", "frameworks.emit": "frameworks.common.emit",
    "frameworks.files": "frameworks.common.files",
    "frameworks.torch_import": "frameworks.torch.importer",
    "frameworks.torch_export": "frameworks.torch.exporter",
    "frameworks.keras_import": "frameworks.keras.importer",
    "frameworks.keras_export": "frameworks.keras.exporter",
    "frameworks.onnx_import": "frameworks.onnx.importer",
}
"""Old path below ``cnnshape`` -> new path below ``cnnshape``.

``spec``, ``render`` and ``cli`` are packages now: importing them gives the package, whose
``__getattr__`` forwards the old module's names (see each package's ``__init__``)."""

PACKAGES = ("spec", "render", "cli")
"""Old modules whose name is now a package: not aliased here."""


class _Alias(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.target)

    def exec_module(self, module: ModuleType) -> None:
        """The target ran already; nothing to do."""


class _Finder(importlib.abc.MetaPathFinder):
    def __init__(self, package: str) -> None:
        self.package = package

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        prefix = self.package + "."
        if not fullname.startswith(prefix):
            return None
        old = fullname[len(prefix):]
        new = MOVED.get(old)
        if new is None or old in PACKAGES:
            return None
        warnings.warn(f"{fullname} moved to {prefix}{new}; the old path goes in cnnshape 0.3",
                      DeprecationWarning, stacklevel=2)
        return importlib.machinery.ModuleSpec(fullname, _Alias(prefix + new))


def install(package: str) -> None:
    """Once per process: put the alias finder in front of the standard ones."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, _Finder(package))


def forward(package: str, old: str, name: str) -> object:
    """A name of a module that became a package (``cnnshape.spec.loader`` for ``cnnshape.spec``)."""
    module = importlib.import_module(f"{package}.{MOVED[old].split('.', 1)[1]}")
    try:
        value = getattr(module, name)
    except AttributeError:
        raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
    warnings.warn(f"{package}.{name} moved to {module.__name__}.{name}; the old path goes in "
                  "cnnshape 0.3", DeprecationWarning, stacklevel=3)
    return value
