"""Every public op has a gradcheck case, a PyTorch case and a fuzz generator, and is reachable as
tc.<name> and tc.functional.<name>. The op list is the package's own (each ops file's __all__), so a
new op without its tests fails here."""

from __future__ import annotations

import importlib.util
import os
import re

import case_claims as claims
import fuzz
import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import functional

HERE = os.path.dirname(os.path.abspath(__file__))
TABLES = {"gradcheck": "GRADCHECK_CASES", "torch": "TORCH_CASES"}
# Ops whose results are int64 or bool tensors: they have no gradient to check (API.md), which
# test_integer_valued_ops_have_no_gradient below makes sure of.
INTEGER_VALUED = {
    "argmax": lambda x: tc.argmax(x),
    "argmin": lambda x: tc.argmin(x, dim=0),
    "eq": lambda x: tc.eq(x, x),
    "ne": lambda x: tc.ne(x, 0.0),
    "lt": lambda x: tc.lt(x, 0.0),
    "le": lambda x: tc.le(x, x),
    "gt": lambda x: tc.gt(x, 0.0),
    "ge": lambda x: tc.ge(x, 0.0),
}


def _public_ops() -> list[str]:
    return list(functional.__all__)


def _test_modules() -> list:
    """Every tests/test_*.py module (imported by path; a module that skips, e.g. without torch,
    is left out)."""
    modules = []
    for name in sorted(os.listdir(HERE)):
        if not re.fullmatch(r"test_\w+\.py", name) or name == "test_coverage.py":
            continue
        spec = importlib.util.spec_from_file_location(
            f"_coverage_{name[:-3]}", os.path.join(HERE, name)
        )
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except pytest.skip.Exception:
            continue
        modules.append(module)
    return modules


def _covered(kind: str, modules: list, ops: list[str]) -> set[str]:
    ids = [row[0] for m in modules for row in getattr(m, TABLES[kind], ())]
    by_table = {op for op in ops if any(i == op or i.startswith(op + "_") for i in ids)}
    return by_table | claims.CLAIMED[kind]


@pytest.fixture(scope="module")
def modules():
    return _test_modules()


def test_every_public_op_has_a_gradcheck_case(modules):
    ops = [op for op in _public_ops() if op not in INTEGER_VALUED]
    assert sorted(set(ops) - _covered("gradcheck", modules, ops)) == []


def test_integer_valued_ops_have_no_gradient():
    x = tc.Tensor(np.array([[0.5, -1.0], [2.0, 0.0]]), requires_grad=True)
    for name, call in INTEGER_VALUED.items():
        out = call(x)
        assert out.dtype.kind in "bi" and not out.requires_grad, name


def test_every_public_op_has_a_torch_case(modules):
    pytest.importorskip("torch")
    ops = _public_ops()
    assert sorted(set(ops) - _covered("torch", modules, ops)) == []


def test_every_public_op_has_a_fuzz_generator():
    assert sorted(set(_public_ops()) - set(fuzz.GENERATORS)) == []


def test_every_public_op_is_tc_and_functional():
    for name in _public_ops():
        assert getattr(tc, name) is getattr(functional, name), name
    builtins = {"sum", "max", "min", "pow", "abs"}
    assert [n for n in _public_ops() if n not in builtins and n not in tc.__all__] == []
    assert [n for n in builtins if n in tc.__all__] == []
