"""Readable NumPy twins of the Cython kernels: same names and signatures, used as the tests' oracle."""
