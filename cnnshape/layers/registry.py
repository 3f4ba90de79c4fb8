"""What the rest of the program may ask about a layer kind, answered from the kind itself.

Each kind declares its label, diagram category and dense equivalent as class attributes
in its own module; renderers and ``compare-dense`` ask here instead of keeping their own
tables, so a new kind is drawn and compared as it says, or refused: an unknown tag raises
``UnknownKind``, it never falls back to some default.
"""

from __future__ import annotations

from cnnshape.layers import BY_TYPE, KINDS, LayerBase

CATEGORIES: tuple[str, ...] = (
    "input", "conv", "conv_transpose", "pool", "dense", "norm", "activation", "dropout",
    "reshape", "merge", "composite",
)
"""The one vocabulary of diagram categories; each renderer maps these to its own styles
(the volume drawing merges some, e.g. norm, activation and dropout are "elementwise")."""

INPUT = "input"
"""Not a kind, but every renderer draws the network's input as a layer of its own."""


class UnknownKind(KeyError):
    """A tag no registered kind answers to (a renderer handed a type it cannot place)."""

    def __str__(self) -> str:
        return f"unknown layer kind {self.args[0]!r}; known: {', '.join(BY_TYPE)}"


def kinds() -> tuple[type[LayerBase], ...]:
    """Every registered kind, in the order the schema lists them."""
    return KINDS


def kind(tag: str) -> type[LayerBase]:
    """The kind answering to ``tag``; raises UnknownKind."""
    try:
        return BY_TYPE[tag]
    except KeyError:
        raise UnknownKind(tag) from None


def label(tag: str) -> str:
    """The short word shown for ``tag`` in tables and diagrams ("input" for the input)."""
    if tag == INPUT:
        return INPUT
    found = kind(tag)
    return found.label or tag


def category(tag: str) -> str:
    """The diagram category of ``tag`` (one of CATEGORIES); "input" for the input."""
    if tag == INPUT:
        return INPUT
    declared: str = kind(tag).category
    if declared not in CATEGORIES:
        raise ValueError(f"layer kind {tag!r} declares category {declared!r}, not one of "
                         f"{', '.join(CATEGORIES)}")
    return declared


def dense_equivalent(tag: str) -> bool:
    """Whether ``compare-dense`` compares ``tag`` with a dense layer (the input: no)."""
    if tag == INPUT:
        return False
    return kind(tag).dense_equivalent
