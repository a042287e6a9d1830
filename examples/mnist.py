"""Train the command line's small CNN on MNIST (or Fashion-MNIST) from the four IDX files in a
folder.

Get the files (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
t10k-labels-idx1-ubyte.gz) from the dataset's home page into DIR, then
Run: python examples/mnist.py --path DIR [--epochs 2] [--smoke]
"""

import argparse

import tinygrad_conv as tc
from tinygrad_conv import data, nn, optim
from tinygrad_conv.training import SmallCNN, fit

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--path", required=True, help="folder with the four IDX files (gzipped or not)")
parser.add_argument("--epochs", type=int, default=2)
parser.add_argument("--batch-size", type=int, default=64)
parser.add_argument("--smoke", action="store_true", help="the first 256 images, one epoch")
args = parser.parse_args()

x_train, y_train, x_test, y_test = data.load_mnist(args.path)
if args.smoke:
    x_train, y_train, x_test, y_test = x_train[:256], y_train[:256], x_test[:256], y_test[:256]
    args.epochs = 1
print(
    f"{len(y_train)} training and {len(y_test)} test images of {x_train.shape[2:]} pixels, "
    f"{tc.backend()} kernels"
)

nn.init.manual_seed(0)
model = SmallCNN(image_size=x_train.shape[-1])  # 28x28 -> 14x14 -> 7x7 -> linear(32*7*7 -> 10)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
history = fit(
    model,
    optimizer,
    (x_train, y_train, x_test, y_test),
    args.epochs,
    args.batch_size,
    report=lambda r: print(
        f"epoch {r['epoch']}: train loss {r['train_loss']:.4f}, "
        f"test accuracy {r['test_acc']:.4f} ({r['seconds']:.1f} s)"
    ),
)
print(f"final test accuracy {history[-1]['test_acc']:.4f}")
