""""Did you mean": the framework words people bring, mapped to the spec's.

A learner writes ``maxpool``, ``fc`` or ``kernel_size`` because PyTorch, Keras or a course
says so; the error line then names the spec's word. Known aliases first (they carry the
fields that make the meaning exact, e.g. ``pool`` with ``"mode": "avg"``), then the
closest registered name by spelling (difflib), or nothing rather than a wild guess.
"""

from __future__ import annotations

from collections.abc import Collection
from difflib import get_close_matches

TYPES: dict[str, str] = {
    "maxpool": '"pool" (max pooling is its default mode)',
    "maxpooling": '"pool" (max pooling is its default mode)',
    "avgpool": '"pool" with "mode": "avg"',
    "averagepool": '"pool" with "mode": "avg"',
    "averagepooling": '"pool" with "mode": "avg"',
    "pooling": '"pool"',
    "globalaveragepooling": '"global_pool"',
    "globalavgpool": '"global_pool"',
    "globalmaxpooling": '"global_pool" with "mode": "max"',
    "adaptiveavgpool": '"adaptive_pool"',
    "adaptivemaxpool": '"adaptive_pool" with "mode": "max"',
    "fc": '"dense"', "linear": '"dense"', "fullyconnected": '"dense"',
    "convolution": '"conv"', "convolutional": '"conv"',
    "convtranspose": '"conv_transpose"', "deconv": '"conv_transpose"',
    "deconvolution": '"conv_transpose"', "transposedconv": '"conv_transpose"',
    "batchnormalization": '"batchnorm"', "bn": '"batchnorm"',
    "layernormalization": '"layernorm"',
    "relu": '"activation" with "function": "relu"',
    "relu6": '"activation" with "function": "relu6"',
    "sigmoid": '"activation" with "function": "sigmoid"',
    "tanh": '"activation" with "function": "tanh"',
    "gelu": '"activation" with "function": "gelu"',
    "silu": '"activation" with "function": "silu"',
    "swish": '"activation" with "function": "silu"',
    "leakyrelu": '"activation" with "function": "leaky_relu"',
    "elu": '"activation" with "function": "elu"',
    "add": '"merge" with "mode": "add" (or a "residual" block)',
    "multiply": '"merge" with "mode": "multiply"',
    "concatenate": '"merge" with "mode": "concat" (or a "concat" block)',
    "zeropadding": '"pad"', "padding": '"pad"', "cropping": '"crop"',
    "upsampling": '"upsample"',
    "localresponsenorm": '"lrn"', "localresponsenormalization": '"lrn"',
    "input": 'the spec\'s top-level "input" (a shape, not a layer)',
}
"""A framework's layer name, lower-cased without ``_``, ``-``, dims (``2d``) -> the spec's."""

FIELDS: dict[str, str] = {
    "kernel_size": "kernel", "kernelsize": "kernel", "pool_size": "kernel", "size": "kernel",
    "out_channels": "filters", "num_filters": "filters", "channels": "filters",
    "nfilters": "filters", "n_filters": "filters", "filter": "filters",
    "strides": "stride", "subsample": "stride",
    "pad": "padding", "pads": "padding",
    "dilation_rate": "dilation", "dilations": "dilation",
    "out_features": "units", "output_dim": "units", "neurons": "units", "outputs": "units",
    "use_bias": "bias", "p": "rate", "drop": "rate", "dropout": "rate",
    "scale_factor": "scale", "act": "activation", "activation_function": "activation",
    "num_groups": "groups",
}
"""A framework's field name -> the spec's (suggested only where the kind has it)."""

INFERRED = ("in_channels", "in_features", "input_dim", "input_shape", "input_channels")
"""Fields frameworks need and a spec does not: cnnshape takes them from the previous layer."""


def _key(word: str) -> str:
    key = word.lower().replace("_", "").replace("-", "").replace(" ", "")
    for dims in ("1d", "2d", "3d"):
        key = key.removesuffix(dims)
    return key


def layer_type(tag: str, known: Collection[str]) -> str:
    """`` (did you mean "pool"?)`` for an unknown type, or "" when nothing is close."""
    alias = TYPES.get(_key(tag))
    if alias is None and _key(tag) in known:
        alias = f'"{_key(tag)}"'  # Conv2D, Dense, Flatten: the framework's class names
    if alias is None:
        close = get_close_matches(tag.lower(), list(known), n=1, cutoff=0.7)
        alias = f'"{close[0]}"' if close else None
    return f" (did you mean {alias}?)" if alias else ""


def field(name: str, known: Collection[str]) -> str:
    """`` (did you mean "kernel"?)`` for an unknown field of a kind with ``known`` fields."""
    if name.lower() in INFERRED:
        return " (a spec leaves it out: each layer takes its input from the layer before)"
    alias = FIELDS.get(name.lower())
    if alias is not None and alias in known:
        return f' (did you mean "{alias}"?)'
    close = get_close_matches(name, list(known), n=1, cutoff=0.75)
    return f' (did you mean "{close[0]}"?)' if close else ""
