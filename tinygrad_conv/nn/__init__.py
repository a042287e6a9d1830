"""Layers and models with PyTorch's names: Module, Parameter, Conv2d, Linear, ReLU, pools, Flatten,
Sequential, CrossEntropyLoss. Weights go to and from .npz files with Module.save(path) /
Module.load(path)."""

from . import init
from .layers import (
    AvgPool2d,
    Conv2d,
    CrossEntropyLoss,
    Flatten,
    Linear,
    MaxPool2d,
    ReLU,
    Sequential,
)
from .module import Module, Parameter

__all__ = [
    "Module", "Parameter", "Conv2d", "Linear", "ReLU", "MaxPool2d", "AvgPool2d", "Flatten",
    "Sequential", "CrossEntropyLoss", "init",
]
