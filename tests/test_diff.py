"""cnnshape.engine.diff: rows aligned by name, renamed layers paired by position, inserted and
removed layers named, totals with deltas; checked against counts written out by hand."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any

from cnnshape.engine.diff import diff
from cnnshape.render import diff as render

BASE: dict[str, Any] = {
    "input": [32, 32, 3],
    "layers": [
        {"type": "conv", "name": "c1", "filters": 8, "kernel": 3},   # (3·3·3 + 1)·8 = 224
        {"type": "pool", "name": "p1", "kernel": 2},
        {"type": "flatten", "name": "f"},
        {"type": "dense", "name": "fc", "units": 10},                # 15·15·8 = 1800 -> 18,010
    ],
}


def variant(**changes: Any) -> dict[str, Any]:
    spec = json.loads(json.dumps(BASE))
    spec.update(changes)
    return spec


def statuses(d: Any) -> list[tuple[str, str]]:
    return [(p.status, p.name) for p in d.pairs]


def test_equal_networks() -> None:
    d = diff(BASE, variant())
    assert d.equal and not d.differences()
    assert [t.delta for t in d.totals] == [0] * len(d.totals)
    assert "are the same network" in render.title(d)


def test_changed_filters_propagate() -> None:
    layers = json.loads(json.dumps(BASE["layers"]))
    layers[0]["filters"] = 16
    d = diff(BASE, variant(layers=layers))
    assert not d.equal
    c1 = next(p for p in d.pairs if p.name == "c1")
    assert c1.status == "changed" and c1.changes == ("output_shape", "params", "macs",
                                                     "activation_size")
    # (3·3·3 + 1)·16 = 448 parameters; dense 15·15·16·10 + 10 = 36,010
    assert (c1.a.params, c1.b.params) == (224, 448)
    params = next(t for t in d.totals if t.name == "params")
    assert (params.a, params.b) == (224 + 18010, 448 + 36010)
    assert params.delta == 448 + 36010 - 224 - 18010
    assert abs(params.percent - 100 * (36458 - 18234) / 18234) < 1e-9
    assert next(p for p in d.pairs if p.name == "p1").changes == ("output_shape",
                                                                  "activation_size")


def test_renamed_layer_pairs_by_position() -> None:
    layers = json.loads(json.dumps(BASE["layers"]))
    layers[1]["name"] = "pool_one"
    d = diff(BASE, variant(layers=layers))
    assert ("renamed", "pool_one") in statuses(d)
    pair = next(p for p in d.pairs if p.status == "renamed")
    assert pair.a.name == "p1" and pair.changes == ()
    assert "p1 -> pool_one" in render.to_markdown(d)


def test_inserted_and_removed_layers() -> None:
    layers = json.loads(json.dumps(BASE["layers"]))
    inserted = [*layers[:1], {"type": "conv", "name": "c2", "filters": 8, "kernel": 1}, *layers[1:]]
    d = diff(BASE, variant(layers=inserted))
    assert statuses(d)[:3] == [("same", "input"), ("same", "c1"), ("added", "c2")]
    assert d.pairs[2].a is None and d.pairs[2].b.params == 1 * 1 * 8 * 8 + 8
    removed = diff(variant(layers=inserted), BASE)
    assert ("removed", "c2") in statuses(removed)
    # every row of each side appears exactly once
    assert sum(p.a is not None for p in d.pairs) == len(d.a.rows)
    assert sum(p.b is not None for p in d.pairs) == len(d.b.rows)


def test_resnet18_against_resnet34() -> None:
    d = diff("specs/resnet18.json", "specs/resnet34.json")
    params = next(t for t in d.totals if t.name == "params")
    # torchvision's documented counts
    assert (params.a, params.b) == (11_689_512, 21_797_672)
    # ResNet-34 adds 1, 2, 4 and 1 basic blocks to ResNet-18's stages: 8 more blocks,
    # each 6 rows (the block and conv, bn, relu, conv, bn)
    assert sum(p.status == "added" for p in d.pairs) == 8 * 6
    assert not any(p.status == "removed" for p in d.pairs)
    document = json.loads(render.to_json(d))
    assert document["equal"] is False and document["totals"]["params"]["delta"] == 10_108_160


def test_html_page_colours_changed_rows_and_escapes() -> None:
    layers = json.loads(json.dumps(BASE["layers"]))
    layers[0]["filters"] = 4
    layers[3]["name"] = "<script>alert(1)</script>"
    page = render.to_html(diff(BASE, variant(layers=layers)))
    assert "<script>" not in page and "&lt;script&gt;" in page
    classes: list[str] = []

    class Rows(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "tr":
                classes.append(dict(attrs).get("class") or "")

    Rows().feed(page)
    assert "changed" in classes and "renamed" in classes
