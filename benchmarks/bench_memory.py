"""Peak memory of one big-conv forward + backward (N=16, 64->64 channels, 56x56, 3x3, padding 1,
float32): tinygrad_conv (Cython kernels; the default algorithm, and im2col forced) beside PyTorch
CPU, each in its own child process.

Run: python benchmarks/bench_memory.py. Each child imports its library, notes its peak resident set
(VmHWM, or resource.getrusage ru_maxrss), makes the inputs, runs conv2d forward and backward once,
and reports the new peak minus that baseline. Prints a table; never asserts.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

N, C_IN, H, W, C_OUT, K, PAD = 16, 64, 56, 56, 64, 3, 1
MIB = 1 << 20


def peak_rss() -> int:
    """Peak resident set of this process in bytes: VmHWM on Linux (it starts afresh at exec, where
    ru_maxrss keeps the parent's peak), else ru_maxrss (KiB on Linux, bytes on macOS)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def child(library: str) -> dict:
    import numpy as np

    if library.startswith("tinygrad_conv"):
        import tinygrad_conv as tc

        tc.set_backend("cython")
        tc.set_conv_algorithm(library.partition(":")[2] or "auto")
    else:
        import torch
    baseline = peak_rss()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C_IN, H, W), dtype=np.float32)
    w = rng.standard_normal((C_OUT, C_IN, K, K), dtype=np.float32) * 0.05
    b = np.zeros(C_OUT, np.float32)
    g = rng.standard_normal((N, C_OUT, H, W), dtype=np.float32)  # output is HxW with padding 1
    inputs = peak_rss()
    if library.startswith("tinygrad_conv"):
        xt, wt, bt = (tc.Tensor(a, requires_grad=True) for a in (x, w, b))
        y = tc.conv2d(xt, wt, bt, padding=PAD)
        after_forward = peak_rss()
        y.backward(g)
    else:
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        y = torch.nn.functional.conv2d(xt, wt, bt, padding=PAD)
        after_forward = peak_rss()
        y.backward(torch.from_numpy(g))
    end = peak_rss()
    return {
        "library": library,
        "baseline": baseline,
        "inputs": inputs - baseline,
        "forward": after_forward - baseline,
        "forward+backward": end - baseline,
    }


def measure(library: str) -> dict | None:
    proc = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", library],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if proc.returncode != 0:
        print(f"{library}: not measured ({proc.stderr.strip().splitlines()[-1:]})")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def report() -> None:
    """Measure each library in a child process and print the table and the ratio."""
    tensor_mib = N * C_IN * H * W * 4 / MIB
    cols_mib = N * C_IN * K * K * H * W * 4 / MIB
    print(
        f"big-conv: x ({N}, {C_IN}, {H}, {W}) float32 = {tensor_mib:.1f} MiB; its im2col columns "
        f"= {cols_mib:.1f} MiB. Peak RSS above the after-import baseline, each library in its "
        "own process (inputs, grad_out and output included):\n"
    )
    libraries = ("tinygrad_conv", "tinygrad_conv:im2col", "torch")
    rows = [r for r in map(measure, libraries) if r is not None]
    headers = [
        "library",
        "baseline after import",
        "inputs made",
        "peak after forward",
        "peak after forward+backward",
    ]
    widths = [20, 22, 12, 19, 28]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        cells = [
            r["library"],
            f"{r['baseline'] / MIB:.0f} MiB",
            f"{r['inputs'] / MIB:.0f} MiB",
            f"{r['forward'] / MIB:.0f} MiB",
            f"{r['forward+backward'] / MIB:.0f} MiB",
        ]
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")
    by_name = {r["library"]: r["forward+backward"] for r in rows}
    if "torch" in by_name:
        for name in libraries[:2]:
            if name in by_name:
                ratio = by_name[name] / max(by_name["torch"], 1)
                print(f"{name} / PyTorch peak (forward+backward): {ratio:.2f}x (goal <= 1.2x)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2])))
    else:
        report()
