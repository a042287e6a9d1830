"""tinygrad_conv.optim: torch.optim's optimizers and learning-rate schedulers, with PyTorch's
update rules, parameter groups and state dicts (the same start and the same gradients give the
same parameters)."""

from . import lr_scheduler
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "lr_scheduler"]
