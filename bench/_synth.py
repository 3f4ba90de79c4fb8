"""Synthetic specs for the scaling and reference-pass benchmarks, built as plain dicts.

Every builder returns a fresh dict (cnnshape.load does not change its input, but the
benchmark never relies on that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Spec = dict[str, Any]

SMALL_INPUT = [8, 8, 16]
"""Scaling nets run on 8x8x16: the cost measured is per layer, not per pixel."""


def _conv_bn_act(channels: int) -> list[dict[str, Any]]:
    return [{"type": "conv", "filters": channels, "kernel": 3, "padding": 1, "bias": False},
            {"type": "batchnorm"},
            {"type": "activation", "function": "relu"}]


def sequential(layers: int) -> Spec:
    """``layers`` leaf layers in a row: conv 3x3 (padding 1), batchnorm, relu, conv, ..."""
    pattern = _conv_bn_act(SMALL_INPUT[-1])
    return {"name": f"sequential-{layers}", "input": list(SMALL_INPUT),
            "layers": [dict(pattern[i % 3]) for i in range(layers)]}


def residual(blocks: int) -> Spec:
    """``blocks`` ResNet basic blocks (conv-bn-relu-conv-bn + identity, relu after the add)."""
    channels = SMALL_INPUT[-1]

    def block() -> dict[str, Any]:
        body = _conv_bn_act(channels) + _conv_bn_act(channels)[:2]
        return {"type": "residual", "activation": "relu", "body": body}

    return {"name": f"residual-{blocks}", "input": list(SMALL_INPUT),
            "layers": [block() for _ in range(blocks)]}


def single(input_shape: list[int], *layers: dict[str, Any]) -> Spec:
    return {"input": list(input_shape), "layers": [dict(layer) for layer in layers]}


CONV64_56 = single([56, 56, 64], {"type": "conv", "filters": 64, "kernel": 3, "padding": 1})
"""The reference pass's headline conv: 64 filters 3x3, padding 1, on 56x56x64 (115.6 M MACs)."""


@dataclass(frozen=True)
class Kind:
    """One layer kind of the reference-pass table."""

    label: str
    input_shape: list[int]
    layer: dict[str, Any]
    by_macs: bool
    """True: report MACs/s. False (no MACs): report output elements/s."""

    def spec(self) -> Spec:
        return single(self.input_shape, self.layer)

    def baseline(self) -> Spec:
        """The same input and no layer: the cost of drawing the random input tensor."""
        return single(self.input_shape)

    def describe(self) -> str:
        fields = ", ".join(f"{k} {v}" for k, v in self.layer.items() if k != "type")
        shape = "x".join(map(str, self.input_shape))
        return f"{self.layer['type']}{f' ({fields})' if fields else ''} on {shape}"


KINDS: list[Kind] = [
    Kind("conv, groups=1", [32, 32, 32],
         {"type": "conv", "filters": 32, "kernel": 3, "padding": 1}, True),
    Kind("depthwise conv", [56, 56, 64],
         {"type": "conv", "filters": 64, "kernel": 3, "padding": 1, "groups": 64}, True),
    Kind("dense", [2048], {"type": "dense", "units": 1024}, True),
    Kind("conv_transpose", [16, 16, 32],
         {"type": "conv_transpose", "filters": 32, "kernel": 3, "stride": 2, "padding": 1,
          "output_padding": 1}, True),
    Kind("conv 1-D", [2048, 32], {"type": "conv", "filters": 32, "kernel": 3, "padding": 1}, True),
    Kind("conv 3-D", [8, 12, 12, 16],
         {"type": "conv", "filters": 16, "kernel": 3, "padding": 1}, True),
    Kind("max pool", [112, 112, 32], {"type": "pool", "mode": "max", "kernel": 2}, False),
    Kind("batchnorm", [56, 56, 64], {"type": "batchnorm"}, False),
    Kind("activation (relu)", [56, 56, 64], {"type": "activation", "function": "relu"}, False),
    Kind("upsample x2", [56, 56, 32], {"type": "upsample", "scale": 2}, False),
    Kind("merge add", [56, 56, 64], {"type": "merge", "mode": "add", "inputs": ["input", "input"]},
         False),
]
