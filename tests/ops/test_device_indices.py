"""Indices on a device (the CuPy stand-in of tests/fake_cupy.py as "cuda").

CuPy wraps an out-of-range integer index around where NumPy raises, so retrograd checks user
indices on a device and raises IndexError as on the CPU. As in PyTorch, indices may come from
the host (lists, NumPy arrays, CPU tensors) to index a device tensor.
"""
from __future__ import annotations

import numpy as np
import pytest

import retrograd as rg
from retrograd.nn import functional as F

import fake_cupy


def on_device(array, requires_grad: bool = False) -> rg.Tensor:
    return rg.tensor(np.asarray(array, dtype=np.float32), device="cuda",
                     requires_grad=requires_grad)


X = np.arange(12, dtype=np.float32).reshape(3, 4)


@pytest.mark.parametrize("key", [
    [0, 3], (slice(None), [1, 4]), (np.array([[0], [-4]]),), (1, np.array([-5])),
    (..., rg.tensor([4])), rg.tensor([[0, 1], [2, 3]]),
], ids=["list", "second dim", "negative", "after an int", "after Ellipsis", "CPU tensor"])
def test_getitem_out_of_range_raises(fake_cuda, key):
    with pytest.raises(IndexError, match="out of bounds for dimension"):
        on_device(X)[key]


@pytest.mark.parametrize("key", [
    [2, 0, 2], np.array([-1, 1]), rg.tensor([0, 2]), (rg.tensor([1, 0]), [3, -4]),
    (slice(None), np.array([True, False, True, False])), rg.tensor(X > 4),
    (None, ..., rg.tensor([3, 0])),
], ids=["list", "NumPy array", "CPU tensor", "two arrays", "host mask", "CPU tensor mask",
        "None and Ellipsis"])
def test_host_indices_index_a_device_tensor(fake_cuda, key):
    x = on_device(X, requires_grad=True)
    out = x[key]
    assert out.device.type == "cuda" and isinstance(out.array, fake_cupy.FakeArray)
    np.testing.assert_array_equal(out.detach().cpu().numpy(), rg.tensor(X)[key].numpy())
    out.sum().backward()
    assert x.grad.device.type == "cuda"


def test_device_indices_of_a_cpu_tensor_are_refused(fake_cuda):
    with pytest.raises(RuntimeError, match="indices should be either on cpu or on the same"):
        rg.tensor(X)[rg.tensor([0, 1], device="cuda")]


def test_gather_out_of_range_raises(fake_cuda):
    x = on_device(X)
    with pytest.raises(IndexError, match="index 4 is out of bounds for dimension 1 with size 4"):
        x.gather(1, rg.tensor([[0, 4], [1, 1], [2, 2]], device="cuda"))
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0"):
        x.gather(0, rg.tensor([[-4, 0, 0, 0]]))  # a CPU index, as PyTorch accepts


def test_gather_with_a_cpu_index(fake_cuda):
    x = on_device(X, requires_grad=True)
    out = x.gather(1, rg.tensor([[3, 0], [1, 1], [0, 2]]))
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.detach().cpu().numpy(), [[3, 0], [5, 5], [8, 10]])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.detach().cpu().numpy(),
                                  [[1, 0, 0, 1], [0, 2, 0, 0], [1, 0, 1, 0]])


def test_gather_index_larger_than_input_raises(fake_cuda):
    with pytest.raises(RuntimeError, match="no larger than input"):
        on_device(X).gather(1, rg.tensor([[0]] * 4))


@pytest.mark.parametrize("index", [[0, 4], [-5, 1]])
def test_index_add_out_of_range_raises(fake_cuda, index):
    x, source = on_device(X), on_device(np.ones((3, 2)))
    with pytest.raises(IndexError, match="out of bounds for dimension 1 with size 4"):
        x.index_add(1, rg.tensor(index, device="cuda"), source)
    with pytest.raises(IndexError, match="out of bounds"):
        x.index_add_(1, rg.tensor(index), source)
    np.testing.assert_array_equal(x.detach().cpu().numpy(), X)  # nothing was added


def test_index_add_with_a_cpu_index(fake_cuda):
    out = on_device(X).index_add(0, rg.tensor([2, 2]), on_device(np.ones((2, 4))))
    expected = X.copy()
    expected[2] += 2
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.detach().cpu().numpy(), expected)


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss], ids=["cross_entropy", "nll"])
@pytest.mark.parametrize("target", [[0, 4, 1], [0, -2, 1]], ids=["too large", "negative"])
def test_class_targets_out_of_range_raise(fake_cuda, loss, target):
    with pytest.raises(IndexError, match="is out of bounds: the input has 4 classes"):
        loss(on_device(X), rg.tensor(target, device="cuda"))


@pytest.mark.parametrize("loss", [F.cross_entropy, F.nll_loss], ids=["cross_entropy", "nll"])
def test_ignored_targets_may_be_out_of_range(fake_cuda, loss):
    x, target = on_device(X, requires_grad=True), rg.tensor([0, -100, 3], device="cuda")
    out = loss(x, target)
    out.backward()
    expected = loss(rg.tensor(X), rg.tensor([0, -100, 3]))
    np.testing.assert_allclose(out.item(), expected.item(), rtol=1e-6)
    assert x.grad.device.type == "cuda"


def test_class_targets_on_the_cpu_are_refused_as_in_torch(fake_cuda):
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        F.cross_entropy(on_device(X), rg.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match="same device"):
        F.cross_entropy(on_device(X), rg.tensor([0, 1, 2], device="cuda"), weight=rg.ones(4))


@pytest.mark.parametrize("mode", ["constant", "reflect", "replicate", "circular"])
def test_pad_on_the_device(fake_cuda, mode):
    x = on_device(X.reshape(1, 3, 4), requires_grad=True)
    out = F.pad(x, (2, 1), mode=mode)
    assert out.device.type == "cuda"
    np.testing.assert_array_equal(out.detach().cpu().numpy(),
                                  F.pad(rg.tensor(X.reshape(1, 3, 4)), (2, 1), mode=mode).numpy())
    out.sum().backward()
    assert x.grad.device.type == "cuda"


def test_pooling_indices_on_the_device(fake_cuda):
    images = np.random.default_rng(0).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out, indices = F.max_pool2d(on_device(images), 3, stride=2, padding=1, return_indices=True)
    expected, expected_indices = F.max_pool2d(rg.tensor(images), 3, stride=2, padding=1,
                                              return_indices=True)
    assert indices.device.type == "cuda" and indices.dtype == rg.int64
    np.testing.assert_array_equal(indices.detach().cpu().numpy(), expected_indices.numpy())
    np.testing.assert_array_equal(out.detach().cpu().numpy(), expected.numpy())
    for pool in (lambda x: F.avg_pool2d(x, 3, stride=2, padding=1),
                 lambda x: F.adaptive_avg_pool2d(x, (4, 3))):
        np.testing.assert_allclose(pool(on_device(images)).detach().cpu().numpy(),
                                   pool(rg.tensor(images)).numpy(), rtol=1e-6)


def test_setitem_checks_and_moves_host_indices(fake_cuda):
    x = on_device(X)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[[0, 3]] = 1.0
    x[rg.tensor([0, 2]), [1, -1]] = on_device([-1.0, -2.0])
    expected = X.copy()
    expected[[0, 2], [1, -1]] = [-1.0, -2.0]
    np.testing.assert_array_equal(x.cpu().numpy(), expected)
