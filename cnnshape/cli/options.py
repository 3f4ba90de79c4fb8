"""What several commands share: spec-error handling, warnings, the size and padding parsers,
and the --format choices, which come from render/registry.py.

Imports only click (and the registry, which loads no renderer) so `--help` stays fast.
"""

from __future__ import annotations

import functools
import re
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


PADDING_ONLY = "but only padding: every input position is still read"
"""The end of a stride note that loses nothing (ResNet's stems): a note, not a warning."""

_SITE = re.compile(r'^(?P<site>.*? \((?P<kind>[^()"]*)(?: "(?P<name>(?:[^"\\]|\\.)*)")?\)): '
                   r"(?P<message>.*)$")


def warn(lines: list[str]) -> None:
    """The analysis's warnings on stderr, after the output they are about: each message
    once, with the other layers it applies to counted; the stride notes that drop only
    padding (every input position still read) summed up in one line at the end."""
    notes = [line for line in lines if line.endswith(PADDING_ONLY)]
    groups: dict[str, list[str]] = {}
    for line in lines:
        if line.endswith(PADDING_ONLY):
            continue
        match = _SITE.match(line)
        key = match.group("message") if match else line
        groups.setdefault(key, []).append(line)
    for same in groups.values():
        click.echo(f"warning: {same[0]}", err=True)
        if len(same) > 1:
            click.echo(f"warning: the same for {len(same) - 1} more layer(s): "
                       f"{_names(same[1:])}", err=True)
    if len(notes) == 1:
        click.echo(f"note: {notes[0]}", err=True)
    elif notes:
        click.echo(f"note: {len(notes)} layers leave their last window's end in the padding "
                   f"({_names(notes)}): a stride that does not divide the padded length, but "
                   "every input position is still read", err=True)


def _names(lines: list[str], shown: int = 8) -> str:
    names = []
    for line in lines:
        match = _SITE.match(line)
        names.append((match.group("name") or match.group("site")) if match else line)
    more = f" and {len(names) - shown} more" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


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
    if len(shape) == 2:  # 32x32 is a 1-D input of length 32 with 32 channels: say so
        click.echo(f"warning: --input {value} is read as a 1-D input of length {shape[0]} with "
                   f"{shape[1]} channels (channels last); for a {shape[0]}x{shape[1]} image "
                   f"write its channels too, e.g. --input {shape[0]}x{shape[1]}x3 (RGB) or "
                   f"{shape[0]}x{shape[1]}x1 (grey)", err=True)
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
