"""`cnnshape compare-dense`: conv layers against the dense layers doing the same mapping."""

from __future__ import annotations

from typing import Any

import click

import cnnshape.render.registry as registry
from cnnshape.cli.options import format_option, input_shape, padding, spec_errors


@click.command("compare-dense")
@click.argument("spec", required=False)
@click.option("--input", "input_shape", default="32x32x3", show_default=True,
              callback=input_shape, help="Input shape, channels last.")
@click.option("--filters", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--kernel", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--stride", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--padding", default="0", show_default=True, callback=padding,
              help='An int, "same" or "valid".')
@format_option("comparison")
@spec_errors
def compare_dense(spec: str | None, input_shape: tuple[int, ...], filters: int, kernel: int,
                  stride: int, padding: Any, fmt: str) -> None:
    """Conv layers against the dense layer doing the same mapping.

    With no SPEC: the lecture's example, one conv layer (by default 32x32x3 -> 28x28x6
    with six 5x5 filters: 456 parameters against 14,450,688 dense weights). With a SPEC:
    every conv and dense layer of it, and totals.

    \b
    Example:
      cnnshape compare-dense
      cnnshape compare-dense --input 32x32x1
      cnnshape compare-dense specs/lenet.json
    """
    from cnnshape.engine import dense_compare

    renderer = registry.get("comparison", fmt)
    if spec is None:
        report = dense_compare.single_conv(input_shape, filters, kernel, stride, padding)
        click.echo(renderer.render(report, kernel=kernel), nl=False)
        return
    from cnnshape.spec.loader import load

    click.echo(renderer.render(dense_compare.compare_dense(load(spec)), kernel=None), nl=False)
