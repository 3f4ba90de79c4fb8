"""Named connections: merge several earlier layers, or crop one.

With ``from`` (on any layer) and ``merge`` a spec describes any directed acyclic
graph: U-Net's skips, FPN's lateral connections, squeeze-and-excitation's gate.
"""

from __future__ import annotations

from operator import add, mul
from typing import Any, ClassVar

from cnnshape.core.errors import LayerError
from cnnshape.core.fields import Shape, Spatial, choice, flag, names, per_dim, show_shape, spatial
from cnnshape.core.tensor import Tensor, broadcast_index, crop, leaves, measure, reshape
from cnnshape.layers.base import Inferred, LayerBase, spatial_dims
from cnnshape.layers.conv import DIM_NAMES, _dims


def broadcast(shapes: list[Shape]) -> Shape:
    """NumPy broadcasting: axes aligned from the right, each equal or 1."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for sizes in zip(*padded):
        big = {n for n in sizes if n != 1}
        if len(big) > 1:
            raise LayerError("shapes " + ", ".join(show_shape(tuple(s)) for s in shapes)
                             + " do not broadcast")
        out.append(big.pop() if big else 1)
    return tuple(out)


class Merge(LayerBase):
    """Combine the outputs of named layers: add or multiply (NumPy broadcasting, so
    x * gate with a [1, 1, C] gate is squeeze-and-excitation) or concat on channels."""

    tag = "merge"
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
        return tuple(min(sizes) for sizes in zip(*(s[:-1] for s in shapes)))

    def infer(self, shapes: list[Shape], cap: int | None) -> Inferred:  # type: ignore[override]
        target = self._crop_target(shapes)
        if target is not None:
            shapes = [(*target, s[-1]) for s in shapes]
        if self.mode == "concat":
            first = shapes[0]
            for name, shape in zip(self.inputs[1:], shapes[1:]):
                if len(shape) != len(first) or shape[:-1] != first[:-1]:
                    raise LayerError(f"cannot concatenate {self.inputs[0]} {show_shape(first)} "
                                     f"and {name} {show_shape(shape)}: spatial sizes differ")
            return Inferred((*first[:-1], sum(s[-1] for s in shapes)))
        try:
            return Inferred(broadcast(shapes))
        except LayerError:
            listed = ", ".join(f"{n} {show_shape(s)}" for n, s in zip(self.inputs, shapes))
            raise LayerError(f"cannot {self.mode} {listed}: shapes must be equal or broadcast "
                             "(each axis equal or 1)") from None

    def receptive(self, fields: list[Any], shapes: list[Shape]) -> Any:  # type: ignore[override]
        from cnnshape.core.rf import merge

        target = self._crop_target(shapes)
        if target is not None:
            fields = [f.shifted([(n - t) // 2 for n, t in zip(s, target)])
                      for f, s in zip(fields, shapes)]
        return merge(fields)

    def forward(self, xs: list[Tensor], ref: Any) -> Tensor:  # type: ignore[override]
        shapes = [measure(x) for x in xs]
        target = self._crop_target(shapes)
        if target is not None:
            xs = [crop(x, tuple((n - t) // 2 for n, t in zip(s, target)), target)
                  for x, s in zip(xs, shapes)]
            shapes = [measure(x) for x in xs]
        if self.mode == "concat":
            return _concat(xs)
        out = broadcast(shapes)
        op = add if self.mode == "add" else mul
        flats = [leaves(x) for x in xs]
        result = [flats[0][i] for i in broadcast_index(shapes[0], out)]
        for flat, shape in zip(flats[1:], shapes[1:]):
            result = list(map(op, result, [flat[i] for i in broadcast_index(shape, out)]))
        return reshape(result, out) if len(out) > 1 else result


def _concat(xs: list[Tensor]) -> Tensor:
    if isinstance(xs[0][0], list):
        return [_concat(list(parts)) for parts in zip(*xs)]
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
        out = tuple(n - 2 * c for n, c in zip(shape, cuts))
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
        return crop(x, cuts, tuple(n - 2 * c for n, c in zip(dims, cuts)))


