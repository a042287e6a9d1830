# Everyday commands. `make dev` once, then `make test`.
PYTHON ?= python

.PHONY: dev build debug-build test test-numpy test-debug test-portable lint annotate bench clean

dev:            ## editable install with the test and example extras (builds the kernels in place)
	$(PYTHON) -m pip install -e ".[test,examples]"

build:          ## rebuild the Cython kernels in place after editing kernels/*.pyx
	$(PYTHON) setup.py build_ext --inplace

debug-build:    ## kernels with bounds checks on, in their own build folder (build/debug)
	TINYGRAD_CONV_DEBUG_KERNELS=1 $(PYTHON) setup.py -q build_ext --inplace --force --build-temp build/debug

test:           ## the suite on the compiled kernels
	$(PYTHON) -m pytest tests

test-numpy:     ## the same suite on the readable NumPy kernels
	TINYGRAD_CONV_BACKEND=numpy $(PYTHON) -m pytest -q -p no:cacheprovider tests

test-debug: debug-build  ## the kernel tests (marker `kernels`) on the bounds-checked build, then the fast build again
	TINYGRAD_CONV_BACKEND=cython $(PYTHON) -m pytest -q -p no:cacheprovider -m kernels tests
	$(PYTHON) setup.py -q build_ext --inplace --force

test-portable:  ## the kernel tests on the portable build (no -march=native: what a wheel ships), then the fast build
	TINYGRAD_CONV_PORTABLE=1 $(PYTHON) setup.py -q build_ext --inplace --force --build-temp build/portable
	TINYGRAD_CONV_BACKEND=cython $(PYTHON) -m pytest -q -p no:cacheprovider -m kernels tests
	$(PYTHON) setup.py -q build_ext --inplace --force

lint:
	$(PYTHON) -m ruff check tinygrad_conv tests examples benchmarks
	$(PYTHON) -m ruff format --check tinygrad_conv tests examples benchmarks
	$(PYTHON) -m cython_lint kernels || true

annotate:       ## HTML of each kernel: yellow lines touch Python objects
	cython -a -3 kernels/*.pyx -o build/annotate/

bench:
	$(PYTHON) -m tinygrad_conv bench

clean:
	rm -rf build dist *.egg-info tinygrad_conv/_kernels/*.so tinygrad_conv/_kernels/*.c
