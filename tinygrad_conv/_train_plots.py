"""The pictures `tinygrad-conv train` writes: the loss/accuracy curves per epoch, and the health
figure per step (learning rate; per layer, the gradient norm and the update/weight ratio).
matplotlib (Agg backend, no display) is imported here only, so it stays optional."""

from __future__ import annotations


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_history(history: list[dict], path: str) -> None:
    """Loss and accuracy per epoch, train and test, as a PNG."""
    plt = _pyplot()
    epochs = [r["epoch"] for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    for key in ("train", "test"):
        ax_loss.plot(epochs, [r[f"{key}_loss"] for r in history], marker="o", label=key)
        ax_acc.plot(epochs, [r[f"{key}_acc"] for r in history], marker="o", label=key)
    ax_loss.set(xlabel="epoch", ylabel="cross-entropy", title="loss")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy", ylim=(0, 1.01))
    for ax in (ax_loss, ax_acc):
        ax.grid(alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_health(records: dict, path: str) -> None:
    """Three panels over the steps: the learning rate; each layer's gradient norm; each layer's
    update/weight ratio (about 1e-3 is the usual healthy size, marked)."""
    plt = _pyplot()
    steps = records["step"]
    fig, (ax_lr, ax_grad, ax_ratio) = plt.subplots(1, 3, figsize=(13, 3.6))
    ax_lr.plot(steps, records["lr"], color="tab:purple")
    ax_lr.set(xlabel="step", ylabel="learning rate", title="learning rate")
    for name, values in records["grad_norm"].items():
        ax_grad.plot(steps, values, label=name, linewidth=1)
    for name, values in records["update_ratio"].items():
        ax_ratio.plot(steps, values, label=name, linewidth=1)
    ax_ratio.axhline(1e-3, color="gray", linestyle="--", linewidth=1, label="1e-3")
    ax_grad.set(xlabel="step", ylabel="|grad|", title="gradient norm per layer")
    ax_ratio.set(xlabel="step", ylabel="|update| / |weight|", title="update / weight ratio")
    for ax in (ax_grad, ax_ratio):
        if any(
            v > 0
            for values in records[("grad_norm" if ax is ax_grad else "update_ratio")].values()
            for v in values
        ):
            ax.set_yscale("log")
        ax.legend(fontsize=7)
    for ax in (ax_lr, ax_grad, ax_ratio):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
