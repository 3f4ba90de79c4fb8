"""Multiply-accumulates as PyTorch runs a module, counted by forward hooks from each
module's own attributes and tensor shapes (independent of cnnshape's formulas).

conv: every output element is a dot product of k^d * C_in/groups inputs;
transposed conv: every input element scatters k^d * C_out/groups products;
linear: every output element reads in_features inputs (on every leading position).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

TRANSPOSED = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)
CONVS = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def hooked_macs(net: Any, x: Any) -> dict[str, int]:
    """MACs per sample of every conv, transposed conv and linear module, by dotted name."""
    counted: dict[str, int] = defaultdict(int)

    def hook_for(name: str) -> Callable[..., None]:
        def hook(mod: Any, inputs: Any, output: Any) -> None:
            n = output.shape[0]
            if isinstance(mod, TRANSPOSED):
                counted[name] += (inputs[0].numel() // n * math.prod(mod.kernel_size)
                                  * mod.out_channels // mod.groups)
            elif isinstance(mod, CONVS):
                counted[name] += (output.numel() // n * math.prod(mod.kernel_size)
                                  * mod.in_channels // mod.groups)
            elif isinstance(mod, nn.Linear):
                counted[name] += output.numel() // n * mod.in_features
        return hook

    handles = [m.register_forward_hook(hook_for(name)) for name, m in net.named_modules()
               if isinstance(m, (*CONVS, *TRANSPOSED, nn.Linear))]
    try:
        with torch.no_grad():
            net(x)
    finally:
        for handle in handles:
            handle.remove()
    return dict(counted)


def total_macs(net: Any, x: Any) -> int:
    return sum(hooked_macs(net, x).values())
