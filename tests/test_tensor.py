"""Tensor: construction and dtypes, conversions, description, casts and repr, against PyTorch."""

import numpy as np
import pytest
import torch
from ops.oracle import assert_like_torch

import retrograd as rg

DATA = [1.5, 2, [1, 2, 3], [1.0, 2.5], [1, 2.5], [[1, 2], [3, 4]], True, [True, False],
        [True, 2], 0, [[0.5], [1.5]], np.array([1, 2], dtype=np.int32), np.array([1.5]),
        np.array([1.5], dtype=np.float32), np.array([True]), np.float64(2.0), np.int64(3)]


@pytest.mark.parametrize("data", DATA, ids=repr)
def test_tensor_infers_dtypes_like_torch(data):
    assert_like_torch(rg.tensor(data), torch.tensor(data))


@pytest.mark.parametrize("name", ["float32", "float64", "int64", "bool"])
def test_tensor_with_a_dtype(name):
    data = [[0.0, 1.5], [-2.7, 3.0]]
    assert_like_torch(rg.tensor(data, dtype=getattr(rg, name)),
                      torch.tensor(data, dtype=getattr(torch, name)))


def test_tensor_copies_its_data():
    array = np.arange(3.0)
    from_array = rg.tensor(array)
    source = rg.tensor([1.0, 2.0], requires_grad=True)
    from_tensor = rg.tensor(source)
    array[0] = 10
    with rg.no_grad():
        source.mul_(3)
    assert from_array.tolist() == [0.0, 1.0, 2.0]
    assert from_tensor.tolist() == [1.0, 2.0]
    assert not from_tensor.requires_grad


def test_tensor_of_unusable_data_says_what_is_expected():
    with pytest.raises(TypeError, match="expected numbers"):
        rg.tensor("abc")
    with pytest.raises(TypeError, match="cannot make a tensor"):
        rg.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="rg.float32"):
        rg.tensor([1.0], dtype="no such dtype")


def test_as_tensor_shares_memory_when_it_can():
    array = np.ones(3)
    shared = rg.as_tensor(array)
    converted = rg.as_tensor(array, dtype=rg.float32)
    array[0] = 7
    assert shared.tolist() == [7.0, 1.0, 1.0] and converted.tolist() == [1.0, 1.0, 1.0]
    tensor = rg.tensor([1.0])
    assert rg.as_tensor(tensor) is tensor
    assert_like_torch(rg.as_tensor([1, 2], dtype=rg.float32),
                      torch.as_tensor([1, 2], dtype=torch.float32))


def test_from_numpy_shares_memory_both_ways():
    array = np.zeros((2, 2), dtype=np.int32)
    tensor = rg.from_numpy(array)
    array[0, 0] = 5
    tensor.numpy()[1, 1] = 9
    assert tensor.dtype == rg.int32
    np.testing.assert_array_equal(tensor.numpy(), [[5, 0], [0, 9]])
    assert array[1, 1] == 9
    with pytest.raises(TypeError, match="NumPy array"):
        rg.from_numpy([1, 2])


def test_numpy_shares_memory_and_refuses_tensors_that_require_grad():
    tensor = rg.tensor([1.0, 2.0])
    tensor.numpy()[0] = 4
    assert tensor.tolist() == [4.0, 2.0]
    x = rg.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.tensor([1.0], requires_grad=True).numpy()
    with pytest.raises(RuntimeError, match=r"detach\(\).numpy\(\)"):
        x.numpy()
    assert x.detach().numpy().tolist() == [1.0]


def test_item_and_tolist():
    for data in ([[1.5, 2.0]], [[1, 2], [3, 4]], 2.5, [True]):
        assert rg.tensor(data).tolist() == torch.tensor(data).tolist()
    assert rg.tensor([2.5]).item() == torch.tensor([2.5]).item() == 2.5
    assert type(rg.tensor(3).item()) is int and type(rg.tensor(True).item()) is bool
    assert rg.tensor(1.5, requires_grad=True).item() == 1.5
    with pytest.raises(RuntimeError, match="one element"):
        rg.tensor([1.0, 2.0]).item()


def test_shape_ndim_size_numel_len_and_transpose():
    data = np.arange(24.0).reshape(2, 3, 4)
    ours, theirs = rg.tensor(data), torch.tensor(data)
    assert ours.shape == tuple(theirs.shape) == ours.size()
    assert ours.ndim == theirs.ndim == ours.dim() == 3
    assert [ours.size(d) for d in (0, 1, -1)] == [theirs.size(d) for d in (0, 1, -1)]
    assert ours.numel() == theirs.numel() and len(ours) == len(theirs)
    assert_like_torch(rg.tensor(data[0]).T, torch.tensor(data[0]).T)
    assert_like_torch(ours.T, theirs.permute(2, 1, 0))
    assert rg.tensor(5.0).shape == () and rg.tensor(5.0).numel() == 1
    for dim in (3, -4):
        with pytest.raises(IndexError):
            theirs.size(dim)
        with pytest.raises(IndexError, match="expected -3 to 2"):
            ours.size(dim)


def test_dtypes_compare_equal_and_print_by_name():
    assert rg.tensor(1.0).dtype == rg.float32 == rg.float
    assert rg.tensor(1).dtype == rg.int64 == rg.long
    assert rg.tensor(True).dtype == rg.bool
    assert rg.tensor(1.0, dtype=rg.float64).dtype == rg.float64 == rg.double
    assert rg.float32 != rg.float64 and rg.int64 != rg.bool
    assert {rg.float32: "a"}[rg.float32] == "a"
    assert repr(rg.float64) == "retrograd.float64"
    assert rg.float32.is_floating_point and not rg.int64.is_floating_point


def test_requires_grad_and_is_leaf():
    x = rg.zeros(2)
    assert not x.requires_grad and x.is_leaf
    assert x.requires_grad_() is x and x.requires_grad and x.is_leaf
    x.requires_grad_(False)
    assert not x.requires_grad
    y = rg.tensor([1.0], requires_grad=True) * 2
    assert not y.is_leaf
    with pytest.raises(RuntimeError, match="detach"):
        y.requires_grad_(False)


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_only_floating_point_tensors_can_require_grad(dtype):
    with pytest.raises(RuntimeError):
        torch.zeros(2, dtype=getattr(torch, dtype)).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        rg.zeros(2, dtype=getattr(rg, dtype)).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        rg.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize("cast", ["float", "double", "long", "to_float64", "to_int64",
                                  "to_bool"])
def test_casts_match_torch(cast):
    data = [[-2.7, -0.5, 0.0], [0.5, 1.5, 3.9]]

    def apply(tensor, lib):
        if cast.startswith("to_"):
            return tensor.to(getattr(lib, cast[3:]))
        return getattr(tensor, cast)()

    assert_like_torch(apply(rg.tensor(data, dtype=rg.float64), rg),
                      apply(torch.tensor(data, dtype=torch.float64), torch))


def test_cast_to_the_same_dtype_returns_the_tensor_itself():
    x = rg.tensor([1.0], requires_grad=True)
    assert x.float() is x and x.to(rg.float32) is x
    assert x.to(dtype=rg.float64).dtype == rg.float64


def test_gradient_flows_through_float_casts_but_not_integer_ones():
    def scenario(lib):
        x = lib.tensor([0.5, -1.25, 2.0], requires_grad=True)
        y = (x.double() ** 2).float().to(lib.float64) * 3
        y.sum().backward()
        return x.grad, x.long().requires_grad, y.requires_grad

    ours, theirs = scenario(rg), scenario(torch)
    assert_like_torch(ours[0], theirs[0])
    assert ours[1:] == theirs[1:]


def _torch_repr_in_our_names(tensor: torch.Tensor) -> str:
    return repr(tensor).replace("torch.", "retrograd.")


REPR_CASES = [
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True) * 2,
    lambda lib: lib.tensor(2.5, requires_grad=True).exp(),
    lambda lib: lib.tensor([[1.5, 2.0], [3.0, 4.0]]),
    lambda lib: lib.tensor([0.1, 1.23456789, -3.0]),
    lambda lib: lib.tensor([1e10, 1.0]),
    lambda lib: lib.tensor([1e-5, 1.0]),
    lambda lib: lib.tensor([float("inf"), 1.5]),
    lambda lib: lib.tensor(3.0),
    lambda lib: lib.tensor([[1, 2], [3, 4]]),
    lambda lib: lib.tensor([True, False]),
    lambda lib: lib.tensor([1.0, 2.0], dtype=lib.float64),
    lambda lib: lib.tensor([1, 2], dtype=lib.int32),
    lambda lib: lib.tensor([]),
    lambda lib: lib.tensor([], dtype=lib.int64),
    lambda lib: lib.zeros(0, 3),
]


@pytest.mark.parametrize("case", range(len(REPR_CASES)))
def test_repr_reads_like_torch(case):
    make = REPR_CASES[case]
    assert repr(make(rg)) == _torch_repr_in_our_names(make(torch))
