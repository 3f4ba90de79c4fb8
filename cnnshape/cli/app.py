"""The command line: `cnnshape table | compare-dense | diff | verify | sweep | schema | export
| import | draw | chart | report`, one module per command group (table, dense, diff, verify,
spec, frameworks, pictures; shared options in options.py).

Only click loads at start; each command imports what it uses, so `--version` and
`--help` stay fast. Spec problems print one line each on stderr and exit with 2.
"""

from __future__ import annotations

import click

from cnnshape._version import __version__
from cnnshape.cli.dense import compare_dense
from cnnshape.cli.diff import diff
from cnnshape.cli.frameworks import export, import_
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
def main() -> None:
    """Exact shapes, parameters and MACs of a CNN described in a JSON or YAML spec.

    \b
    Example:
      cnnshape table specs/lenet.json
      cnnshape compare-dense
      cnnshape verify specs/vgg16.json
    """


for _command in (table, compare_dense, diff, verify, sweep, schema, export, import_, draw, chart,
                 report):
    main.add_command(_command)
