"""The stride warning: when the last positions are dropped, and whether they are input."""

from __future__ import annotations

import cnnshape


def warnings_for(n: int, layer: dict) -> list[str]:
    return cnnshape.analyze({"input": [n, 3], "layers": [layer]}).warnings


def test_padding_only_tail() -> None:
    # ResNet's stem: (224 + 2*3 - 1*(7-1) - 1) = 223 = 2*111 + 1: the one unread position is
    # the last of the 3 right-padding zeros, so every input position is read.
    (line,) = warnings_for(224, {"type": "conv", "filters": 1, "kernel": 7, "stride": 2,
                                 "padding": 3})
    assert "= 223 is not divisible by stride 2" in line and "only padding" in line


def test_real_input_dropped() -> None:
    # A 1x1 stride-2 projection on 111 positions: (111 - 0 - 1) = 110 is even: no warning.
    assert warnings_for(111, {"type": "conv", "filters": 1, "kernel": 1, "stride": 2}) == []
    # On 112: (112 - 1) = 111 = 2*55 + 1 and there is no padding: the last input is dropped.
    (line,) = warnings_for(112, {"type": "conv", "filters": 1, "kernel": 1, "stride": 2})
    assert "length: " in line
    assert "the last 1 input position is never read (silently dropped)" in line


def test_pool_warning_counts_real_positions() -> None:
    # pool k3 s3 on 11: (11 - 3) = 8 = 3*2 + 2: the last 2 inputs are never read.
    (line,) = warnings_for(11, {"type": "pool", "kernel": 3})
    assert "= 8 is not divisible by stride 3" in line and "last 2 input positions" in line
    # ceil mode reads them: no warning.
    assert warnings_for(11, {"type": "pool", "kernel": 3, "ceil_mode": True}) == []
