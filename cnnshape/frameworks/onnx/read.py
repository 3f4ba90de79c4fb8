"""Reading an ONNX model: the file or bytes, attributes, and what a model holds beyond its
graph (PyTorch's module scopes), without the weights' values.

Why a module of its own: everything here is protobuf handling that knows nothing of
cnnshape's layers; the rest of the importer sees decoded attributes and dims. A file's
external weight data stays where it is (``load_external_data=False``) and big
initializers are replaced by stubs with their dims (``skeleton``): shape inference and
the copies the importer makes cost the graph's size, not the weights'.
"""

from __future__ import annotations

import math
import os
from typing import Any

from cnnshape.core.errors import SpecError

INSTALL = "pip install 'cnnshape[onnx]'"

SMALL = 4096
"""Values in a constant the importer may read or fold (pads, axes, scales; not weights)."""

PLACEHOLDER_GRAPH_NAMES = ("", "main_graph", "torch_jit", "torch-jit-export", "tf2onnx")
"""Graph names exporters write whatever the model is: not worth a network's name."""


class Problem(Exception):
    """What is wrong with one node; the importer adds the file and the node."""


def load_onnx(source: Any = None) -> Any:
    try:
        import onnx
    except ImportError:
        where = f"{os.fspath(source)}: " if isinstance(source, (str, os.PathLike)) else ""
        raise SpecError([f"{where}importing ONNX needs the onnx package: {INSTALL}"]) from None
    return onnx


def read_model(onnx: Any, source: Any) -> tuple[Any, str, str | None]:
    """The model, a label for messages and the directory of its external data, if a file."""
    if isinstance(source, onnx.ModelProto):
        return source, "<onnx model>", None
    path: str | None = None
    if isinstance(source, (bytes, bytearray, memoryview)):
        label, base = "<onnx bytes>", None
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        label, base = path, os.path.dirname(os.path.abspath(path))
        if not os.path.isfile(path):
            raise SpecError([f"{label}: no such file"])
    else:
        raise TypeError(f"from_onnx reads a path, bytes or an onnx.ModelProto, "
                        f"not {type(source).__name__}")
    try:
        if path is None:
            model = onnx.load_from_string(bytes(source))
        else:  # the weights' external data stays where it is: only their dims are read
            model = onnx.load(path, load_external_data=False)
    except Exception as exc:  # protobuf's DecodeError, OSError: the file is not a model
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SpecError([f"{label}: not an ONNX model ({reason})"]) from None
    if not model.graph.node or not model.graph.output:
        raise SpecError([f"{label}: not an ONNX model (no graph with nodes and an output)"])
    return model, label, base


def attrs(node: Any) -> dict[str, Any]:
    from onnx import helper

    out = {}
    for attribute in node.attribute:
        value = helper.get_attribute_value(attribute)
        out[attribute.name] = value.decode() if isinstance(value, bytes) else value
    return out


def close(a: float, b: float) -> bool:
    """Attributes are float32 in ONNX: 1/6 comes back as 0.1666666716..."""
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def float32(value: float) -> float:
    """A float32 attribute as its shortest decimal (9.99999974e-06 -> 1e-05)."""
    import numpy as np

    return float(str(np.float32(value)))


def skeleton(model: Any) -> Any:
    """The model with only the dims of its big weights: shape inference and copies of it
    cost the graph's size, not the weights' (VGG-16's are 550 MB)."""
    from onnx import TensorProto

    if all(math.prod(t.dims) <= SMALL or t.data_location == TensorProto.EXTERNAL
           for t in model.graph.initializer):
        return model
    light = type(model)(ir_version=model.ir_version, producer_name=model.producer_name,
                        producer_version=model.producer_version, domain=model.domain,
                        model_version=model.model_version)
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph, full = light.graph, model.graph
    graph.name = full.name
    for part in ("node", "input", "output", "value_info", "sparse_initializer"):
        getattr(graph, part).extend(getattr(full, part))
    for tensor in full.initializer:
        if math.prod(tensor.dims) <= SMALL or tensor.data_location == TensorProto.EXTERNAL:
            graph.initializer.append(tensor)
            continue
        stub = graph.initializer.add(name=tensor.name, data_type=tensor.data_type,
                                     dims=tensor.dims)
        stub.data_location = TensorProto.EXTERNAL
        stub.external_data.add(key="location", value="(not read)")
    return light


def repaired(model: Any) -> Any:
    """PyTorch's TorchScript exporter writes ``permute(0, -1, 1, 2)`` as a Transpose with a
    negative perm, which shape inference rejects: the same permutation, counted from 0."""
    broken = [i for i, n in enumerate(model.graph.node) if n.op_type == "Transpose"
              and any(a.name == "perm" and min(a.ints, default=0) < 0 for a in n.attribute)]
    if not broken:
        return model
    fixed = type(model)()
    fixed.CopyFrom(model)
    for index in broken:
        for attribute in fixed.graph.node[index].attribute:
            if attribute.name == "perm":
                rank = len(attribute.ints)
                perm = [v % rank for v in attribute.ints]
                del attribute.ints[:]
                attribute.ints.extend(perm)
    return fixed


def module_scope(node: Any) -> tuple[str, ...] | None:
    """The submodule an op came from (dynamo's name scopes or the TorchScript exporter's
    ``/layer1/layer1.0/relu/Relu``); None for the top module's own ops and other producers."""
    scopes = name_scopes(node)  # dynamo: the module path, then the op's own (fx) name
    if scopes:
        return tuple(scopes[:-1]) if len(scopes) >= 3 else None
    path = node.name.split("/")
    if node.name.startswith("/") and all(path[1:]) and len(path) >= 3:
        return tuple(path[1:-1])
    return None


def name_scopes(node: Any) -> list[str]:
    """PyTorch's exporter records the module path of every node: ['', 'layer1', 'layer1.0',
    ..., fx's node name]."""
    import ast

    for prop in node.metadata_props:
        if prop.key == "pkg.torch.onnx.name_scopes":
            try:
                scopes = ast.literal_eval(prop.value)
            except (ValueError, SyntaxError):
                return []
            return [str(s) for s in scopes] if isinstance(scopes, list) else []
    return []
