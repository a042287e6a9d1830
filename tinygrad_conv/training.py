"""The small CNN the command line trains, its optimizers and schedules by name, and a plain training
loop with per-epoch history, per-step health records (learning rate, per-layer gradient norm and
update/weight ratio) and a checkpoint hook after every epoch, so that a run can be resumed."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from . import nn, optim
from .autograd import no_grad
from .data import batches
from .optim import lr_scheduler
from .tensor import Tensor

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULES = (
    "constant",
    "CosineAnnealingLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
)
SCHEDULE_HELP = {
    "constant": "the same rate throughout",
    "CosineAnnealingLR": "half a cosine from lr down to 0 over the epochs",
    "StepLR": "lr x 0.1 every third of the epochs",
    "MultiStepLR": "lr x 0.1 at 1/2 and at 3/4 of the epochs",
    "ExponentialLR": "lr x 0.8 after each epoch",
    "LinearLR": "warm-up from lr/3 to lr over the first 5 epochs",
    "OneCycleLR": "per batch: up to lr over 30% of the steps, then down to lr/25e4",
    "ReduceLROnPlateau": "lr x 0.5 when the test loss has not improved for 2 epochs",
}


class SmallCNN(nn.Module):
    """conv(1->c1, 3x3, pad 1) - relu - maxpool 2 - conv(c1->c2, 3x3, pad 1) - relu - maxpool 2 -
    linear."""

    def __init__(
        self, image_size: int = 8, channels: tuple[int, int] = (16, 32), n_classes: int = 10
    ):
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        side = image_size // 4
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(c2 * side * side, n_classes))

    def forward(self, x: Tensor) -> Tensor:
        return self.classifier(self.features(x))


def make_optimizer(name: str, params: Any, lr: float) -> optim.Optimizer:
    """sgd (momentum 0.9), adam, adamw, rmsprop, adagrad or adadelta, at learning rate lr."""
    makers = {
        "sgd": lambda: optim.SGD(params, lr=lr, momentum=0.9),
        "adam": lambda: optim.Adam(params, lr=lr),
        "adamw": lambda: optim.AdamW(params, lr=lr),
        "rmsprop": lambda: optim.RMSprop(params, lr=lr),
        "adagrad": lambda: optim.Adagrad(params, lr=lr),
        "adadelta": lambda: optim.Adadelta(params, lr=lr),
    }
    if name not in makers:
        raise ValueError(f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}")
    return makers[name]()


def make_scheduler(
    name: str, optimizer: optim.Optimizer, epochs: int, steps_per_epoch: int
) -> lr_scheduler.LRScheduler | None:
    """The schedule `name` (one of SCHEDULES, see SCHEDULE_HELP) for a run of `epochs` epochs."""
    lr = optimizer.param_groups[0]["lr"]
    if name == "constant":
        return None
    if name == "CosineAnnealingLR":
        return lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    if name == "StepLR":
        return lr_scheduler.StepLR(optimizer, step_size=max(1, epochs // 3), gamma=0.1)
    if name == "MultiStepLR":
        return lr_scheduler.MultiStepLR(optimizer, [max(1, epochs // 2), max(1, 3 * epochs // 4)])
    if name == "ExponentialLR":
        return lr_scheduler.ExponentialLR(optimizer, gamma=0.8)
    if name == "LinearLR":
        return lr_scheduler.LinearLR(optimizer, total_iters=min(5, epochs))
    if name == "OneCycleLR":
        return lr_scheduler.OneCycleLR(
            optimizer, max_lr=lr, epochs=epochs, steps_per_epoch=steps_per_epoch
        )
    if name == "ReduceLROnPlateau":
        return lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
    raise ValueError(f"schedule must be one of {', '.join(SCHEDULES)}, got {name!r}")


def evaluate(
    model: nn.Module, x: np.ndarray, y: np.ndarray, batch_size: int = 512
) -> tuple[float, float]:
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


class Health:
    """Per-step records: the step, loss, learning rate and, for each layer's weight, the gradient
    norm and the update/weight ratio |w_after - w_before| / |w_before| (every `every` steps)."""

    def __init__(self, model: nn.Module, every: int = 1, records: dict | None = None):
        self.every = every
        self.tracked = [
            (name.removesuffix(".weight"), p)
            for name, p in model.named_parameters()
            if name.endswith("weight")
        ]
        self.records = (
            records
            if records is not None
            else {
                "step": [],
                "loss": [],
                "lr": [],
                "grad_norm": {name: [] for name, _ in self.tracked},
                "update_ratio": {name: [] for name, _ in self.tracked},
            }
        )
        self._before: list[np.ndarray] | None = None

    def before_step(self, step: int, loss: float, lr: float) -> None:
        if step % self.every:
            self._before = None
            return
        r = self.records
        r["step"].append(step)
        r["loss"].append(loss)
        r["lr"].append(lr)
        for name, p in self.tracked:
            r["grad_norm"][name].append(0.0 if p.grad is None else float(np.linalg.norm(p.grad)))
        self._before = [p.data.copy() for _, p in self.tracked]

    def after_step(self) -> None:
        if self._before is None:
            return
        for (name, p), before in zip(self.tracked, self._before, strict=True):
            scale = float(np.linalg.norm(before))
            change = float(np.linalg.norm(p.data - before))
            self.records["update_ratio"][name].append(change / scale if scale else 0.0)
        self._before = None


def fit(
    model: nn.Module,
    optimizer: optim.Optimizer,
    data: tuple,
    epochs: int,
    batch_size: int,
    seed: int = 0,
    cosine: bool = False,
    wrap: Callable | None = None,
    report: Callable[[dict], None] | None = None,
    scheduler: lr_scheduler.LRScheduler | None = None,
    start_epoch: int = 1,
    history: list[dict] | None = None,
    health: Health | None = None,
    checkpoint: Callable[[int, list[dict]], None] | None = None,
    stop_after: int | None = None,
) -> list[dict]:
    """Train epochs start_epoch..epochs; after each, record train loss/accuracy (running, over the
    epoch's batches) and test loss/accuracy, step the scheduler, then call checkpoint(epoch,
    history). Epoch e shuffles with seed * 1000 + e, so a resumed run sees the same batches.
    cosine=True (without a scheduler) is CosineAnnealingLR over the epochs. OneCycleLR steps per
    batch, ReduceLROnPlateau on the test loss. `wrap(iterable, total, desc)` may add a progress
    bar (one with set_postfix shows the running loss and accuracy). stop_after: end after that
    epoch, as an interruption would."""
    if scheduler is None and cosine:
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    per_batch = isinstance(scheduler, lr_scheduler.OneCycleLR)
    x_train, y_train, x_test, y_test = data
    loss_fn = nn.CrossEntropyLoss()
    history = [] if history is None else history
    n_batches = -(-len(y_train) // batch_size)
    last = epochs if stop_after is None else min(epochs, stop_after)
    for epoch in range(start_epoch, last + 1):
        lr = optimizer.param_groups[0]["lr"]
        start = time.perf_counter()
        seen, loss_sum, correct = 0, 0.0, 0
        steps = batches(x_train, y_train, batch_size, shuffle=True, seed=seed * 1000 + epoch)
        if wrap is not None:
            steps = wrap(steps, n_batches, f"epoch {epoch}/{epochs}")
        for i, (xb, yb) in enumerate(steps):
            optimizer.zero_grad()
            logits = model(Tensor(xb))
            loss = loss_fn(logits, yb)
            loss.backward()
            if health is not None:
                health.before_step(
                    (epoch - 1) * n_batches + i, loss.item(), optimizer.param_groups[0]["lr"]
                )
            optimizer.step()
            if health is not None:
                health.after_step()
            if per_batch:
                scheduler.step()
            seen += len(yb)
            loss_sum += loss.item() * len(yb)
            correct += int((logits.data.argmax(axis=1) == yb).sum())
            if i % 10 == 0 and hasattr(steps, "set_postfix"):
                steps.set_postfix(
                    loss=f"{loss_sum / seen:.4f}", acc=f"{correct / seen:.3f}", refresh=False
                )
        test_loss, test_acc = evaluate(model, x_test, y_test)
        if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau):
            scheduler.step(test_loss)
        elif scheduler is not None and not per_batch:
            scheduler.step()
        record = {
            "epoch": epoch,
            "lr": lr,
            "train_loss": loss_sum / seen,
            "train_acc": correct / seen,
            "test_loss": test_loss,
            "test_acc": test_acc,
            "seconds": time.perf_counter() - start,
        }
        history.append(record)
        if report is not None:
            report(record)
        if checkpoint is not None:
            checkpoint(epoch, history)
    return history


def plot_history(history: list[dict], path: str) -> None:
    """Loss and accuracy per epoch, train and test, as a PNG (matplotlib's Agg backend)."""
    from ._train_plots import plot_history as plot

    plot(history, path)


def plot_health(records: dict, path: str) -> None:
    """Learning rate, per-layer gradient norm and update/weight ratio over the steps, as a PNG."""
    from ._train_plots import plot_health as plot

    plot(records, path)
