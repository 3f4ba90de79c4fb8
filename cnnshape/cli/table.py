"""`cnnshape table`: the per-layer table of a spec, in any of the registry's report formats."""

from __future__ import annotations

import click

import cnnshape.render.registry as registry
from cnnshape.cli.options import DTYPES, format_option, spec_errors, warn


@click.command()
@click.argument("spec")
@format_option("report")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Show layers down to this depth (1 = top level); deeper composites are folded "
                   "into their subtotal rows.")
@click.option("--rf", is_flag=True, help="Add receptive-field columns: size and stride (jump) in "
              "input positions, per spatial dim (JSON always has them).")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch size: scales MACs and activation memory.")
@click.option("--dtype", type=DTYPES, default="float32", show_default=True,
              help="Bytes per value for memory figures.")
@click.option("--columns", default=None, metavar="C1,C2,...",
              help="Table/Markdown columns, from: layer, shape, size, params, macs, flops, memory, "
                   "rf_size, rf_stride [default: layer,shape,size,params,macs].")
@click.option("--units", type=click.Choice(["exact", "human"]), default="exact",
              show_default=True, help="exact integers, or human units (1.8 G, 25.6 M); JSON and "
                                      "CSV are always exact.")
@click.option("--layout", type=click.Choice(["hwc", "chw"]), default="hwc", show_default=True,
              help="Show shapes channels-last (as the spec) or channels-first (as PyTorch).")
@click.option("--expand", is_flag=True, help="Table/Markdown: list every layer. By default "
              "each residual and concat block is one row and identical consecutive blocks one "
              "row marked \N{MULTIPLICATION SIGN}N (totals are the same either way; JSON and "
              "CSV list every layer).")
@click.option("--chart", is_flag=True, help="After the table, bars of each layer's activation "
              "size and parameters (log scale when the range needs it).")
@click.option("--wide", is_flag=True, help="Keep the full table on a narrow terminal (by "
              "default it fits: details go first, then numbers are abbreviated, never cut).")
@spec_errors
def table(spec: str, fmt: str, depth: int | None, rf: bool, batch: int, dtype: str,
          columns: str | None, units: str, layout: str, expand: bool, chart: bool,
          wide: bool) -> None:
    """Per-layer activation shape, activation size, parameters and MACs of SPEC.

    SPEC is a JSON or YAML file (told by its content), or - to read one from standard input.

    \b
    Example:
      cnnshape table specs/lenet.json
      cnnshape table specs/vgg16.json --format markdown --depth 1
      cnnshape table specs/vgg16.json --rf
      cnnshape table specs/resnet50.json --expand
      cnnshape table specs/resnet50.json --batch 32 --dtype float16
      cnnshape table specs/resnet50.json --columns layer,shape,params,flops --units human
    """
    from cnnshape.engine.analysis import analyze
    from cnnshape.render import text as render
    from cnnshape.spec.loader import load

    chosen: tuple[str, ...] = render.DEFAULT_COLUMNS
    if columns:
        chosen = tuple(c.strip() for c in columns.split(",") if c.strip())
        unknown = [c for c in chosen if c not in render.COLUMNS]
        if unknown or not chosen:
            raise click.BadParameter(f"unknown column(s) {', '.join(unknown) or '(none)'}; "
                                     f"choose from {', '.join(render.COLUMNS)}",
                                     param_hint="--columns")
    if rf:
        chosen += tuple(c for c in ("rf_size", "rf_stride") if c not in chosen)
    view = render.View(chosen, units == "human", layout == "chw", expand)
    renderer = registry.get("report", fmt)
    # Receptive fields cost a tenth of the analysis: only where they are shown.
    fields = renderer.complete or rf or any(c.startswith("rf_") for c in chosen)
    report = analyze(load(spec), batch=batch, dtype=dtype, receptive=fields)
    text = renderer.render(report, depth=depth, view=view, rf=rf, chart=chart, wide=wide)
    click.echo(text, nl=False)
    warn(report.warnings)
