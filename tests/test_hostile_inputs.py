"""Hostile values in a spec are one line and exit code 2 (issue 16): non-finite floats,
integers past Python's 4,300-digit conversion limit, lone UTF-16 surrogates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main


def refusal(path: Path) -> str:
    result = CliRunner().invoke(main, ["table", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    return line


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN"])
def test_non_finite_floats(tmp_path: Path, value: str) -> None:
    """Python's json reads them; exported as eps=inf they would not even be Python."""
    path = tmp_path / "inf.json"
    layer = '{"type": "batchnorm", "eps": ' + value + "}"
    path.write_text('{"input": [4, 3], "layers": [' + layer + "]}")
    line = refusal(path)
    assert line.startswith(f"{path}: layers[0] (batchnorm): eps: must be a finite number")


@pytest.mark.parametrize("suffix, text", [
    (".json", '{"input": [4, ' + "9" * 5000 + '], "layers": []}'),
    (".yaml", "input: [4, " + "9" * 5000 + "]\nlayers: []\n"),
])
def test_integers_past_the_conversion_limit(tmp_path: Path, suffix: str, text: str) -> None:
    path = tmp_path / f"big{suffix}"
    path.write_text(text)
    assert refusal(path) == (f"{path}: a number with more than 4,300 digits: no spec needs "
                             "one (refused unread)")


def test_lone_surrogate(tmp_path: Path) -> None:
    """A JSON escape can make one; printing it would fail with UnicodeEncodeError."""
    path = tmp_path / "surrogate.json"
    path.write_text('{"name": "a\\ud800b", "input": [4, 3], '
                    '"layers": [{"type": "dense", "units": 2}]}')
    assert refusal(path) == (f"{path}: a lone UTF-16 surrogate ('\\ud800') in a string: text "
                             "must be valid Unicode")


def test_a_proper_pair_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "emoji.json"
    path.write_text('{"name": "net \\ud83d\\ude00", "input": [4, 3], '
                    '"layers": [{"type": "dense", "units": 2}]}')
    report = cnnshape.analyze(path)
    assert report.name == "net \U0001F600" and report.totals.params == 3 * 2 + 2
    assert json.loads(json.dumps(report.to_dict()))["name"] == "net \U0001F600"
