"""The CLI runs whose output is pinned byte for byte in tests/golden/ (torchinfo-style golden
files).

Each case is a command line; ``{spec}`` is the spec file and ``{out}`` a file the command writes
(its content is the golden, not standard output). What legitimately varies between runs is
masked before comparing: the version (reports name it) and the reference pass's timing.
``python tests/golden_cases.py`` rewrites the files: do that only for a deliberate change of output,
and say so in the commit.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = sorted(p.stem for p in (ROOT / "specs").glob("*.json"))
GOLDEN = Path(__file__).resolve().parent / "golden"

PER_SPEC: dict[str, list[str]] = {
    "table": ["table", "{spec}"],
    "table.json": ["table", "{spec}", "--format", "json"],
    "table.csv": ["table", "{spec}", "--format", "csv"],
    "table.md": ["table", "{spec}", "--format", "markdown"],
    "table_expand": ["table", "{spec}", "--expand"],
    "table_expand.md": ["table", "{spec}", "--format", "markdown", "--expand"],
    "table_options": ["table", "{spec}", "--rf", "--batch", "8", "--dtype", "float16",
                      "--units", "human", "--layout", "chw", "--depth", "1"],
    "table_columns": ["table", "{spec}", "--columns", "layer,shape,flops,memory,rf_size,rf_stride",
                      "--depth", "2", "--chart"],
    "compare_dense": ["compare-dense", "{spec}"],
    "compare_dense.json": ["compare-dense", "{spec}", "--format", "json"],
    "draw_volume.svg": ["draw", "{spec}", "--style", "volume", "-o", "{out}"],
    "draw_graph.svg": ["draw", "{spec}", "--style", "graph", "--depth", "2", "-o", "{out}"],
    "draw_auto.svg": ["draw", "{spec}", "--scale", "log", "-o", "{out}"],
    "chart.svg": ["chart", "{spec}", "-o", "{out}"],
    "report.html": ["report", "{spec}", "--batch", "2", "-o", "{out}"],
    "export_pytorch.py": ["export", "{spec}", "--to", "pytorch"],
    "export_keras.py": ["export", "{spec}", "--to", "keras"],
}
"""Run for every spec in specs/."""

SLOW_PER_SPEC: dict[str, list[str]] = {
    "verify": ["verify", "{spec}", "--budget", "2000000"],
    "verify.json": ["verify", "{spec}", "--budget", "2000000", "--format", "json"],
}
"""The reference pass: seconds per spec, so behind the ``slow`` marker."""

SINGLE: dict[str, list[str]] = {
    "schema.json": ["schema"],
    "compare_dense_default": ["compare-dense"],
    "compare_dense_layer": ["compare-dense", "--input", "32x32x1", "--filters", "6", "--kernel",
                            "5", "--stride", "2", "--padding", "same"],
    "compare_dense_layer.json": ["compare-dense", "--input", "64x64x3", "--filters", "16",
                                 "--kernel", "3", "--padding", "1", "--format", "json"],
    "sweep": ["sweep", "specs/lenet.json", "--set", "CONV1.filters=6,8,16", "--set",
              "CONV1.kernel=3,5,7", "--set", "input=[32,32,3],[64,64,3],[28,28,1]"],
    "sweep.csv": ["sweep", "specs/lenet.json", "--set", "CONV2.padding=0,same", "--format", "csv"],
    "sweep.json": ["sweep", "specs/resnet18.json", "--set", "conv1.filters=32,64", "--batch", "4",
                   "--dtype", "float16", "--format", "json"],
    "diff": ["diff", "specs/resnet18.json", "specs/resnet34.json"],
    "diff.json": ["diff", "specs/resnet18.json", "specs/resnet34.json", "--format", "json"],
    "diff.md": ["diff", "specs/lenet.json", "specs/lenet5.json", "--format", "markdown",
                "--all"],
    "diff.html": ["diff", "specs/lenet.json", "specs/lenet5.json", "--format", "html"],
    "report_expand.html": ["report", "specs/resnet50.json", "--batch", "2", "--expand", "-o",
                           "{out}"],
}
"""Run once."""

_MASKS = [
    (re.compile(r"cnnshape \d+\.\d+\.\d+(?:\.\w+)?"), "cnnshape <version>"),
    (re.compile(r"MACs in \d+\.\d+ s \([\d.]+ M MACs/s\)"), "MACs in <seconds>"),
    (re.compile(r'"seconds": [0-9.e-]+'), '"seconds": <seconds>'),
]


def mask(text: str) -> str:
    for pattern, replacement in _MASKS:
        text = pattern.sub(replacement, text)
    return text


def cases(slow: bool = False) -> list[tuple[str, list[str]]]:
    """(golden file path relative to tests/golden, argv) for every case."""
    out = [(f"{name}", argv) for name, argv in SINGLE.items()] if not slow else []
    table = SLOW_PER_SPEC if slow else PER_SPEC
    for spec in SPECS:
        for name, argv in table.items():
            out.append((f"{spec}/{name}", [a.replace("{spec}", f"specs/{spec}.json")
                                            for a in argv]))
    return out


def run(argv: list[str], tmp: Path) -> tuple[int, str]:
    """Run the CLI in-process from the repository root; the pinned text and the exit code."""
    import os

    from click.testing import CliRunner

    from cnnshape.cli.app import main

    out = tmp / "out"
    if out.exists():
        out.unlink()
    argv = [a.replace("{out}", str(out)) for a in argv]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        result = CliRunner().invoke(main, argv, catch_exceptions=False, env={"COLUMNS": "200"})
    finally:
        os.chdir(cwd)
    text = out.read_text(encoding="utf-8") if out.exists() else result.stdout
    return result.exit_code, mask(text)


def write_all() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for slow in (False, True):
            for rel, argv in cases(slow):
                code, text = run(argv, Path(tmp))
                target = GOLDEN / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"exit {code}\n{text}", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    write_all()
