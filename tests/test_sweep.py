"""Design sweeps: the grid, invalid combinations as rows, numbers equal to analyze()."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main
from cnnshape.engine.sweep import parse_values, sweep


def test_three_by_three_by_three_grid_prints_27_rows() -> None:
    result = CliRunner().invoke(main, [
        "sweep", "specs/lenet.json", "--set", "CONV1.filters=6,8,16",
        "--set", "CONV1.kernel=3,5,7", "--set", "input=[32,32,3],[64,64,3],[28,28,1]",
        "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 27
    assert rows[0]["CONV1.filters"] == "6" and rows[0]["input"] == "[32, 32, 3]"


def test_each_row_equals_analyze_of_the_edited_spec() -> None:
    spec = json.load(open("specs/lenet.json"))
    report = sweep(spec, {"CONV1.filters": [6, 16], "FC3.units": [100, 120]})
    for row in report.rows:
        edited = json.loads(json.dumps(spec))
        edited["layers"][0]["filters"] = row.values["CONV1.filters"]
        edited["layers"][5]["units"] = row.values["FC3.units"]
        expected = cnnshape.analyze(edited)
        assert row.params == expected.totals.params
        assert row.macs == expected.totals.macs
        assert row.output_shape == expected.output_shape
        assert row.peak_memory_bytes == expected.memory["inference_bytes"]
    # by hand: CONV1 with 16 filters: (5*5*3 + 1) * 16 = 1,216 params
    first16 = next(r for r in report.rows if r.values == {"CONV1.filters": 16, "FC3.units": 120})
    assert first16.params == 62958 - 608 + 1216 - 3216 + (5 * 5 * 16 + 1) * 16


def test_invalid_combinations_are_rows_with_one_line() -> None:
    report = sweep("specs/lenet.json", {"CONV1.kernel": [5, 40, "x", 0]})
    ok, too_big, wrong_type, zero = report.rows
    assert ok.error is None and ok.params == 62958
    assert "kernel 40 is larger than the padded input 32" in (too_big.error or "")
    assert "expected an int" in (wrong_type.error or "")
    assert "must be >= 1" in (zero.error or "")
    assert all("\n" not in (r.error or "") for r in report.rows)


def test_batch_scales_macs_not_params() -> None:
    one, = sweep("specs/lenet.json", {"CONV1.filters": [8]}).rows
    many, = sweep("specs/lenet.json", {"CONV1.filters": [8]}, batch=4).rows
    assert many.params == one.params and many.macs == 4 * one.macs


def test_unknown_layer_or_field_is_exit_2() -> None:
    for key in ("NOPE.filters=1", "CONV1.colour=1"):
        result = CliRunner().invoke(main, ["sweep", "specs/lenet.json", "--set", key])
        assert result.exit_code == 2 and result.output.count("\n") == 1


def test_parse_values() -> None:
    assert parse_values("6,8,16") == [6, 8, 16]
    assert parse_values("[64,64,3],[32,32,3]") == [[64, 64, 3], [32, 32, 3]]
    assert parse_values("same,valid,1") == ["same", "valid", 1]
