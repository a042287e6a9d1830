"""A VGG-style CNN (3x3 convolutions, BatchNorm, ReLU, max pooling, Dropout) on scikit-learn's
8x8 digits, written as the PyTorch tutorials write it; compared with the plain CNN of
`tinygrad-conv train`.

Run: python examples/vgg_digits.py [--epochs 15] [--smoke]      (needs scikit-learn)
"""

from __future__ import annotations

import argparse
import time
from collections import OrderedDict

import numpy as np

import tinygrad_conv as tc
import tinygrad_conv.nn.functional as F
from tinygrad_conv import data, nn, optim


def vgg_block(nn, c_in: int, c_out: int):
    """conv-bn-relu twice, then a 2x2 max pool: the unit VGG repeats."""
    return nn.Sequential(
        OrderedDict(
            [
                ("conv1", nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)),
                ("bn1", nn.BatchNorm2d(c_out)),
                ("relu1", nn.ReLU()),
                ("conv2", nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)),
                ("bn2", nn.BatchNorm2d(c_out)),
                ("relu2", nn.ReLU()),
                ("pool", nn.MaxPool2d(2)),
            ]
        )
    )


def build(nn, channels: tuple[int, int] = (16, 32), n_classes: int = 10, p: float = 0.3):
    """The network, from either library's nn (tinygrad_conv.nn or torch.nn): same names, same
    state-dict keys."""
    c1, c2 = channels
    return nn.Sequential(
        OrderedDict(
            [
                (
                    "features",
                    nn.Sequential(vgg_block(nn, 1, c1), vgg_block(nn, c1, c2)),
                ),  # 8 -> 4 -> 2
                ("avgpool", nn.AdaptiveAvgPool2d((2, 2))),
                (
                    "classifier",
                    nn.Sequential(
                        nn.Flatten(),
                        nn.Dropout(p),
                        nn.Linear(c2 * 4, 64),
                        nn.BatchNorm1d(64),
                        nn.ReLU(),
                        nn.Dropout(p),
                        nn.Linear(64, n_classes),
                    ),
                ),
            ]
        )
    )


def accuracy(model, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with tc.no_grad():
        predicted = model(tc.Tensor(x)).data.argmax(axis=1)
    model.train()
    return float(np.mean(predicted == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--smoke", action="store_true", help="a few hundred images, one epoch")
    parser.add_argument("--out", default="vgg_digits.npz", help="where to save the weights")
    args = parser.parse_args()

    x_train, y_train, x_test, y_test = data.load_digits(test_fraction=0.2, seed=0)
    if args.smoke:
        x_train, y_train, args.epochs = x_train[:256], y_train[:256], 1

    tc.manual_seed(args.seed)
    model = build(nn)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        model.train()
        for xb, yb in data.batches(x_train, y_train, batch_size=32, seed=args.seed + epoch):
            optimizer.zero_grad()
            loss = F.cross_entropy(model(tc.Tensor(xb)), yb)
            loss.backward()
            optimizer.step()
        scheduler.step()
        print(
            f"epoch {epoch}: last batch loss {loss.item():.4f}, "
            f"test accuracy {accuracy(model, x_test, y_test):.4f}"
        )
    print(
        f"final test accuracy {accuracy(model, x_test, y_test):.4f} "
        f"({time.perf_counter() - start:.1f} s, {len(x_train)} training images)"
    )
    model.save(args.out)
    print(f"weights saved to {args.out}")


if __name__ == "__main__":
    main()
