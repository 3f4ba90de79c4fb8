"""`cnnshape zoo`, `cnnshape layers` and `cnnshape init`: discovering the spec language
from the tool itself (the zoo that ships, every kind with its fields, starting specs)."""

from __future__ import annotations

import json

import click

from cnnshape.cli.options import spec_errors
from cnnshape.spec.templates import TEMPLATES


@click.command()
@spec_errors
def zoo() -> None:
    """List the specs that ship with cnnshape: give a name to any command.

    \b
    Example:
      cnnshape zoo
      cnnshape table resnet50
    """
    from cnnshape.engine.analysis import analyze
    from cnnshape.spec import zoo as shipped
    from cnnshape.spec.loader import load

    rows = []
    for name in shipped.names():
        report = analyze(load(name), receptive=False)
        shape = "x".join(map(str, report.input_shape))
        rows.append((name, shape, f"{report.totals.params:,}", f"{report.totals.macs:,}",
                     report.name or ""))
    headers = ("name", "input", "parameters", "MACs", "title")
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        click.echo("  ".join(c.ljust(w) if i in (0, 1, 4) else c.rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())


@click.command()
@click.argument("kind", required=False)
@spec_errors
def layers(kind: str | None) -> None:
    """Every layer kind with its fields, their defaults, and an example; or one KIND.

    \b
    Example:
      cnnshape layers
      cnnshape layers conv
    """
    from cnnshape.core.errors import SpecError
    from cnnshape.spec import hints
    from cnnshape.spec.catalogue import catalogue

    kinds = catalogue()
    if kind is not None:
        kinds = [k for k in kinds if k.tag == kind]
        if not kinds:
            tags = [k.tag for k in catalogue()]
            raise SpecError([f"{kind}: no such layer kind{hints.layer_type(kind, tags)} "
                             f"(known: {', '.join(tags)})"])
    for info in kinds:
        click.echo(f"{info.tag}: {info.summary}")
        for field in info.fields:
            default = "required" if field.default == "required" else f"default {field.default}"
            about = f" {field.description}" if field.description else ""
            click.echo(f"    {field.name}: {field.type}, {default}.{about}")
        click.echo(f"  example: {json.dumps(info.example)}")
        for before in info.before:
            click.echo(f"    (after {json.dumps(before)})")
        click.echo("")


@click.command()
@click.argument("template", type=click.Choice(list(TEMPLATES)), default="lenet")
@click.option("-o", "--output", default=None, metavar="FILE",
              help="Write the spec here (default: standard output).")
@spec_errors
def init(template: str, output: str | None) -> None:
    """Write a commented YAML starting spec: lenet (default), resnet-block or unet.

    \b
    Example:
      cnnshape init lenet > my.yaml && cnnshape table my.yaml
    """
    text = TEMPLATES[template]
    if output is None:
        click.echo(text, nl=False)
        return
    from cnnshape.frameworks.common.files import write_whole

    write_whole(output, text)
    click.echo(f"wrote {output}", err=True)
