"""`cnnshape schema`: the JSON Schema of the spec format."""

from __future__ import annotations

import click


@click.command()
def schema() -> None:
    """Print the JSON Schema of the spec format.

    \b
    Example:
      cnnshape schema > cnnshape.schema.json
    """
    import json

    from cnnshape.spec.schema import schema as build

    click.echo(json.dumps(build(), indent=2))
