"""Writes the Keras fixtures of tests/test_import_keras.py (run once, by hand, with Keras).

    cd tests/data/keras && KERAS_BACKEND=torch python generate.py

Everything here comes from Keras itself (3.x, any backend; weights=None, no download):

- ``<model>.json.gz``: ``model.to_json()`` of keras.applications models, gzipped as
  Keras wrote them (4-10 kB each instead of 150-400 kB of JSON);
- ``branches.json``, ``lenet.json``: a hand-written functional model (branches,
  Concatenate, Add, a skip, a nested Sequential, ...) and a Sequential LeNet-5;
  ``signals.json``, ``volumes.json``, ``assorted.json``: 1-D, 3-D and 2-D models that
  use the rest of the layer kinds the importer knows; ``nested.json``: a functional
  model inside another (clashing layer names) and a Sequential without an Input;
- ``*_keras2.json[.gz]``: the same models in the Keras 2 / tf.keras layout (no "module",
  ``batch_input_shape``, ``inbound_nodes`` as ``[[[layer, node, tensor, {}]]]``, list
  axes). No TensorFlow is at hand, so they are converted here, then loaded back by
  Keras's own legacy reader (``model_from_config``, which reads .h5 files), which must
  rebuild the same model: same parameter count and the same output shape for every layer;
- ``expected.json``: per fixture, Keras's ``count_params()`` (trainable and not), each
  layer's output shape (batch axis dropped) and the multiply-accumulates of every
  conv and dense layer, counted from Keras's own kernels and output shapes:
  output elements x (kernel size / filters) for Conv, output elements x input units
  for Dense, output elements x kernel window for DepthwiseConv (see ``macs``).
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from pathlib import Path
from typing import Any

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
from keras import layers

HERE = Path(__file__).resolve().parent


def branches() -> Any:
    """Every construct the importer must connect: Inception-like branches (Concatenate),
    a residual Add with its activation, an asymmetric ZeroPadding before a strided
    depthwise conv, squeeze-and-excitation (GlobalAveragePooling without keepdims +
    Reshape, Multiply), a transposed conv cropped on one side, a skip from the stem read
    far downstream, a U-Net-like Add of a cropped skip, zero padding before an average
    pooling, upsampling, cropping and a nested Sequential head."""
    x0 = keras.Input((32, 32, 3), name="image")
    x = layers.Rescaling(1 / 255, name="to_unit")(x0)
    stem = layers.Conv2D(16, 3, padding="same", activation="relu", name="stem")(x)
    b1 = layers.Conv2D(8, 1, name="b1")(stem)
    b2 = layers.Conv2D(8, 1, activation="relu", name="b2_reduce")(stem)
    b2 = layers.Conv2D(8, 3, padding="same", name="b2")(b2)
    b3 = layers.MaxPooling2D(3, strides=1, padding="same", name="b3_pool")(stem)
    b3 = layers.Conv2D(8, 1, name="b3")(b3)
    cat = layers.Concatenate(name="cat")([b1, b2, b3])
    r = layers.Conv2D(24, 3, padding="same", use_bias=False, name="res_a")(cat)
    r = layers.BatchNormalization(name="res_bn")(r)
    r = layers.ReLU(name="res_relu")(r)
    r = layers.Conv2D(24, 3, padding="same", name="res_b")(r)
    r = layers.Add(name="res_add")([cat, r])
    r = layers.Activation("relu", name="res_out")(r)
    p = layers.ZeroPadding2D(((0, 1), (0, 1)), name="down_pad")(r)
    d = layers.DepthwiseConv2D(3, strides=2, depth_multiplier=2, name="down_dw")(p)
    g = layers.GlobalAveragePooling2D(name="se_pool")(d)
    g = layers.Reshape((1, 1, 48), name="se_reshape")(g)
    g = layers.Conv2D(12, 1, activation="relu", name="se_reduce")(g)
    g = layers.Conv2D(48, 1, activation="sigmoid", name="se_expand")(g)
    d = layers.Multiply(name="se_excite")([d, g])
    u = layers.Conv2DTranspose(16, 3, strides=2, name="up")(d)  # 16 -> 33
    u = layers.Cropping2D(((1, 0), (1, 0)), name="up_cut")(u)  # 32
    u = layers.Concatenate(name="skip_cat")([stem, u])
    sep = layers.SeparableConv2D(32, 3, padding="same", activation="relu", name="sep")(u)
    t = layers.Conv2D(32, 2, name="tail")(sep)  # 31
    s = layers.Cropping2D(((0, 1), (0, 1)), name="tail_crop")(sep)  # 31, centred
    t = layers.Add(name="tail_add")([t, s])
    t = layers.ZeroPadding2D(1, name="smooth_pad")(t)
    t = layers.AveragePooling2D(3, strides=1, name="smooth")(t)  # 31
    t = layers.UpSampling2D(2, name="upsample")(t)  # 62
    t = layers.Cropping2D(15, name="crop")(t)  # 32
    t = layers.AveragePooling2D(2, name="avg")(t)  # 16
    head = keras.Sequential([
        keras.Input((16, 16, 32)),
        layers.Conv2D(10, 3, strides=2, padding="same", name="head_conv"),
        layers.LeakyReLU(negative_slope=0.01, name="head_leaky"),
        layers.Flatten(name="head_flat"),
        layers.Dropout(0.25, name="head_drop"),
        layers.Dense(10, activation="softmax", name="head_dense"),
    ], name="head")
    return keras.Model(x0, head(t), name="branches")


def lenet() -> Any:
    """LeNet-5 in its modern form, as specs/lenet5.json (61,706 parameters)."""
    return keras.Sequential([
        keras.Input((32, 32, 1), name="digits"),
        layers.Conv2D(6, 5, activation="tanh", name="C1"),
        layers.AveragePooling2D(2, name="S2"),
        layers.Conv2D(16, 5, activation="tanh", name="C3"),
        layers.AveragePooling2D(2, name="S4"),
        layers.Flatten(name="flatten"),
        layers.Dense(120, activation="tanh", name="C5"),
        layers.Dense(84, activation="tanh", name="F6"),
        layers.Dense(10, activation="softmax", name="OUTPUT"),
    ], name="lenet5")


def signals() -> Any:
    """1-D: the 1-D form of each layer kind (a symmetric pad stays its own layer before a
    dilated grouped conv; a pad the next strided conv takes as its padding)."""
    x0 = keras.Input((64, 2), name="wave")
    x = layers.ZeroPadding1D(2, name="pad")(x0)  # 68
    x = layers.Conv1D(8, 5, strides=2, activation="elu", name="conv")(x)  # 32
    x = layers.MaxPooling1D(2, name="pool")(x)  # 16
    x = layers.Conv1D(8, 3, padding="same", dilation_rate=2, groups=2, name="dilated")(x)
    x = layers.Conv1DTranspose(4, 4, strides=2, padding="same", name="up")(x)  # 32
    x = layers.UpSampling1D(2, name="upsample")(x)  # 64
    x = layers.Cropping1D(2, name="crop")(x)  # 60
    x = layers.SeparableConv1D(6, 3, name="sep")(x)  # 58
    x = layers.DepthwiseConv1D(3, depth_multiplier=2, name="dw")(x)  # 56 x 12
    x = layers.AveragePooling1D(3, strides=2, padding="same", name="avg")(x)  # 28
    x = layers.LayerNormalization(name="norm")(x)
    x = layers.SpatialDropout1D(0.1, name="drop")(x)
    x = layers.GlobalMaxPooling1D(name="gmp")(x)
    x = layers.Dense(5, name="dense")(x)
    return keras.Model(x0, layers.Softmax(name="softmax")(x), name="signals")


def volumes() -> Any:
    """3-D: an asymmetric pad folded into a strided conv as "same", a transposed conv
    with "same" padding and output_padding, per-axis upsampling and cropping."""
    x0 = keras.Input((8, 16, 16, 1), name="clip")
    x = layers.Conv3D(4, 3, padding="same", activation="silu", name="conv")(x0)
    x = layers.ZeroPadding3D(((0, 1), (0, 1), (0, 1)), name="pad")(x)
    x = layers.Conv3D(8, 3, strides=2, name="down")(x)  # 4 x 8 x 8
    x = layers.AveragePooling3D(2, name="pool")(x)  # 2 x 4 x 4
    x = layers.Conv3DTranspose(4, 3, strides=2, padding="same", output_padding=1,
                               name="up")(x)  # 4 x 8 x 8
    x = layers.UpSampling3D((1, 2, 2), name="upsample")(x)  # 4 x 16 x 16
    x = layers.Cropping3D(((0, 0), (1, 1), (2, 2)), name="crop")(x)  # 4 x 14 x 12
    x = layers.BatchNormalization(name="bn")(x)
    x = layers.Activation("hard_silu", name="act")(x)
    x = layers.GlobalAveragePooling3D(keepdims=True, name="gap")(x)
    x = layers.Flatten(name="flat")(x)
    return keras.Model(x0, layers.Dense(3, activation="gelu", name="out")(x), name="volumes")


def assorted() -> Any:
    """2-D odds and ends: dilation, groups, ReLU(max_value=6), standalone LeakyReLU and
    ELU, a pad symmetric per axis, adaptive pooling, Reshape as flatten, dropouts,
    a transposed conv with output_padding, Dense on a feature map."""
    x0 = keras.Input((24, 24, 3), name="picture")
    x = layers.Conv2D(8, 3, dilation_rate=2, padding="same", activation="swish",
                      name="dilated")(x0)
    x = layers.Conv2D(8, 3, groups=4, activation="hard_sigmoid", name="grouped")(x)  # 22
    x = layers.ReLU(max_value=6.0, name="relu6")(x)
    x = layers.ZeroPadding2D((1, 2), name="pad")(x)  # 24 x 26
    x = layers.MaxPooling2D(2, name="pool")(x)  # 12 x 13
    x = layers.LeakyReLU(negative_slope=0.01, name="leaky")(x)
    x = layers.Conv2DTranspose(6, 3, strides=2, output_padding=1, name="up")(x)  # 26 x 28
    x = layers.ELU(name="elu")(x)
    x = layers.GaussianDropout(0.1, name="gdrop")(x)
    x = layers.AdaptiveAveragePooling2D((5, 7), name="adaptive")(x)
    x = layers.Dense(4, activation="tanh", name="pointwise")(x)  # 5 x 7 x 4
    x = layers.AlphaDropout(0.1, name="adrop")(x)
    x = layers.Reshape((140,), name="flat")(x)
    x = layers.Dense(10, activation="sigmoid", name="out")(x)
    return keras.Model(x0, x, name="assorted")


def nested() -> Any:
    """A functional model inside a functional model (as when a keras.applications base
    is reused), whose layer names repeat the outer model's, then a Sequential."""
    inner_in = keras.Input((16, 16, 8), name="inner_in")
    y = layers.Conv2D(8, 3, padding="same", use_bias=False, name="conv")(inner_in)
    y = layers.BatchNormalization(name="bn")(y)
    y = layers.Add(name="add")([inner_in, y])
    block = keras.Model(inner_in, layers.ReLU(name="relu")(y), name="block")
    x0 = keras.Input((16, 16, 3), name="rgb")
    x = layers.Conv2D(8, 3, padding="same", name="conv")(x0)
    x = block(x)
    head = keras.Sequential([layers.GlobalMaxPooling2D(name="gmp"), layers.Dense(2, name="fc")],
                            name="head")
    return keras.Model(x0, head(x), name="nested")


APPLICATIONS = {
    "vgg16": keras.applications.VGG16,
    "resnet50": keras.applications.ResNet50,
    "mobilenet_v2": keras.applications.MobileNetV2,
    "densenet121": keras.applications.DenseNet121,
}


# ---------------------------------------------------------------- Keras 2 layout

def _tensor_refs(args: Any) -> list[list[Any]]:
    refs: list[list[Any]] = []
    for arg in args:
        if isinstance(arg, list):
            refs.extend(_tensor_refs(arg))
        elif isinstance(arg, dict) and arg.get("class_name") == "__keras_tensor__":
            refs.append([*arg["config"]["keras_history"], {}])
    return refs


def _keras2_layer(entry: dict[str, Any], sequential_first: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"class_name": entry["class_name"]}
    config = dict(entry["config"])
    if isinstance(config.get("dtype"), dict):
        config["dtype"] = "float32"
    if "batch_shape" in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    if entry["class_name"] == "BatchNormalization" and isinstance(config.get("axis"), int):
        config["axis"] = [config["axis"]]
    for key, value in list(config.items()):
        if isinstance(value, dict) and "module" in value:  # initializers: Keras 2 had none
            config[key] = {"class_name": value["class_name"], "config": value.get("config", {})}
    if entry["class_name"] in ("Sequential", "Functional"):
        config = _keras2_model(entry)["config"]
    out["config"] = config
    if "name" in entry:
        out["name"] = entry["name"]
    if "inbound_nodes" in entry:
        out["inbound_nodes"] = [_tensor_refs(node["args"]) for node in entry["inbound_nodes"]]
    return out


def _keras2_model(model: dict[str, Any], old_sequential: bool = False) -> dict[str, Any]:
    config = model["config"]
    if model["class_name"] == "Sequential":
        entries = [_keras2_layer(e) for e in config["layers"]]
        if old_sequential:  # Keras 2.2: no InputLayer, the shape on the first layer
            first_input = entries.pop(0)
            entries[0]["config"]["batch_input_shape"] = first_input["config"]["batch_input_shape"]
        return {"class_name": "Sequential", "config": {"name": config["name"], "layers": entries}}
    return {"class_name": "Model" if model["class_name"] == "Functional" else model["class_name"],
            "config": {"name": config["name"],
                       "layers": [_keras2_layer(e) for e in config["layers"]],
                       "input_layers": [config["input_layers"]],
                       "output_layers": [config["output_layers"]]}}


def keras2(model: Any, old_sequential: bool = False) -> str:
    data = _keras2_model(json.loads(model.to_json()), old_sequential)
    return json.dumps({**data, "keras_version": "2.13.1", "backend": "tensorflow"})


# ---------------------------------------------------------------- expected numbers

def _all_layers(model: Any) -> list[Any]:
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found.extend(_all_layers(layer))
        elif not isinstance(layer, layers.InputLayer):
            found.append(layer)
    return found


def macs(layer: Any) -> int:
    """Multiply-accumulates from Keras's own kernel and output shape."""
    out = math.prod(layer.output.shape[1:])
    if isinstance(layer, (layers.DepthwiseConv2D, layers.DepthwiseConv1D)):
        return out * math.prod(layer.kernel.shape[:-2])
    if isinstance(layer, (layers.SeparableConv2D, layers.SeparableConv1D)):
        cin = layer.input.shape[-1]
        inner = math.prod(layer.output.shape[1:-1]) * cin * layer.depth_multiplier
        return inner * math.prod(layer.depthwise_kernel.shape[:-2]) + \
            out * math.prod(layer.pointwise_kernel.shape[:-1])
    if isinstance(layer, (layers.Conv1DTranspose, layers.Conv2DTranspose, layers.Conv3DTranspose)):
        # every input element meets the whole kernel: in elements x k x filters
        return math.prod(layer.input.shape[1:]) * math.prod(layer.kernel.shape[:-2]) * \
            layer.kernel.shape[-2]
    if isinstance(layer, (layers.Conv1D, layers.Conv2D, layers.Conv3D)):
        return out * math.prod(layer.kernel.shape[:-1])
    if isinstance(layer, layers.Dense):
        return out * layer.kernel.shape[0]
    return 0


def expected(model: Any) -> dict[str, Any]:
    trainable = sum(math.prod(w.shape) for w in model.trainable_weights)
    return {
        "params": model.count_params(),
        "trainable": trainable,
        "non_trainable": model.count_params() - trainable,
        "macs": sum(macs(layer) for layer in _all_layers(model)),
        "shapes": {layer.name: list(layer.output.shape[1:]) for layer in _all_layers(model)},
    }


def same_model(original: Any, text: str) -> None:
    """Keras's legacy reader must rebuild exactly the original from the Keras 2 layout."""
    from keras.src.legacy.saving import saving_utils  # the reader of .h5 model_config

    data = json.loads(text)
    entries = data["config"].get("layers", [])
    if data["class_name"] == "Sequential" and "batch_input_shape" in entries[0]["config"]:
        # Keras 3's reader takes a first layer's batch_input_shape for input_shape (batch
        # axis included); Keras 2 meant an input of that shape, so say it its way.
        shape = entries[0]["config"].pop("batch_input_shape")
        entries.insert(0, {"class_name": "InputLayer", "config": {"batch_input_shape": shape}})
    rebuilt = saving_utils.model_from_config(data)
    assert rebuilt.count_params() == original.count_params(), rebuilt.count_params()
    assert expected(rebuilt) == expected(original)


def main() -> None:
    table: dict[str, Any] = {"keras_version": keras.__version__}
    for name, build in APPLICATIONS.items():
        keras.backend.clear_session()  # Keras's automatic names, as in a fresh process
        model = build(weights=None)
        (HERE / f"{name}.json.gz").write_bytes(gzip.compress(model.to_json().encode(), mtime=0))
        table[name] = expected(model)
        if name == "mobilenet_v2":
            text = keras2(model)
            same_model(model, text)
            (HERE / f"{name}_keras2.json.gz").write_bytes(gzip.compress(text.encode(), mtime=0))
            table[f"{name}_keras2"] = table[name]
    for name, build in (("signals", signals), ("volumes", volumes), ("assorted", assorted),
                        ("nested", nested)):
        keras.backend.clear_session()
        model = build()
        (HERE / f"{name}.json").write_text(model.to_json())
        table[name] = expected(model)
    for name, build, old in (("branches", branches, False), ("lenet", lenet, True)):
        keras.backend.clear_session()
        model = build()
        (HERE / f"{name}.json").write_text(model.to_json())
        table[name] = expected(model)
        text = keras2(model, old_sequential=old)
        same_model(model, text)
        (HERE / f"{name}_keras2.json").write_text(text)
        table[f"{name}_keras2"] = table[name]
    text = json.dumps(table, indent=1)
    text = re.sub(r"\[\s+([-\d,\s]+?)\s+\]", lambda m: "[" + " ".join(m.group(1).split()) + "]",
                  text)  # one line per layer
    (HERE / "expected.json").write_text(text + "\n")


if __name__ == "__main__":
    main()
