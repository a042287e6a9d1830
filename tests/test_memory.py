"""Long training does not grow memory, and a step's graph is freed as soon as its loss goes.

1,000 steps of a small digits CNN: after a warm-up, traced Python/NumPy memory (tracemalloc) and the
process's resident set (/proc/self/statm) stay within a small bound. The graph of a step holds
no reference cycles, so it dies by reference counting alone (the garbage collector is off then).
"""

from __future__ import annotations

import gc
import os
import time
import tracemalloc
import weakref

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn, optim
from tinygrad_conv.data import batches

STEPS, WARMUP, BATCH = 1000, 200, 32
TRACED_BOUND = 1 << 20  # bytes of traced growth allowed from step WARMUP to step STEPS
RSS_BOUND = 16 << 20  # bytes of resident growth allowed (malloc arenas, BLAS buffers settle late)


def digits_or_synthetic():
    """scikit-learn's digits, or a synthetic 8x8 set of the same form without scikit-learn."""
    try:
        from tinygrad_conv.data import load_digits

        x, y, _, _ = load_digits()
        return x, y, "digits"
    except ImportError:
        rng = np.random.default_rng(0)
        y = rng.integers(0, 10, 512).astype(np.int64)
        x = rng.uniform(0, 1, (512, 1, 8, 8)).astype(np.float32)
        x[np.arange(512), 0, y % 8, y // 2] += 2.0  # something to learn
        return x, y, "synthetic"


def digits_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 2 * 2, 10),
    )


def rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, AttributeError):
        return None


def test_graph_of_a_step_is_freed_without_the_garbage_collector():
    x, y, _ = digits_or_synthetic()
    model = digits_cnn()
    loss_fn = nn.CrossEntropyLoss()
    gc.collect()
    gc.disable()
    try:
        logits = model(tc.Tensor(x[:BATCH]))
        hidden = logits.parents[0]  # an intermediate tensor of the graph
        loss = loss_fn(logits, y[:BATCH])
        loss.backward()
        assert hidden.grad is not None  # the step really ran through it
        refs = [weakref.ref(t) for t in (loss, logits, hidden)]
        del loss, logits, hidden
        assert [r() for r in refs] == [None, None, None], "a tensor of the step outlived its loss"
    finally:
        gc.enable()
    # Nothing the step made is left for the collector either: no reference cycles.
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        gc.collect()
        kinds = (tc.Tensor, tc.autograd.Context)
        leftovers = [o for o in gc.garbage if isinstance(o, kinds)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert leftovers == []
    assert all(p.grad is not None for p in model.parameters())


def test_a_thousand_training_steps_keep_memory_flat():
    x, y, source = digits_or_synthetic()
    model = digits_cnn()
    loss_fn = nn.CrossEntropyLoss()
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    # As a real loop runs: shuffled epochs whose last batch is smaller, and every 100 steps an
    # evaluation without a graph on batches of another size.
    x_eval, y_eval = x[:300], y[:300]

    def stream():
        epoch = 0
        while True:
            yield from batches(x, y, BATCH, shuffle=True, seed=epoch)
            epoch += 1

    feed = stream()

    def step(i):
        xb, yb = next(feed)
        opt.zero_grad()
        loss = loss_fn(model(tc.Tensor(xb)), yb)
        loss.backward()
        opt.step()
        if i % 100 == 99:
            with tc.no_grad():
                for xe, ye in batches(x_eval, y_eval, 128, shuffle=False):
                    loss_fn(model(tc.Tensor(xe)), ye)
        return loss.item()

    began = time.perf_counter()
    tracemalloc.start()
    try:
        losses = [step(i) for i in range(WARMUP)]
        gc.collect()
        traced_warm, rss_warm = tracemalloc.get_traced_memory()[0], rss_bytes()
        checkpoints = []
        for i in range(WARMUP, STEPS):
            losses.append(step(i))
            if (i + 1) % 200 == 0:
                checkpoints.append((i + 1, tracemalloc.get_traced_memory()[0], rss_bytes()))
        gc.collect()
        traced_end, rss_end = tracemalloc.get_traced_memory()[0], rss_bytes()
    finally:
        tracemalloc.stop()
    seconds = time.perf_counter() - began
    mib = 1 / (1 << 20)
    print(
        f"\n{source}, {STEPS} steps in {seconds:.1f} s ({tc.backend()} kernels); after step "
        f"{WARMUP}: traced {traced_warm * mib:.2f} MiB, RSS "
        f"{(rss_warm or 0) * mib:.1f} MiB; after step {STEPS}: traced "
        f"{traced_end * mib:.2f} MiB, "
        f"RSS {(rss_end or 0) * mib:.1f} MiB"
    )
    for i, traced, rss in checkpoints:
        print(f"  step {i}: traced {traced * mib:.2f} MiB, RSS {(rss or 0) * mib:.1f} MiB")
    assert np.mean(losses[-100:]) < np.mean(losses[:100]), "the model did not train"
    assert traced_end - traced_warm < TRACED_BOUND, (traced_warm, traced_end)
    if rss_warm is None:
        pytest.skip("no /proc/self/statm here: the RSS half of the check needs Linux")
    assert rss_end - rss_warm < RSS_BOUND, (rss_warm, rss_end)
