"""Named connections: merge several earlier layers, or crop one.

With ``from`` (on any layer) and ``merge`` a spec describes any directed acyclic
graph: U-Net's skips, FPN's lateral connections, squeeze-and-excitation's gate.
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import add, mul
from typing import Any, ClassVar

from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, Spatial, choice, flag, names, per_dim, spatial
from cnnshape.core.merging import broadcast, broadcast_as, concatenated
from cnnshape.core.tensor import Tensor, broadcast_index, crop, leaves, measure, reshape
from cnnshape.layers.base import Inferred, LayerBase, spatial_dims
from cnnshape.layers.conv import DIM_NAMES, _dims


class Merge(LayerBase):
    """Combine the outputs of named layers: add or multiply (NumPy broadcasting, so
    x * gate with a [1, 1, C] gate is squeeze-and-excitation) or concat on channels."""

    tag = "merge"
    example: ClassVar[Mapping[str, Any] | None] = {
        "type": "merge", "mode": "add", "inputs": ["input", "branch"]}
    example_before: ClassVar[tuple[Mapping[str, Any], ...]] = (
        {"type": "conv", "name": "branch", "filters": 16, "kernel": 3, "padding": 1},)
    category = "merge"
    dense_equivalent = False
    mode: str = choice(("add", "concat", "multiply"))
    inputs: list[str] = names('Names of earlier layers, or "input".')
    crop: bool = flag(False, "Center-crop every input to the smallest spatial size first "
                             "(U-Net's skips).")
    merges: ClassVar[bool] = True

    def check(self) -> None:
        if self.source is not None:
            raise ValueError('a merge reads its "inputs"; "from" does not apply')

    def reads(self) -> list[str]:
        return list(self.inputs)

    def details(self) -> str:
        return self.mode + (", center crop" if self.crop else "")

    def _crop_target(self, shapes: list[Shape]) -> Shape | None:
        if not self.crop:
            return None
        ranks = {len(s) for s in shapes}
        if len(ranks) != 1:
            raise LayerError("crop needs inputs with the same number of dimensions")
        spatial_dims(shapes[0], "merge with crop")
        return tuple(min(sizes) for sizes in zip(*(s[:-1] for s in shapes), strict=False))

    def infer(self, shapes: list[Shape], cap: int | None) -> Inferred:  # type: ignore[override]
        target = self._crop_target(shapes)
        if target is not None:
            shapes = [(*target, s[-1]) for s in shapes]
        if self.mode == "concat":
            return Inferred(concatenated(shapes, list(self.inputs)))
        return Inferred(broadcast_as(self.mode, shapes, list(self.inputs)))

    def receptive(self, fields: list[Any], shapes: list[Shape]) -> Any:  # type: ignore[override]
        from cnnshape.core.rf import merge

        target = self._crop_target(shapes)
        if target is not None:
            fields = [f.shifted([(n - t) // 2 for n, t in zip(s, target, strict=False)])
                      for f, s in zip(fields, shapes, strict=False)]
        return merge(fields)

    def forward(self, xs: list[Tensor], ref: Any) -> Tensor:
        shapes = [measure(x) for x in xs]
        target = self._crop_target(shapes)
        if target is not None:
            xs = [crop(x, tuple((n - t) // 2 for n, t in zip(s, target, strict=False)), target)
                  for x, s in zip(xs, shapes, strict=False)]
            shapes = [measure(x) for x in xs]
        if self.mode == "concat":
            return _concat(xs)
        out = broadcast(shapes)
        op = add if self.mode == "add" else mul
        flats = [leaves(x) for x in xs]
        result = [flats[0][i] for i in broadcast_index(shapes[0], out)]
        for flat, shape in zip(flats[1:], shapes[1:], strict=False):
            result = list(map(op, result, [flat[i] for i in broadcast_index(shape, out)]))
        return reshape(result, out) if len(out) > 1 else result


def _concat(xs: list[Tensor]) -> Tensor:
    if isinstance(xs[0][0], list):
        return [_concat(list(parts)) for parts in zip(*xs, strict=False)]
    return [v for vector in xs for v in vector]


class Crop(LayerBase):
    """Remove ``cropping`` positions from both ends of every spatial dim (Keras Cropping)."""

    tag = "crop"
    category = "reshape"
    dense_equivalent = False
    cropping: Spatial = spatial(0)

    def details(self) -> str:
        return f"c{_dims(self.cropping)}"

    def infer(self, shape: Shape, cap: int | None) -> Inferred:
        nd = spatial_dims(shape, "crop")
        cuts = per_dim(self.cropping, nd, "cropping")
        out = tuple(n - 2 * c for n, c in zip(shape, cuts, strict=False))
        for i, n in enumerate(out):
            if n < 1:
                raise LayerError(f"{DIM_NAMES[nd][i]}: cropping {cuts[i]} from both ends of "
                                 f"{shape[i]} leaves {n}")
        return Inferred((*out, shape[-1]))

    def receptive(self, field: Any, shape: Shape) -> Any:
        return field.shifted(per_dim(self.cropping, len(shape) - 1, "cropping"))

    def forward(self, x: Tensor, ref: Any) -> Tensor:
        dims = measure(x)[:-1]
        cuts = per_dim(self.cropping, len(dims), "cropping")
        return crop(x, cuts, tuple(n - 2 * c for n, c in zip(dims, cuts, strict=False)))


