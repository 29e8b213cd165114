"""Small parts of torch's namespace that scripts use: the default dtype, finfo and iinfo, math
constants, Tensor.new_*, element sizes, numpy(force=True), Variable, inference_mode. torch is
the oracle."""
import math

import numpy as np
import pytest
import torch
from ops.oracle import both_raise, check_scenario

import retrograd as rg


@pytest.fixture
def restore_default_dtype():
    yield
    rg.set_default_dtype(rg.float32)
    torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name", ["float64", "float16", "float32"])
def test_default_dtype_drives_factories_python_floats_and_layers(name, restore_default_dtype):
    def scenario(lib):
        lib.set_default_dtype(getattr(lib, name))
        made = [lib.ones(2), lib.tensor([1.5]), lib.randn(2), lib.tensor([1, 2]) * 0.5,
                lib.nn.Linear(2, 2).weight, lib.arange(0.0, 1.0, 0.5), lib.Tensor(2),
                lib.full((2,), 0.5)]
        printed = repr(lib.ones(1)) + repr(lib.ones(1, dtype=lib.float32))
        return str(lib.get_default_dtype()).split(".")[1], [str(t.dtype).split(".")[1]
                                                             for t in made], \
            printed.replace("torch", "retrograd")
    check_scenario(scenario)


def test_default_dtype_must_be_floating(restore_default_dtype):
    both_raise(lambda lib: lib.set_default_dtype(lib.int64), TypeError, "floating-point")
    assert rg.get_default_dtype() == rg.float32


@pytest.mark.parametrize("name", ["float16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = rg.finfo(getattr(rg, name)), torch.finfo(getattr(torch, name))
    for field in ("eps", "max", "min", "tiny", "bits", "resolution"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert rg.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["int8", "uint8", "int16", "int32", "int64"])
def test_iinfo_matches_torch(name):
    ours, theirs = rg.iinfo(getattr(rg, name)), torch.iinfo(getattr(torch, name))
    assert (ours.max, ours.min, ours.bits) == (theirs.max, theirs.min, theirs.bits)


def test_finfo_and_iinfo_refuse_the_other_kind():
    both_raise(lambda lib: lib.finfo(lib.int64), TypeError)
    both_raise(lambda lib: lib.iinfo(lib.float32), TypeError)


def test_math_constants():
    assert (rg.pi, rg.e, rg.inf) == (torch.pi, torch.e, torch.inf) and math.isnan(rg.nan)


@pytest.mark.parametrize("make", [
    lambda x, lib: x.new_zeros(2, 3), lambda x, lib: x.new_zeros((2, 3)),
    lambda x, lib: x.new_ones([4]), lambda x, lib: x.new_full((2,), 7),
    lambda x, lib: x.new_full((2,), 2.5, dtype=lib.float64),
    lambda x, lib: x.new_tensor([1, 2, 3]), lambda x, lib: x.new_tensor([[0.5]]),
    lambda x, lib: x.new_empty(3).shape, lambda x, lib: x.new_zeros(2, dtype=lib.int64),
    lambda x, lib: x.new_ones(2, dtype=lib.float32, requires_grad=True).requires_grad,
])
@pytest.mark.parametrize("dtype", ["float64", "int32"])
def test_new_tensors_take_dtype_and_device_from_self(make, dtype):
    def scenario(lib):
        made = make(lib.ones(1, dtype=getattr(lib, dtype)), lib)
        return made if not isinstance(made, lib.Tensor) else (made, str(made.dtype).split(".")[1],
                                                              made.device.type)
    check_scenario(scenario)


def test_new_tensor_copies():
    source = rg.zeros(2)
    made = source.new_tensor(source)
    made += 1
    assert source.tolist() == [0.0, 0.0]


def test_element_sizes():
    check_scenario(lambda lib: [(t.element_size(), t.itemsize, t.nbytes) for t in
                                (lib.ones(3), lib.ones(2, 2, dtype=lib.float64),
                                 lib.ones(5, dtype=lib.int8))])


def test_numpy_force_detaches():
    x = rg.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    assert isinstance(x.numpy(force=True), np.ndarray) and x.numpy(force=True).tolist() == [1, 1]


def test_variable_is_a_detached_leaf_sharing_memory():
    def scenario(lib):
        x = lib.ones(2)
        v = lib.autograd.Variable(x, requires_grad=True)
        (v * 3).sum().backward()
        x.add_(1)  # shares memory with v
        return (v.tolist(), v.grad.tolist(), v is x, isinstance(x, lib.autograd.Variable),
                v.is_leaf)
    check_scenario(scenario)
    both_raise(lambda lib: lib.autograd.Variable([1.0, 2.0]), TypeError)
    with pytest.warns(UserWarning, match="no_grad"):
        rg.autograd.Variable(rg.ones(1), volatile=True)


@pytest.mark.parametrize("mode", [True, False])
def test_inference_mode_as_context_and_decorator(mode):
    def scenario(lib):
        x = lib.ones(2, requires_grad=True)
        with lib.inference_mode(mode):
            inside = (x * 2).requires_grad
        with lib.no_grad(), lib.inference_mode(mode):
            nested = (x * 2).requires_grad
        decorated = lib.inference_mode(mode)(lambda: (x * 2).requires_grad)()
        return inside, nested, decorated, (x * 2).requires_grad
    check_scenario(scenario)


@pytest.fixture
def restore_print_options():
    yield
    rg.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", [
    {"precision": 2}, {"threshold": 5}, {"edgeitems": 1, "threshold": 5}, {"linewidth": 30},
    {"profile": "short"}, {"profile": "full"}, {"sci_mode": True}, {"sci_mode": False},
    {"precision": 6, "sci_mode": True},
], ids=str)
def test_print_options_print_like_torch(options, restore_print_options):
    def scenario(lib):
        lib.set_printoptions(**options)
        return [repr(t).replace("torch", "retrograd") for t in
                (lib.linspace(-2, 3, 7) / 3, lib.arange(20.0) / 7, lib.arange(12).reshape(3, 4),
                 lib.tensor([1e-5, 1.0, 300.0]))]
    check_scenario(scenario)


def test_print_options_reject_an_unknown_profile(restore_print_options):
    # PyTorch ignores an unknown profile silently; retrograd says so
    with pytest.raises(ValueError, match="profile must be one of"):
        rg.set_printoptions(profile="tiny")


def test_deterministic_algorithms_switch_is_recorded():
    def scenario(lib):
        lib.use_deterministic_algorithms(True, warn_only=True)
        on = (lib.are_deterministic_algorithms_enabled(),
              lib.is_deterministic_algorithms_warn_only_enabled())
        lib.use_deterministic_algorithms(False)
        return on, lib.are_deterministic_algorithms_enabled()
    check_scenario(scenario)
