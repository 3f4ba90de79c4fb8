"""Errors raised for bad specs.

A spec problem is data, not a bug: it carries a site (file and layer path) so the
CLI can print one line per problem without a traceback.
"""

from __future__ import annotations


class SpecError(ValueError):
    """A spec that cannot be analysed; ``str()`` is one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class LayerError(Exception):
    """Raised by a layer's rules; the walker adds the site and turns it into a SpecError."""
