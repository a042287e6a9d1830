"""The `tinygrad-conv` command line: train, explain, graph, bench (each with --help)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

# Chosen on the digits: over seeds 0-5 these reached test accuracy 0.978-0.989 in about 3 s of
# training.
DEFAULTS = {"epochs": 15, "batch_size": 32, "lr": 5e-3, "optimizer": "adam", "seed": 0}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-conv",
        description="A small autograd engine with conv2d: train a CNN, explain backprop, draw it.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    train = sub.add_parser(
        "train", help="train a small CNN on the 8x8 digits (or MNIST)",
        description="Train a small CNN; write the loss curve, the graph and the weights to --out.")
    add = train.add_argument
    add("--data", choices=("digits", "mnist"), default="digits",
        help="digits: scikit-learn's 8x8 digits (default); mnist: the IDX files in --path")
    add("--path", help="folder with the four MNIST IDX files (for --data mnist)")
    add("--epochs", type=int, default=DEFAULTS["epochs"], help="passes over the data (%(default)s)")
    add("--batch-size", type=int, default=DEFAULTS["batch_size"], help="%(default)s")
    add("--lr", type=float, default=DEFAULTS["lr"], help="learning rate (%(default)s)")
    add("--optimizer", choices=("sgd", "adam"), default=DEFAULTS["optimizer"],
        help="adam, or sgd with momentum 0.9 (default %(default)s)")
    add("--schedule", choices=("cosine", "constant"), default="cosine",
        help="learning rate over the epochs: cosine decay to 0, or constant (%(default)s)")
    add("--seed", type=int, default=DEFAULTS["seed"], help="initialisation, split and shuffling")
    add("--out", help="output folder (default runs/digits or runs/mnist)")
    add("--backend", choices=("cython", "numpy"), help="kernels (default: cython when built)")
    add("--threads", type=int, help="kernel threads (default: 1 for the digits, whose 8x8 "
        "batches are too small for threads to pay; all cores for mnist)")
    add("--limit", type=int, help="use only the first N training and test images")
    add("--no-progress", action="store_true", help="no progress bar, one line per epoch")

    explain = sub.add_parser(
        "explain", help="the 5x5 image, 3x3 filter example, forward and backward",
        description="Work the seed example through by hand: every number printed and explained, "
                    "the gradients checked by finite differences.")
    explain.add_argument("--out", help="also write the example's graph (DOT, and SVG when it "
                         "renders) to this folder")

    graph = sub.add_parser("graph", help="draw a model's graph to a file",
                           description="Draw the graph (after one forward and backward) to a file.")
    graph.add_argument("--model", choices=("cnn", "seed"), default="cnn",
                       help="cnn: the training model on a batch of 2 images; seed: the explain "
                            "example (default %(default)s)")
    graph.add_argument("--out", default="graph.svg",
                       help="file to write: .svg, .png or .dot (%(default)s)")
    graph.add_argument("--show-data", action="store_true", help="show data summaries in the nodes")

    bench = sub.add_parser("bench", help="run the benchmarks in benchmarks/ (quick by default)",
                           description="Run benchmarks/bench_*.py from a source checkout.")
    bench.add_argument("--full", action="store_true", help="more repeats, for figures to quote")
    bench.add_argument("names", nargs="*", help="which ones, e.g. conv train (default: all)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {"train": cmd_train, "explain": cmd_explain, "graph": cmd_graph, "bench": cmd_bench}
    try:
        return command[args.command](args)
    except BrokenPipeError:  # `tinygrad-conv explain | head`: the reader left, which is fine
        sys.stderr.close()
        return 0


def fail(message: str) -> int:
    print(f"tinygrad-conv: error: {message}", file=sys.stderr)
    return 2


def cmd_train(args: argparse.Namespace) -> int:
    import tinygrad_conv as tc
    from tinygrad_conv import data, nn
    from tinygrad_conv.training import SmallCNN, fit, make_optimizer, plot_history

    for name in ("epochs", "batch_size", "limit", "threads"):
        value = getattr(args, name)
        if value is not None and value < 1:
            return fail(f"--{name.replace('_', '-')} must be >= 1, got {value}")
    if not args.lr > 0:
        return fail(f"--lr must be > 0, got {args.lr}")
    if args.backend:
        tc.set_backend(args.backend)
    if args.threads or args.data == "digits":
        # Measured on a busy 2-core machine: 3.5 s single-threaded vs 29 s with two OpenMP threads.
        tc.set_num_threads(args.threads or 1)
    try:
        if args.data == "mnist":
            if not args.path:
                return fail("--data mnist needs --path DIR, the folder with the four IDX files")
            dataset = data.load_mnist(args.path)
        else:
            dataset = data.load_digits(seed=args.seed)
    except (ImportError, FileNotFoundError, ValueError) as err:
        return fail(str(err))
    if args.limit:
        dataset = tuple(a[: args.limit] for a in dataset)
    out = Path(args.out or os.path.join("runs", args.data))
    out.mkdir(parents=True, exist_ok=True)

    nn.init.manual_seed(args.seed)
    model = SmallCNN(image_size=dataset[0].shape[-1])
    optimizer = make_optimizer(args.optimizer, model.parameters(), args.lr)
    print(f"training {type(model).__name__} on {args.data}: {len(dataset[1])} train / "
          f"{len(dataset[3])} test images, {args.optimizer} lr={args.lr}, batch {args.batch_size}, "
          f"{args.epochs} epochs ({args.schedule} schedule), {tc.backend()} kernels")
    start = time.perf_counter()
    history = fit(model, optimizer, dataset, args.epochs, args.batch_size, seed=args.seed,
                  cosine=args.schedule == "cosine",
                  wrap=None if args.no_progress else progress_bar(), report=print_epoch)
    seconds = time.perf_counter() - start
    final = history[-1]
    print(f"test accuracy {final['test_acc']:.4f} after {args.epochs} epochs ({seconds:.1f} s)")

    model.save(out / "weights.npz")
    summary = {"history": history, "seconds": seconds, "backend": tc.backend(), "args": vars(args)}
    (out / "history.json").write_text(json.dumps(summary, indent=1))
    written = ["weights.npz", "history.json"]
    try:
        plot_history(history, str(out / "curves.png"))
        written.append("curves.png")
    except ImportError:
        print("no curves.png: matplotlib is not installed (pip install matplotlib)")
    written += write_graph(model_graph(model, dataset[0][:2], dataset[1][:2]), out / "graph")
    print(f"wrote {', '.join(written)} to {out}")
    return 0


def print_epoch(r: dict) -> None:
    print(f"epoch {r['epoch']:>3}  train loss {r['train_loss']:.4f}  "
          f"train acc {r['train_acc']:.4f}  test loss {r['test_loss']:.4f}  "
          f"test acc {r['test_acc']:.4f}  ({r['seconds']:.1f} s)",
          flush=True)


def progress_bar():
    """tqdm when installed (a bar per epoch, cleared at its end), else None (plain lines only)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return lambda it, total, desc: tqdm(it, total=total, desc=desc, leave=False, unit="batch",
                                        file=sys.stderr)


def model_graph(model, x: np.ndarray, y: np.ndarray):
    """The model's loss on a small batch, after backward, so the picture shows gradients."""
    from tinygrad_conv import nn
    from tinygrad_conv.tensor import Tensor

    loss = nn.CrossEntropyLoss()(model(Tensor(x, name="images")), y)
    loss.name = "loss"
    loss.backward()
    return loss


def write_graph(tensor, stem: Path, fmt: str = "svg", show_data: bool = False) -> list[str]:
    """stem.dot always; stem.<fmt> when a renderer is there. Returns the names written."""
    try:
        from tinygrad_conv.graph import draw_graph
    except ImportError as err:
        print(f"no graph picture: {err}")
        return []
    picture = draw_graph(tensor, show_data=show_data)
    stem.with_suffix(".dot").write_text(picture.source)
    written = [stem.with_suffix(".dot").name]
    if fmt != "dot":
        try:
            stem.with_suffix("." + fmt).write_bytes(picture.pipe(format=fmt))
            written.append(stem.with_suffix("." + fmt).name)
        except Exception as err:  # rendering is optional: the DOT text is there either way
            print(f"no graph.{fmt}: {err}")
    return written


def cmd_explain(args: argparse.Namespace) -> int:
    from tinygrad_conv.explain import explain

    tensors = explain()
    if args.out:
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        written = write_graph(tensors["loss"], out / "seed_graph", show_data=True)
        print(f"wrote {', '.join(written)} to {out}")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    from tinygrad_conv import nn

    target = Path(args.out)
    fmt = target.suffix.lstrip(".") or "svg"
    if fmt not in ("svg", "png", "dot"):
        return fail(f"--out must end in .svg, .png or .dot, got {args.out!r}")
    if args.model == "seed":
        from tinygrad_conv.explain import seed_example

        loss = seed_example()["loss"]
        loss.backward()
    else:
        from tinygrad_conv.training import SmallCNN

        nn.init.manual_seed(0)
        x = np.random.default_rng(0).random((2, 1, 8, 8), dtype=np.float32)
        loss = model_graph(SmallCNN(), x, np.array([3, 7]))
    target.parent.mkdir(parents=True, exist_ok=True)
    written = write_graph(loss, target.with_suffix(""), fmt, show_data=args.show_data)
    if not written or (fmt != "dot" and len(written) < 2):
        return 1
    print(f"wrote {', '.join(str(target.with_name(w)) for w in written)}")
    return 0


def benchmarks_dir() -> Path | None:
    """benchmarks/ of the source tree this package was imported from, if there is one."""
    folder = Path(__file__).resolve().parent.parent / "benchmarks"
    return folder if (folder / "harness.py").is_file() else None


def cmd_bench(args: argparse.Namespace) -> int:
    folder = benchmarks_dir()
    if folder is None:
        return fail("the benchmarks live in the source repository's benchmarks/ folder, which an "
                    "installed package does not carry; run this from a clone installed with "
                    "`pip install -e .`")
    scripts = sorted(folder.glob("bench_*.py"))
    if args.names:
        wanted = {f"bench_{n.removeprefix('bench_').removesuffix('.py')}.py" for n in args.names}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            return fail(f"no such benchmark {sorted(unknown)}; there are "
                        f"{[s.stem.removeprefix('bench_') for s in scripts]}")
        scripts = [s for s in scripts if s.name in wanted]
    status = 0
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        command = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        status |= subprocess.run(command, cwd=folder).returncode
    return status
