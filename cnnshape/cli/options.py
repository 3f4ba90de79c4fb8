"""What several commands share: spec-error handling, warnings, the size and padding parsers,
and the --format choices, which come from render/registry.py.

Imports only click (and the registry, which loads no renderer) so `--help` stays fast.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import Any

import click

import cnnshape.render.registry as registry
from cnnshape.core.errors import SpecError
from cnnshape.render.registry import Subject

DTYPES = click.Choice(["float32", "float16", "bfloat16", "int8"])


def spec_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a SpecError into its lines on stderr and exit code 2; never a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SpecError as exc:
            for line in exc.problems:
                click.echo(line, err=True)
            sys.exit(2)
    return wrapper


def warn(lines: list[str]) -> None:
    """The analysis's warnings on stderr, after the output they are about."""
    for line in lines:
        click.echo(f"warning: {line}", err=True)


def format_option(renders: Subject, *, help_: str = "Output format") -> Callable[..., Any]:
    """``--format`` with the registry's names for ``renders`` (default: table) and their
    descriptions in its help."""
    return click.option("--format", "fmt", type=click.Choice(registry.names(renders)),
                        default="table", show_default=True,
                        help=f"{help_}: {registry.describe(renders)}.")


def sizes(text: str) -> tuple[int, ...]:
    """``32x32x3`` or ``1,3,224,224`` -> the sizes; ValueError when one is not an int."""
    return tuple(int(v) for v in text.lower().replace(",", "x").split("x"))


def input_shape(ctx: click.Context, param: click.Parameter, value: str) -> tuple[int, ...]:
    """compare-dense --input: 2 to 4 positive sizes, channels last."""
    try:
        shape = sizes(value)
    except ValueError:
        raise click.BadParameter("expected sizes like 32x32x3 (channels last), "
                                 f"got {value!r}") from None
    if not 2 <= len(shape) <= 4 or min(shape) < 1:
        raise click.BadParameter(f"expected 2 to 4 positive sizes like 32x32x3, got {value!r}")
    return shape


def padding(ctx: click.Context, param: click.Parameter, value: str) -> Any:
    """--padding: an int >= 0, "same" or "valid"."""
    if value in ("same", "valid"):
        return value
    try:
        number = int(value)
    except ValueError:
        raise click.BadParameter(f'expected an int, "same" or "valid", got {value!r}') from None
    if number < 0:
        raise click.BadParameter("padding must be >= 0")
    return number
