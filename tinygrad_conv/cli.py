"""The `tinygrad-conv` command line: train, explain, graph, bench (each with --help)."""

from __future__ import annotations

import argparse
import subprocess
import sys
import zipfile
from pathlib import Path

from . import _cli_graph, _cli_train
from ._cli_output import write_graph
from .onnx import _cli as _cli_onnx


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-conv",
        description="A small autograd engine with conv2d: train a CNN, explain backprop, draw it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _cli_train.add_train_parser(sub)

    explain = sub.add_parser(
        "explain",
        help="the 5x5 image, 3x3 filter example, forward and backward",
        description="Work the seed example through by hand: every number printed and explained, "
        "the gradients checked by finite differences.",
    )
    explain.add_argument(
        "--out", help="also write the example's graph (DOT, and SVG when it renders) to this folder"
    )

    _cli_graph.add_graph_parser(sub)
    _cli_onnx.add_export_parser(sub)

    bench = sub.add_parser(
        "bench",
        help="run the benchmarks in benchmarks/ (quick by default)",
        description="Run benchmarks/bench_*.py from a source checkout.",
    )
    bench.add_argument("--full", action="store_true", help="more repeats, for figures to quote")
    bench.add_argument("names", nargs="*", help="which ones, e.g. conv train (default: all)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = {
        "train": cmd_train,
        "explain": cmd_explain,
        "graph": cmd_graph,
        "bench": cmd_bench,
        "export": lambda a: _cli_onnx.cmd_export(a, fail),
    }
    try:
        return command[args.command](args)
    except BrokenPipeError:  # `tinygrad-conv explain | head`: the reader left, which is fine
        sys.stderr.close()
        return 0
    except (OSError, ValueError, TypeError, EOFError, ImportError, zipfile.BadZipFile) as err:
        # a path, file or argument the checks above did not foresee: still no traceback
        return fail(f"{args.command}: {err}")


def fail(message: str) -> int:
    print(f"tinygrad-conv: error: {message}", file=sys.stderr)
    return 2


def cmd_train(args: argparse.Namespace) -> int:
    return _cli_train.cmd_train(args, fail)


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
    return _cli_graph.cmd_graph(args, fail)


def benchmarks_dir() -> Path | None:
    """benchmarks/ of the source tree this package was imported from, if there is one."""
    folder = Path(__file__).resolve().parent.parent / "benchmarks"
    return folder if (folder / "harness.py").is_file() else None


def cmd_bench(args: argparse.Namespace) -> int:
    folder = benchmarks_dir()
    if folder is None:
        return fail(
            "the benchmarks live in the source repository's benchmarks/ folder, which an "
            "installed package does not carry; run this from a clone installed with "
            "`pip install -e .`"
        )
    scripts = sorted(folder.glob("bench_*.py"))
    if args.names:
        wanted = {f"bench_{n.removeprefix('bench_').removesuffix('.py')}.py" for n in args.names}
        unknown = wanted - {s.name for s in scripts}
        if unknown:
            return fail(
                f"no such benchmark {sorted(unknown)}; there are "
                f"{[s.stem.removeprefix('bench_') for s in scripts]}"
            )
        scripts = [s for s in scripts if s.name in wanted]
    status = 0
    for script in scripts:
        print(f"== {script.name} ==", flush=True)
        command = [sys.executable, str(script)] + ([] if args.full else ["--quick"])
        status |= subprocess.run(command, cwd=folder).returncode
    return status
