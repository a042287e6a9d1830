"""Helpers shared by the benchmark scripts: paired median timings, optional PyTorch, the machine's
float32 GEMM peak and copy bandwidth, the CPU's name, a table."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def parse_args(description: str, flags: dict[str, str] | None = None) -> argparse.Namespace:
    """--quick, --repeats N, and any extra on/off `flags` ({"--name": "help"})."""
    parser = argparse.ArgumentParser(description=description)
    for flag, text in (flags or {}).items():
        parser.add_argument(flag, action="store_true", help=text)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (a rough figure fast)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per case (median)")
    return parser.parse_args()


def median_ms(
    fn: Callable[[], Any], repeats: int = 20, warmup: int = 2, budget_s: float = 3.0
) -> float:
    """Median wall time of fn() in milliseconds; stops early once budget_s is spent."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < repeats:
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
        if len(times) >= 3 and time.perf_counter() - start > budget_s:
            break
    return float(np.median(times)) * 1e3


def interleaved_medians(fns: dict, repeats: int, budget_s: float = 20.0, warmup: int = 2) -> dict:
    """Median ms of each fn, timed in turns (a, b, c, c, a, b, ...): on a shared machine the load
    drifts, and timing each case in its own block would hand the drift to one side of a ratio."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict = {name: [] for name in fns}
    start = time.perf_counter()
    names, order = list(fns), np.random.default_rng(0)
    for i in range(repeats):
        # a fresh order each round, so no case always runs right after the same other one (a case
        # run just after PyTorch measured 1.5x slower, its threads still winding down)
        for name in order.permutation(names):
            t0 = time.perf_counter()
            fns[name]()
            times[name].append(time.perf_counter() - t0)
        if i >= 2 and time.perf_counter() - start > budget_s:
            break
    return {name: float(np.median(t)) * 1e3 for name, t in times.items()}


def copy_bandwidth_gbs(megabytes: int = 64, repeats: int = 7) -> float:
    """Measured copy rate (bytes read + bytes written per second) of np.copyto on a large array."""
    src = np.ones(megabytes << 18, dtype=np.float32)
    dst = np.empty_like(src)
    ms = median_ms(lambda: np.copyto(dst, src), repeats=repeats, warmup=1)
    return 2 * src.nbytes / (ms * 1e-3) / 1e9


def cpu_name() -> str:
    """The CPU's model name and widest vector extension (Linux /proc/cpuinfo)."""
    name, flags = "", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and not name:
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = set(value.split())
    except OSError:
        pass
    if not name:
        import platform

        name = platform.processor() or "unknown CPU"
    vectors = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else ""
    return f"{name} ({vectors})" if vectors else name


def try_torch(threads: int = 2) -> Any:
    """PyTorch with `threads` threads, or None when it is not installed."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(threads)
    return torch


def gemm_peak_gflops(size: int = 2048, repeats: int = 5) -> float:
    """Measured float32 GEMM rate of NumPy's BLAS (np.matmul of two size x size matrices)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((size, size), dtype=np.float32)
    out = np.empty_like(a)
    ms = median_ms(lambda: np.matmul(a, a, out=out), repeats=repeats, warmup=1)
    return 2 * size**3 / (ms * 1e-3) / 1e9


def print_table(headers: list[str], rows: list[list[Any]]) -> None:
    """A Markdown table (pastes straight into benchmarks/README.md)."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("| " + " | ".join("-" * w for w in widths) + " |")
    for row in cells:
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |")


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
