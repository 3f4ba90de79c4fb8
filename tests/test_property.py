"""Property tests: on random valid networks in 0-D (flat), 1-D, 2-D and 3-D, over every layer
kind and named connections (``from``, merges), every row shape the calculator reports equals
the shape the reference forward pass measured on its tensors, and both equal an independent
oracle written from the frameworks' definitions (``tests/strategies.py``, which also holds the
generators).

Examples: 200 by default; more with CNNSHAPE_FUZZ_EXAMPLES=N or ``pytest --fuzz-examples N``.
"""

from __future__ import annotations

import copy
import json

from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import (
    Invalid,
    all_layers,
    expected_output,
    expected_rows,
    fuzz_settings,
    json_values,
    networks,
    numeric_sites,
    tame,
)

import cnnshape
import cnnshape.engine.reference
from cnnshape import SpecError

SETTINGS = fuzz_settings(200)


# ---------------------------------------------------------------- the properties

def compare(spec):
    """Calculator rows == reference records == oracle rows."""
    report = cnnshape.analyze(spec)
    ref = cnnshape.engine.reference.run(spec)
    calculated = [(row.path, row.name, tuple(row.output_shape)) for row in report.rows]
    measured = [(path, name, tuple(shape)) for path, name, shape in ref.records]
    assert calculated == measured, json.dumps(spec)
    assert [shape for _, _, shape in calculated] == expected_rows(spec), json.dumps(spec)
    return report


@SETTINGS
@given(networks())
def test_calculator_matches_reference_and_oracle(spec):
    output = expected_output(spec)  # the generator builds valid specs
    try:
        report = compare(spec)
    except SpecError as error:
        raise AssertionError(f"valid spec refused: {error}\n{json.dumps(spec)}") from None
    assert tuple(report.output_shape) == output


@SETTINGS
@given(networks(), st.data())
def test_mutated_specs_are_refused_exactly_when_invalid(spec, data):
    """Nudge one number by -3..+3: the calculator refuses it (a SpecError, never another
    exception) exactly when the oracle finds it invalid, and agrees on every shape otherwise."""
    spec = copy.deepcopy(spec)
    sites = numeric_sites(spec)
    container, key = data.draw(st.sampled_from(sites))
    container[key] += data.draw(st.sampled_from([-3, -2, -1, 1, 2, 3]))
    try:
        rows = expected_rows(spec)
    except Invalid:
        rows = None
    try:
        report = cnnshape.analyze(spec)
    except SpecError as error:
        assert rows is None, f"refused a valid spec: {error}\n{json.dumps(spec)}"
        assert error.problems and all(line.startswith("<spec>: ") for line in error.problems)
        return
    assert rows is not None, f"accepted an invalid spec\n{json.dumps(spec)}"
    assert [tuple(row.output_shape) for row in report.rows] == rows
    sizes = [row.activation_size for row in report.rows]
    assume(max(sizes) <= 5000 and report.totals.macs <= 200_000)
    compare(spec)


@SETTINGS
@given(networks(), st.data())
def test_any_json_value_anywhere_is_a_spec_error_or_valid(spec, data):
    """Replace one field (or add one) with an arbitrary JSON value: never a traceback."""
    spec = copy.deepcopy(spec)
    layers = all_layers(spec["layers"])
    target = data.draw(st.sampled_from([spec, *layers]))
    key = data.draw(st.sampled_from(sorted(set(target) | {
        "input", "output_padding", "groups", "scale", "output_size", "mode", "from", "inputs",
        "crop", "cropping", "times"})))
    target[key] = data.draw(json_values())
    tame(spec)
    try:
        report = cnnshape.analyze(spec)
    except SpecError as error:
        assert error.problems
        assert all(line.startswith("<spec>") and "\n" not in line for line in error.problems)
        assert "Traceback" not in str(error)
        return
    sizes = [row.activation_size for row in report.rows]
    assume(max(sizes) <= 5000 and report.totals.macs <= 200_000)
    compare(spec)
