"""Train a small CNN on scikit-learn's 8x8 digits: the whole loop in thirty lines.

Run: python examples/train_digits.py [--epochs 10] [--smoke]      (needs scikit-learn)
"""

import argparse

import numpy as np

import tinygrad_conv as tc
from tinygrad_conv import data, nn, optim

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--epochs", type=int, default=10)
parser.add_argument("--smoke", action="store_true", help="a few hundred images, one epoch")
parser.add_argument("--out", default="digits_cnn.npz", help="where to save the weights")
args = parser.parse_args()

x_train, y_train, x_test, y_test = data.load_digits(test_fraction=0.2, seed=0)
if args.smoke:
    x_train, y_train, args.epochs = x_train[:256], y_train[:256], 1

nn.init.manual_seed(0)
model = nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),  # 16 x 4 x 4
    nn.Conv2d(16, 32, 3, padding=1),
    nn.ReLU(),
    nn.MaxPool2d(2),  # 32 x 2 x 2
    nn.Flatten(),
    nn.Linear(32 * 2 * 2, 10),
)
optimizer = optim.Adam(model.parameters(), lr=3e-3)
loss_fn = nn.CrossEntropyLoss()

for epoch in range(1, args.epochs + 1):
    for xb, yb in data.batches(x_train, y_train, batch_size=32, seed=epoch):
        optimizer.zero_grad()
        loss = loss_fn(model(tc.Tensor(xb)), yb)
        loss.backward()
        optimizer.step()
    with tc.no_grad():
        predicted = model(tc.Tensor(x_test)).data.argmax(axis=1)
    print(
        f"epoch {epoch}: last batch loss {loss.item():.4f}, "
        f"test accuracy {np.mean(predicted == y_test):.4f}"
    )

model.save(args.out)
print(f"weights saved to {args.out}")
