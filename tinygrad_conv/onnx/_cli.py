"""`tinygrad-conv export`: the CLI's trained CNN (weights.npz from `tinygrad-conv train`) as an
ONNX file, checked in onnxruntime against this engine when onnxruntime is installed."""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_WEIGHTS = os.path.join("runs", "digits", "weights.npz")


def add_export_parser(sub: Any) -> None:
    export = sub.add_parser(
        "export",
        help="write the trained CNN as an ONNX file (onnxruntime, Netron, PyTorch)",
        description="Rebuild the CNN that `tinygrad-conv train` saved, load its weights and write "
        'it as ONNX (needs the onnx extra: pip install "tinygrad_conv[onnx]").',
    )
    add = export.add_argument
    add("--weights", default=DEFAULT_WEIGHTS, help="weights.npz written by train (%(default)s)")
    add("--out", help="the .onnx file to write (default: model.onnx beside the weights)")
    add("--opset", type=int, default=17, help="ONNX opset version (%(default)s)")
    add(
        "--static-batch",
        action="store_true",
        help="fix the batch size to --batch instead of a symbolic 'batch' dimension",
    )
    add("--batch", type=int, default=2, help="batch size of the example input (%(default)s)")


def _model_from_weights(path: str):
    """The SmallCNN whose layer sizes match the saved weights (digits 8x8 or MNIST 28x28)."""
    from ..training import SmallCNN

    with np.load(path, allow_pickle=False) as saved:
        shapes = {name: saved[name].shape for name in saved.files}
    try:
        c1, c2 = shapes["features.0.weight"][0], shapes["features.3.weight"][0]
        n_classes, features = shapes["classifier.1.weight"]
    except (KeyError, ValueError):
        raise ValueError(
            f"{path} does not hold the weights of the train command's CNN (keys {sorted(shapes)})"
        ) from None
    side = math.isqrt(features // c2)
    model = SmallCNN(image_size=4 * side, channels=(int(c1), int(c2)), n_classes=int(n_classes))
    model.load(path)
    return model, 4 * side


def cmd_export(args: argparse.Namespace, fail) -> int:
    import tinygrad_conv as tc
    import tinygrad_conv.onnx as tc_onnx

    if args.batch < 1:
        return fail(f"--batch must be >= 1, got {args.batch}")
    weights = args.weights
    if not os.path.isfile(weights):
        return fail(
            f"no weights at {weights!r}: run `tinygrad-conv train` first, or pass --weights PATH"
        )
    out = Path(args.out) if args.out else Path(weights).with_name("model.onnx")
    try:
        model, size = _model_from_weights(weights)
    except (ValueError, OSError) as err:
        return fail(str(err))
    x = np.zeros((args.batch, 1, size, size), dtype=np.float32)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tc_onnx.export(model, x, out, opset_version=args.opset, dynamic_batch=not args.static_batch)
    except ImportError as err:
        return fail(str(err))
    except (ValueError, TypeError, OSError) as err:
        return fail(f"export failed: {err}")
    batch = args.batch if args.static_batch else "batch"
    print(
        f"wrote {out}: input 'input' [{batch}, 1, {size}, {size}] float32 -> output 'output' "
        f"[{batch}, {model.classifier[1].out_features}] logits, opset {args.opset}"
    )
    print(_check_in_onnxruntime(model, out, x.shape, tc))
    print(f"view it in Netron (netron {out}); run it with onnxruntime.InferenceSession")
    return 0


def _check_in_onnxruntime(model, path: Path, shape: tuple, tc) -> str:
    try:
        import onnxruntime as ort
    except ImportError:
        return "onnxruntime is not installed: the file was not run (pip install onnxruntime)"
    x = np.random.default_rng(0).random(shape, dtype=np.float32)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {"input": x})
    model.eval()
    with tc.no_grad():
        want = model(tc.Tensor(x)).data
    return (
        f"onnxruntime {ort.__version__} runs it: largest difference from this engine "
        f"{float(np.abs(got - want).max()):.2e}"
    )
