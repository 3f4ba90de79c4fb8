"""`cnnshape schema` is a valid JSON Schema that accepts every shipped spec and refuses bad ones."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cnnshape.spec.schema import schema

jsonschema = pytest.importorskip("jsonschema")

SPECS = sorted((Path(__file__).parent.parent / "specs").glob("*.json"))


@pytest.fixture(scope="module")
def validator():  # type: ignore[no-untyped-def]
    document = schema()
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize("spec", SPECS, ids=[p.name for p in SPECS])
def test_every_spec_validates(validator, spec: Path) -> None:  # type: ignore[no-untyped-def]
    assert list(validator.iter_errors(json.loads(spec.read_text()))) == []


@pytest.mark.parametrize("bad", [
    {"layers": []},                                                          # no input
    {"input": [8, 8, 3], "layers": [{"type": "bogus"}]},                     # unknown type
    {"input": [8, 8, 3], "layers": [{"type": "conv", "filters": "8", "kernel": 3}]},
    {"input": [8, 8, 3], "layers": [{"type": "residual", "body": [
        {"type": "conv", "filters": 8, "kernel": 3, "colour": "red"}]}]},   # nested unknown field
    {"input": [8, 8, 3], "layers": [{"type": "merge", "mode": "add", "inputs": ["input"]}]},
])
def test_bad_specs_are_refused(validator, bad: dict) -> None:  # type: ignore[no-untyped-def]
    assert list(validator.iter_errors(bad))


def test_named_connections_are_documented() -> None:
    text = json.dumps(schema())
    assert '"from"' in text and "earlier layer" in text and '"Merge"' in text
    assert schema()["$defs"]["Layer"]["discriminator"]["propertyName"] == "type"
