"""The command line: `cnnshape table | compare-dense | diff | verify | sweep | schema | export
| import | draw | chart | report`, one module per command group (table, dense, diff, verify,
spec, frameworks, pictures; shared options in options.py).

Only click loads at start; each command imports what it uses, so `--version` and
`--help` stay fast. Spec problems print one line each on stderr and exit with 2.
"""

from __future__ import annotations

from typing import Any

import click

from cnnshape._version import __version__
from cnnshape.cli.dense import compare_dense
from cnnshape.cli.diff import diff
from cnnshape.cli.frameworks import export, import_
from cnnshape.cli.learn import init, layers, zoo
from cnnshape.cli.options import spec_errors, warn
from cnnshape.cli.pictures import chart, draw, report
from cnnshape.cli.spec import schema
from cnnshape.cli.table import table
from cnnshape.cli.verify import sweep, verify

_spec_errors = spec_errors
"""The error handling every command wears (in options.py so the command modules need not
import this one)."""
_warn = warn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="cnnshape")
@click.option("--format-in", type=click.Choice(["json", "yaml"]), default=None,
              help="Read every spec as this syntax [default: told from the content: JSON if "
                   "it starts with '{', else YAML].")
def main(format_in: str | None) -> None:
    """Exact shapes, parameters and MACs of a CNN described in a JSON or YAML spec.

    \b
    Example:
      cnnshape table specs/lenet.json
      cnnshape compare-dense
      cnnshape verify specs/vgg16.json
    """
    if format_in is not None:
        from cnnshape.spec.loader import FORCED_SYNTAX

        token = FORCED_SYNTAX.set(format_in)
        click.get_current_context().call_on_close(lambda: FORCED_SYNTAX.reset(token))


for _command in (table, compare_dense, diff, verify, sweep, schema, export, import_, draw, chart,
                 report, zoo, layers, init):
    main.add_command(_command)


def entry() -> None:
    """The ``cnnshape`` command: ``main`` with the output's own failures as one line.

    A reader that closes the pipe early (``cnnshape table ... | head -1``) ends the run
    quietly with exit code 0, as ``cat`` would; any other failure to write the output
    (a full disk) is one line on stderr and exit code 2, not a traceback."""
    import errno
    import os
    import sys

    try:
        main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except click.ClickException as problem:
        problem.show()
        sys.exit(problem.exit_code)
    except click.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            click.echo(f"cnnshape: cannot write the output: {exc.strerror or exc}", err=True)
            _quiet_stdout(os, sys)
            sys.exit(2)
        _quiet_stdout(os, sys)
        sys.exit(0)
    _flush(os, sys)


def _flush(os: Any, sys: Any) -> None:
    """Flush now, so a closed pipe or a full disk is seen here and not at interpreter exit."""
    import errno

    try:
        sys.stdout.flush()
    except OSError as exc:
        if exc.errno != errno.EPIPE:
            click.echo(f"cnnshape: cannot write the output: {exc.strerror or exc}", err=True)
            _quiet_stdout(os, sys)
            sys.exit(2)
        _quiet_stdout(os, sys)
        sys.exit(0)


def _quiet_stdout(os: Any, sys: Any) -> None:
    """Point stdout at /dev/null: Python's final flush must not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
