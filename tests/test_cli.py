"""The command line through click's runner, and as a real process."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cnnshape import __version__
from cnnshape.cli.app import main

LENET = "specs/lenet.json"


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, list(args), input=stdin)


def test_table_prints_the_course_rows() -> None:
    result = run("table", LENET)
    assert result.exit_code == 0, result.output
    out = result.output
    for text in ("(28, 28, 8)", "6,272", "608", "(10, 10, 16)", "3,216", "48,120", "10,164",
                 "850", "Total"):
        assert text in out
    for wrong in ("208 ", "416 ", "48,001", "10,081", "841 "):
        assert wrong not in out


def test_table_is_plain_when_piped() -> None:
    out = run("table", LENET).output
    assert "\x1b[" not in out


def test_json_layout() -> None:
    result = run("table", LENET, "--format", "json")
    data = json.loads(result.output)
    assert set(data) >= {"name", "input_shape", "output_shape", "layers", "totals"}
    assert data["input_shape"] == [32, 32, 3] and data["output_shape"] == [10]
    first = data["layers"][0]
    assert first["type"] == "input" and first["output_shape"] == [32, 32, 3]
    for row in data["layers"]:
        assert set(row) >= {"name", "type", "depth", "output_shape", "activation_size", "params",
                            "non_trainable_params", "macs"}
    assert data["totals"]["params"] == 608 + 3216 + 48120 + 10164 + 850
    assert data["totals"]["macs"] == (28 * 28 * 8 * 5 * 5 * 3 + 10 * 10 * 16 * 5 * 5 * 8
                                      + 400 * 120 + 120 * 84 + 84 * 10)


def test_csv_and_markdown() -> None:
    rows = list(csv.DictReader(io.StringIO(run("table", LENET, "--format", "csv").output)))
    assert rows[1]["name"] == "CONV1" and rows[1]["output_shape"] == "28x28x8"
    assert rows[1]["params"] == str((5 * 5 * 3 + 1) * 8)
    md = run("table", LENET, "--format", "markdown").output
    assert "| CONV1 (conv k5 s1, 8 filters, relu) | (28, 28, 8) | 6,272 | 608 | 470,400 |" in md


NESTED = {"input": [8, 8, 4], "layers": [
    {"type": "residual", "name": "block", "body": [
        {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
        {"type": "batchnorm"}]},
    {"type": "global_pool"}]}


def test_depth_folds_composites(tmp_path: Path) -> None:
    spec = tmp_path / "nested.json"
    spec.write_text(json.dumps(NESTED))
    full = json.loads(run("table", str(spec), "--format", "json").output)["layers"]
    folded = json.loads(run("table", str(spec), "--format", "json", "--depth", "1").output)
    assert [r["name"] for r in full] == ["input", "block", "conv_1", "batchnorm_1", "global_pool_1"]
    assert [r["name"] for r in folded["layers"]] == ["input", "block", "global_pool_1"]
    block = folded["layers"][1]
    assert block["params"] == (3 * 3 * 4 + 1) * 4 + 2 * 4
    assert block["non_trainable_params"] == 2 * 4
    assert folded["totals"]["params"] == block["params"]


def test_stdin_and_yaml(tmp_path: Path) -> None:
    result = run("table", "-", "--format", "json", stdin=json.dumps(NESTED))
    assert result.exit_code == 0
    yaml_spec = tmp_path / "net.yaml"
    yaml_spec.write_text("input: [16, 3]\nlayers:\n  - {type: conv, filters: 2, kernel: 3}\n")
    data = json.loads(run("table", str(yaml_spec), "--format", "json").output)
    assert data["output_shape"] == [16 - 3 + 1, 2]


def test_bad_spec_one_line_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "bad.json"
    spec.write_text(json.dumps({"input": [32, 32, 3], "layers": [
        {"type": "conv", "filters": 8, "kernel": 5}, {"type": "flatten"},
        {"type": "conv", "name": "late", "filters": 2, "kernel": 3}]}))
    result = run("table", str(spec))
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{spec}: layers[2] (conv \"late\"): ")
    assert "Traceback" not in result.output


def test_missing_file_and_malformed_json(tmp_path: Path) -> None:
    result = run("table", str(tmp_path / "nope.json"))
    assert result.exit_code == 2 and "no such file" in result.output
    broken = tmp_path / "broken.json"
    broken.write_text('{"input": [32, 32, 3],,}')
    result = run("table", str(broken))
    assert result.exit_code == 2 and "invalid JSON at line 1" in result.output


def test_warning_for_dropped_rows(tmp_path: Path) -> None:
    spec = tmp_path / "s.json"
    # (32 + 0 - 1*(4-1) - 1) = 28 is not divisible by 3: one row and one column are never read
    spec.write_text(json.dumps({"input": [32, 32, 3], "layers": [
        {"type": "conv", "filters": 1, "kernel": 4, "stride": 3}]}))
    result = run("table", str(spec))
    assert result.exit_code == 0
    assert "warning" in result.output and "not divisible by stride 3" in result.output


def test_verify_passes_and_reports() -> None:
    result = run("verify", LENET)
    assert result.exit_code == 0, result.output
    assert result.output.count("✓") == 9 and "all shapes agree" in result.output


def test_verify_json_and_cap() -> None:
    result = run("verify", LENET, "--format", "json", "--budget", "100000")
    data = json.loads(result.output)
    assert data["ok"] is True and data["channel_cap"] is not None
    assert data["full_macs"] == 849_320 and data["run_macs"] <= 100_000
    assert any("capped" in note for note in data["notes"])
    # spatial sizes stay exact under the cap
    assert [row["produced"][:2] for row in data["layers"][1:5]] == \
        [[28, 28], [14, 14], [10, 10], [5, 5]]


def test_schema_is_json_schema() -> None:
    data = json.loads(run("schema").output)
    assert data["type"] == "object" and "input" in data["required"]
    assert "conv" in json.dumps(data) and "residual" in json.dumps(data)


def test_version_and_help() -> None:
    assert __version__ in run("--version").output
    for command in ("table", "compare-dense", "verify", "schema"):
        out = run(command, "--help").output
        assert "Example" in out, command


def test_python_dash_m_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "cnnshape", "table", LENET, "--format", "json"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["totals"]["params"] == 62_958
    bad = subprocess.run([sys.executable, "-m", "cnnshape", "table", "missing.json"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
