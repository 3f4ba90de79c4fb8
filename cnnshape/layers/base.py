"""What every layer kind provides.

A layer kind is one model (cnnshape.model) holding its fields and its rules: ``infer`` (output
shape, parameters, MACs, warnings) for the calculator and ``forward`` for the
pure-Python reference pass. Composite kinds instead describe how they combine their
children once, in ``walk``, for both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, text
from cnnshape.core.model import Model

if TYPE_CHECKING:
    from cnnshape.core.rf import RF


@dataclass
class Inferred:
    """A leaf layer's calculator result."""

    shape: Shape
    params: int = 0
    non_trainable: int = 0
    macs: int = 0
    warnings: list[str] = field(default_factory=list)


class Weights(Protocol):
    """What a kind's reference computation needs from the pass that runs it: seeded weights
    and the channel cap. A protocol, so the kinds do not depend on the reference pass."""

    cap: int | None
    """Channel counts above this are capped to keep the pass within its MAC budget."""

    def weights(self, count: int, fan_in: int) -> list[float]:
        """``count`` seeded weights for a unit that reads ``fan_in`` values."""
        ...


class Walker(Protocol):
    """The calculator and the reference pass both walk composites through this."""

    def sequence(self, layers: list[Any], value: Any, where: str,
                 repetition: int | None = None) -> Any: ...

    def add(self, values: list[Any], labels: list[str]) -> Any: ...

    def concat(self, values: list[Any], labels: list[str]) -> Any: ...

    def activate(self, function: str | None, value: Any) -> Any: ...


class LayerBase(Model):
    name: str | None = text("Unique; auto-named <type>_<n> when absent.")
    source: str | None = text('Read the output of this earlier layer (or "input") instead of '
                                 "the previous layer's.", alias="from")

    composite: ClassVar[bool] = False
    """Composites contain layer lists and implement ``walk`` instead of ``infer``/``forward``."""

    merges: ClassVar[bool] = False
    """Merges read several named layers: ``infer`` and ``forward`` get a list of inputs."""

    label: ClassVar[str | None] = None
    """The short word tables and diagrams show for this kind; None shows the tag."""

    category: ClassVar[str]
    """Which of ``registry.CATEGORIES`` the diagrams draw this kind as. Every kind declares
    its own (no default), so a new kind cannot be drawn as something else by accident."""

    dense_equivalent: ClassVar[bool]
    """Whether ``compare-dense`` sets this kind against a dense layer doing the same
    mapping; those kinds implement ``dense_counts``. Declared by every kind (no default)."""

    exports: ClassVar[Mapping[str, str]] = {}
    """Framework ("pytorch", "keras") -> the constructor of the framework's own layer, for a
    kind without weights that maps one input to one output: ``{field}`` placeholders are
    filled from the layer (``{alpha!r}``). A kind declared here needs no exporter code;
    the others are in each exporter's WRITERS table."""

    example: ClassVar[Mapping[str, Any] | None] = None
    """One layer of this kind as a spec writes it, for ``cnnshape layers``; None: made from
    the required fields' typical values (spec/catalogue.py). It must analyse on an input of
    8x8x16 after the layers ``before`` (tests/test_catalogue.py checks every kind's)."""

    example_before: ClassVar[tuple[Mapping[str, Any], ...]] = ()
    """Layers the example needs before it (a merge's named inputs)."""

    export_refusals: ClassVar[Mapping[str, str]] = {}
    """Framework -> why this kind cannot be exported to it (one line)."""

    def export_call(self, framework: str) -> str | None:
        """The declared constructor for ``framework`` with this layer's values, or None."""
        template = self.exports.get(framework)
        if template is None:
            return None
        return template.format(**{key: getattr(self, key) for key in self.fields})

    def reads(self) -> list[str]:
        """The names this layer reads instead of the previous layer's output."""
        return [self.source] if self.source else []

    @property
    def kind(self) -> str:
        return self.tag  # type: ignore[return-value]

    @property
    def type(self) -> str:
        return self.tag  # type: ignore[return-value]

    def details(self) -> str:
        """A short description of the hyper-parameters for the table's Layer column."""
        return ""

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        """Output shape, parameters and MACs for input ``shape``; raise LayerError if invalid.

        ``cap`` limits channel counts for the reference pass's budget; None means none.
        """
        raise NotImplementedError

    def forward(self, x: Any, ref: Weights) -> Any:
        """Compute the layer by its definition on a nested-list tensor."""
        raise NotImplementedError

    def receptive(self, field: RF, shape: Shape) -> RF:
        """The receptive field after this layer; position-wise layers keep it."""
        return field

    def dense_counts(self, input_shape: Shape, output_shape: Shape) -> tuple[int, int | None]:
        """(reuse, reads) for ``compare-dense``: the positions at which each weight is used,
        and the input values each output value reads (None when it varies by position)."""
        raise NotImplementedError

    def walk(self, value: Any, walker: Walker) -> Any:
        raise NotImplementedError

    def children(self) -> list[tuple[str, list[Any]]]:
        """(path suffix, layer list) pairs of a composite, e.g. ('body', [...])."""
        return []


def spatial_dims(shape: Shape, kind: str) -> int:
    """Number of spatial dims; spatial layers refuse a flat (already flattened) input."""
    dims = len(shape) - 1
    if dims < 1:
        raise LayerError(f"{kind} needs spatial dimensions, but its input {_fmt(shape)} has none "
                         "(a spatial layer after flatten or dense?)")
    return dims


def _fmt(shape: Shape) -> str:
    from cnnshape.core.fields import show_shape

    return show_shape(shape)


prod = math.prod
"""Exact integer products of shapes and kernels (re-exported for the layer modules)."""
