"""Shared test fixtures: both kernel backends, a seeded rng, hypothesis profiles, the torch oracle.

How the suite is laid out (one file per subject; each under 400 lines):
- test_coverage.py      every public op (each ops file's __all__) has a gradcheck case, a PyTorch
                        case and a fuzz generator; a new op without them fails here
- test_gradcheck*.py, test_vocabulary_gradcheck.py   tables of float64 gradchecks (GRADCHECK_CASES)
- test_ops_vs_torch*.py, test_vocabulary_vs_torch.py tables against PyTorch (TORCH_CASES), through
                        oracle.py (the one comparison and tolerance table)
- test_errors*.py       tables of bad calls, run by bad_input.py (class, message, inputs untouched)
- test_conv*.py, test_pool.py, test_cross_entropy.py, test_batchnorm*.py  one kernel family each:
                        Cython vs NumPy twin, threads, PyTorch (marker `kernels`: also run on the
                        bounds-checked and the portable builds)
- test_engine_*.py, test_autograd.py   the engine: retain_graph, versions, grad mode, hooks
- test_surface_*.py     the PyTorch tensor vocabulary; test_nn_*.py, test_optim*.py, test_data*.py,
                        test_onnx*.py, test_graph*.py, test_trace.py, test_cli*.py   the rest
- fuzz/ and test_fuzz.py  every op with valid and invalid input in a child process (fuzz/README in
                        fuzz/__init__.py); strategies.py the hypothesis strategies; case_claims.py
                        the `covers` decorator for bespoke gradcheck/PyTorch tests

The suite runs with --import-mode=importlib and no tests/__init__.py (so the installed package, with
its compiled kernels, is what gets tested); this folder goes on sys.path so that `import strategies`
works.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import tinygrad_conv as tc  # noqa: E402

try:
    from hypothesis import settings
except ImportError:  # hypothesis is a test extra; tests that need it importorskip it
    settings = None

if settings is not None:
    # Modest and reproducible by default: the machine has 2 cores shared with others.
    settings.register_profile("ci", deadline=None, derandomize=True, max_examples=25)
    settings.register_profile("long", deadline=None, max_examples=1000)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

BACKENDS = ("numpy", "cython")


def pytest_addoption(parser):
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run hypothesis tests with the 'long' profile (1000 examples each)",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "torch: compares against PyTorch (skipped when not installed)"
    )
    if settings is not None and config.getoption("--long", default=False):
        settings.load_profile("long")


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Run the test once per kernel backend, then restore the backend that was active before."""
    previous = tc.backend()
    tc.set_backend(request.param)
    try:
        yield request.param
    finally:
        tc.set_backend(previous)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def pytest_collection_modifyitems(config, items):
    """`@pytest.mark.torch` skips a test cleanly where PyTorch is not installed."""
    if _torch_available():
        return
    skip = pytest.mark.skip(reason="PyTorch is not installed")
    for item in items:
        if "torch" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def torch():
    """The torch module, or a clean skip when it is not installed (tests never import conftest)."""
    return pytest.importorskip("torch")
