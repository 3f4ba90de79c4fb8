"""`cnnshape draw`, `chart` and `report`: the pictures and the HTML page, each written to a
file (or SVG to stdout). Styles, their help and what ``-o`` converts come from
render/registry.py."""

from __future__ import annotations

import click

import cnnshape.render.registry as registry
from cnnshape.cli.options import DTYPES, spec_errors
from cnnshape.core.errors import SpecError
from cnnshape.render.registry import Renderer

_DRAW = registry.get("picture", "auto")
_CHART = registry.only("chart")
_PAGE = registry.only("page")


def _write_picture(svg: str, output: str | None, renderer: Renderer) -> None:
    """SVG to stdout or a file; a file with one of the renderer's other extensions (PNG)
    through cairosvg (the optional [png] extra). Any other name gets the SVG as it is."""
    from cnnshape.frameworks.common.files import write_whole

    if output is None:
        click.echo(svg, nl=False)
        return
    ext = registry.extension(output)
    if ext in renderer.extensions[1:]:  # a conversion of the SVG (PNG is the only one)
        try:
            import cairosvg  # type: ignore[import-untyped,unused-ignore]
        except ImportError:
            raise SpecError([f"{output}: PNG output needs cairosvg: "
                             "pip install 'cnnshape[png]' (or write .svg)"]) from None
        png = cairosvg.svg2png(bytestring=svg.encode("utf-8"))
        write_whole(output, png)
    else:
        write_whole(output, svg)
    click.echo(f"wrote {output}", err=True)


@click.command()
@click.argument("spec")
@click.option("-o", "--output", default=None, metavar="FILE",
              help=f"{registry.files_text(_DRAW.extensions).capitalize()} (PNG needs the [png] "
                   "extra); default: SVG on stdout.")
@click.option("--style", type=click.Choice(registry.names("picture")), default="auto",
              show_default=True, help=registry.describe("picture") + ".")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Graph style: fold composites below this depth (default: all levels).")
@click.option("--scale", type=click.Choice(["sqrt", "log", "linear"]), default="sqrt",
              show_default=True, help="Volume style: how box sides grow with H, W and C.")
@click.option("--max-layers", type=click.IntRange(min=1), default=None,
              help="Volume style: draw at most this many layers.")
@spec_errors
def draw(spec: str, output: str | None, style: str, depth: int | None, scale: str,
         max_layers: int | None) -> None:
    """Draw SPEC's architecture as a self-contained SVG (or PNG).

    \b
    Examples:
      cnnshape draw specs/lenet.json -o lenet.svg
      cnnshape draw specs/resnet50.json --style graph --depth 2 -o resnet50.svg
    """
    from cnnshape.spec.loader import load

    renderer = registry.get("picture", style)
    svg = renderer.render(load(spec), depth=depth, scale=scale, max_layers=max_layers)
    _write_picture(svg, output, renderer)


@click.command()
@click.argument("spec")
@click.option("-o", "--output", default=None, metavar="FILE",
              help=f"{registry.files_text(_CHART.extensions).capitalize()}; default: SVG on "
                   "stdout.")
@click.option("--metric", type=click.Choice(["both", "size", "params"]), default="both",
              show_default=True, help="Activation size, parameters, or both side by side.")
@click.option("--log/--linear", "log", default=None,
              help="Force the scale (default: log where the largest value is over 100 times "
                   "the smallest).")
@spec_errors
def chart(spec: str, output: str | None, metric: str, log: bool | None) -> None:
    """Bar charts of each layer's activation size and parameters.

    \b
    Example:
      cnnshape chart specs/vgg16.json -o vgg16_chart.svg
    """
    _write_picture(_CHART.render(spec, metric=metric, log=log), output, _CHART)


@click.command()
@click.argument("spec")
@click.option("-o", "--output", required=True, metavar="FILE",
              help=f"The {_PAGE.extensions[0].upper()} file to write.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=DTYPES, default="float32", show_default=True)
@click.option("--expand", is_flag=True, help="List every layer in the layer table. By default "
              "each residual and concat block is one row and identical consecutive blocks one "
              "row marked \N{MULTIPLICATION SIGN}N (totals are the same either way).")
@spec_errors
def report(spec: str, output: str, batch: int, dtype: str, expand: bool) -> None:
    """One self-contained HTML page: totals, diagram, charts, the sortable table, conv vs
    dense, receptive fields, memory and warnings. Needs no network to view.

    \b
    Example:
      cnnshape report specs/lenet.json -o lenet.html
    """
    from cnnshape.frameworks.common.files import write_whole

    write_whole(output, _PAGE.render(spec, batch=batch, dtype=dtype, expand=expand))
    click.echo(f"wrote {output}", err=True)
