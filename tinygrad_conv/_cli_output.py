"""What the commands print and write, shared by train, explain and graph: the epoch line, the
progress bar, the graph picture files."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from . import _cli_graph


def print_epoch(r: dict) -> None:
    print(
        f"epoch {r['epoch']:>3}  train loss {r['train_loss']:.4f}  "
        f"train acc {r['train_acc']:.4f}  test loss {r['test_loss']:.4f}  "
        f"test acc {r['test_acc']:.4f}  ({r['seconds']:.1f} s)",
        flush=True,
    )


def progress_bar():
    """tqdm when installed (a bar per epoch, cleared at its end), else None (plain lines only)."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return lambda it, total, desc: tqdm(
        it, total=total, desc=desc, leave=False, unit="batch", file=sys.stderr
    )


def model_graph(model, x: np.ndarray, y: np.ndarray):
    """The model's loss on a small batch, after backward from zeroed grads (the picture's)."""
    return _cli_graph.fresh_graph(model, x, y)


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
