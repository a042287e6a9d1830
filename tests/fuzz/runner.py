"""Running one case in the worker: both backends, PyTorch, tolerances, the worker loop."""

from __future__ import annotations

import traceback

import numpy as np

from .common import *  # noqa: F403
from .gen_kernels import *  # noqa: F403
from .gen_math import *  # noqa: F403
from .gen_misc import *  # noqa: F403
from .gen_nn import *  # noqa: F403
from .gen_shape import *  # noqa: F403
from .registry import *  # noqa: F403

BACKENDS = ["cython", "numpy"]


def _counted(fn):
    def counted(*args, **kwargs):
        KERNEL_CALLS[0] += 1
        return fn(*args, **kwargs)

    return counted


def instrument_kernels(tc) -> None:
    """Count every kernel call on both backends, so an error can be checked to come before any
    kernel ran; without compiled kernels, compare the NumPy twins with themselves."""
    from tinygrad_conv import _backend

    try:
        tc.set_backend("cython")
    except ImportError:
        BACKENDS[:] = ["numpy"]
    for namespace in (_backend._numpy_kernels, _backend._cython_kernels):
        if namespace is None:
            continue
        for name, fn in list(vars(namespace).items()):
            if callable(fn) and not isinstance(fn, type) and not name.startswith("_"):
                setattr(namespace, name, _counted(fn))


def snapshot(objs, leaves):
    """Bytes of every array the call could touch: raw arrays, tensors' data and grads."""
    out = []
    for o in list(objs) + [leaf for leaf in leaves if leaf is not None]:
        data = o if isinstance(o, np.ndarray) else getattr(o, "data", None)
        if isinstance(data, np.ndarray) and data.dtype.kind in "fiub":
            grad = getattr(o, "grad", None)
            out.append((data.tobytes(), data.shape, None if grad is None else grad.tobytes()))
    return out


def _call(tc, case, objs):
    return case.call(tc, *objs, **{k: v for k, v in case.params.items()})


def run_backend(tc, case, backend, seed):
    """Forward (+ backward with a seeded grad) on one backend -> (output, [leaf grads], changed)."""
    tc.set_backend(backend)
    made = [materialise(tc, a) for a in case.args]
    objs, leaves = [m[0] for m in made], [m[1] for m in made]
    watched = [o for o in objs if isinstance(o, np.ndarray) and o.dtype.kind in "fiub"]
    if not case.extra.get("updates_inputs"):  # an optimizer's step changes them on purpose
        watched += [leaf.data for leaf in leaves if leaf is not None]
    before = [(a.tobytes(), a.shape) for a in watched]
    out = _call(tc, case, objs)
    if case.op == "Tensor":
        return out.data, [], False
    params = getattr(case.call, "params", []) if case.extra.get("layer_params") else []
    tracked = [leaf for leaf in leaves + params if leaf is not None]
    if out.requires_grad and not case.extra.get("no_extra_backward"):
        g = np.random.default_rng(seed).uniform(-1, 1, out.shape).astype(out.dtype)
        g_bytes = g.tobytes()
        old = [None if t.grad is None else t.grad.copy() for t in tracked]
        out.backward(g, retain_graph=True)  # kept for the second pass below
        first = [None if t.grad is None else t.grad.copy() for t in tracked]
        graph = [t for t in tc.autograd.topo_order(out) if t.grad is not None]
        in_graph = {id(t) for t in graph}  # by identity: == on Tensors is elementwise
        _check_no_shared_grads(graph + [t for t in tracked if id(t) not in in_graph], g, watched)
        out.backward(g)  # a second backward accumulates the same gradient again (API.md)
        if g.tobytes() != g_bytes:
            raise InputsChanged("backward wrote into the grad array it was given")
        rtol, atol = tolerances(case)
        for t, o, f in zip(tracked, old, first, strict=True):
            if f is None:
                continue
            base = np.zeros_like(f) if o is None else o
            ok = np.isfinite(f) & np.isfinite(base)  # inf - inf says nothing about accumulation
            step, again = (f - base)[ok], (t.grad - f)[ok]
            if not close(again, step, rtol * 10, atol * 10, scale=max(1.0, _absmax(f[ok]))):
                raise WrongResult("a second backward did not add the same gradient again")
        for t, f in zip(tracked, first, strict=True):  # compare the first pass from here on
            t.grad = f
    grads = [
        None if leaf is None or leaf.grad is None else leaf.grad.copy() for leaf in leaves + params
    ]
    after = [(a.tobytes(), a.shape) for a in watched]
    return np.array(out.data, copy=True), grads, before != after


class WrongResult(Exception):
    """A check inside the run found a wrong number."""


def _is_float(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind == "f"


def _absmax(a) -> float:
    a = np.asarray(a, np.float64)
    return float(np.max(np.abs(a[np.isfinite(a)]), initial=0))


def _check_no_shared_grads(tracked, g, data_arrays) -> None:
    """No two tensors (leaves or intermediate) share one grad array, and no grad is the user's grad
    array or input data: a later backward's `+=` would otherwise change both."""
    grads = [t.grad for t in tracked if t.grad is not None]
    for i, a in enumerate(grads):
        others = grads[i + 1 :] + [g] + list(data_arrays)
        if any(np.shares_memory(a, b) for b in others if b.size and a.size):
            raise WrongResult("a .grad array shares memory with another grad, grad_out or data")


def tolerances(case):
    dts = [
        a.data.dtype
        for a in case.args
        if isinstance(a.data, np.ndarray) and a.data.dtype.kind == "f"
    ]
    single = not dts or any(d == np.float32 for d in dts) or case.op.startswith(("nn", "optim"))
    return (2e-4, 2e-5) if single else (1e-9, 1e-12)


def close(a, b, rtol, atol, scale=None):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return False
    scale = (
        scale
        if scale is not None
        else max(1.0, float(np.max(np.abs(b[np.isfinite(b)]), initial=0)))
    )
    return bool(np.allclose(a, b, rtol=rtol, atol=atol * scale, equal_nan=True))


def run_torch(torch, case, seed):
    import torch.nn.functional as F

    made = [to_torch(torch, a, case.extra.get("torch_dtype")) for a in case.args]
    objs, leaves = [m[0] for m in made], [m[1] for m in made]
    if case.extra.get("int_target") and len(objs) > 1:
        objs[1] = case.args[1].data
    out = case.torch_call(torch, F, *objs, **case.params)
    grads = []
    if out.requires_grad and case.torch_grads and not case.extra.get("no_extra_backward"):
        g = (
            np.random.default_rng(seed)
            .uniform(-1, 1, tuple(out.shape))
            .astype(np.float32 if tolerances(case)[0] > 1e-6 else np.float64)
        )
        out.backward(torch.from_numpy(g).to(out.dtype))
    params = getattr(case.torch_call, "params", []) if case.extra.get("layer_params") else []
    for leaf in leaves + params:
        grads.append(None if leaf is None or leaf.grad is None else leaf.grad.numpy())
    return out.detach().numpy(), grads


def names_argument(message: str, fragments) -> bool:
    low = message.lower()
    return any(f.lower() in low for f in fragments)


def run_case(tc, torch, op, variant, seed) -> dict:
    """-> {"status": ok|wrong|not_rejected|bad_error|changed, "detail": str, "desc": str}"""
    rng = np.random.default_rng(seed)
    case = GENERATORS[op](rng, variant)
    result = {"desc": case.desc, "status": "ok", "detail": "", "valid": case.error is None}
    if case.error is None and case.maybe_error is None:
        return _run_valid(tc, torch, case, seed, result)
    fragments = case.error or case.maybe_error
    for backend in BACKENDS:
        tc.set_backend(backend)
        made = [materialise(tc, a) for a in case.args]
        objs, leaves = [m[0] for m in made], [m[1] for m in made]
        before = snapshot(objs, leaves)
        KERNEL_CALLS[0] = 0
        try:
            out = _call(tc, case, objs)
            if case.error is not None:
                result.update(
                    status="not_rejected",
                    detail=f"{backend}: no error, returned "
                    f"{type(out).__name__} {getattr(out, 'shape', '')}",
                )
                return result
        except ALLOWED_ERRORS as err:
            required = case.extra.get("must_contain", ())
            if not names_argument(str(err), fragments) or not all(
                names_argument(str(err), (word,)) for word in required
            ):
                result.update(
                    status="bad_error",
                    detail=f"{backend}: {type(err).__name__}: {err} (expected one of {fragments})",
                )
                return result
            if snapshot(objs, leaves) != before:
                result.update(status="changed", detail=f"{backend}: inputs changed after {err}")
                return result
            if KERNEL_CALLS[0] and not case.extra.get("kernels_before_error_ok"):
                result.update(
                    status="late_error",
                    detail=f"{backend}: {type(err).__name__}: {err} "
                    f"came after {KERNEL_CALLS[0]} kernel call(s)",
                )
                return result
            result["valid"] = False
            continue
        except InputsChanged as err:
            result.update(status="changed", detail=f"{backend}: {err}")
            return result
        except Exception as err:  # noqa: BLE001 - any other class is the finding
            result.update(status="bad_error", detail=f"{backend}: {type(err).__name__}: {err}")
            return result
        if case.maybe_error is not None:  # accepted: the result must then be right
            result["valid"] = True
            return _run_valid(tc, torch, case, seed, result)
    return result


def _one_thread_differs(tc, case, seed, out, grads) -> str:
    """For inputs big enough that the compiled kernels split their work over threads: the same call
    on one thread gives the same bits (each thread owns whole planes or rows, nothing is summed
    across threads). -> "" or what differed."""
    from tinygrad_conv import _backend

    sizes = [a.data.size for a in case.args if isinstance(a.data, np.ndarray)]
    if BACKENDS[0] != "cython" or max(sizes, default=0) < 8192 or _backend._max_threads < 2:
        return ""
    previous = _backend._max_threads
    tc.set_num_threads(1)
    try:
        out_1, grads_1, _ = run_backend(tc, case, "cython", seed)
    finally:
        tc.set_num_threads(previous)
    if not np.array_equal(out, out_1, equal_nan=True):
        return f"cython forward on 1 and {previous} threads differ"
    for i, (g, g1) in enumerate(zip(grads, grads_1, strict=True)):
        if (g is None) != (g1 is None) or (g is not None and not np.array_equal(g, g1, True)):
            return f"cython grad {i} on 1 and {previous} threads differs"
    return ""


def _run_valid(tc, torch, case, seed, result):
    try:
        out_c, grads_c, changed_c = run_backend(tc, case, BACKENDS[0], seed)
        out_n, grads_n, changed_n = run_backend(tc, case, "numpy", seed)
    except (InputsChanged, WrongResult) as err:
        status = "changed" if isinstance(err, InputsChanged) else "wrong"
        result.update(status=status, detail=f"{err}\n" + traceback.format_exc(limit=-3))
        return result
    except Exception as err:  # noqa: BLE001
        result.update(
            status="bad_error" if case.maybe_error is None else result["status"],
            detail=f"valid input raised {type(err).__name__}: {err}\n"
            + traceback.format_exc(limit=-3),
        )
        if (
            case.maybe_error is not None
            and isinstance(err, ALLOWED_ERRORS)
            and names_argument(str(err), case.maybe_error)
        ):
            result.update(status="ok", detail="", valid=False)
        return result
    threads = _one_thread_differs(tc, case, seed, out_c, grads_c)
    if threads:
        result.update(status="wrong", detail=threads)
        return result
    if changed_c or changed_n:
        result.update(status="changed", detail="a valid call wrote into its input array")
        return result
    rtol, atol = tolerances(case)
    if case.op == "Tensor":
        expect = case.extra["expect"]
        if out_c.dtype != expect.dtype or not np.array_equal(out_c, expect, equal_nan=True):
            result.update(status="wrong", detail=f"Tensor data {out_c.dtype} != {expect.dtype}")
        return result
    if not close(out_c, out_n, rtol, atol):
        result.update(status="wrong", detail=f"cython vs numpy forward differ:\n{out_c}\n{out_n}")
        return result
    for i, (gc, gn) in enumerate(zip(grads_c, grads_n, strict=True)):
        if (gc is None) != (gn is None) or (gc is not None and not close(gc, gn, rtol, atol)):
            result.update(status="wrong", detail=f"cython vs numpy grad {i} differ:\n{gc}\n{gn}")
            return result
    if torch is None or case.torch_call is None:
        return result
    out_t, grads_t = run_torch(torch, case, seed)
    scale = max(1.0, _absmax(out_t), *(_absmax(a.data) for a in case.args if _is_float(a.data)))
    # Scaled by the inputs too: a sum of +-1e30 and small values cancels differently per library.
    if not close(out_c, out_t, max(rtol, 1e-4) if rtol > 1e-6 else 1e-7, atol, scale=scale):
        result.update(status="wrong", detail=f"vs torch forward differ:\n{out_c}\n{out_t}")
        return result
    if case.torch_grads:
        for i, (gc, gt) in enumerate(zip(grads_c, grads_t, strict=False)):
            if gt is None and gc is None:
                continue
            if gt is not None and gc is not None:  # (a float64 twin of a float32 leaf overflows
                with np.errstate(over="ignore"):  # only once cast back, as the leaf's grad does)
                    gt = np.asarray(gt).astype(gc.dtype)
            if (gc is None) != (gt is None) or not close(
                gc, gt, max(rtol, 1e-4) if rtol > 1e-6 else 1e-7, atol * 10
            ):
                result.update(status="wrong", detail=f"vs torch grad {i} differ:\n{gc}\n{gt}")
                return result
    return result


def worker(conn) -> None:
    """Long-lived worker: receives lists of (op, variant, seed), sends one result dict per case."""
    import warnings

    warnings.simplefilter("ignore")
    np.seterr(all="ignore")
    import tinygrad_conv as tc

    instrument_kernels(tc)
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
    conn.send("ready")
    while True:
        try:
            batch = conn.recv()
        except EOFError:
            return
        if batch is None:
            return
        for op, variant, seed in batch:
            try:
                result = run_case(tc, torch, op, variant, seed)
            except Exception as err:  # noqa: BLE001 - a bug in the case itself, reported as such
                result = {
                    "status": "harness",
                    "detail": traceback.format_exc(),
                    "desc": repr(err),
                    "valid": None,
                }
            conn.send(result)
