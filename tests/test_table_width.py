"""The table fits the terminal and never cuts a number (issue 14): at 80, 60 and 40 columns
every row of LeNet and ResNet-50 shows its shape, parameters and MACs, exactly or
abbreviated to three significant digits that read back to the analysis's own value."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.cells import cell_len

import cnnshape
from cnnshape.render.text import report_table, short_number

ROOT = Path(__file__).resolve().parent.parent
SPECS = ["specs/lenet.json", "specs/resnet50.json"]
UNITS = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
TITLES = {"Layer": "layer", "Activation shape": "shape", "Shape": "shape",
          "Activation size": "size", "Size": "size", "# Parameters": "params",
          "Params": "params", "MACs": "macs"}


def reads_as(cell: str, value: int) -> bool:
    """``cell`` is ``value`` written exactly (``1,234``) or to three significant digits
    (``4.09 G``: within half a unit of its last digit)."""
    cell = cell.strip()
    if re.fullmatch(r"[\d,]+", cell):
        return int(cell.replace(",", "")) == value
    match = re.fullmatch(r"(\d+(?:\.(\d+))?) ([kMGT])", cell)
    assert match, f"not a number: {cell!r}"
    decimals = len(match.group(2) or "")
    scale = UNITS[match.group(3)]
    return abs(float(match.group(1)) * scale - value) <= 0.5 * scale / 10**decimals


def shape_reads_as(cell: str, shape: list[int]) -> bool:
    cell = cell.strip()
    if "x" in cell:
        return [int(n) for n in cell.split("x")] == shape
    return [int(n) for n in re.findall(r"\d+", cell)] == shape


def table_rows(text: str) -> tuple[list[str], list[list[str]]]:
    """The column names and each row's cells (a wrapped name's continuation lines, with
    empty number cells, joined to their row)."""
    lines = text.splitlines()
    header = next(line for line in lines if line.startswith("┃"))
    names = [TITLES[c.strip()] for c in header.strip("┃").split("┃")]
    rows: list[list[str]] = []
    for line in lines:
        if not line.startswith("│"):
            continue
        values = line.strip("│").split("│")
        if rows and not any(v.strip() for v in values[1:]):
            rows[-1][0] += values[0].strip()
            continue
        rows.append([v.strip() for v in values])
    return names, rows


def check(text: str, spec: str, width: int) -> None:
    assert "…" not in text
    for line in text.splitlines():
        assert cell_len(line) <= width, line
    report = cnnshape.analyze(spec)
    names, rows = table_rows(text)
    assert names[:2] == ["layer", "shape"] and {"params", "macs"} <= set(names)
    body = rows[:-1]  # the last is the Total row
    assert len(body) == len(report.rows)
    for row, cells in zip(report.rows, body, strict=True):
        got = dict(zip(names, cells, strict=True))
        assert got["layer"].replace(" ", "").startswith(row.name.replace(" ", "")), got
        assert shape_reads_as(got["shape"], row.output_shape), (row.name, got)
        assert reads_as(got["params"], row.params), (row.name, got)
        assert reads_as(got["macs"], row.macs), (row.name, got)
        if "size" in got:
            assert reads_as(got["size"], row.activation_size), (row.name, got)
    total = dict(zip(names, rows[-1], strict=True))
    assert reads_as(total["params"], report.totals.params)
    assert reads_as(total["macs"], report.totals.macs)
    # The summary below always has the exact totals.
    assert f"Total params: {report.totals.total_params:,}" in text
    assert f"MACs: {report.totals.macs:,}" in text


@pytest.mark.parametrize("width", [80, 60, 40])
@pytest.mark.parametrize("spec", SPECS)
def test_fits_and_every_number_reads_back(spec: str, width: int) -> None:
    check(report_table(cnnshape.analyze(spec), width=width), spec, width)


def test_the_old_layout_cut_numbers_and_wide_keeps_it() -> None:
    """What a learner saw at 80 columns: rich shrinks a 90-column ResNet-50 table and cuts
    its MACs to an ellipsis; --wide asks for exactly that layout."""
    text = report_table(cnnshape.analyze("specs/resnet50.json"), width=80, wide=True)
    assert "…" in text


def test_wide_enough_is_todays_layout() -> None:
    report = cnnshape.analyze("specs/lenet.json")
    assert report_table(report, width=200) == report_table(report, width=200, wide=True)
    assert "CONV1 (conv k5 s1, 8 filters, relu)" in report_table(report, width=200)


def test_only_what_is_needed_is_given_up() -> None:
    """LeNet at 80 columns loses only the details: its numbers fit exactly."""
    text = report_table(cnnshape.analyze("specs/lenet.json"), width=80)
    assert "470,400" in text and "608" in text and "k =" not in text
    assert "details left out" in text


@pytest.mark.parametrize("value, text", [
    (0, "0"), (999, "999"), (1000, "1.00 k"), (9408, "9.41 k"), (25_557_032, "25.6 M"),
    (4_089_184_256, "4.09 G"), (999_700, "1.00 M"), (123_456_789, "123 M"),
    (3 * 10**13, "30.0 T"), (99_950, "100 k"), (9_996, "10.0 k"), (999_999_999, "1.00 G"),
])
def test_short_number(value: int, text: str) -> None:
    assert short_number(value) == text


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")
@pytest.mark.parametrize("spec", SPECS)
def test_a_real_80_column_terminal(spec: str, tmp_path: Path) -> None:
    """tmux gives the command a real terminal of 80 columns; the captured screen (the whole
    history) holds every number of every layer (--expand: all rows, not the folded ones)."""
    session = f"cnnshape-{os.getpid()}-{Path(spec).stem}"
    done = tmp_path / "done"
    command = (f"cd {ROOT} && {sys.executable} -m cnnshape table {spec} --expand; "
               f"touch {done}")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "50",
                    "-e", "NO_COLOR=1", command + "; sleep 30"], check=True)
    try:
        for _ in range(300):
            if done.exists():
                break
            time.sleep(0.1)
        assert done.exists(), "the command did not finish"
        screen = subprocess.run(["tmux", "capture-pane", "-p", "-S", "-", "-t", session],
                                check=True, capture_output=True, text=True).stdout
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)
    table = screen[screen.index(cnnshape.analyze(spec).name or ""):]
    check("\n".join(line.rstrip() for line in table.splitlines()), spec, 80)
