"""How names resolve inside ``repeat`` (no framework needed).

A base name read inside a repetition means that repetition's layer, then an enclosing
repetition's, then the name as written; only layers of those repetitions resolve by
suffix.
"""

from __future__ import annotations

from typing import Any

import cnnshape


def reads(spec: dict[str, Any]) -> dict[str, list[str]]:
    return {row.name: row.inputs for row in cnnshape.analyze(spec).rows if row.inputs}


def test_top_level_name_with_a_repetition_suffix_is_not_that_repetition() -> None:
    """Regression: "conv" read inside repetition 1 resolved to the unrelated top-level
    layer auto-named "conv_1" (wanted + "_1" happened to exist), in repetition 2 to
    "conv": two repetitions of one layer reading different layers."""
    spec = {"input": [4, 2], "layers": [
        {"type": "conv", "name": "conv", "filters": 2, "kernel": 1},
        {"type": "conv", "filters": 2, "kernel": 1},          # auto-named "conv_1"
        {"type": "repeat", "times": 2, "layers": [
            {"type": "merge", "name": "m", "mode": "add", "inputs": ["input", "conv"]}]}]}
    assert [row.name for row in cnnshape.analyze(spec).rows][2] == "conv_1"
    assert reads(spec) == {"m_1": ["input", "conv"], "m_2": ["input", "conv"]}
    out = cnnshape.run(spec).outputs
    def add(x: list, y: list) -> list:
        return [[a + b for a, b in zip(u, v, strict=True)] for u, v in zip(x, y, strict=True)]

    assert out["m_1"] == add(out["input"], out["conv"])
    assert out["m_1"] != add(out["input"], out["conv_1"])


def test_own_repetition_then_enclosing_then_as_written() -> None:
    spec = {"input": [5, 5, 3], "layers": [
        {"type": "conv", "name": "stem", "filters": 3, "kernel": 1},
        {"type": "repeat", "name": "outer", "times": 2, "layers": [
            {"type": "conv", "name": "a", "filters": 3, "kernel": 1},
            {"type": "repeat", "name": "inner", "times": 2, "layers": [
                {"type": "conv", "name": "c", "filters": 3, "kernel": 1},
                {"type": "merge", "name": "m", "mode": "add", "inputs": ["c", "a", "stem"]}]},
            {"type": "merge", "name": "n", "mode": "add", "inputs": ["a", "c_1_1"]}]}]}
    assert reads(spec) == {
        "m_1_1": ["c_1_1", "a_1", "stem"], "m_1_2": ["c_1_2", "a_1", "stem"],
        "n_1": ["a_1", "c_1_1"],
        "m_2_1": ["c_2_1", "a_2", "stem"], "m_2_2": ["c_2_2", "a_2", "stem"],
        "n_2": ["a_2", "c_1_1"]}
    assert cnnshape.verify(spec).ok


def test_a_later_layer_of_the_same_repetition_is_refused() -> None:
    """In repetition 2, "c" is not yet computed even though repetition 1's c_1 is."""
    spec = {"input": [4, 2], "layers": [
        {"type": "repeat", "times": 2, "layers": [
            {"type": "merge", "name": "m", "mode": "add", "inputs": ["input", "c"]},
            {"type": "conv", "name": "c", "filters": 2, "kernel": 1}]}]}
    try:
        cnnshape.analyze(spec)
    except cnnshape.SpecError as error:
        assert str(error) == (
            '<spec>: layers[0].layers[0] (merge "m_1"): inputs: "c" is not computed yet at '
            "this point (it is this layer, a later one, or one that contains it); a layer can "
            "only read earlier layers")
    else:
        raise AssertionError("expected a SpecError")
