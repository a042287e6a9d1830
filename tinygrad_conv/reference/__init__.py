"""Readable NumPy twins of the Cython kernels: same names and signatures; the tests' oracle."""
