"""Choose the kernels: the compiled Cython ones, or their readable NumPy twins in reference/.

Both namespaces expose the same function names and signatures, so an op calls
`kernels().relu_forward(...)` without knowing which it got. The choice is read at call time, so
`set_backend` takes effect at once.
"""

from __future__ import annotations

import importlib
import os
import types
import warnings

from ._checks import as_count
from ._memory import process_effects

# One module per kernel family: kernels/<stem>.pyx and tinygrad_conv/reference/<stem>.py.
KERNEL_MODULES = (
    "relu",
    "conv2d",
    "conv_direct",
    "pool",
    "cross_entropy",
    "batchnorm",
    "leaky_relu",
    "gelu",
    "clamp",
)
BACKENDS = ("cython", "numpy")
ENV_VAR = "TINYGRAD_CONV_BACKEND"
BUILD_HINT = (
    "build them with `pip install -e .` (or `make build`) from the project's root; "
    "it needs Cython and a C compiler. Or use the NumPy kernels: TINYGRAD_CONV_BACKEND=numpy"
)

# Work below this many elements runs on one thread: starting threads costs more than it saves.
PARALLEL_THRESHOLD = 1 << 15


def _load(package: str) -> types.SimpleNamespace:
    namespace = types.SimpleNamespace()
    for stem in KERNEL_MODULES:
        module = importlib.import_module(f"{package}.{stem}")
        for name in dir(module):
            if not name.startswith("_"):
                setattr(namespace, name, getattr(module, name))
    return namespace


def _load_cython() -> types.SimpleNamespace:
    try:
        with process_effects():  # OMP_WAIT_POLICY while libgomp loads, malloc (see _memory.py)
            return _load("tinygrad_conv._kernels")
    except ImportError as err:
        raise ImportError(
            f"tinygrad_conv: the compiled kernels could not be imported ({err}); " + BUILD_HINT
        ) from err


_numpy_kernels = _load("tinygrad_conv.reference")
_cython_kernels: types.SimpleNamespace | None = None
_active = "numpy"


def backend() -> str:
    """Name of the kernels in use: "cython" or "numpy"."""
    return _active


def set_backend(name: str) -> None:
    """Select "cython" (compiled; ImportError saying how to build them if missing) or "numpy"."""
    global _active, _cython_kernels
    if not isinstance(name, str):
        raise TypeError(f"set_backend: name must be a str, one of {BACKENDS}, got {name!r}")
    if name not in BACKENDS:
        raise ValueError(f"set_backend: name must be one of {BACKENDS}, got {name!r}")
    if name == "cython" and _cython_kernels is None:
        _cython_kernels = _load_cython()
    _active = name


def kernels() -> types.SimpleNamespace:
    """The active kernel namespace (looked up at call time)."""
    return _cython_kernels if _active == "cython" else _numpy_kernels


def num_threads(size: int) -> int:
    """Threads for a kernel over `size` elements: 1 below PARALLEL_THRESHOLD, else all cores."""
    if size < PARALLEL_THRESHOLD:
        return 1
    return _max_threads


# The most threads a kernel may be given (set_num_threads, TINYGRAD_CONV_NUM_THREADS, --threads):
# far beyond any CPU this runs on, and far below what makes libgomp give up and exit the process.
MAX_THREADS = 256
THREADS_VAR = "TINYGRAD_CONV_NUM_THREADS"


def _detect_threads() -> int:
    value = os.environ.get(THREADS_VAR, "").strip()
    if value:  # ours: a bad value is an error, as TINYGRAD_CONV_BACKEND's is
        if not value.isdigit() or not 1 <= int(value) <= MAX_THREADS:
            raise ValueError(
                f"{THREADS_VAR} must be an int between 1 and {MAX_THREADS}, got {value!r}"
            )
        return int(value)
    value = os.environ.get("OMP_NUM_THREADS", "").strip()  # OpenMP's: used when it is one int
    if value.isdigit() and int(value) > 0:
        return min(int(value), MAX_THREADS)
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:
        count = os.cpu_count() or 1
    return min(max(1, count), MAX_THREADS)


_max_threads = _detect_threads()


def set_num_threads(n: int) -> None:
    """Cap the threads the kernels use (OpenMP prange), 1 to MAX_THREADS (256); 1 makes them
    serial. Python and NumPy ints are accepted; a bool is a TypeError."""
    global _max_threads
    _max_threads = as_count("set_num_threads", "n", n, 1, MAX_THREADS)


def _initial_choice() -> None:
    with process_effects():  # the NumPy kernels gain from the malloc tuning too
        _choose()


def _choose() -> None:
    requested = os.environ.get(ENV_VAR, "").strip().lower()
    if requested:
        if requested not in BACKENDS:
            raise ValueError(f"{ENV_VAR} must be one of {BACKENDS}, got {requested!r}")
        set_backend(requested)  # an explicit "cython" raises ImportError when missing
        return
    try:
        set_backend("cython")
    except ImportError as err:
        warnings.warn(f"{err}; falling back to the NumPy kernels", RuntimeWarning, stacklevel=4)
        set_backend("numpy")


_initial_choice()
