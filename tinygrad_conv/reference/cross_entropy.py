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

The per-row vectors (loss, grad_loss) are float64 even for float32 logits. The caller reduces the
per-row losses (mean, sum or none) and hands back dL/d(loss of each row) as grad_loss. Outputs are
preallocated and written with `out[...] = ...`; the functions return None.
"""

from __future__ import annotations

import numpy as np


def cross_entropy_forward(x: np.ndarray, target: np.ndarray, loss: np.ndarray,
                          softmax: np.ndarray, label_smoothing: float,
                          num_threads: int = 1) -> None:
    """softmax = exp(x - m) / sum_j exp(x_j - m); lse = m + log(sum_j exp(x_j - m));
    loss = (1 - eps) * (lse - x_t) + eps * (lse - mean_j x_j)."""
    eps = label_smoothing
    m = x.max(axis=1, keepdims=True)
    with np.errstate(invalid="ignore"):  # a row with +inf or all -inf gives NaN, as in PyTorch
        e = np.exp(x - m)
        total = e.sum(axis=1, dtype=np.float64)
        lse = m[:, 0] + np.log(total)
    softmax[...] = e / total[:, None]
    nll = lse - x[np.arange(len(x)), target]
    if eps == 0:  # separate, so that a -inf logit cannot make 0 * inf = NaN
        loss[...] = nll
    else:
        loss[...] = (1 - eps) * nll + eps * (lse - x.mean(axis=1, dtype=np.float64))


def cross_entropy_backward(softmax: np.ndarray, target: np.ndarray, grad_loss: np.ndarray,
                           grad_x: np.ndarray, label_smoothing: float,
                           num_threads: int = 1) -> None:
    """grad_x = grad_loss * (softmax - (1 - eps) * onehot(target) - eps / C)."""
    eps = label_smoothing
    c = softmax.shape[1]
    grad = softmax - eps / c
    grad[np.arange(len(softmax)), target] -= 1 - eps
    grad_x[...] = grad * grad_loss[:, None]
