"""The window rule (cnnshape.core.window) against its own worked examples, a brute-force
count of window starts written out here, and PyTorch's real output sizes.

The brute force walks the padded input start by start, the way the guide's figures are
drawn; torch runs the actual modules on zeros. Neither uses the rule's formulas.
"""

from __future__ import annotations

import doctest

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import fuzz_settings

from cnnshape.core import window
from cnnshape.core.errors import LayerError

SETTINGS = fuzz_settings(150)


def brute_starts(n: int, kernel: int, stride: int, before: int, after: int, dilation: int,
                 ceil_mode: bool) -> int:
    """Window starts 0, s, 2s, ... on the padded input: every window that fits, then (ceil
    mode) one partial window, if the last full one left the end unread and it starts in
    the input or the left padding, as PyTorch documents ceil_mode."""
    padded = n + before + after
    extent = dilation * (kernel - 1) + 1
    starts: list[int] = []
    start = 0
    while True:
        if start + extent <= padded:
            starts.append(start)
        elif ceil_mode and start < before + n and (not starts or starts[-1] + extent < padded):
            starts.append(start)
            break
        else:
            break
        start += stride
    return len(starts)


@st.composite
def cases(draw: st.DrawFn, half_padding: bool = False) -> tuple[int, int, int, int, int]:
    """(n, kernel, stride, padding, dilation) whose dilated kernel fits the padded input."""
    kernel = draw(st.integers(1, 6))
    stride = draw(st.integers(1, 4))
    dilation = draw(st.integers(1, 3))
    padding = draw(st.integers(0, kernel // 2 if half_padding else 4))
    n = draw(st.integers(1, 24))
    assume(dilation * (kernel - 1) + 1 <= n + 2 * padding)
    return n, kernel, stride, padding, dilation


def test_doctests() -> None:
    """The worked examples in the module's docstrings hold."""
    result = doctest.testmod(window, raise_on_error=False)
    assert result.attempted > 20
    assert result.failed == 0


@pytest.mark.parametrize(("n", "k", "s", "p", "expected"), [
    (4, 3, 1, 0, 2),   # guide, figure 2.1
    (5, 4, 1, 2, 6),   # figure 2.2: arbitrary padding
    (5, 3, 1, 1, 5),   # figure 2.3: half padding
    (5, 3, 1, 2, 7),   # figure 2.4: full padding
    (5, 3, 2, 0, 2),   # figure 2.5
    (5, 3, 2, 1, 3),   # figure 2.6
    (6, 3, 2, 1, 3),   # figure 2.7: the last row is never read
])
def test_guide_examples(n: int, k: int, s: int, p: int, expected: int) -> None:
    """Dumoulin & Visin's figures, each output size as the guide states it."""
    assert window.output_length(n, k, s, (p, p)) == expected
    assert brute_starts(n, k, s, p, p, 1, False) == expected


@given(cases())
@SETTINGS
def test_matches_brute_force(case: tuple[int, int, int, int, int]) -> None:
    n, k, s, p, d = case
    assert window.output_length(n, k, s, (p, p), d) == brute_starts(n, k, s, p, p, d, False)


@given(cases(half_padding=True))
@SETTINGS
def test_ceil_mode_matches_brute_force(case: tuple[int, int, int, int, int]) -> None:
    """Ceil mode with padding at most half the kernel, as PyTorch's pooling requires (then
    no full window can start in the right padding)."""
    n, k, s, p, d = case
    assert window.output_length(n, k, s, (p, p), d, True) == brute_starts(n, k, s, p, p, d, True)


def test_ceil_mode_beyond_half_padding_is_torchs_formula() -> None:
    """Past half the kernel, PyTorch's formula drops only the one last window starting in
    the right padding: n=1, k=1, s=1, p=1 has windows at 0, 1, 2 and keeps 2."""
    assert window.output_length(1, 1, 1, (1, 1), 1, ceil_mode=True) == 2
    assert window.output_length(1, 1, 1, (1, 1), 1, ceil_mode=False) == 3


@given(st.integers(1, 40), st.integers(1, 7), st.integers(1, 5), st.integers(1, 3))
@SETTINGS
def test_same_is_ceil_n_over_s(n: int, k: int, s: int, d: int) -> None:
    """TensorFlow's "same": ceil(n/s) outputs, padding never negative, odd pixel after."""
    before, after = window.same_pads(n, window.effective(k, d), s)
    assert 0 <= before <= after <= before + 1
    assert window.output_length(n, k, s, (before, after), d) == (n + s - 1) // s


def test_too_large_message() -> None:
    with pytest.raises(LayerError, match=r"^kernel 3 \(dilated to 5\) is larger than the "
                                         r"padded input 4$"):
        window.output_length(2, 3, 1, (1, 1), 2)


@given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3),
       st.integers(0, 3))
@SETTINGS
def test_transposed_inverts_the_conv(n: int, k: int, s: int, d: int, p: int) -> None:
    """A transposed conv maps the conv's output size back to an input size it came from:
    with output padding (n + 2p - d(k-1) - 1) mod s it is exactly n (the guide, 4.6)."""
    assume(window.effective(k, d) <= n + 2 * p)
    out = window.output_length(n, k, s, (p, p), d)
    extra = (n + 2 * p - window.effective(k, d)) % s
    assert window.transposed_length(out, k, s, (p, p), d, extra) == n


# ---------------------------------------------------------------- PyTorch

@pytest.mark.torch
class TestTorch:
    """Torch's modules on zeros: the sizes it really produces."""

    @given(cases())
    @SETTINGS
    def test_conv1d(self, case: tuple[int, int, int, int, int]) -> None:
        torch = pytest.importorskip("torch")
        n, k, s, p, d = case
        conv = torch.nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d)
        got = conv(torch.zeros(1, 1, n)).shape[-1]
        assert window.output_length(n, k, s, (p, p), d) == got

    @given(cases(), cases())
    @SETTINGS
    def test_conv2d(self, rows: tuple[int, int, int, int, int],
                    cols: tuple[int, int, int, int, int]) -> None:
        torch = pytest.importorskip("torch")
        conv = torch.nn.Conv2d(1, 1, (rows[1], cols[1]), stride=(rows[2], cols[2]),
                               padding=(rows[3], cols[3]), dilation=(rows[4], cols[4]))
        got = tuple(conv(torch.zeros(1, 1, rows[0], cols[0])).shape[-2:])
        assert got == tuple(window.output_length(n, k, s, (p, p), d)
                            for n, k, s, p, d in (rows, cols))

    @given(cases(half_padding=True), st.booleans())
    @SETTINGS
    def test_max_pool1d(self, case: tuple[int, int, int, int, int], ceil_mode: bool) -> None:
        torch = pytest.importorskip("torch")
        n, k, s, p, d = case
        pool = torch.nn.MaxPool1d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil_mode)
        got = pool(torch.zeros(1, 1, n)).shape[-1]
        assert window.output_length(n, k, s, (p, p), d, ceil_mode) == got
        assert brute_starts(n, k, s, p, p, d, ceil_mode) == got

    @given(st.integers(1, 12), st.integers(1, 5), st.integers(1, 4), st.integers(1, 3),
           st.integers(0, 3), st.integers(0, 3))
    @SETTINGS
    def test_conv_transpose1d(self, n: int, k: int, s: int, d: int, p: int, op: int) -> None:
        torch = pytest.importorskip("torch")
        assume(window.output_padding_ok(op, s, d))
        try:
            expected: int | None = window.transposed_length(n, k, s, (p, p), d, op)
        except LayerError:
            expected = None
        conv = torch.nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op,
                                        dilation=d)
        try:
            got: int | None = conv(torch.zeros(1, 1, n)).shape[-1]
        except RuntimeError:  # torch refuses an output size below 1
            got = None
        assert expected == got


def test_merging_doctests() -> None:
    """The merge kinds' shape rule (core.merging): its worked examples hold too."""
    from cnnshape.core import merging

    result = doctest.testmod(merging, raise_on_error=False)
    assert result.attempted > 8
    assert result.failed == 0
