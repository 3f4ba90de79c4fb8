"""`cnnshape export` (a spec as PyTorch or Keras code) and `cnnshape import` (a model from
ONNX, Keras or PyTorch as a spec)."""

from __future__ import annotations

from typing import Any

import click

from cnnshape.cli.options import sizes, spec_errors
from cnnshape.core.errors import SpecError


@click.command()
@click.argument("spec")
@click.option("--to", "framework", type=click.Choice(["pytorch", "keras"]), required=True,
              help="The framework to write code for.")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the Python module here (written whole, or not at all); default: stdout.")
@spec_errors
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


@click.command("import")
@click.argument("model")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec here: .json for JSON, else YAML (written whole, or not at "
                   "all); default: YAML on stdout.")
@click.option("--input", "input_shape", default=None, metavar="NxCxHxW",
              help="For a PyTorch module: the input in PyTorch's order with the batch, "
                   "e.g. 1x3x224x224.")
@click.option("--name", default=None, help="The spec's name (default: the model's).")
@spec_errors
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
        shape = sizes(input_shape)
    except ValueError:
        raise SpecError([f"{where}: --input {input_shape!r}: expected sizes like "
                         "1x3x224x224"]) from None
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
