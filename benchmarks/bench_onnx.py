"""Inference of the digits CNN (the CLI's SmallCNN, 8x8 images): this engine's forward under
no_grad against onnxruntime running the exported file, batch 1 and 256, on 1 thread and on 2.

Both see the same weights and the same batch (outputs compared first). The engine's thread count is
set with tc.set_num_threads (its kernels; NumPy's BLAS keeps its own), onnxruntime's with
intra_op_num_threads. Prints medians and ratios; never asserts.
Run: python benchmarks/bench_onnx.py [--quick] [--repeats N]"""

from __future__ import annotations

import os
import tempfile

import numpy as np
from harness import median_ms, parse_args, print_table

import tinygrad_conv as tc
import tinygrad_conv.onnx
from tinygrad_conv.training import SmallCNN


def main() -> None:
    args = parse_args(__doc__)
    try:
        import onnxruntime as ort
    except ImportError:
        print('bench_onnx: onnxruntime is not installed (pip install "tinygrad_conv[onnx]")')
        return
    repeats = args.repeats or (5 if args.quick else 50)
    tc.manual_seed(0)
    model = SmallCNN()
    model.eval()
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "digits.onnx")
        tinygrad_conv.onnx.export(model, rng.random((2, 1, 8, 8), dtype=np.float32), path)
        rows = []
        for threads in (1, 2):
            tc.set_num_threads(threads)
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            for batch in (1, 256):
                x = rng.random((batch, 1, 8, 8), dtype=np.float32)

                def ours(x=x):
                    with tc.no_grad():
                        return model(tc.Tensor(x)).data

                def theirs(x=x, session=session):
                    return session.run(None, {"input": x})[0]

                diff = float(np.abs(ours() - theirs()).max())
                ms_ours = median_ms(ours, repeats=repeats)
                ms_ort = median_ms(theirs, repeats=repeats)
                rows.append(
                    [
                        threads,
                        batch,
                        ms_ours,
                        ms_ort,
                        ms_ours / ms_ort,
                        batch / ms_ours * 1e3,
                        batch / ms_ort * 1e3,
                        f"{diff:.1e}",
                    ]
                )
    print(
        f"digits CNN inference, onnxruntime {ort.__version__}, {os.cpu_count()} CPUs, "
        f"{tc.backend()} kernels; medians of up to {repeats} runs"
    )
    print_table(
        [
            "threads",
            "batch",
            "tinygrad_conv ms",
            "onnxruntime ms",
            "ratio",
            "ours img/s",
            "ort img/s",
            "max |diff|",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
