"""Build the Cython kernels: every kernels/*.pyx becomes tinygrad_conv._kernels.<stem>.

TINYGRAD_CONV_DEBUG_KERNELS=1 builds them with bounds checks on, into build/debug (for a CI job).
"""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

from Cython.Build import cythonize
from setuptools import Extension, setup

DEBUG = os.environ.get("TINYGRAD_CONV_DEBUG_KERNELS", "") not in ("", "0")


def openmp_flags() -> list[str]:
    """['-fopenmp'] when a probe compile with it succeeds, else [] (prange then runs serially)."""
    if sys.platform == "win32":
        return ["/openmp"]
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc.split()[0]) is None:
        return []
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write("#include <omp.h>\nint main(void){return omp_get_max_threads() < 0;}\n")
        cmd = cc.split() + ["-fopenmp", src, "-o", os.path.join(tmp, "probe")]
        ok = subprocess.run(cmd, capture_output=True).returncode == 0
    return ["-fopenmp"] if ok else []


omp = openmp_flags()
compile_args = ["-O3"] + omp if not DEBUG else ["-O0", "-g"] + omp
extensions = [
    Extension(
        "tinygrad_conv._kernels." + os.path.splitext(os.path.basename(path))[0],
        [path],
        extra_compile_args=compile_args,
        extra_link_args=omp,
    )
    for path in sorted(glob.glob("kernels/*.pyx"))
]

directives = {
    "language_level": 3,
    "boundscheck": DEBUG,
    "wraparound": False,
    "initializedcheck": DEBUG,
    "cdivision": True,
}

setup(
    ext_modules=cythonize(
        extensions,
        compiler_directives=directives,
        build_dir="build/debug-cython" if DEBUG else "build/cython",
    ),
)
