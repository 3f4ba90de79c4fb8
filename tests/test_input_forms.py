"""Forgiving, explicit input (issue 14 item 4): JSON or YAML told from the content, YAML on
standard input, a UTF-8 byte-order mark and CRLF line ends; --format-in forces a syntax."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
LENET = ROOT / "specs" / "lenet.json"
LENET_PARAMS = 62_958  # the course's table: 608 + 3,216 + 48,120 + 10,164 + 850
YAML = "input: [8, 8, 3]\nlayers:\n  - {type: conv, filters: 4, kernel: 3}\n"
YAML_PARAMS = 3 * 3 * 3 * 4 + 4  # 112


def test_yaml_on_stdin() -> None:
    result = CliRunner().invoke(main, ["table", "-", "--format", "json"], input=YAML)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["totals"]["params"] == YAML_PARAMS


def test_json_on_stdin_still_works() -> None:
    result = CliRunner().invoke(main, ["table", "-", "--format", "json"],
                                input=LENET.read_text())
    assert json.loads(result.stdout)["totals"]["params"] == LENET_PARAMS


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".txt"])
def test_byte_order_mark_and_crlf(tmp_path: Path, suffix: str) -> None:
    """Windows editors write both; the name of the file does not matter."""
    text = LENET.read_text() if suffix == ".json" else YAML
    path = tmp_path / f"spec{suffix}"
    path.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    expected = LENET_PARAMS if suffix == ".json" else YAML_PARAMS
    assert cnnshape.analyze(path).totals.params == expected


def test_yaml_in_a_json_file_is_read_as_yaml(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(YAML)
    assert cnnshape.analyze(path).totals.params == YAML_PARAMS


def test_format_in_forces_the_syntax(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text(YAML)
    forced = CliRunner().invoke(main, ["--format-in", "json", "table", str(path)])
    assert forced.exit_code == 2
    assert forced.output.strip().splitlines()[0].startswith(f"{path}: invalid JSON at line 1")
    yaml_ok = CliRunner().invoke(main, ["--format-in", "yaml", "table", str(LENET), "--format",
                                        "json"])  # JSON is YAML too
    assert json.loads(yaml_ok.stdout)["totals"]["params"] == LENET_PARAMS
    from cnnshape.spec.loader import FORCED_SYNTAX

    assert FORCED_SYNTAX.get() is None  # the run's choice ends with the run


def test_stdin_through_a_real_pipe() -> None:
    result = subprocess.run([sys.executable, "-m", "cnnshape", "table", "-", "--format", "json"],
                            input=YAML.encode(), capture_output=True, cwd=ROOT, timeout=60,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["totals"]["params"] == YAML_PARAMS
