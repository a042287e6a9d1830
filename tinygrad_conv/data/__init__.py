"""tinygrad_conv.data: data sets (the 8x8 digits, MNIST IDX files, 5,000 real MNIST digits) and
PyTorch's TensorDataset / DataLoader, plus the older `batches` iterator."""

from .datasets import (
    MNIST_FILES,
    load_digits,
    load_mnist,
    load_mnist_5k,
    mnist_5k_path,
    read_idx,
)
from .loader import DataLoader, TensorDataset, batches, default_collate

__all__ = [
    "load_digits",
    "load_mnist",
    "load_mnist_5k",
    "read_idx",
    "batches",
    "TensorDataset",
    "DataLoader",
    "default_collate",
    "MNIST_FILES",
    "mnist_5k_path",
]
