"""`cnnshape diff A B`: what changed between two architectures, for people and for CI.

The exit status says whether anything did (0 equal, 1 different, 2 bad input), so a CI job
can guard a model's size: ``cnnshape diff main.yaml branch.yaml --format markdown``.
"""

from __future__ import annotations

import sys
from typing import Any

import click

import cnnshape.render.registry as registry
from cnnshape.cli.options import format_option, spec_errors

IMPORTED = (".onnx", ".keras")
"""Model files read through their importer rather than as specs."""


@click.command("diff")
@click.argument("a")
@click.argument("b")
@format_option("diff")
@click.option("--all", "every", is_flag=True,
              help="List every row, the equal ones too (JSON and HTML always do).")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Compare rows down to this depth (1 = top level); totals are always the "
                   "whole networks'.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the comparison to FILE instead of standard output.")
@spec_errors
def diff(a: str, b: str, fmt: str, every: bool, depth: int | None,
         output: str | None) -> None:
    """Compare two networks layer by layer: shapes, parameters, MACs, receptive fields.

    A and B are specs (.json, .yaml) or model files (.onnx, .keras). Layers are aligned by
    name, and by position where a layer was renamed; totals come with deltas. Exit status
    0 when the networks are equal, 1 when they differ.

    \b
    Examples:
      cnnshape diff specs/resnet18.json specs/resnet34.json
      cnnshape diff old.yaml new.yaml --format markdown -o changes.md
    """
    from cnnshape.engine.diff import diff as compare

    result = compare(_network(a), _network(b), depth=depth)
    text = registry.get("diff", fmt).render(result, every=every)
    if output is None:
        click.echo(text, nl=False)
    else:
        from cnnshape.frameworks.common.files import write_whole

        write_whole(output, text)
        click.echo(f"wrote {output}", err=True)
    sys.exit(0 if result.equal else 1)


def _network(source: str) -> Any:
    """A loaded spec, or the spec imported from a model file."""
    from cnnshape.spec.loader import load

    if source.lower().endswith(IMPORTED):
        from cnnshape.frameworks.common.files import import_model

        return load(import_model(source), name=None)
    return load(source)
