"""The window rule: one spatial dim of a convolution or pooling window, in one place.

Every layer, importer and exporter that needs an output length or a padding asks here,
so the arithmetic is written once. It follows Dumoulin & Visin, "A guide to convolution
arithmetic for deep learning" (2016): a window of effective size d(k-1)+1 slides with
stride s over the input padded by (before, after). ``"same"`` is TensorFlow/Keras's
(output ceil(n/s), the odd pixel of padding after); ceil mode is PyTorch's
``pooling_output_shape_pad_lr`` (aten/src/ATen/native/Pool.h). Stdlib only: the
importers use it without the layer models.

Errors raise :class:`LayerError` with the dim left out, so a layer can prefix the dim's
name (``height: kernel 5 is larger than the padded input 4``).
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnshape.core.errors import LayerError

Padding = int | tuple[int, int] | str
"""One dim's padding as a spec writes it: "same", "valid", n on both sides, or (before, after)."""


def effective(kernel: int, dilation: int = 1) -> int:
    """The extent a dilated kernel covers: d(k-1)+1 (the guide's relationship 15).

    >>> effective(3), effective(3, 2), effective(1, 5)
    (3, 5, 1)
    """
    return dilation * (kernel - 1) + 1


def same_pads(n: int, extent: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" for a window of ``extent`` (the dilated kernel): pad so the
    output is ceil(n/s), the odd pixel after; never negative.

    >>> same_pads(5, 3, 1)      # half padding
    (1, 1)
    >>> same_pads(5, 3, 2)      # output ceil(5/2) = 3 needs (3-1)*2+3-5 = 2
    (1, 1)
    >>> same_pads(6, 3, 2)      # output 3 needs 1: it goes after
    (0, 1)
    >>> same_pads(7, 2, 2)      # output 4 needs (4-1)*2+2-7 = 1
    (0, 1)
    >>> same_pads(8, 2, 2)      # the windows already tile 8: no padding
    (0, 0)
    """
    out = -(-n // stride)
    total = max((out - 1) * stride + extent - n, 0)
    return total // 2, total - total // 2


def resolve(padding: Padding, n: int, extent: int, stride: int) -> tuple[int, int]:
    """(before, after) padding of one dim of length ``n``.

    >>> resolve("valid", 5, 3, 2), resolve("same", 6, 3, 2), resolve(2, 5, 3, 1)
    ((0, 0), (0, 1), (2, 2))
    >>> resolve((0, 3), 5, 3, 1)
    (0, 3)
    """
    if padding == "same":
        return same_pads(n, extent, stride)
    if padding == "valid":
        return 0, 0
    if isinstance(padding, int):
        return padding, padding
    if isinstance(padding, tuple) and len(padding) == 2:
        return padding[0], padding[1]
    raise ValueError(f"padding {padding!r}: expected \"same\", \"valid\", n or (before, after)")


def too_large(kernel: int, dilation: int, padded: int) -> str:
    """The refusal for a window longer than the padded input, without the dim's name.

    >>> too_large(3, 1, 2)
    'kernel 3 is larger than the padded input 2'
    >>> too_large(3, 2, 4)
    'kernel 3 (dilated to 5) is larger than the padded input 4'
    """
    extent = effective(kernel, dilation)
    return (f"kernel {kernel}{f' (dilated to {extent})' if extent != kernel else ''} is larger "
            f"than the padded input {padded}")


def output_length(n: int, kernel: int, stride: int = 1, pads: tuple[int, int] = (0, 0),
                  dilation: int = 1, ceil_mode: bool = False) -> int:
    """Window positions along one dim: floor((n+pb+pa-d(k-1)-1)/s)+1 (the guide's
    relationship 6, with dilation).

    In ceil mode (PyTorch's pooling) the division rounds up, so a last, partial window
    counts, but a last window that would start in the right padding is dropped. With
    padding at most half the kernel, as PyTorch's pooling requires, that is exactly: a
    partial window counts when it starts in the input or the left padding.

    >>> output_length(5, 3, 2, (1, 1))      # the guide's figure 2.6: n=5, k=3, s=2, p=1
    3
    >>> output_length(4, 3), output_length(5, 4, 1, (2, 2)), output_length(5, 3, 1, (2, 2))
    (2, 6, 7)
    >>> output_length(6, 3, 2, (1, 1))      # the guide's figure 2.7: n=6, k=3, s=2, p=1
    3
    >>> output_length(7, 3, 1, (0, 0), 2)   # dilated to 5
    3
    >>> output_length(5, 2, 2), output_length(5, 2, 2, ceil_mode=True)
    (2, 3)
    >>> output_length(6, 2, 2, (1, 1), ceil_mode=True)   # a 5th window would start in padding
    4
    >>> output_length(2, 3)
    Traceback (most recent call last):
    ...
    cnnshape.core.errors.LayerError: kernel 3 is larger than the padded input 2

    In ceil mode a window longer than the padded input still gives one output, as PyTorch
    computes it (floor((span + s - 1)/s) + 1, span = n + 2p - d(k-1) - 1 < 0), as long as
    that is at least one:

    >>> output_length(2, 3, 2, ceil_mode=True), output_length(3, 5, 3, (1, 1), ceil_mode=True)
    (1, 1)
    >>> output_length(2, 3, 1, ceil_mode=True)
    Traceback (most recent call last):
    ...
    cnnshape.core.errors.LayerError: kernel 3 is larger than the padded input 2
    """
    before, after = pads
    padded = n + before + after
    span = padded - effective(kernel, dilation)
    if span < 0 and not ceil_mode:
        raise LayerError(too_large(kernel, dilation, padded))
    if not ceil_mode:
        return span // stride + 1
    size = (span + stride - 1) // stride + 1  # floor division rounds down below zero too
    if (size - 1) * stride >= n + before:  # the last window would start in the right padding
        size -= 1
    if size < 1:
        raise LayerError(too_large(kernel, dilation, padded))
    return size


def output_padding_ok(extra: int, stride: int, dilation: int = 1) -> bool:
    """A transposed conv's output padding must be smaller than the stride or the
    dilation (PyTorch's rule): otherwise it is no longer ambiguity, just padding.

    >>> output_padding_ok(1, 2), output_padding_ok(2, 2), output_padding_ok(1, 1, 2)
    (True, False, True)
    """
    return 0 <= extra < max(stride, dilation)


def transposed_crops(padding: int | str, kernel: int, stride: int,
                     dilation: int = 1) -> tuple[int, int]:
    """What a transposed conv cuts off the (n-1)s + d(k-1)+1 positions it scatters to,
    (before, after); a negative cut appends zeros.

    Numeric padding p cuts p off both ends (PyTorch). "same" is Keras's output n*s: the
    cut d(k-1)+1-s split with the odd one after, or zeros appended when the kernel is
    shorter than the stride. "valid" is Keras's n*s + max(d(k-1)+1-s, 0).

    >>> transposed_crops(1, 3, 2), transposed_crops("same", 3, 2), transposed_crops("same", 4, 2)
    ((1, 1), (0, 1), (1, 1))
    >>> transposed_crops("same", 1, 2), transposed_crops("valid", 3, 2)
    ((0, -1), (0, 0))
    >>> transposed_crops("valid", 1, 3)     # a 1-wide kernel at stride 3: two zeros appended
    (0, -2)
    """
    total = effective(kernel, dilation) - stride
    if padding == "same":
        return (total // 2, total - total // 2) if total >= 0 else (0, total)
    if padding == "valid":
        return 0, min(total, 0)
    if isinstance(padding, int):
        return padding, padding
    raise ValueError(f"padding {padding!r}: expected \"same\", \"valid\" or n")


def transposed_length(n: int, kernel: int, stride: int = 1, crops: tuple[int, int] = (0, 0),
                      dilation: int = 1, output_padding: int = 0) -> int:
    """A transposed conv's output: (n-1)s - cb - ca + d(k-1) + op + 1 (the guide's
    relationship 14 with the crops written out).

    >>> transposed_length(3, 3, 2, (1, 1))                     # undoes n=5, k=3, s=2, p=1
    5
    >>> transposed_length(3, 3, 2, (1, 1), output_padding=1)   # ... and n=6 (figure 4.6)
    6
    >>> transposed_length(2, 3), transposed_length(5, 4, 1, (2, 2))   # figure 4.1, 4.2 inverses
    (4, 4)
    >>> transposed_length(1, 1, 1, (1, 1))
    Traceback (most recent call last):
    ...
    cnnshape.core.errors.LayerError: the output size reaches -1 (padding 1 too large for input 1)
    """
    before, after = crops
    size = (n - 1) * stride - before - after + dilation * (kernel - 1) + output_padding + 1
    if size < 1:
        raise LayerError(f"the output size reaches {size} (padding {before} too large for "
                         f"input {n})")
    return size


@dataclass(frozen=True)
class Window:
    """One spatial dim of a window: the rule's functions with its hyper-parameters bound.

    >>> w = Window(3, 2)
    >>> w.extent, w.pads("same", 6), w.length(6, w.pads("same", 6))
    (3, (0, 1), 3)
    >>> Window(2, 2).length(5, ceil_mode=True), Window(3, 2).transposed(3, (1, 1), 1)
    (3, 6)
    """

    kernel: int
    stride: int = 1
    dilation: int = 1

    @property
    def extent(self) -> int:
        """The dilated kernel's extent, d(k-1)+1."""
        return effective(self.kernel, self.dilation)

    def pads(self, padding: Padding, n: int) -> tuple[int, int]:
        """(before, after) padding for an input of length ``n``."""
        return resolve(padding, n, self.extent, self.stride)

    def length(self, n: int, pads: tuple[int, int] = (0, 0), ceil_mode: bool = False) -> int:
        """The number of window positions on the padded input."""
        return output_length(n, self.kernel, self.stride, pads, self.dilation, ceil_mode)

    def transposed(self, n: int, crops: tuple[int, int] = (0, 0), output_padding: int = 0) -> int:
        """The output length of the transposed window."""
        return transposed_length(n, self.kernel, self.stride, crops, self.dilation,
                                 output_padding)
