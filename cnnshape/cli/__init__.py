"""The command line; nothing below it prints or imports click."""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    """cnnshape 0.1's ``cnnshape.cli.NAME`` (now ``cnnshape.cli.app.NAME``), deprecated."""
    from cnnshape._compat import forward

    return forward(__name__, "cli", name)
