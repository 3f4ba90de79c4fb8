"""The zoo: the specs that ship inside the package (``cnnshape table resnet50`` anywhere).

The repository's ``specs/`` folder is this package folder (a link), so the files users
read in a clone are the ones installed. A zoo name is a bare word (``lenet``,
``resnet50``): it is looked up only when no file of that name exists, a file always wins,
and nothing in a name is ever used as a path.
"""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"[a-z0-9_]{1,64}")


def names() -> list[str]:
    """Every zoo spec's name, sorted."""
    folder = resources.files("cnnshape") / "zoo"
    return sorted(entry.name.removesuffix(".json") for entry in folder.iterdir()
                  if entry.name.endswith(".json"))


def text(name: str) -> str | None:
    """The zoo spec ``name`` (``lenet`` or ``lenet.json``) as text, or None if there is none."""
    stem = name.removesuffix(".json")
    if not _NAME.fullmatch(stem) or stem not in names():
        return None
    return (resources.files("cnnshape") / "zoo" / f"{stem}.json").read_text(encoding="utf-8")
