"""Everything `import tinygrad_conv` changes for the whole process, in one place:
`process_effects()`, whose docstring lists each effect and its off switch."""

from __future__ import annotations

import contextlib
import ctypes
import os
import sys
from collections.abc import Iterator

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 << 20
TRIM_THRESHOLD = 128 << 20
MALLOC_SWITCH = "TINYGRAD_CONV_MALLOC_TUNING"
_malloc_tuned: bool | None = None  # None: not tried yet


@contextlib.contextmanager
def process_effects() -> Iterator[None]:
    """The library's process-wide effects; the backend loads its kernels inside this block.

    1. glibc's malloc (Linux with glibc only), for the rest of the process: arrays up to 64 MB are
       served from the heap instead of fresh mmap()s, and up to 128 MB of freed heap is kept
       rather than handed back to the OS at once (mallopt M_MMAP_THRESHOLD = 64 MB,
       M_TRIM_THRESHOLD = 128 MB). A training step allocates the same large arrays every time
       (im2col columns, activations, grads); glibc's own thresholds (at most 32 MB) let those
       above them be unmapped and faulted in again each step (measured: the CLI CNN at batch
       512, 1,672 page faults a step without this, 808 with it). Bounded so that it hardly
       outlives the library's own work: an array of 64 MB or more still goes back to the OS when
       freed, and at most 128 MB of freed heap stays resident (a NumPy script that frees a 300 MB
       array keeps 41 MB resident, as without the import; the earlier 1 GB thresholds kept
       340 MB). Off: TINYGRAD_CONV_MALLOC_TUNING=0, or any MALLOC_* variable of your own.
    2. OMP_WAIT_POLICY=PASSIVE for the OpenMP runtime (libgomp) of the compiled kernels: idle
       OpenMP threads otherwise spin after each kernel and take the cores from NumPy's BLAS
       (measured: a CNN training step 2.6x slower on 2 cores). libgomp reads the variable once,
       when the first kernel module loads it, so it is in os.environ only during this block and
       removed afterwards: child processes and libraries loaded later see the environment as it
       was. Off: set OMP_WAIT_POLICY yourself (ACTIVE keeps the threads spinning).
    """
    keep_freed_memory()
    added = "OMP_WAIT_POLICY" not in os.environ
    if added:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        yield
    finally:
        if added:
            os.environ.pop("OMP_WAIT_POLICY", None)


def keep_freed_memory() -> bool:
    """Effect 1 of process_effects (once per process); True if malloc was tuned."""
    global _malloc_tuned
    if _malloc_tuned is None:
        _malloc_tuned = _tune_malloc()
    return _malloc_tuned


def _tune_malloc() -> bool:
    if os.environ.get(MALLOC_SWITCH, "1") == "0" or not sys.platform.startswith("linux"):
        return False
    if any(name.startswith("MALLOC_") for name in os.environ):
        return False  # the user tuned malloc already
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...): nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(
        mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
