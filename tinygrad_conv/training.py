"""The small CNN the command line trains, and a plain training loop with per-epoch history."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import nn, optim
from .autograd import no_grad
from .data import batches
from .tensor import Tensor


class SmallCNN(nn.Module):
    """conv(1->c1, 3x3, pad 1) - relu - maxpool 2 - conv(c1->c2, 3x3, pad 1) - relu - maxpool 2 -
    linear."""

    def __init__(self, image_size: int = 8, channels: tuple[int, int] = (16, 32),
                 n_classes: int = 10):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, n_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def make_optimizer(name: str, params: Any, lr: float) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return optim.Adam(params, lr=lr)
    raise ValueError(f"optimizer must be 'sgd' or 'adam', got {name!r}")


def evaluate(model: nn.Module, x: np.ndarray, y: np.ndarray,
             batch_size: int = 512) -> tuple[float, float]:
    """(mean cross-entropy, accuracy) of `model` on (x, y), without building a graph."""
    model.eval()
    total_loss, correct = 0.0, 0
    with no_grad():
        for xb, yb in batches(x, y, batch_size, shuffle=False):
            logits = model(Tensor(xb))
            total_loss += nn.CrossEntropyLoss(reduction="sum")(logits, yb).item()
            correct += int((logits.data.argmax(axis=1) == yb).sum())
    model.train()
    return total_loss / len(y), correct / len(y)


def fit(model: nn.Module, optimizer: optim.Optimizer, data: tuple, epochs: int, batch_size: int,
        seed: int = 0, cosine: bool = False, wrap: Callable | None = None,
        report: Callable[[dict], None] | None = None) -> list[dict]:
    """Train for `epochs`; after each, record train loss/accuracy (running, over the epoch's
    batches) and test loss/accuracy. cosine: epoch e (from 1) uses lr * (1 + cos(pi (e - 1) /
    epochs)) / 2. `wrap(iterable, total, desc)` may add a progress bar."""
    base_lr = optimizer.lr
    x_train, y_train, x_test, y_test = data
    loss_fn = nn.CrossEntropyLoss()
    history = []
    n_batches = -(-len(y_train) // batch_size)
    for epoch in range(1, epochs + 1):
        if cosine:
            optimizer.lr = base_lr * 0.5 * (1 + math.cos(math.pi * (epoch - 1) / epochs))
        start = time.perf_counter()
        seen, loss_sum, correct = 0, 0.0, 0
        steps = batches(x_train, y_train, batch_size, shuffle=True, seed=seed * 1000 + epoch)
        if wrap is not None:
            steps = wrap(steps, n_batches, f"epoch {epoch}/{epochs}")
        for xb, yb in steps:
            optimizer.zero_grad()
            logits = model(Tensor(xb))
            loss = loss_fn(logits, yb)
            loss.backward()
            optimizer.step()
            seen += len(yb)
            loss_sum += loss.item() * len(yb)
            correct += int((logits.data.argmax(axis=1) == yb).sum())
        test_loss, test_acc = evaluate(model, x_test, y_test)
        record = {"epoch": epoch, "lr": optimizer.lr,
                  "train_loss": loss_sum / seen, "train_acc": correct / seen,
                  "test_loss": test_loss, "test_acc": test_acc,
                  "seconds": time.perf_counter() - start}
        history.append(record)
        if report is not None:
            report(record)
    return history


def plot_history(history: list[dict], path: str) -> None:
    """Loss and accuracy per epoch, train and test, as a PNG (matplotlib's Agg backend: no
    display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key, label in (("train", "train"), ("test", "test")):
        ax_loss.plot(epochs, [r[f"{key}_loss"] for r in history], marker="o", label=label)
        ax_acc.plot(epochs, [r[f"{key}_acc"] for r in history], marker="o", label=label)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.01))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
