"""examples/pytorch_tensor_code.py prints the same numbers here as with PyTorch, with only its
import lines changed."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "examples", "pytorch_tensor_code.py")
OURS = ("import tinygrad_conv as torch\n", "import tinygrad_conv.nn.functional as F\n")
THEIRS = ("import torch\n", "import torch.nn.functional as F\n")


def _run(source: str, tmp_path, name: str) -> dict[str, object]:
    path = tmp_path / name
    path.write_text(source)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # no warnings either
    results = {}
    for line in done.stdout.splitlines():
        key, _, value = line.partition(" ")
        results[key] = ast.literal_eval(value)
    return results


def test_example_prints_pytorchs_numbers(tmp_path):
    pytest.importorskip("torch")
    with open(EXAMPLE) as f:
        source = f.read()
    for line in OURS:
        assert source.count(line) == 1, f"the example must import with {line!r}"
    theirs_source = source
    for ours_line, theirs_line in zip(OURS, THEIRS, strict=True):
        theirs_source = theirs_source.replace(ours_line, theirs_line)
    ours, theirs = _run(source, tmp_path, "ours.py"), _run(theirs_source, tmp_path, "theirs.py")
    assert list(ours) == list(theirs) and len(ours) >= 10
    for key in ours:
        if key == "shapes":  # a ragged list of ints
            assert ours[key] == theirs[key]
            continue
        a, b = np.asarray(ours[key]), np.asarray(theirs[key])
        assert a.shape == b.shape and a.dtype.kind == b.dtype.kind, key
        if a.dtype.kind == "f":  # printed with 4 decimals: a last-bit difference may round apart
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=2e-4, err_msg=key)
        else:
            np.testing.assert_array_equal(a, b, err_msg=key)
