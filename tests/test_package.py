"""The package alone is enough (issue 14, item 6): installed from a wheel into a fresh
virtual environment, outside the clone, cnnshape finds its zoo and its templates."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out),
                    str(ROOT)], check=True, timeout=600)
    (found,) = out.glob("cnnshape-*.whl")
    return found


def test_the_wheel_carries_the_zoo(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {f"cnnshape/zoo/{p.name}" for p in (ROOT / "specs").glob("*.json")}
    assert shipped and shipped <= set(names)


def test_installed_outside_the_clone(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheel)], check=True,
                   timeout=900)
    cnnshape = str(venv / "bin" / "cnnshape")
    work = tmp_path / "elsewhere"
    work.mkdir()

    def run(*args: str) -> str:
        done = subprocess.run([cnnshape, *args], cwd=work, capture_output=True, text=True,
                              timeout=300, check=True)
        return done.stdout

    data = json.loads(run("table", "lenet", "--format", "json"))
    assert data["totals"]["params"] == 62_958  # 608 + 3,216 + 48,120 + 10,164 + 850
    assert "resnet50" in run("zoo") and "conv:" in run("layers")
    (work / "my.yaml").write_text(run("init", "lenet"))
    assert json.loads(run("table", "my.yaml", "--format", "json"))["totals"]["params"] == 62_958
