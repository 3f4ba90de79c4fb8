"""cnnshape 0.1's module paths keep working, each with a DeprecationWarning naming the new one."""

from __future__ import annotations

import importlib
import sys

import pytest

import cnnshape
from cnnshape._compat import MOVED, PACKAGES


@pytest.mark.parametrize("old", sorted(set(MOVED) - set(PACKAGES)))
def test_old_module_path_is_the_new_module(old: str) -> None:
    sys.modules.pop(f"cnnshape.{old}", None)
    with pytest.warns(DeprecationWarning, match=f"cnnshape.{MOVED[old]}"):
        module = importlib.import_module(f"cnnshape.{old}")
    assert module is importlib.import_module(f"cnnshape.{MOVED[old]}")


def test_an_old_module_named_like_an_api_function_leaves_the_function() -> None:
    """0.1's module cnnshape.schema and the API's function cnnshape.schema share a name:
    importing the old module must not replace the function in the package."""
    sys.modules.pop("cnnshape.schema", None)
    with pytest.warns(DeprecationWarning, match="cnnshape.spec.schema"):
        old = importlib.import_module("cnnshape.schema")
    assert old.schema is cnnshape.schema
    assert cnnshape.schema()["$defs"]["Conv"]["properties"]["filters"]["type"] == "integer"


def test_old_names_of_modules_that_became_packages() -> None:
    from cnnshape.cli.app import main
    from cnnshape.render.text import print_table
    from cnnshape.spec.loader import load

    with pytest.warns(DeprecationWarning, match="cnnshape.spec.loader.load"):
        from cnnshape.spec import load as old_load
    with pytest.warns(DeprecationWarning, match="cnnshape.render.text.print_table"):
        from cnnshape.render import print_table as old_print_table
    with pytest.warns(DeprecationWarning, match="cnnshape.cli.app.main"):
        from cnnshape.cli import main as old_main
    assert (old_load, old_print_table, old_main) == (load, print_table, main)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        cnnshape.spec.nothing  # noqa: B018


def test_dir_lists_the_lazy_public_api() -> None:
    names = dir(cnnshape)
    for name in ("analyze", "load", "from_torch", "to_keras", "compare_dense", "SpecError"):
        assert name in names
        assert getattr(cnnshape, name) is not None
    assert "TYPE_CHECKING" not in names and "Any" not in names
    assert cnnshape.analyze("specs/lenet.json").totals.params == 62958
