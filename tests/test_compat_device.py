"""PyTorch's device and dtype vocabulary on a CPU-only library: tc.device, tc.cuda, tc.backends,
tc.accelerator, tc.is_tensor, the dtype names (tc.long, tc.float32, ...) wherever a dtype is taken,
and Tensor.to / .cpu / .device / Module.to with a device object; checked against PyTorch."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import tinygrad_conv as tc
from tinygrad_conv import nn

torch = pytest.importorskip("torch")

DTYPE_NAMES = [
    "float32",
    "float64",
    "float",
    "double",
    "int64",
    "long",
    "int32",
    "int",
    "int16",
    "short",
    "int8",
    "uint8",
    "bool",
]


def torch_name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


@pytest.mark.parametrize("spec", [("cpu",), ("cpu:0",), ("cpu", 0), ("cpu", 3)])
def test_device_str_repr_type_index_are_pytorch_s(spec):
    d, dt = tc.device(*spec), torch.device(*spec)
    assert (str(d), repr(d), d.type, d.index) == (str(dt), repr(dt), dt.type, dt.index)


def test_device_equality_hash_copy_and_torch_devices():
    assert tc.device("cpu") == tc.device("cpu") and hash(tc.device("cpu")) == hash(tc.device("cpu"))
    assert tc.device("cpu") != tc.device("cpu:0")  # as torch.device("cpu") != torch.device("cpu:0")
    assert (torch.device("cpu") == torch.device("cpu:0")) is False
    assert tc.device(type="cpu", index=1) == tc.device("cpu:1")
    assert tc.device(tc.device("cpu:2")) == tc.device("cpu:2")
    assert tc.device(torch.device("cpu")) == tc.device("cpu")
    assert pickle.loads(pickle.dumps(tc.device("cpu:1"))) == tc.device("cpu:1")
    assert {tc.device("cpu"): 1}[tc.device("cpu")] == 1


@pytest.mark.parametrize("spec", ["cuda", "cuda:0", "mps", "meta", "xla"])
def test_other_devices_are_a_value_error_saying_only_the_cpu_exists(spec):
    torch.device(spec)  # PyTorch names it; here there is no such device
    with pytest.raises(ValueError, match="only the CPU exists"):
        tc.device(spec)
    with pytest.raises(ValueError, match="only the 'cpu' device"):
        tc.ones(2).to(spec)
    with pytest.raises(ValueError, match="cpu"):
        nn.Linear(2, 2).to(spec)


@pytest.mark.parametrize("spec", ["cpu:x", "cpu:-1", "", "CPU", "cpu:0:1"])
def test_malformed_device_strings(spec):
    with pytest.raises(RuntimeError):
        torch.device(spec)
    with pytest.raises(ValueError):
        tc.device(spec)


@pytest.mark.parametrize("bad", [1, None, 2.5, ["cpu"]])
def test_device_of_a_non_string(bad):
    with pytest.raises(ValueError):
        tc.device(bad)


def test_index_given_twice_or_negative():
    with pytest.raises(ValueError, match="index"):
        tc.device("cpu:0", 1)
    with pytest.raises(ValueError, match="index"):
        tc.device("cpu", -1)
    with pytest.raises(ValueError, match="index"):
        tc.device("cpu", True)


def test_gpu_queries_say_no_gpu():
    assert tc.cuda.is_available() is False and torch.cuda.is_available() is False
    assert tc.cuda.device_count() == torch.cuda.device_count() == 0
    assert tc.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert tc.accelerator.is_available() is torch.accelerator.is_available() is False
    assert tc.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    tc.backends.cudnn.deterministic = True  # what seeded PyTorch scripts set; harmless here
    tc.cuda.manual_seed(0)


def test_mnist_example_device_choice_runs_on_the_cpu():
    """pytorch/examples mnist/main.py's device lines, imports changed."""
    use_cuda = tc.cuda.is_available()
    use_mps = tc.backends.mps.is_available()
    if use_cuda:
        device = tc.device("cuda")
    elif use_mps:
        device = tc.device("mps")
    else:
        device = tc.device("cpu")
    cifar_device = tc.device("cuda:0" if tc.cuda.is_available() else "cpu")
    assert str(device) == str(cifar_device) == "cpu"
    model = nn.Sequential(nn.Flatten(), nn.Linear(4, 3)).to(device)
    data, target = tc.ones(2, 1, 2, 2).to(device), tc.tensor([0, 2]).to(device)
    output = model(data)
    assert output.device == device and output.device.type == "cpu"
    assert target.dtype == tc.long and data.dtype == tc.float32


def test_is_tensor():
    assert tc.is_tensor(tc.ones(1)) and tc.is_tensor(tc.tensor(3))
    for other in (np.ones(1), 1.0, [1.0], torch.ones(1)):
        assert not tc.is_tensor(other)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_are_numpy_dtypes_matching_pytorch(name):
    ours, theirs = getattr(tc, name), getattr(torch, name)
    assert isinstance(ours, np.dtype)
    assert ours.name == torch_name(theirs)
    assert tc.tensor([1, 0], dtype=ours).dtype == ours == getattr(np, ours.name)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_names_work_wherever_a_dtype_is_taken(name):
    dtype = getattr(tc, name)
    x = tc.Tensor([[1.0, 0.0]])
    made = [
        tc.Tensor([1, 0], dtype=dtype),
        tc.tensor([1, 0], dtype=dtype),
        tc.zeros(2, dtype=dtype),
        tc.ones(2, dtype=dtype),
        tc.full((2,), 1, dtype=dtype),
        tc.zeros_like(x, dtype=dtype),
        tc.ones_like(x, dtype=dtype),
        x.to(dtype),
        x.to(dtype=dtype),
        x.to("cpu", dtype),
        x.to(tc.device("cpu"), dtype),
        x.new_zeros(2, dtype=dtype),
        x.new_ones(2, dtype=dtype),
        x.new_full((2,), 1, dtype=dtype),
        x.new_tensor([1, 0], dtype=dtype),
    ]
    if name != "bool":
        made.append(tc.arange(3, dtype=dtype))
    for tensor in made:
        assert tensor.dtype == dtype
        assert torch_name(torch.ones(1, dtype=getattr(torch, name)).dtype) == tensor.dtype.name


@pytest.mark.parametrize("name", ["float32", "float64", "float", "double"])
def test_float_dtype_names_for_random_tensors_and_modules(name):
    dtype = getattr(tc, name)
    assert tc.rand(2, dtype=dtype).dtype == dtype and tc.randn(2, dtype=dtype).dtype == dtype
    model = nn.Linear(2, 2).to(tc.device("cpu"), dtype)
    assert model.weight.dtype == dtype
    assert nn.Linear(2, 2).to(dtype=dtype).bias.dtype == dtype


def test_dtype_comparisons_as_pytorch_code_writes_them():
    x = tc.ones(2)
    assert x.dtype == tc.float32 and x.dtype == tc.float and x.dtype is tc.float32
    assert x.long().dtype == tc.long == tc.int64 and x.int().dtype == tc.int32
    assert (x > 0).dtype == tc.bool and x.double().dtype == tc.double
    assert x.dtype != tc.float64


def test_star_import_leaves_the_builtins_alone():
    namespace: dict = {}
    exec("from tinygrad_conv import *", namespace)
    for builtin in ("bool", "float", "int", "sum", "max", "min", "abs", "pow"):
        assert builtin not in namespace
    for name in ("device", "cuda", "long", "float32", "is_tensor", "double"):
        assert name in namespace


@pytest.mark.parametrize(
    "device", ["cpu", "cpu:0", tc.device("cpu"), tc.device("cpu", 0), torch.device("cpu")]
)
def test_tensor_to_device_returns_the_tensor_as_pytorch(device):
    x = tc.Tensor([1.0, 2.0], requires_grad=True)
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(device) is x and xt.to("cpu") is xt  # (PyTorch copies for "cpu:0"; the same here)
    assert (x.to(device=device) is x) and x.cpu() is x and xt.cpu() is xt
    assert x.to(device, non_blocking=True) is x
    y = x.to(device, tc.float64)
    assert y.dtype == tc.float64 and y.requires_grad and y.op == "to"
    assert x.to(device, copy=True) is not x


def test_to_copy_is_a_copy_in_the_graph():
    x = tc.Tensor([1.0, 2.0], requires_grad=True)
    y = x.to(copy=True)
    (y * tc.Tensor([3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])
    y.data[0] = 9.0
    assert x.data[0] == 1.0


def test_to_another_tensor_takes_its_dtype():
    x = tc.Tensor([1.5, 2.0])
    assert x.to(tc.tensor([1])).dtype == tc.long
    assert x.to(tc.tensor([1.0], dtype=tc.float64)).dtype == tc.float64


def test_device_property_cuda_and_is_cuda():
    x, xt = tc.ones(2), torch.ones(2)
    assert x.device == tc.device("cpu") and str(x.device) == str(xt.device)
    assert x.is_cuda is xt.is_cuda is False
    with pytest.raises(ValueError, match="only the 'cpu' device"):
        x.cuda()


def test_module_to_device_object_and_dtype():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    assert model.to(tc.device("cpu")) is model
    assert model.to(tc.device("cpu"), tc.float64) is model
    assert model[0].weight.dtype == tc.float64 and model[1].running_mean.dtype == tc.float64
    assert model[1].num_batches_tracked.dtype == tc.long
    assert model.to(device=tc.device("cpu:0"), dtype=tc.float32)[0].bias.dtype == tc.float32
    with pytest.raises(ValueError):
        model.to(torch.device("meta"))
