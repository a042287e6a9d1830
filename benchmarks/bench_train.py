"""One SGD training step of a small CNN on a batch of 64 28x28 images, tinygrad_conv vs PyTorch CPU.

conv(1->8, 3x3, pad 1) - relu - maxpool 2 - conv(8->16, 3x3, pad 1) - relu - maxpool 2 -
linear(784->10) - cross-entropy, then SGD. Both engines start from the same weights and see the same
batch; PyTorch runs with 2 threads in the same process (the goal: <= 1.0x there), then both again on
1 thread, which shows what thread contention costs on a busy machine. Prints medians and ratios;
never asserts. Run: python benchmarks/bench_train.py [--quick] [--repeats N]"""

from __future__ import annotations

import numpy as np
from harness import median_ms, parse_args, print_table, try_torch

import tinygrad_conv as tc
from tinygrad_conv import nn, optim


def ours_model() -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(16 * 7 * 7, 10),
    )


def ours_step(model, optimizer, loss_fn, x, y):
    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(tc.Tensor(x)), y)
        loss.backward()
        optimizer.step()
        return loss

    return step


def torch_step(torch, state, x, y):
    tnn = torch.nn
    model = tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1),
        tnn.ReLU(),
        tnn.MaxPool2d(2),
        tnn.Flatten(),
        tnn.Linear(16 * 7 * 7, 10),
    )
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = tnn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(xt), yt)
        loss.backward()
        optimizer.step()
        return loss

    return step


def main() -> None:
    args = parse_args(__doc__.splitlines()[0])
    repeats = args.repeats or (10 if args.quick else 50)
    budget = 2.0 if args.quick else 10.0
    rng = np.random.default_rng(0)
    x = rng.random((64, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    nn.init.manual_seed(0)
    model = ours_model()
    state = model.state_dict()
    rows = []
    torch = try_torch(threads=2)
    for threads in (2, 1):  # the goal is at 2 threads; 1 thread shows what contention costs
        tc.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        torch_ms = None
        if torch is not None:
            torch_ms = median_ms(
                torch_step(torch, state, x, y), repeats=repeats, warmup=3, budget_s=budget
            )
        for backend in ("cython", "numpy"):
            try:
                tc.set_backend(backend)
            except ImportError as err:
                print(f"skipping {backend}: {err}")
                continue
            model.load_state_dict(state)
            step = ours_step(
                model, optim.SGD(model.parameters(), lr=0.01), nn.CrossEntropyLoss(), x, y
            )
            ms = median_ms(step, repeats=repeats, warmup=3, budget_s=budget)
            rows.append(
                [
                    f"tinygrad_conv ({backend})",
                    threads,
                    ms,
                    None if torch_ms is None else ms / torch_ms,
                ]
            )
        if torch_ms is not None:
            rows.append(["PyTorch CPU", threads, torch_ms, 1.0])
    print("training step, batch 64 of 28x28, median ms (ratio vs PyTorch; goal <= 1.0x)")
    print_table(["engine", "threads", "ms / step", "x PyTorch"], rows)


if __name__ == "__main__":
    main()
