"""Memory: bytes of parameters and activations, peak live activations, training estimate.

Inference keeps a tensor alive from the layer that produces it to the last layer that
reads it (a skip connection keeps its source alive across the block); the peak is the
largest sum of live tensors while any layer runs, its inputs and output included.
Training keeps every tensor for the backward pass, plus weights, their gradients and the
optimizer's state. Every tensor is counted as its own buffer: no in-place reuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

DTYPES = {"float32": 4, "float16": 2, "bfloat16": 2, "int8": 1}
OPTIMIZER_STATE = {"sgd": 0, "momentum": 1, "adam": 2}
"""Values of optimizer state per trainable parameter: none, a velocity, two moments."""

MIB = 1024 ** 2


@dataclass
class Trace:
    """The tensors of a forward pass (elements per sample) and the ops that make them."""

    sizes: list[int]
    ops: list[tuple[list[int], int]]  # (input tensors, output tensor), in execution order
    output: int


def peak_live(trace: Trace) -> int:
    """The most elements per sample alive at once, by liveness over the ops."""
    last = {t: i for i, (inputs, out) in enumerate(trace.ops) for t in (out, *inputs)}
    last[trace.output] = len(trace.ops)
    live = {0}
    current = trace.sizes[0]
    peak = current
    for i, (inputs, out) in enumerate(trace.ops):
        if out not in live:
            live.add(out)
            current += trace.sizes[out]
        peak = max(peak, current)
        for t in (*inputs, out):
            if last.get(t, -1) <= i and t in live:
                live.discard(t)
                current -= trace.sizes[t]
    return peak


def estimate(params: int, frozen: int, peak: int, stored: int, batch: int,
             dtype: str) -> dict[str, Any]:
    """Bytes for a batch: parameters, inference peak, and training per optimizer."""
    width = DTYPES[dtype]
    weights = (params + frozen) * width
    kept = stored * batch * width
    return {
        "batch": batch,
        "dtype": dtype,
        "bytes_per_value": width,
        "params_bytes": weights,
        "inference_peak_activation_bytes": peak * batch * width,
        "inference_bytes": weights + peak * batch * width,
        "training_activation_bytes": kept,
        "training_bytes": {name: weights + (1 + state) * params * width + kept
                           for name, state in OPTIMIZER_STATE.items()},
    }


def mib(value: int) -> str:
    return f"{value / MIB:,.2f} MiB" if value < 1024 * MIB else f"{value / MIB / 1024:,.2f} GiB"


def lines(memory: dict[str, Any]) -> Sequence[str]:
    """The summary lines under the table (1024-based units, labelled MiB and GiB)."""
    t = memory["training_bytes"]
    return [f"Memory (batch {memory['batch']}, {memory['dtype']}): parameters "
            f"{mib(memory['params_bytes'])}; inference peak activations "
            f"{mib(memory['inference_peak_activation_bytes'])} (total "
            f"{mib(memory['inference_bytes'])}); training with sgd {mib(t['sgd'])}, momentum "
            f"{mib(t['momentum'])}, adam {mib(t['adam'])}"]
