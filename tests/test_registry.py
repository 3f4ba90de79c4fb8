"""Every registered layer kind is known to every part of the program that handles kinds.

A kind declares its diagram category and its dense equivalent itself, and for each exporter
either the kind declares its framework layer or refusal itself (``exports``,
``export_refusals``: softmax, lrn) or the exporter lists it in its table of writers or of
refusals; these tests walk the registry and fail on any gap, and prove with monkeypatch that
deleting one entry is seen.
"""

from __future__ import annotations

from typing import Any

import pytest

from cnnshape.engine import dense_compare
from cnnshape.frameworks.keras import exporter as keras_exporter
from cnnshape.frameworks.torch import exporter as torch_exporter
from cnnshape.layers import KINDS, LayerBase, registry
from cnnshape.layers.lrn import LocalResponseNorm
from cnnshape.layers.softmax import Softmax
from cnnshape.render import diagram, volume

EXPORTERS = {"pytorch": (torch_exporter.TorchBackend, torch_exporter.WRITERS,
                         torch_exporter.UNSUPPORTED),
             "keras": (keras_exporter.KerasBackend, keras_exporter.WRITERS,
                       keras_exporter.UNSUPPORTED)}


def gaps(kinds: tuple[type[LayerBase], ...] = KINDS) -> list[str]:
    """Every missing declaration or table entry, one line each; [] when complete."""
    out = []
    for kind in kinds:
        tag = kind.tag
        own = vars(kind)
        for attribute in ("category", "dense_equivalent"):
            if attribute not in own:
                out.append(f"{tag}: declares no {attribute} of its own")
        category = own.get("category")
        if category is not None and category not in registry.CATEGORIES:
            out.append(f"{tag}: category {category!r} is not a registry category")
        if category is not None and category not in diagram.GROUP_OF:
            out.append(f"{tag}: the graph diagram has no style for category {category!r}")
        if category is not None and category not in volume.STYLE_OF:
            out.append(f"{tag}: the volume diagram has no style for category {category!r}")
        if own.get("dense_equivalent") and "dense_counts" not in own:
            out.append(f"{tag}: has a dense equivalent but does not count it (dense_counts)")
        if kind.composite:
            continue  # the shared Emitter walks composites: no per-kind writer
        for framework, (backend, writers, unsupported) in EXPORTERS.items():
            writes = tag in writers or framework in kind.exports
            refuses = bool(unsupported.get(tag) or kind.export_refusals.get(framework))
            if writes and refuses:
                out.append(f"{tag}: {framework} both writes and refuses it")
            elif tag in writers:
                if not callable(getattr(backend, writers[tag], None)):
                    out.append(f"{tag}: {framework} writer {writers[tag]} does not exist")
            elif not writes and not refuses:
                out.append(f"{tag}: {framework} neither writes it nor gives a reason")
    return out


def test_every_kind_is_registered_everywhere() -> None:
    assert gaps() == []


def test_the_tables_hold_only_registered_kinds() -> None:
    """No stale entry for a kind that no longer exists."""
    tags = {kind.tag for kind in KINDS}
    leaves = {kind.tag for kind in KINDS if not kind.composite}
    for framework, (_, writers, unsupported) in EXPORTERS.items():
        declared = {kind.tag for kind in KINDS
                    if framework in kind.exports or framework in kind.export_refusals}
        assert set(writers) | set(unsupported) | declared == leaves
    assert set(diagram.GROUP_OF) == set(volume.STYLE_OF) == set(registry.CATEGORIES)
    assert {registry.category(tag) for tag in tags} <= set(registry.CATEGORIES)


@pytest.mark.parametrize("framework", sorted(EXPORTERS))
def test_a_deleted_exporter_entry_is_seen(framework: str, monkeypatch: Any) -> None:
    _, writers, _ = EXPORTERS[framework]
    monkeypatch.delitem(writers, "dropout")
    assert gaps() == [f"dropout: {framework} neither writes it nor gives a reason"]


@pytest.mark.parametrize("framework", sorted(EXPORTERS))
def test_a_deleted_declared_export_is_seen(framework: str, monkeypatch: Any) -> None:
    """softmax declares both frameworks' layers in its own module."""
    monkeypatch.delitem(Softmax.exports, framework)
    assert gaps() == [f"softmax: {framework} neither writes it nor gives a reason"]


def test_a_deleted_reason_is_seen(monkeypatch: Any) -> None:
    monkeypatch.delitem(LocalResponseNorm.export_refusals, "keras")
    assert gaps() == ["lrn: keras neither writes it nor gives a reason"]


@pytest.mark.parametrize("table", [diagram.GROUP_OF, volume.STYLE_OF], ids=["graph", "volume"])
def test_a_deleted_renderer_entry_is_seen(table: dict[str, str], monkeypatch: Any) -> None:
    monkeypatch.delitem(table, "norm")
    found = gaps()
    assert found and all("no style for category 'norm'" in line for line in found)
    assert {line.split(":")[0] for line in found} == {
        kind.tag for kind in KINDS if vars(kind).get("category") == "norm"}


def test_a_kind_without_declarations_is_seen_and_refused() -> None:
    class Bare(LayerBase):
        tag = "bare"

    assert gaps((Bare,)) == ["bare: declares no category of its own",
                             "bare: declares no dense_equivalent of its own",
                             "bare: pytorch neither writes it nor gives a reason",
                             "bare: keras neither writes it nor gives a reason"]
    with pytest.raises(AttributeError):
        Bare.category  # noqa: B018 - no default to fall back to


def test_unknown_tags_raise() -> None:
    for ask in (registry.category, registry.label, registry.dense_equivalent, registry.kind):
        with pytest.raises(registry.UnknownKind, match="unknown layer kind 'nonsense'"):
            ask("nonsense")
    assert registry.category("input") == "input" and not registry.dense_equivalent("input")


def test_dense_comparison_follows_the_declarations() -> None:
    """compare-dense lists exactly the kinds declaring a dense equivalent: conv,
    conv_transpose and dense, with their counts written out by hand."""
    declared = {kind.tag for kind in KINDS if kind.dense_equivalent}
    assert declared == {"conv", "conv_transpose", "dense"}
    spec = {"input": [6, 6, 2], "layers": [
        {"type": "conv", "name": "c", "filters": 4, "kernel": 3, "groups": 2},   # 4x4x4
        {"type": "lrn", "size": 3}, {"type": "softmax"},
        {"type": "conv_transpose", "name": "t", "filters": 1, "kernel": 2, "stride": 2},
        {"type": "flatten"}, {"type": "dense", "name": "d", "units": 3}]}
    report = dense_compare.compare_dense(spec)
    assert [(c.name, c.reuse, c.reads) for c in report.layers] == [
        ("c", 4 * 4, 3 * 3 * 2 // 2), ("t", 4 * 4, None), ("d", 1, 8 * 8 * 1)]
    assert report.layers[0].dense_weights == (6 * 6 * 2) * (4 * 4 * 4)


def test_new_kinds_are_drawn_in_their_category() -> None:
    """lrn is a normalization and softmax an activation in the graph's legend; both are
    element-wise in the volume drawing's, and nothing falls into reshape."""
    spec = {"input": [4, 4, 3], "layers": [{"type": "lrn", "name": "norm_me", "size": 2},
                                           {"type": "softmax", "name": "probs"}]}
    graph = diagram.graph_svg(spec)
    assert diagram.GROUPS["norm"][0] in graph and diagram.GROUPS["activation"][0] in graph
    assert diagram.GROUPS["reshape"][0] not in graph
    svg = volume.volume_svg(spec)
    assert volume.CATEGORIES["elementwise"][0] in svg
    assert volume.CATEGORIES["reshape"][0] not in svg


def test_importers_write_only_registered_kinds() -> None:
    """Every layer type an importer writes into a spec is a registered kind (a kind renamed
    or removed would leave an importer writing specs that cannot load)."""
    import re
    from pathlib import Path

    import cnnshape.frameworks

    written: dict[str, set[str]] = {}
    for path in Path(cnnshape.frameworks.__file__).parent.rglob("*.py"):
        for tag in re.findall(r'"type": "([a-z_0-9]+)"', path.read_text(encoding="utf-8")):
            written.setdefault(tag, set()).add(path.name)
    assert {"conv", "dense", "pool", "merge", "residual"} <= set(written)  # the scan sees them
    unknown = {tag: files for tag, files in written.items() if tag not in registry.BY_TYPE}
    assert unknown == {}
