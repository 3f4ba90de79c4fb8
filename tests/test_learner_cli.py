"""A learner's first minutes (issue 14): every path problem is one line and exit code 2, a
closed pipe ends quietly, writes go through links, FIFOs and devices as ``>`` does, and the
warnings say what is nearly always a mistake, once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet.json")
WRITES = {  # every command with -o, and what it writes
    "draw": ["draw", LENET],
    "chart": ["chart", LENET],
    "report": ["report", LENET],
    "export": ["export", LENET, "--to", "pytorch"],
    "diff": ["diff", LENET, LENET],
}


def cli(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "cnnshape", *args], cwd=ROOT, input=stdin,
                          capture_output=True, timeout=120, check=False)


def one_line(result: Any) -> str:
    text = result.output if hasattr(result, "output") else result.stderr.decode()
    assert "Traceback" not in text
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("command", sorted(WRITES))
def test_missing_folder_is_one_line(command: str, tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "out.txt"
    result = CliRunner().invoke(main, [*WRITES[command], "-o", str(target)])
    assert result.exit_code == 2
    assert one_line(result) == f"{target}: no such folder {target.parent}"


@pytest.mark.parametrize("command", sorted(WRITES))
def test_a_folder_is_one_line(command: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [*WRITES[command], "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert one_line(result) == f"{tmp_path}: is a folder; give the name of a file to write"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_folder_is_one_line(tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        result = CliRunner().invoke(main, ["chart", LENET, "-o", str(tmp_path / "c.svg")])
    finally:
        tmp_path.chmod(0o700)
    assert result.exit_code == 2 and "Permission denied" in one_line(result)


def test_writes_through_a_symlink_and_a_fifo(tmp_path: Path) -> None:
    real = tmp_path / "real.svg"
    real.write_text("old")
    link = tmp_path / "link.svg"
    link.symlink_to(real)
    assert CliRunner().invoke(main, ["chart", LENET, "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and "<svg" in real.read_text()
    fifo = tmp_path / "pipe.svg"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    result = cli("chart", LENET, "-o", str(fifo))
    out, _ = reader.communicate(timeout=60)
    assert result.returncode == 0 and b"<svg" in out
    assert fifo.is_fifo()  # not replaced by a regular file


def test_dev_null_stays_a_device() -> None:
    result = cli("chart", LENET, "-o", os.devnull)
    assert result.returncode == 0
    assert not Path(os.devnull).is_file()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "cnnshape", "table", LENET, "--format",
                                 "json"], cwd=ROOT, stdout=full, stderr=subprocess.PIPE,
                                timeout=120, check=False)
    assert result.returncode == 2
    assert one_line(result) == "cnnshape: cannot write the output: No space left on device"


def test_closed_pipe_exits_0_quietly() -> None:
    """`cnnshape table ... | head -c 5`: the reader stops early; no traceback, exit 0."""
    process = subprocess.Popen([sys.executable, "-m", "cnnshape", "table",
                                "specs/resnet152.json", "--format", "json"], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.read(5) == b'{\n  "'
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0
    assert b"Traceback" not in err and b"BrokenPipe" not in err


def test_dense_without_flatten_is_named_once() -> None:
    """CONV-POOL-FC without the flatten: the dense acts at each of 14x14 positions."""
    spec = {"input": [32, 32, 3], "layers": [
        {"type": "conv", "filters": 6, "kernel": 5}, {"type": "pool", "kernel": 2},
        {"type": "dense", "name": "fc", "units": 10}, {"type": "dense", "units": 10}]}
    report = cnnshape.analyze(spec)
    assert report.output_shape == [14, 14, 10]  # (32 - 5 + 1) / 2 = 14, per position
    (line,) = report.warnings
    assert line.startswith('<spec>: layers[2] (dense "fc"): dense on a spatial input '
                           "(14, 14, 6)") and '{"type": "flatten"}' in line
    fixed = json.loads(json.dumps(spec))
    fixed["layers"].insert(2, {"type": "flatten"})
    assert cnnshape.analyze(fixed).warnings == []


def test_dense_per_position_in_a_network_with_a_flat_output_is_fine() -> None:
    """ConvNeXt's MLPs are dense layers at each position, by design: no warning."""
    assert cnnshape.analyze(str(ROOT / "specs" / "convnext_tiny.json")).warnings == []
    assert cnnshape.analyze(str(ROOT / "specs" / "audio1d.json")).output_shape == [1, 35]
    assert not any("flatten" in w for w in cnnshape.analyze(
        str(ROOT / "specs" / "audio1d.json")).warnings)  # one position: as good as flat


def test_two_sizes_for_an_image_warn() -> None:
    result = CliRunner().invoke(main, ["compare-dense", "--input", "32x32"])
    assert result.exit_code == 0
    assert ("warning: --input 32x32 is read as a 1-D input of length 32 with 32 channels"
            in result.output)
    assert "warning" not in CliRunner().invoke(main, ["compare-dense", "--input",
                                                      "32x32x3"]).output


def test_padding_only_notes_are_one_line() -> None:
    """ResNet-50 has 5 layers whose last window ends in the padding (every input is still
    read): one note names them all; the 3 real drops stay warnings, one line each."""
    result = cli("table", "specs/resnet50.json", "--format", "json")
    lines = result.stderr.decode().splitlines()
    notes = [line for line in lines if line.startswith("note:")]
    assert len(notes) == 1 and notes[0].startswith("note: 5 layers")
    for name in ("conv1", "maxpool", "layer2.0.conv2", "layer3.0.conv2", "layer4.0.conv2"):
        assert name in notes[0]
    assert len([line for line in lines if line.startswith("warning:")]) == 3
    library = cnnshape.analyze(str(ROOT / "specs" / "resnet50.json")).warnings
    assert sum("only padding" in w for w in library) == 5  # the library keeps each one
