"""`cnnshape verify` (the reference forward pass) and `cnnshape sweep` (a grid of variants):
the commands that run the network's numbers many times over."""

from __future__ import annotations

import sys
from typing import Any

import click

import cnnshape.render.registry as registry
from cnnshape.cli.options import DTYPES, format_option, spec_errors


@click.command()
@click.argument("spec")
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="MACs the reference pass may spend before it caps channel counts "
                   "[default: 20,000,000].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random "
              "input and weights.")
@format_option("verification")
@spec_errors
def verify(spec: str, budget: int | None, seed: int, fmt: str) -> None:
    """Run the pure-Python reference forward pass and compare every layer's shape.

    Exit code 1 when a shape the pass produced differs from the calculator's.

    \b
    Example:
      cnnshape verify specs/lenet.json
    """
    from cnnshape.engine import reference
    from cnnshape.spec.loader import load

    renderer = registry.get("verification", fmt)
    result = reference.verify(load(spec), budget=budget or reference.DEFAULT_BUDGET, seed=seed)
    click.echo(renderer.render(result), nl=False)
    if not result.ok:
        sys.exit(1)


@click.command()
@click.argument("spec")
@click.option("--set", "settings", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="A field to vary: LAYER.field=values or input=shapes; repeat for a grid.")
@format_option("sweep")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=DTYPES, default="float32", show_default=True)
@spec_errors
def sweep(spec: str, settings: tuple[str, ...], fmt: str, batch: int, dtype: str) -> None:
    """Every combination of the --set values: output shape, params, MACs, peak memory.

    Values are JSON (6, [3,3], "same" or a bare word), separated by commas. An invalid
    combination gets its one-line error in its row; the sweep goes on.

    \b
    Example:
      cnnshape sweep specs/lenet.json --set CONV1.filters=6,8,16 --set CONV1.kernel=3,5
      cnnshape sweep specs/lenet.json --set input=[32,32,3],[64,64,3] --format csv
    """
    from cnnshape.engine import sweep as sweeping
    from cnnshape.spec.loader import load

    grid: dict[str, list[Any]] = {}
    for setting in settings:
        key, equals, values = setting.partition("=")
        if not equals or not key or not values:
            raise click.BadParameter(f"expected KEY=V1,V2,..., got {setting!r}",
                                     param_hint="--set")
        grid[key.strip()] = sweeping.parse_values(values)
    report = sweeping.sweep(load(spec), grid, batch=batch, dtype=dtype)
    click.echo(registry.get("sweep", fmt).render(report, batch=batch, dtype=dtype), nl=False)
