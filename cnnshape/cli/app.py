"""The command line: `cnnshape table | compare-dense | verify | sweep | schema | export | import`.

Only click loads at start; each command imports what it uses, so `--version` and
`--help` stay fast. Spec problems print one line each on stderr and exit with 2.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from cnnshape._version import __version__
from cnnshape.core.errors import SpecError

FORMAT = click.Choice(["table", "json", "csv", "markdown"])


def _spec_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a SpecError into its lines on stderr and exit code 2; never a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            sys.exit(2)
    return wrapper


def _warn(lines: list[str]) -> None:
    for line in lines:
        click.echo(f"warning: {line}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnnshape")
def main() -> None:
    """Exact shapes, parameters and MACs of a CNN described in a JSON or YAML spec.

    \b
    Example:
      cnnshape table specs/lenet.json
      cnnshape compare-dense
      cnnshape verify specs/vgg16.json
    """


@main.command()
@click.argument("spec")
@click.option("--format", "fmt", type=FORMAT, default="table", show_default=True,
              help="Output format.")
@click.option("--depth", type=click.IntRange(min=0), default=None,
              help="Show layers down to this depth (1 = top level); deeper composites are folded "
                   "into their subtotal rows.")
@click.option("--rf", is_flag=True, help="Add receptive-field columns: size and stride (jump) in "
              "input positions, per spatial dim (JSON always has them).")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True,
              help="Batch size: scales MACs and activation memory.")
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "int8"]),
              default="float32", show_default=True, help="Bytes per value for memory figures.")
@click.option("--columns", default=None, metavar="C1,C2,...",
              help="Table/Markdown columns, from: layer, shape, size, params, macs, flops, memory, "
                   "rf_size, rf_stride [default: layer,shape,size,params,macs].")
@click.option("--units", type=click.Choice(["exact", "human"]), default="exact",
              show_default=True, help="exact integers, or human units (1.8 G, 25.6 M); JSON and "
                                      "CSV are always exact.")
@click.option("--layout", type=click.Choice(["hwc", "chw"]), default="hwc", show_default=True,
              help="Show shapes channels-last (as the spec) or channels-first (as PyTorch).")
@click.option("--chart", is_flag=True, help="After the table, bars of each layer's activation "
              "size and parameters (log scale when the range needs it).")
@_spec_errors
def table(spec: str, fmt: str, depth: int | None, rf: bool, batch: int, dtype: str,
          columns: str | None, units: str, layout: str, chart: bool) -> None:
    """Per-layer activation shape, activation size, parameters and MACs of SPEC.

    SPEC is a .json, .yaml or .yml file, or - to read JSON from standard input.

    \b
    Example:
      cnnshape table specs/lenet.json
      cnnshape table specs/vgg16.json --format markdown --depth 1
      cnnshape table specs/vgg16.json --rf
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
    view = render.View(chosen, units == "human", layout == "chw")
    # Receptive fields cost a tenth of the analysis: only where they are shown.
    fields = fmt == "json" or rf or any(c.startswith("rf_") for c in chosen)
    report = analyze(load(spec), batch=batch, dtype=dtype, receptive=fields)
    if fmt == "table":
        render.print_table(report, depth, view)
        if chart:
            from rich.console import Console

            from cnnshape.render.charts import chart_lines

            console = Console(markup=False, highlight=False)
            for line in chart_lines(report, min(console.width, 120)):
                console.print(line)
    elif fmt == "json":
        click.echo(render.to_json(report, depth))
    elif fmt == "csv":
        click.echo(render.to_csv(report, depth, rf), nl=False)
    else:
        click.echo(render.to_markdown(report, depth, view), nl=False)
    _warn(report.warnings)


def _sizes(text: str) -> tuple[int, ...]:
    """``32x32x3`` or ``1,3,224,224`` -> the sizes; ValueError when one is not an int."""
    return tuple(int(v) for v in text.lower().replace(",", "x").split("x"))


def _input_shape(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    try:
        shape = _sizes(value)
    except ValueError:
        raise click.BadParameter(f"expected sizes like 32x32x3 (channels last), got {value!r}")
    if not 2 <= len(shape) <= 4 or min(shape) < 1:
        raise click.BadParameter(f"expected 2 to 4 positive sizes like 32x32x3, got {value!r}")
    return shape


def _padding(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    if value in ("same", "valid"):
        return value
    try:
        number = int(value)
    except ValueError:
        raise click.BadParameter(f'expected an int, "same" or "valid", got {value!r}')
    if number < 0:
        raise click.BadParameter("padding must be >= 0")
    return number


@main.command("compare-dense")
@click.argument("spec", required=False)
@click.option("--input", "input_shape", default="32x32x3", show_default=True,
              callback=_input_shape, help="Input shape, channels last.")
@click.option("--filters", type=click.IntRange(min=1), default=6, show_default=True)
@click.option("--kernel", type=click.IntRange(min=1), default=5, show_default=True)
@click.option("--stride", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--padding", default="0", show_default=True, callback=_padding,
              help='An int, "same" or "valid".')
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@_spec_errors
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
    import json

    from cnnshape.engine import dense_compare

    if spec is None:
        report = dense_compare.single_conv(input_shape, filters, kernel, stride, padding)
        if fmt == "json":
            click.echo(json.dumps(report.to_dict(), indent=2))
        else:
            click.echo("\n".join(dense_compare.explain(report.layers[0], kernel)))
        return
    from cnnshape.spec.loader import load

    report = dense_compare.compare_dense(load(spec))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    from cnnshape.render.text import print_comparison

    print_comparison(report)


@main.command()
@click.argument("spec")
@click.option("--budget", type=click.IntRange(min=1), default=None,
              help="MACs the reference pass may spend before it caps channel counts "
                   "[default: 20,000,000].")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the random "
              "input and weights.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@_spec_errors
def verify(spec: str, budget: int | None, seed: int, fmt: str) -> None:
    """Run the pure-Python reference forward pass and compare every layer's shape.

    Exit code 1 when a shape the pass produced differs from the calculator's.

    \b
    Example:
      cnnshape verify specs/lenet.json
    """
    import json

    from cnnshape.engine import reference
    from cnnshape.spec.loader import load

    result = reference.verify(load(spec), budget=budget or reference.DEFAULT_BUDGET, seed=seed)
    if fmt == "json":
        click.echo(json.dumps(result.to_dict(), indent=2))
    else:
        from cnnshape.render.text import print_verification

        print_verification(result)
    if not result.ok:
        sys.exit(1)


@main.command()
@click.argument("spec")
@click.option("--set", "settings", multiple=True, required=True, metavar="KEY=V1,V2,...",
              help="A field to vary: LAYER.field=values or input=shapes; repeat for a grid.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table",
              show_default=True)
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "int8"]),
              default="float32", show_default=True)
@_spec_errors
def sweep(spec: str, settings: tuple[str, ...], fmt: str, batch: int, dtype: str) -> None:
    """Every combination of the --set values: output shape, params, MACs, peak memory.

    Values are JSON (6, [3,3], "same" or a bare word), separated by commas. An invalid
    combination gets its one-line error in its row; the sweep goes on.

    \b
    Example:
      cnnshape sweep specs/lenet.json --set CONV1.filters=6,8,16 --set CONV1.kernel=3,5
      cnnshape sweep specs/lenet.json --set input=[32,32,3],[64,64,3] --format csv
    """
    import json

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
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    if fmt == "csv":
        from cnnshape.render.text import sweep_csv

        click.echo(sweep_csv(report), nl=False)
        return
    from cnnshape.render.text import print_sweep

    print_sweep(report, batch, dtype)


@main.command()
def schema() -> None:
    """Print the JSON Schema of the spec format.

    \b
    Example:
      cnnshape schema > cnnshape.schema.json
    """
    import json

    from cnnshape.spec.schema import schema as build

    click.echo(json.dumps(build(), indent=2))


@main.command()
@click.argument("spec")
@click.option("--to", "framework", type=click.Choice(["pytorch", "keras"]), required=True,
              help="The framework to write code for.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the Python module here (written whole, or not at all); default: stdout.")
@_spec_errors
def export(spec: str, framework: str, output: str | None) -> None:
    """Write SPEC as a runnable PyTorch module or Keras model.

    \b
    Examples:
      cnnshape export specs/lenet.json --to pytorch -o lenet.py
      cnnshape export specs/resnet50.json --to keras -o resnet50_keras.py
    """
    if framework == "pytorch":
        from cnnshape.frameworks.torch.exporter import torch_source

        text = torch_source(spec)
    else:
        from cnnshape.frameworks.keras.exporter import keras_source

        text = keras_source(spec)
    if output is None:
        click.echo(text, nl=False)
        return
    from cnnshape.frameworks.common.files import write_whole

    write_whole(output, text)
    click.echo(f"wrote {output}", err=True)


@main.command("import")
@click.argument("model")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec here: .json for JSON, else YAML (written whole, or not at "
                   "all); default: YAML on stdout.")
@click.option("--input", "input_shape", default=None, metavar="NxCxHxW",
              help="For a PyTorch module: the input in PyTorch's order with the batch, "
                   "e.g. 1x3x224x224.")
@click.option("--name", default=None, help="The spec's name (default: the model's).")
@_spec_errors
def import_(model: str, output: str | None, input_shape: str | None,
            name: str | None) -> None:
    """Write the spec of MODEL: an ONNX file, Keras model JSON or .keras file, or a PyTorch
    module given as package.module:attribute (a module, a class or a function building one).

    \b
    Examples:
      cnnshape import model.onnx -o model.yaml
      cnnshape import keras_model.json -o model.yaml
      cnnshape import torchvision.models:resnet50 --input 1x3x224x224 -o resnet50.yaml
    """
    import os

    from cnnshape.frameworks.common.files import dump_spec, import_model, write_whole

    if os.path.exists(model) or ":" not in model:
        spec = import_model(model, name=name)
    else:
        spec = _import_torch(model, input_shape, name)
    from cnnshape.engine.analysis import analyze

    report = analyze(spec)  # what is written must load and analyse
    text = dump_spec(spec, output)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_whole(output, text)
        click.echo(f"wrote {output}: {len(report.rows) - 1} layers, "
                   f"{report.totals.params:,} parameters, {report.totals.macs:,} MACs", err=True)


def _import_torch(target: str, input_shape: str | None, name: str | None) -> Any:
    """``package.module:attribute`` -> a module (calling a class or builder with no arguments)."""
    import importlib

    where = f"{target}"
    if input_shape is None:
        raise SpecError([f"{where}: a PyTorch module needs --input, e.g. --input 1x3x224x224"])
    try:
        shape = _sizes(input_shape)
    except ValueError:
        raise SpecError([f"{where}: --input {input_shape!r}: expected sizes like 1x3x224x224"])
    module_name, _, attribute = target.partition(":")
    try:
        value: Any = importlib.import_module(module_name)
        for part in attribute.split("."):
            value = getattr(value, part)
    except (ImportError, AttributeError) as exc:
        raise SpecError([f"{where}: cannot import it: {exc}"]) from None
    try:
        import torch
    except ImportError:
        raise SpecError([f"{where}: importing a PyTorch module needs torch "
                         "(pip install torch)"]) from None
    if not isinstance(value, torch.nn.Module):
        if not callable(value):
            raise SpecError([f"{where}: is neither an nn.Module nor something that builds one"])
        try:
            value = value()
        except Exception as exc:  # the user's constructor: say what it said
            raise SpecError([f"{where}: calling it with no arguments failed: {exc}"]) from None
        if not isinstance(value, torch.nn.Module):
            raise SpecError([f"{where}: built a {type(value).__name__}, not an nn.Module"])
    from cnnshape.frameworks.torch.importer import from_torch

    return from_torch(value, shape, name=name or attribute.rsplit(".", 1)[-1])


def _write_picture(svg: str, output: str | None) -> None:
    """SVG to stdout or a file; a .png file through cairosvg (the optional [png] extra)."""
    from cnnshape.frameworks.common.files import write_whole

    if output is None:
        click.echo(svg, nl=False)
        return
    if output.lower().endswith(".png"):
        try:
            import cairosvg  # type: ignore[import-untyped]
        except ImportError:
            raise SpecError([f"{output}: PNG output needs cairosvg: "
                             "pip install 'cnnshape[png]' (or write .svg)"]) from None
        png = cairosvg.svg2png(bytestring=svg.encode("utf-8"))
        write_whole(output, png)
    else:
        write_whole(output, svg)
    click.echo(f"wrote {output}", err=True)


@main.command()
@click.argument("spec")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="An .svg or .png file (PNG needs the [png] extra); default: SVG on stdout.")
@click.option("--style", type=click.Choice(["auto", "volume", "graph"]), default="auto",
              show_default=True, help="volume: activations as 3-D boxes, the course's style; "
              "graph: a top-to-bottom block diagram for deep or branching networks; auto: "
              "volume for short chains, graph otherwise.")
@click.option("--depth", type=click.IntRange(min=1), default=None,
              help="Graph style: fold composites below this depth (default: all levels).")
@click.option("--scale", type=click.Choice(["sqrt", "log", "linear"]), default="sqrt",
              show_default=True, help="Volume style: how box sides grow with H, W and C.")
@click.option("--max-layers", type=click.IntRange(min=1), default=None,
              help="Volume style: draw at most this many layers.")
@_spec_errors
def draw(spec: str, output: str | None, style: str, depth: int | None, scale: str,
         max_layers: int | None) -> None:
    """Draw SPEC's architecture as a self-contained SVG (or PNG).

    \b
    Examples:
      cnnshape draw specs/lenet.json -o lenet.svg
      cnnshape draw specs/resnet50.json --style graph --depth 2 -o resnet50.svg
    """
    from cnnshape.engine.analysis import analyze
    from cnnshape.render.report import is_simple_chain
    from cnnshape.spec.loader import load

    network = load(spec)
    report = None if style == "graph" else analyze(network, receptive=False)
    if report is not None and (style == "volume" or is_simple_chain(report)):
        from cnnshape.render.volume import volume_svg

        svg = volume_svg(report, scale=scale, max_layers=max_layers)
    else:
        from cnnshape.render.diagram import graph_svg

        svg = graph_svg(network, depth=depth)
    _write_picture(svg, output)


@main.command()
@click.argument("spec")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="An .svg or .png file; default: SVG on stdout.")
@click.option("--metric", type=click.Choice(["both", "size", "params"]), default="both",
              show_default=True, help="Activation size, parameters, or both side by side.")
@click.option("--log/--linear", "log", default=None,
              help="Force the scale (default: log where the largest value is over 100 times "
                   "the smallest).")
@_spec_errors
def chart(spec: str, output: str | None, metric: str, log: bool | None) -> None:
    """Bar charts of each layer's activation size and parameters.

    \b
    Example:
      cnnshape chart specs/vgg16.json -o vgg16_chart.svg
    """
    from cnnshape.render.charts import chart_svg

    _write_picture(chart_svg(spec, metric, log=log), output)


@main.command()
@click.argument("spec")
@click.option("-o", "--output", required=True, metavar="FILE", help="The HTML file to write.")
@click.option("--batch", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--dtype", type=click.Choice(["float32", "float16", "bfloat16", "int8"]),
              default="float32", show_default=True)
@_spec_errors
def report(spec: str, output: str, batch: int, dtype: str) -> None:
    """One self-contained HTML page: totals, diagram, charts, the sortable table, conv vs
    dense, receptive fields, memory and warnings. Needs no network to view.

    \b
    Example:
      cnnshape report specs/lenet.json -o lenet.html
    """
    from cnnshape.frameworks.common.files import write_whole
    from cnnshape.render.report import report_html

    write_whole(output, report_html(spec, batch=batch, dtype=dtype))
    click.echo(f"wrote {output}", err=True)
