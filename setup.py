"""Build the Cython kernels: every kernels/*.pyx becomes tinygrad_conv._kernels.<stem>.

TINYGRAD_CONV_DEBUG_KERNELS=1 builds them with bounds checks on, into build/debug (for a CI job).

Machine-specific code: installs build from source on the machine that will run them, so by default
the kernels are compiled for it (`-march=native`, and 512-bit vectors where AVX-512 is there), after
a probe compile shows that the compiler takes those flags. TINYGRAD_CONV_PORTABLE=1 builds for the
compiler's baseline target instead (x86-64: SSE2 only), as a wheel meant for other machines must be.
Neither changes results beyond rounding order: no -ffast-math (it would break the NaN handling of
relu and pooling), and floating-point contraction (FMA) stays as the compiler's default.
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
PORTABLE = os.environ.get("TINYGRAD_CONV_PORTABLE", "") not in ("", "0")


def _compiles(flags: list[str], source: str = "int main(void){return 0;}\n") -> bool:
    """True when the C compiler builds a small program with these flags, warning-free."""
    cc = os.environ.get("CC", "cc")
    if sys.platform == "win32" or shutil.which(cc.split()[0]) is None:
        return False
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as f:
            f.write(source)
        cmd = cc.split() + flags + ["-Werror", src, "-o", os.path.join(tmp, "probe")]
        return subprocess.run(cmd, capture_output=True).returncode == 0


def native_flags() -> list[str]:
    """Flags that compile for this machine's CPU; [] for a portable build or a refusing compiler."""
    if PORTABLE or DEBUG:
        return []
    flags = ["-march=native"]
    if not _compiles(flags):
        return []
    # GCC tunes some AVX-512 CPUs to 256-bit vectors; the kernels' loops are long and regular.
    avx512 = "#ifndef __AVX512F__\n#error no AVX-512\n#endif\nint main(void){return 0;}\n"
    if _compiles(flags + ["-mprefer-vector-width=512"], avx512):
        flags.append("-mprefer-vector-width=512")
    return flags


def openmp_flags() -> list[str]:
    """['-fopenmp'] when a probe compile with it succeeds, else [] (prange then runs serially)."""
    if sys.platform == "win32":
        return ["/openmp"]
    probe = "#include <omp.h>\nint main(void){return omp_get_max_threads() < 0;}\n"
    return ["-fopenmp"] if _compiles(["-fopenmp"], probe) else []


omp = openmp_flags()
compile_args = ["-O3"] + native_flags() + omp if not DEBUG else ["-O0", "-g"] + omp
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
