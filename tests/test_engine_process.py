"""What `import tinygrad_conv` changes for the whole process lives in _memory.process_effects,
whose docstring lists each effect and its off switch; the effects hardly outlive the library's
work (freed memory goes back to the OS, OMP_WAIT_POLICY is not left in the environment)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from tinygrad_conv import _memory

FREE_300_MB = """
import numpy as np
{import_line}
a = np.ones(300 * 2**20 // 8)
del a
rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
print(rss // 1024)
"""


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc, /proc")
def test_freed_memory_goes_back_to_the_os_after_the_import():
    """Old main kept 336 MB resident here (1 GB malloc thresholds), 24 MB without the import."""
    without = int(_run(FREE_300_MB.format(import_line="")).stdout)
    result = _run(FREE_300_MB.format(import_line="import tinygrad_conv"))
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) < without + 100  # the library's own modules, not the freed array


def test_omp_wait_policy_is_not_left_in_the_environment():
    code = "import os, tinygrad_conv; print(os.environ.get('OMP_WAIT_POLICY'))"
    assert _run(code).stdout.strip() == "None"
    assert _run(code, OMP_WAIT_POLICY="ACTIVE").stdout.strip() == "ACTIVE"  # the user's stays


def test_idle_kernel_threads_do_not_spin():
    code = """
    import time, numpy as np, tinygrad_conv as tc
    if tc.backend() != "cython":
        print("skip")
        raise SystemExit
    tc.set_num_threads(2)
    x = tc.Tensor(np.random.rand(1 << 22).astype(np.float32))
    for _ in range(5):
        x.relu()
    start = time.process_time()
    time.sleep(0.5)
    print(time.process_time() - start)
    """
    out = _run(code).stdout.strip()
    if out == "skip":
        pytest.skip("compiled kernels not built")
    assert float(out) < 0.25  # an ACTIVE policy burns about 0.5 s of CPU here


def test_the_off_switch():
    code = "from tinygrad_conv import _memory; print(_memory.keep_freed_memory())"
    assert _run(code, TINYGRAD_CONV_MALLOC_TUNING="0").stdout.strip() == "False"
    assert _run(code, MALLOC_ARENA_MAX="2").stdout.strip() == "False"  # the user's own tuning


def test_one_docstring_lists_every_effect_and_its_off_switch():
    doc = _memory.process_effects.__doc__
    for words in (
        "M_MMAP_THRESHOLD",
        "M_TRIM_THRESHOLD",
        "TINYGRAD_CONV_MALLOC_TUNING=0",
        "MALLOC_*",
        "OMP_WAIT_POLICY=PASSIVE",
        "set OMP_WAIT_POLICY yourself",
    ):
        assert words in doc
