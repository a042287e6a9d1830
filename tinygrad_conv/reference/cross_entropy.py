"""Cross-entropy from logits, the readable twin of kernels/cross_entropy.pyx.

For one row of logits x (C classes) and its class index t:
    log_softmax(x)_j = x_j - lse,    lse = log(sum_j exp(x_j))
    loss = -log_softmax(x)_t = lse - x_t                (the negative log-likelihood)
With label smoothing eps (PyTorch's definition) the target mixes the one-hot and the uniform vector:
    loss = (1 - eps) * (lse - x_t) + eps * mean_j (lse - x_j)
         = (1 - eps) * (lse - x_t) + eps * (lse - mean_j x_j)

Stability: exp(1000) overflows, so lse is computed as m + log(sum_j exp(x_j - m)), m = max_j x_j.
Every exponent is then <= 0 and the largest term is exactly 1: the sum lies in [1, C] whatever
the logits' size.

Gradient: d lse / d x_j = exp(x_j - lse) = softmax(x)_j, hence
    dloss/dx_j = softmax(x)_j - (1 - eps) * [j == t] - eps / C
Forward computes softmax = exp(x - m) / sum_j exp(x_j - m) anyway, and saves it for backward, which
then needs no exp at all.

Class weights w (PyTorch's weight=, one per class) scale each row by its target's weight, and the
smoothing term by each class's weight:
    loss = (1 - eps) * w_t * (lse - x_t) + eps / C * sum_j w_j * (lse - x_j)
    dloss/dx_j = ((1 - eps) * w_t + eps / C * sum_k w_k) * softmax_j - (1 - eps) * w_t * [j == t]
                 - eps / C * w_j
(w = 1 gives the lines above.) A row whose target equals ignore_index has loss 0 and gradient 0;
PyTorch's weighted mean then divides the sum of the losses by sum w_t over the rows not ignored.

The per-row vectors (loss, grad_loss, weight) are float64 even for float32 logits. The caller
reduces the per-row losses (mean, sum or none) and hands back dL/d(loss of each row) as
grad_loss. Outputs are preallocated and written with `out[...] = ...`; the functions return None.
"""

from __future__ import annotations

import numpy as np


def cross_entropy_forward(
    x: np.ndarray,
    target: np.ndarray,
    loss: np.ndarray,
    softmax: np.ndarray,
    label_smoothing: float,
    num_threads: int = 1,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
) -> None:
    """softmax = exp(x - m) / sum_j exp(x_j - m); lse = m + log(sum_j exp(x_j - m));
    loss = (1 - eps) * w_t * (lse - x_t) + eps / C * sum_j w_j * (lse - x_j), 0 if ignored."""
    eps = label_smoothing
    m = x.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):  # a row with +inf or all -inf gives NaN, as in PyTorch
        e = np.exp(x - m)
        total = e.sum(axis=1, dtype=np.float64)
        lse = m[:, 0] + np.log(total)
    softmax[...] = e / total[:, None]
    kept = target != ignore_index
    t = np.where(kept, target, 0)  # any class index: the ignored rows are zeroed below
    w_t = 1.0 if weight is None else weight[t]
    nll = w_t * (lse - x[np.arange(len(x)), t])
    if eps == 0:  # separate, so that a -inf logit cannot make 0 * inf = NaN
        row = nll
    elif weight is None:
        row = (1 - eps) * nll + eps * (lse - x.mean(axis=1, dtype=np.float64))
    else:
        smooth = ((lse[:, None] - x) * weight).sum(axis=1)
        row = (1 - eps) * nll + eps / x.shape[1] * smooth
    loss[...] = np.where(kept, row, 0.0)


def cross_entropy_backward(
    softmax: np.ndarray,
    target: np.ndarray,
    grad_loss: np.ndarray,
    grad_x: np.ndarray,
    label_smoothing: float,
    num_threads: int = 1,
    weight: np.ndarray | None = None,
    ignore_index: int = -100,
) -> None:
    """grad_x = grad_loss * (((1 - eps) * w_t + eps / C * sum_j w_j) * softmax
    - (1 - eps) * w_t * onehot(t) - eps / C * w), 0 if ignored."""
    eps = label_smoothing
    n, c = softmax.shape
    kept = target != ignore_index
    t = np.where(kept, target, 0)
    w = np.ones(c) if weight is None else weight
    w_t = w[t]
    grad = ((1 - eps) * w_t + eps / c * w.sum())[:, None] * softmax - eps / c * w
    grad[np.arange(n), t] -= (1 - eps) * w_t
    grad_x[...] = np.where(kept[:, None], grad * grad_loss[:, None], 0)
