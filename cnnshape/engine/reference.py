"""The reference forward pass: run the network on nested lists, no NumPy, and see.

Shapes here are measured on the tensors each layer actually produced, never taken
from the calculator. Above a MAC budget the channel counts are capped (spatial
geometry stays exact), so large networks still verify in seconds.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from math import prod
from typing import Any

from cnnshape.core.errors import SpecError
from cnnshape.core.fields import capped_channels
from cnnshape.core.merging import unequal
from cnnshape.core.tensor import Tensor, TooLarge, from_grid, measure, positions
from cnnshape.engine.analysis import Report, analyze
from cnnshape.engine.walk import GraphWalker
from cnnshape.layers import LayerBase
from cnnshape.layers.activation import activate
from cnnshape.spec.loader import Network, Source, load

DEFAULT_BUDGET = 20_000_000
"""MACs the reference pass may spend before it caps channels (about two seconds)."""

LIMIT_FACTOR = 10
"""Past this multiple of the budget, even at one channel, the pass refuses to start."""

CAPS = (256, 128, 64, 32, 16, 8, 4, 2, 1)


class Reference(GraphWalker):
    """The tensor walker: seeded random weights, one record per layer in table order."""

    def __init__(self, known: Collection[str] = (), seed: int = 0,
                 cap: int | None = None, positive: bool = False) -> None:
        super().__init__(known)
        self.cap = cap
        self.positive = positive
        """Weights in [0.5, 1.5): nothing cancels, so every connection shows (influence)."""
        self.records: list[tuple[str, str, tuple[int, ...]]] = []  # (path, name, shape)
        self._random = random.Random(seed).random

    def weights(self, count: int, fan_in: int) -> list[float]:
        """Uniform weights scaled by fan-in, so deep nets keep their values finite."""
        rnd = self._random
        if self.positive:
            return [0.5 + rnd() for _ in range(count)]
        bound = 2.0 * math.sqrt(3.0 / max(fan_in, 1))
        return [(rnd() - 0.5) * bound for _ in range(count)]

    def tensor(self, shape: tuple[int, ...]) -> Tensor:
        """A random input tensor of the given shape."""
        rnd = self._random
        if len(shape) == 1:
            return [rnd() * 2.0 - 1.0 for _ in range(shape[0])]
        return [self.tensor(shape[1:]) for _ in range(shape[0])]

    def fail(self, where: str, problem: str) -> Exception:
        return ValueError(f"reference pass: {where}: {problem}")

    def visit(self, layer: LayerBase, x: Tensor, path: str, name: str, reads: list[str]) -> Tensor:
        slot = len(self.records)
        self.records.append((path, name, ()))
        y = self.descend(layer, x, path) if layer.composite else layer.forward(x, self)
        self.records[slot] = (path, name, measure(y))
        return y

    def add(self, values: list[Tensor], labels: list[str]) -> Tensor:
        shapes = [measure(v) for v in values]
        if unequal(shapes) is not None:  # the calculator refused these before the pass ran
            raise ValueError(f"cannot add tensors of shapes {sorted(set(shapes))}")
        return _add(values)

    def concat(self, values: list[Tensor], labels: list[str]) -> Tensor:
        if isinstance(values[0][0], list):
            return [self.concat(list(parts), labels) for parts in zip(*values, strict=False)]
        return [v for vector in values for v in vector]

    def activate(self, function: str | None, x: Tensor) -> Tensor:
        return activate(function, x)


def _add(values: list[Tensor]) -> Tensor:
    if isinstance(values[0][0], list):
        return [_add(list(parts)) for parts in zip(*values, strict=False)]
    return [sum(column) for column in zip(*values, strict=False)]


@dataclass
class Check:
    """One layer: the calculator's shape against the shape the pass produced."""

    name: str
    path: str
    depth: int
    expected: tuple[int, ...]
    produced: tuple[int, ...]

    @property
    def ok(self) -> bool:
        return self.expected == self.produced


@dataclass
class Verification:
    checks: list[Check]
    channel_cap: int | None
    full_macs: int
    run_macs: int
    seconds: float
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "channel_cap": self.channel_cap,
            "full_macs": self.full_macs,
            "run_macs": self.run_macs,
            "seconds": self.seconds,
            "notes": self.notes,
            "layers": [{"name": c.name, "path": c.path, "depth": c.depth,
                        "expected": list(c.expected), "produced": list(c.produced), "ok": c.ok}
                       for c in self.checks],
        }


def run(source: Source, *, seed: int = 0, channel_cap: int | None = None) -> Reference:
    """Run the reference pass; ``records`` holds every layer's measured output shape."""
    network = load(source)
    ref = Reference(network.names, seed, channel_cap)
    shape = tuple(network.input)
    if channel_cap is not None:
        shape = capped_channels(shape, channel_cap)
    x = ref.tensor(shape)
    ref.records.append(("input", "input", measure(x)))
    ref.outputs["input"] = x
    ref.sequence(network.layers, x, "layers")
    return ref


def influence(source: Source, layer: str | None = None) -> list[tuple[int, int]]:
    """Per spatial dim, the first and last input positions that change the centre unit
    of ``layer``'s output (default: the last layer), found by running the network once
    per input position on a one-hot input, with positive weights so nothing cancels.

    An empirical check of the receptive field, independent of its recurrences; it costs
    one forward pass per input position, so it is meant for small networks.
    """
    network = load(source)
    shape = tuple(network.input)
    dims = shape[:-1]
    channels = shape[-1]

    def centre_output(x: Tensor) -> Any:
        ref = Reference(network.names, 0, None, positive=True)
        ref.outputs["input"] = x
        y = ref.sequence(network.layers, x, "layers")
        if layer is not None:
            y = ref.outputs[layer]
        while isinstance(y, list) and y and isinstance(y[0], list):
            y = y[(len(y) - 1) // 2]
        return y

    def one_hot(index: int | None) -> Tensor:
        """Every position zero but the ``index``-th (row-major), which gets 1, 2, ... C."""
        flat = [[0.0] * channels for _ in range(prod(dims))]
        if index is not None:
            flat[index] = [1.0 + c for c in range(channels)]
        return from_grid(dims, flat) if dims else flat[0]

    baseline = centre_output(one_hot(None))
    hits = [p for i, p in enumerate(positions(dims))
            if any(abs(a - b) > 1e-9 * (1 + abs(b)) for a, b in
                   zip(centre_output(one_hot(i)), baseline, strict=False))]
    return [(min(p[d] for p in hits), max(p[d] for p in hits)) if hits else (0, -1)
            for d in range(len(dims))]


def choose_cap(network: Network, budget: int) -> tuple[int | None, Report]:
    """The largest channel cap whose capped network fits the MAC budget."""
    full = analyze(network)
    if full.totals.macs <= budget:
        return None, full
    report = full
    for cap in CAPS:
        try:
            report = analyze(network, channel_cap=cap)
        except SpecError:
            continue  # capping broke a channel equality (e.g. concat feeding an add)
        if report.totals.macs <= budget:
            return cap, report
    return (report.channel_cap, report)


def verify(source: Source, *, budget: int = DEFAULT_BUDGET, seed: int = 0) -> Verification:
    """Compare every layer's calculated shape with the reference pass's measured one."""
    network = load(source)
    full = analyze(network)
    cap, expected = choose_cap(network, budget)
    cost = expected.totals.macs + sum(row.activation_size for row in expected.rows)
    if cost > LIMIT_FACTOR * budget:
        raise SpecError([f"{network.source}: too large for the reference pass even with "
                         f"{cap or 'all'} channel(s) per layer: about {cost:,} operations "
                         "against a "
                         f"budget of {budget:,} MACs (raise --budget to run it anyway)"])
    started = time.perf_counter()
    try:
        ref = run(network, seed=seed, channel_cap=cap)
    except (TooLarge, MemoryError) as exc:
        raise SpecError([f"{network.source}: too large for the reference pass: "
                         f"{exc or 'out of memory'}"]) from None
    seconds = time.perf_counter() - started
    if [row.name for row in expected.rows] != [name for _, name, _ in ref.records]:
        raise AssertionError("the reference pass visited other layers than the calculator")
    checks = [Check(row.name, row.path, row.depth, tuple(row.output_shape), produced)
              for row, (_, _, produced) in zip(expected.rows, ref.records, strict=False)]
    notes = []
    if cap is not None:
        notes.append(f"channel counts capped at {cap} to stay within the budget of {budget:,} MACs "
                     f"(the full network needs {full.totals.macs:,}); spatial sizes are exact")
    return Verification(checks, cap, full.totals.macs, expected.totals.macs, seconds, notes)
