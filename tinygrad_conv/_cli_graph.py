"""`tinygrad-conv graph`: draw the built-in CNN, the seed example, or a user's own model
(`MODULE:OBJECT`, an nn.Module class, factory or instance) on an input of a given shape; and the
fresh-gradient picture that `train` writes. Every picture starts from fresh gradients."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

import numpy as np

from . import nn
from .tensor import Tensor


def add_graph_parser(sub) -> None:
    graph = sub.add_parser(
        "graph",
        help="draw a model's graph to a file",
        description="Draw a model's graph (after one forward and backward from fresh gradients) "
        "to a file: the built-in CNN, the seed example, or your own model as "
        "MODULE:OBJECT (an nn.Module class or a function returning one), e.g. "
        "`tinygrad-conv graph mymodels:Net --input-shape 1,1,28,28`.",
    )
    add = graph.add_argument
    add(
        "target",
        nargs="?",
        metavar="MODULE:OBJECT",
        help="your model: an importable module (a file in the current folder works) and the "
        "nn.Module class or factory in it",
    )
    add(
        "--model",
        choices=("cnn", "seed"),
        default="cnn",
        help="without MODULE:OBJECT: cnn, the training model on a batch of 2 images; seed, the "
        "explain example (default %(default)s)",
    )
    add(
        "--input-shape",
        help="the input's shape for MODULE:OBJECT, e.g. 2,1,28,28 (required with MODULE:OBJECT)",
    )
    add(
        "--loss",
        choices=("cross_entropy", "sum", "none"),
        help="what backward starts from: cross_entropy against classes 0, 1, ... (default for "
        "an (N, C) output), sum of the output (default otherwise), or none (no gradients)",
    )
    add("--out", default="graph.svg", help="file to write: .svg, .png or .dot (%(default)s)")
    add("--show-data", action="store_true", help="show data summaries in the nodes")
    add("--depth", type=int, help="open module boxes this many levels deep (default: all)")
    add(
        "--collapse-repeats",
        action="store_true",
        help="draw a run of identical blocks once ('Block x 4')",
    )
    add("--max-nodes", type=int, help="draw at most this many nodes, those nearest the output")


def fresh_graph(model, x: np.ndarray, y: np.ndarray | None = None, loss: str | None = None):
    """The model's loss on a small batch after a backward from zeroed gradients, so that the
    picture's gradients are this batch's alone (not summed onto training's last step)."""
    model.zero_grad()
    out = model(Tensor(x, name="images"))
    if loss is None:
        loss = "cross_entropy" if out.ndim == 2 else "sum"
    if loss == "none":
        out.name = "output"
        return out
    if loss == "cross_entropy":
        if out.ndim != 2:
            raise ValueError(
                f"--loss cross_entropy needs an (N, C) output, got shape "
                f"{tuple(out.shape)}; use --loss sum"
            )
        if y is None:
            y = np.arange(out.shape[0]) % out.shape[1]
        result = nn.CrossEntropyLoss()(out, np.asarray(y))
    else:
        result = out.sum()
    result.name = "loss"
    result.backward()
    return result


def load_model(target: str):
    """MODULE:OBJECT -> an nn.Module (a class is called without arguments, a factory too)."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected MODULE:OBJECT (e.g. mymodels:Net), got {target!r}")
    if os.getcwd() not in sys.path and "" not in sys.path:
        sys.path.insert(0, os.getcwd())  # a file in the current folder, as `python -m` finds it
    try:
        module = importlib.import_module(module_name)
    except ImportError as err:
        raise ValueError(f"cannot import {module_name!r}: {err}") from None
    obj = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ValueError(f"{module_name!r} has no {attr!r}")
        obj = getattr(obj, part)
    if isinstance(obj, nn.Module):
        return obj
    if not callable(obj):
        raise ValueError(f"{target} is a {type(obj).__name__}, not an nn.Module class or factory")
    try:
        made = obj()
    except TypeError as err:
        raise ValueError(
            f"{target}() needs arguments ({err}); give a factory function that takes none"
        ) from None
    if not isinstance(made, nn.Module):
        raise ValueError(f"{target}() returned a {type(made).__name__}, not an nn.Module")
    return made


def parse_shape(text: str | None) -> tuple[int, ...]:
    if not text:
        raise ValueError("MODULE:OBJECT needs --input-shape, e.g. --input-shape 2,1,28,28")
    parts = [p.strip() for p in text.replace("x", ",").split(",")]
    shape = tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else ()
    if not shape or any(n < 1 for n in shape):
        raise ValueError(
            f"--input-shape must be positive ints separated by commas, e.g. 2,1,28,28; got {text!r}"
        )
    return shape


def write_picture(tensor, stem: Path, fmt: str = "svg", **options) -> list[str]:
    """stem.dot always; stem.<fmt> when a renderer is there. Returns the names written; a
    failure to render says which file it could not write, and why."""
    from .graph import draw_graph

    picture = draw_graph(tensor, **options)
    stem.with_suffix(".dot").write_text(picture.source)
    written = [stem.with_suffix(".dot").name]
    if fmt != "dot":
        path = stem.with_suffix("." + fmt)
        try:
            path.write_bytes(picture.pipe(format=fmt))
            written.append(path.name)
        except Exception as err:  # rendering is optional: the DOT text is there either way
            print(f"no {path}: {err}")
    return written


def cmd_graph(args: argparse.Namespace, fail) -> int:
    target = Path(args.out)
    fmt = target.suffix.lstrip(".") or "svg"
    if not args.out.strip() or fmt not in ("svg", "png", "dot"):
        return fail(f"--out must end in .svg, .png or .dot, got {args.out!r}")
    if target.is_dir():
        return fail(f"--out {args.out!r} is a folder; expected a file name such as graph.svg")
    for name in ("depth", "max_nodes"):
        value = getattr(args, name)
        if value is not None and value < (0 if name == "depth" else 1):
            return fail(
                f"--{name.replace('_', '-')} must be >= {0 if name == 'depth' else 1}, got {value}"
            )
    try:
        if args.target:
            from ._random import manual_seed

            manual_seed(0)
            model = load_model(args.target)
            x = np.random.default_rng(0).standard_normal(parse_shape(args.input_shape))
            dtype = next((p.dtype for p in model.parameters()), np.dtype(np.float32))
            try:
                loss = fresh_graph(model, x.astype(dtype), loss=args.loss)
            except (TypeError, RuntimeError, ValueError) as err:
                raise ValueError(f"{args.target} on an input of shape {x.shape}: {err}") from None
        elif args.model == "seed":
            from .explain import seed_example

            loss = seed_example()["loss"]
            loss.name = "loss"
            loss.backward()
        else:
            from ._random import manual_seed
            from .training import SmallCNN

            manual_seed(0)
            x = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)
            loss = fresh_graph(SmallCNN(), x, np.array([3, 7]), loss=args.loss)
    except ValueError as err:
        return fail(str(err))
    options = {
        "show_data": args.show_data,
        "depth": args.depth,
        "max_nodes": args.max_nodes,
        "collapse_repeats": args.collapse_repeats,
    }
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        return fail(f"--out {args.out!r}: cannot make its folder: {err.strerror or err}")
    written = write_picture(loss, target.with_suffix(""), fmt, **options)
    if not written or (fmt != "dot" and len(written) < 2):
        return 1
    print(f"wrote {', '.join(str(target.with_name(w)) for w in written)}")
    return 0
