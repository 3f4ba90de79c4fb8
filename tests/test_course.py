"""specs/lenet.json against the course's table, and specs/lenet5.json against the paper.

Every expected number is worked out here from the layer definitions, never copied
from the program's output:

    conv:  output (n + 2p - k) // s + 1 per spatial dim
           params (k*k*C_in + 1) * filters,  MACs = out_h * out_w * filters * k*k*C_in
    pool:  output (n - k) // s + 1, no parameters, no MACs
    dense: params in*units + units,  MACs = in*units
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import cnnshape

SPECS = Path(__file__).resolve().parent.parent / "specs"
LENET = SPECS / "lenet.json"
LENET5 = SPECS / "lenet5.json"

# The course table, row by row: (name, shape, activation size, params, MACs).
COURSE = [
    ("input", (32, 32, 3), 32 * 32 * 3, 0, 0),
    # CONV1: 5x5 filters, stride 1, no padding: (32 - 5) // 1 + 1 = 28; 8 filters.
    ("CONV1", (28, 28, 8), 28 * 28 * 8, (5 * 5 * 3 + 1) * 8, 28 * 28 * 8 * (5 * 5 * 3)),
    # POOL1: max 2x2 stride 2: (28 - 2) // 2 + 1 = 14.
    ("POOL1", (14, 14, 8), 14 * 14 * 8, 0, 0),
    # CONV2: (14 - 5) // 1 + 1 = 10; 16 filters over 8 input channels.
    ("CONV2", (10, 10, 16), 10 * 10 * 16, (5 * 5 * 8 + 1) * 16, 10 * 10 * 16 * (5 * 5 * 8)),
    # POOL2: (10 - 2) // 2 + 1 = 5.
    ("POOL2", (5, 5, 16), 5 * 5 * 16, 0, 0),
    ("flatten_1", (400,), 5 * 5 * 16, 0, 0),
    ("FC3", (120,), 120, 400 * 120 + 120, 400 * 120),
    ("FC4", (84,), 84, 120 * 84 + 84, 120 * 84),
    ("Softmax", (10,), 10, 84 * 10 + 10, 84 * 10),
]


def test_the_arithmetic_gives_the_course_numbers():
    """The worked numbers are the ones the course table (corrected) shows."""
    assert [row[1] for row in COURSE] == [(32, 32, 3), (28, 28, 8), (14, 14, 8), (10, 10, 16),
                                          (5, 5, 16), (400,), (120,), (84,), (10,)]
    assert [row[2] for row in COURSE] == [3072, 6272, 1568, 1600, 400, 400, 120, 84, 10]
    assert [row[3] for row in COURSE] == [0, 608, 0, 3216, 0, 0, 48120, 10164, 850]
    assert [row[4] for row in COURSE] == [0, 470400, 0, 320000, 0, 0, 48000, 10080, 840]


@pytest.fixture(scope="module")
def lenet():
    return cnnshape.analyze(LENET)


@pytest.mark.parametrize("index", range(len(COURSE)), ids=[row[0] for row in COURSE])
def test_course_row(lenet, index):
    name, shape, size, params, macs = COURSE[index]
    row = lenet.rows[index]
    assert row.name == name
    assert tuple(row.output_shape) == shape
    assert row.activation_size == size
    assert row.params == params
    assert row.non_trainable_params == 0
    assert row.macs == macs


def test_course_totals(lenet):
    assert len(lenet.rows) == len(COURSE)
    params = (5 * 5 * 3 + 1) * 8 + (5 * 5 * 8 + 1) * 16 + (400 * 120 + 120) + (120 * 84 + 84) \
        + (84 * 10 + 10)
    macs = 28 * 28 * 8 * 75 + 10 * 10 * 16 * 200 + 400 * 120 + 120 * 84 + 84 * 10
    assert lenet.totals.params == params == 62958
    assert lenet.totals.macs == macs == 849320
    assert lenet.totals.non_trainable_params == 0
    assert tuple(lenet.output_shape) == (10,)
    assert lenet.warnings == []


# The published table's wrong counts: 5*5*8 + 8 = 208 (no input channels), 5*5*16 + 16 = 416,
# 400*120 + 1 = 48001, 120*84 + 1 = 10081, 84*10 + 1 = 841 (one bias per layer).
PUBLISHED_WRONG = {"CONV1": 5 * 5 * 8 + 8, "CONV2": 5 * 5 * 16 + 16, "FC3": 400 * 120 + 1,
                   "FC4": 120 * 84 + 1, "Softmax": 84 * 10 + 1}


def test_published_wrong_counts_are_not_reported(lenet):
    assert sorted(PUBLISHED_WRONG.values()) == [208, 416, 841, 10081, 48001]
    by_name = {row.name: row for row in lenet.rows}
    for name, wrong in PUBLISHED_WRONG.items():
        assert by_name[name].params != wrong
    numbers = {row.params for row in lenet.rows} | {lenet.totals.params}
    assert numbers.isdisjoint(PUBLISHED_WRONG.values())
    reported = json.dumps(lenet.to_dict()["layers"])
    for wrong in PUBLISHED_WRONG.values():
        assert not re.search(rf"\b{wrong}\b", reported)


def test_published_wrong_counts_are_not_printed():
    """The printed table (every format) shows the right counts, never the published ones."""
    from click.testing import CliRunner

    from cnnshape.cli.app import main

    for fmt in ("table", "csv", "markdown", "json"):
        result = CliRunner().invoke(main, ["table", str(LENET), "--format", fmt],
                                    env={"COLUMNS": "200"})
        assert result.exit_code == 0, result.output
        text = result.output
        if fmt == "json":
            text = json.dumps(json.loads(text)["layers"])  # the description quotes them
        for right in (608, 3216, 48120, 10164, 850):
            assert re.search(rf"\b{right:,}\b|\b{right}\b", text), (fmt, right)
        for wrong in PUBLISHED_WRONG.values():
            assert not re.search(rf"\b{wrong:,}\b|\b{wrong}\b", text), (fmt, wrong)


def test_reference_pass_agrees_on_lenet():
    result = cnnshape.verify(LENET)
    assert result.ok
    assert [c.produced for c in result.checks] == [row[1] for row in COURSE]


# ---------------------------------------------------------------- LeNet-5 (1998)

LENET5_ROWS = [
    ("input", (32, 32, 1), 0, 0),
    ("C1", (28, 28, 6), (5 * 5 * 1 + 1) * 6, 28 * 28 * 6 * 25),
    ("S2", (14, 14, 6), 0, 0),
    ("C3", (10, 10, 16), (5 * 5 * 6 + 1) * 16, 10 * 10 * 16 * (25 * 6)),
    ("S4", (5, 5, 16), 0, 0),
    ("C5", (1, 1, 120), (5 * 5 * 16 + 1) * 120, 1 * 1 * 120 * (25 * 16)),
    ("flatten_1", (120,), 0, 0),
    ("F6", (84,), 120 * 84 + 84, 120 * 84),
    ("OUTPUT", (10,), 84 * 10 + 10, 84 * 10),
]


def test_lenet5_rows_and_total():
    report = cnnshape.analyze(LENET5)
    got = [(r.name, tuple(r.output_shape), r.params, r.macs) for r in report.rows]
    assert got == LENET5_ROWS
    assert report.totals.params == 156 + 2416 + 48120 + 10164 + 850 == 61706
    assert report.totals.macs == sum(row[3] for row in LENET5_ROWS)
    assert [r.type for r in report.rows[1:6]] == ["conv", "pool", "conv", "pool", "conv"]
    spec = json.loads(LENET5.read_text())
    assert spec["layers"][0]["activation"] == "tanh"
    assert spec["layers"][1]["mode"] == spec["layers"][3]["mode"] == "avg"


def test_lenet5_description_explains_the_paper_count():
    """The paper's C3 table, trainable S2/S4 and RBF output, with arithmetic that adds up."""
    # C3's connection table: 6 maps read 3 S2 maps, 9 read 4, 1 reads all 6.
    c3_partial = (6 * 3 + 9 * 4 + 1 * 6) * 25 + 16
    c3_full = (5 * 5 * 6 + 1) * 16
    s2, s4 = 2 * 6, 2 * 16  # a coefficient and a bias per map
    rbf = 84 * 10  # one 84-entry parameter vector per class, no bias
    assert (c3_partial, c3_full, s2, s4, rbf) == (1516, 2416, 12, 32, 840)
    paper = 156 + s2 + c3_partial + s4 + 48120 + 10164 + rbf
    assert paper == 61706 - (c3_full - c3_partial) + s2 + s4 - (850 - rbf) == 60840
    # The widely quoted 60,850 counts the output as a dense layer with biases (850).
    assert paper - rbf + (84 * 10 + 10) == 60850
    text = cnnshape.load(LENET5).description
    for number in ("61,706", "1,516", "2,416", "12", "32", "840", "60,840", "60,850"):
        assert number in text, number
    assert "connection table" in text and "RBF" in text


def test_lenet5_paper_trainable_layers_are_sixty_thousand() -> None:
    # C1 + S2 + C3 (partial table) + S4 + C5 + F6: the paper's "60,000 trainable parameters".
    assert 156 + 12 + 1_516 + 32 + 48_120 + 10_164 == 60_000
    description = cnnshape.load("specs/lenet5.json").description or ""
    assert "60,000" in description and "60,850" in description
