"""Files in and out of the frameworks' world: which importer reads a model file, how a
spec is written, and writing only whole files.

A failed export or import leaves no file behind: text is written to a temporary file
in the target's folder and renamed over the target only once it is complete.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from typing import Any

from cnnshape.core.errors import SpecError

MODEL_KINDS = "an ONNX model (.onnx), Keras model JSON (model.to_json(), .json) or a .keras file"


def import_model(path: str, *, name: str | None = None) -> dict[str, Any]:
    """The spec of the model in ``path``, chosen by its contents and extension."""
    lower = path.lower()
    if not os.path.isfile(path):
        raise SpecError([f"{path}: no such file"])
    if lower.endswith(".onnx"):
        from cnnshape.frameworks.onnx.importer import from_onnx

        return from_onnx(path, name=name)
    if lower.endswith(".keras"):
        return _keras_archive(path, name)
    if lower.endswith(".json"):
        from cnnshape.frameworks.keras.importer import from_keras_json

        return from_keras_json(path, name=name)
    if lower.endswith((".pt", ".pth", ".bin", ".safetensors")):
        raise SpecError([f"{path}: PyTorch weight files do not describe the network; in Python, "
                         "call cnnshape.from_torch(module, input_shape), or export to ONNX"])
    if lower.endswith((".h5", ".hdf5")):
        raise SpecError([f"{path}: HDF5 models are not read; save model.to_json() or a .keras "
                         "file instead"])
    raise SpecError([f"{path}: unknown model file type: expected {MODEL_KINDS}"])


def _keras_archive(path: str, name: str | None) -> dict[str, Any]:
    """A Keras 3 ``.keras`` file is a zip whose config.json is the model's JSON."""
    from cnnshape.frameworks.keras.importer import from_keras_json

    try:
        with zipfile.ZipFile(path) as archive:
            text = archive.read("config.json").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError) as exc:
        raise SpecError([f"{path}: not a Keras archive with a config.json ({exc})"]) from None
    from cnnshape.frameworks.keras.importer import TEXT

    try:
        return from_keras_json(json.loads(text), name=name)
    except json.JSONDecodeError as exc:
        raise SpecError([f"{path}: config.json is not JSON: {exc.msg}"]) from None
    except SpecError as exc:  # name the archive, not "<keras json>"
        raise SpecError([p.replace(TEXT, f"{path} (config.json)", 1)
                         for p in exc.problems]) from None


def dump_spec(spec: dict[str, Any], path: str | None) -> str:
    """The spec as YAML (default, and for .yaml/.yml) or JSON (.json): one line per leaf
    layer, as people write specs."""
    if path is not None and path.lower().endswith(".json"):
        return _json(spec) + "\n"
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def mapping(dumper: yaml.SafeDumper, data: dict[str, Any]) -> Any:
        nested = any(isinstance(v, list) and v and isinstance(v[0], (dict, list))
                     for v in data.values())
        flow = "type" in data and not nested
        return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(),
                                        flow_style=flow)

    def sequence(dumper: yaml.SafeDumper, data: list[Any]) -> Any:
        scalars = all(not isinstance(v, (dict, list)) for v in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=scalars)

    Dumper.add_representer(dict, mapping)
    Dumper.add_representer(list, sequence)
    return yaml.dump(spec, Dumper=Dumper, sort_keys=False, width=100, allow_unicode=True)


def _json(spec: dict[str, Any]) -> str:
    """Indented JSON with each leaf layer and each short list on one line."""
    def write(value: Any, indent: str) -> str:
        if isinstance(value, dict) and ("type" not in value or any(
                isinstance(v, list) and v and isinstance(v[0], (dict, list))
                for v in value.values())):
            inner = indent + "  "
            items = [f"{inner}{json.dumps(k)}: {write(v, inner)}" for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + indent + "}"
        if isinstance(value, list) and value and isinstance(value[0], (dict, list)):
            inner = indent + "  "
            return "[\n" + ",\n".join(inner + write(v, inner) for v in value) + "\n" + indent + "]"
        return json.dumps(value, ensure_ascii=False)

    return write(spec, "")


def write_whole(path: str, content: str | bytes) -> None:
    """Write ``content`` to ``path`` all at once: a reader never sees half a file.

    A path that is not a regular file is written through, as the shell's ``>`` would: a
    symlink's target, a FIFO, a device (``/dev/null``) are never replaced by a new file.
    Any failure is one line (SpecError) naming the path."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        _write(path, data)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SpecError([f"{path}: cannot write it: {reason}"]) from None


def _write(path: str, data: bytes) -> None:
    if os.path.isdir(path):
        raise SpecError([f"{path}: is a folder; give the name of a file to write"])
    if os.path.islink(path) or (os.path.exists(path) and not os.path.isfile(path)):
        with open(path, "wb") as handle:  # through the link, the FIFO or the device
            handle.write(data)
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise SpecError([f"{path}: no such folder {folder}"])
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".cnnshape-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, _mode(path))
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _mode(path: str) -> int:
    """The file's permissions: the existing file's, else what open() would give (mkstemp's
    are private)."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
