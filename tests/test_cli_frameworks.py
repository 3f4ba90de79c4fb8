"""`cnnshape export` and `cnnshape import` on the command line.

What the commands write must load back; a failure prints one line, exits 2 and leaves
no file behind.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

import cnnshape
from cnnshape.cli.app import main

ROOT = Path(__file__).resolve().parent.parent
LENET = str(ROOT / "specs" / "lenet.json")


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_export_pytorch_writes_a_module_file(tmp_path: Path) -> None:
    out = tmp_path / "lenet.py"
    result = run("export", LENET, "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text()
    compile(text, str(out), "exec")  # valid Python without torch installed
    assert "class LeNet5CourseExample(nn.Module):" in text
    assert "self.CONV1 = nn.Conv2d(3, 8, kernel_size=5)" in text
    # the header states the totals: (5*5*3+1)*8 + (5*5*8+1)*16 + 400*120+120 + 120*84+84 + 84*10+10
    assert f"{608 + 3216 + 48120 + 10164 + 850:,} trainable parameters" in text


def test_export_to_stdout_and_bad_spec(tmp_path: Path) -> None:
    result = run("export", LENET, "--to", "pytorch")
    assert result.exit_code == 0 and "def forward(self, x: torch.Tensor)" in result.output
    bad = tmp_path / "bad.json"
    bad.write_text('{"input": [8, 8, 3], "layers": [{"type": "flatten"}, '
                   '{"type": "conv", "filters": 2, "kernel": 3}]}')
    out = tmp_path / "never.py"
    result = run("export", str(bad), "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "layers[1]" in result.output
    assert not out.exists()


def test_export_runs_as_a_file(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch", reason="running the exported module needs torch")
    out = tmp_path / "lenet_model.py"
    assert run("export", LENET, "--to", "pytorch", "-o", str(out)).exit_code == 0
    spec = importlib.util.spec_from_file_location("lenet_model", out)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.LeNet5CourseExample()
    assert sum(p.numel() for p in net.parameters()) == 62_958
    assert tuple(net(torch.zeros(2, 3, 32, 32)).shape) == (2, 10)


def test_import_a_pytorch_module_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("torch", reason="importing a PyTorch module needs torch")
    package = tmp_path / "course_models.py"
    package.write_text(
        "import torch\nfrom torch import nn\nimport torch.nn.functional as F\n\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(3, 6, 5)\n"
        "        self.fc = nn.Linear(6 * 28 * 28, 10)\n"
        "    def forward(self, x):\n"
        "        return self.fc(torch.flatten(F.relu(self.conv(x)), 1))\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    out = tmp_path / "net.yaml"
    result = run("import", "course_models:Net", "--input", "1x3x32x32", "-o", str(out))
    assert result.exit_code == 0, result.output
    spec = yaml.safe_load(out.read_text())
    assert spec["input"] == [32, 32, 3]
    report = cnnshape.analyze(str(out))
    # the lecture's conv: (5*5*3+1)*6 = 456; the dense layer 4704*10 + 10
    assert [r.params for r in report.rows if r.type in ("conv", "dense")] == [456, 47_050]
    assert f"{456 + 47_050:,} parameters" in result.output
    sys.modules.pop("course_models", None)


@pytest.mark.parametrize("args, message", [
    (["import", "no_such_file.onnx"], "no_such_file.onnx: no such file"),
    (["import", "course_models_missing:Net", "--input", "1x3x8x8"], "cannot import it"),
    (["import", "os.path:join"], "needs --input"),
])
def test_import_problems_are_one_line(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and message in result.output


def test_unknown_model_file_type(tmp_path: Path) -> None:
    weights = tmp_path / "model.pth"
    weights.write_bytes(b"\x80\x02")
    result = run("import", str(weights), "-o", str(tmp_path / "x.yaml"))
    assert result.exit_code == 2 and "cnnshape.from_torch" in result.output
    assert not (tmp_path / "x.yaml").exists()


def test_import_keras_json_then_table(tmp_path: Path) -> None:
    """Keras's own figures for its model, recorded when the fixture was made."""
    import json

    expected = json.loads((ROOT / "tests" / "data" / "keras" / "expected.json").read_text())
    out = tmp_path / "lenet5.yaml"
    result = run("import", str(ROOT / "tests" / "data" / "keras" / "lenet.json"), "-o", str(out))
    assert result.exit_code == 0, result.output
    report = cnnshape.analyze(str(out))
    assert report.totals.params == expected["lenet"]["params"]
    assert report.totals.macs == expected["lenet"]["macs"]
    shapes = {r.name: r.output_shape for r in report.rows}
    assert all(shapes[n] == s for n, s in expected["lenet"]["shapes"].items())
    table = run("table", str(out))
    assert table.exit_code == 0 and f"{expected['lenet']['params']:,}" in table.output


def test_import_keras_archive(tmp_path: Path) -> None:
    """A .keras file is a zip holding the model's config.json."""
    import zipfile

    archive = tmp_path / "lenet.keras"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("config.json", (ROOT / "tests" / "data" / "keras" / "lenet.json").read_text())
    result = run("import", str(archive), "-o", str(tmp_path / "a.json"))
    assert result.exit_code == 0, result.output
    assert cnnshape.analyze(str(tmp_path / "a.json")).totals.params == 61_706
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    result = run("import", str(broken), "-o", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "not a Keras archive" in result.output
    assert not (tmp_path / "b.json").exists()
