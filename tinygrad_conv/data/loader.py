"""TensorDataset and DataLoader as PyTorch's for a map-style dataset (the batches come out as
Tensors; class labels as int64 Tensors), and the older `batches` iterator over NumPy arrays."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from .. import _random
from .._checks import as_bool, as_int
from ..autograd import is_tensor, make_tensor


def _as_array(owner: str, name: str, value: Any) -> np.ndarray:
    """A Tensor's array, or an array-like as an array: floats keep float32/float64 (other floats
    become float32), ints become int64, bools stay bools."""
    array = value.data if is_tensor(value) else np.asarray(value)
    if array.dtype.kind == "f":
        return array if array.dtype in (np.float32, np.float64) else array.astype(np.float32)
    if array.dtype.kind in "iu":
        return array.astype(np.int64, copy=False)
    if array.dtype.kind == "b":
        return array
    raise TypeError(
        f"{owner}: {name} must be numeric (a Tensor or an array), got dtype {array.dtype}"
    )


class TensorDataset:
    """Rows of several tensors of the same length: dataset[i] is (t[i] for each tensor)."""

    def __init__(self, *tensors: Any):
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        arrays = [_as_array("TensorDataset", f"tensors[{i}]", t) for i, t in enumerate(tensors)]
        for i, array in enumerate(arrays):
            if array.ndim == 0:
                raise ValueError(
                    f"TensorDataset: tensors[{i}] is 0-d; each tensor needs a first "
                    f"dimension to index"
                )
            if len(array) != len(arrays[0]):
                raise ValueError(
                    f"TensorDataset: size mismatch between tensors: tensors[0] has "
                    f"{len(arrays[0])} rows, tensors[{i}] has {len(array)}"
                )
        self.tensors = tuple(
            t if is_tensor(t) else make_tensor(a) for t, a in zip(tensors, arrays, strict=True)
        )
        self._arrays = arrays

    def __len__(self) -> int:
        return len(self._arrays[0])

    def __getitem__(self, index: Any) -> tuple:
        return tuple(make_tensor(np.array(a[index])) for a in self._arrays)

    def _rows(self, index: np.ndarray) -> list:
        return [make_tensor(a[index]) for a in self._arrays]


def default_collate(samples: list) -> Any:
    """Stack a list of samples as PyTorch's default_collate does: Tensors and arrays stack into a
    Tensor, ints into an int64 Tensor, floats into a float64 one; tuples, lists and dicts field by
    field (a tuple becomes a list, as in PyTorch); strings stay a list."""
    first = samples[0]
    if is_tensor(first) or isinstance(first, (np.ndarray, np.generic)):
        return make_tensor(np.stack([_as_array("DataLoader", "sample", s) for s in samples]))
    if isinstance(first, (bool, np.bool_)):
        return make_tensor(np.array(samples, dtype=bool))
    if isinstance(first, numbers.Integral):
        return make_tensor(np.array(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return make_tensor(np.array(samples, dtype=np.float64))
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, Sequence):
        if any(len(s) != len(first) for s in samples):
            raise RuntimeError(
                "DataLoader: each sample in a batch must have the same number of fields"
            )
        return [default_collate(list(field)) for field in zip(*samples, strict=True)]
    raise TypeError(
        f"DataLoader: default_collate can't batch samples of type "
        f"{type(first).__name__}; pass collate_fn"
    )


_WORKER_KEYWORDS = (
    "num_workers",
    "pin_memory",
    "timeout",
    "worker_init_fn",
    "multiprocessing_context",
    "prefetch_factor",
    "persistent_workers",
    "pin_memory_device",
    "in_order",
)


class DataLoader:
    """Batches of a map-style dataset (len() and [i]), as torch.utils.data.DataLoader: shuffle draws
    a new order at each iteration from the library's generator (tc.manual_seed), or from
    `generator` (a NumPy Generator) when given. Worker keywords are accepted and ignored: the
    batches are made in this process."""

    def __init__(
        self,
        dataset: Any,
        batch_size: int | None = 1,
        shuffle: bool | None = False,
        sampler: Any = None,
        batch_sampler: Any = None,
        collate_fn: Callable | None = None,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        **worker_options: Any,
    ):
        unknown = set(worker_options) - set(_WORKER_KEYWORDS)
        if unknown:
            raise TypeError(f"DataLoader: unexpected keyword argument(s) {sorted(unknown)}")
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must have __len__ and __getitem__ (a map-style "
                f"dataset such as TensorDataset), got {type(dataset).__name__}"
            )
        if sampler is not None or batch_sampler is not None:
            raise NotImplementedError(
                "DataLoader: sampler and batch_sampler are not supported; "
                "use shuffle=True or order the dataset yourself"
            )
        if batch_size is not None:
            batch_size = as_int("DataLoader", "batch_size", batch_size, minimum=1)
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if flag is not None:  # PyTorch's None means False
                as_bool("DataLoader", name, flag)
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"DataLoader: collate_fn must be callable, got {collate_fn!r}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"DataLoader: generator must be a numpy.random.Generator, got "
                f"{type(generator).__name__}"
            )
        self.dataset, self.batch_size = dataset, batch_size
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.collate_fn, self.generator = collate_fn, generator
        self.num_workers = worker_options.get("num_workers", 0)

    def __len__(self) -> int:
        n = len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __iter__(self) -> Iterator[Any]:
        n = len(self.dataset)
        rng = self.generator if self.generator is not None else _random.generator()
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        if self.batch_size is None:
            for i in order:
                yield self.dataset[int(i)]
            return
        stop = n - n % self.batch_size if self.drop_last else n
        fast = isinstance(self.dataset, TensorDataset) and self.collate_fn is None
        for start in range(0, stop, self.batch_size):
            index = order[start : start + self.batch_size]
            if fast:
                yield self.dataset._rows(index)
            else:
                samples = [self.dataset[int(i)] for i in index]
                yield (self.collate_fn or default_collate)(samples)


def batches(
    x: Any, y: Any, batch_size: int, shuffle: bool = True, seed: int | None = None
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(x, y) pairs of NumPy arrays, up to batch_size rows; the last batch may be smaller. shuffle
    draws a new order each time the iterator is made (from `seed` when given, else from the
    library's generator)."""
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"batches: x and y must have the same length, got {len(x)} and {len(y)}")
    batch_size = as_int("batches", "batch_size", batch_size, minimum=1)
    shuffle = as_bool("batches", "shuffle", shuffle)
    rng = _random.generator() if seed is None else np.random.default_rng(seed)
    order = rng.permutation(len(x)) if shuffle else np.arange(len(x))
    return _iterate(x, y, order, batch_size)  # a plain function, so bad arguments raise at the call


def _iterate(
    x: np.ndarray, y: np.ndarray, order: np.ndarray, batch_size: int
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    for start in range(0, len(order), batch_size):
        index = order[start : start + batch_size]
        yield x[index], y[index]
