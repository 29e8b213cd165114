"""Module: registration, iteration, modes, dtype conversion, state_dict and repr, against
PyTorch's names and strings for the same architectures."""
from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import nn

from .helpers import assert_close, copy_weights, data


def mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3), lib.nn.ReLU(),
                             lib.nn.Linear(3, 3))


def nested(lib):
    """A user-defined module with attributes, a ModuleList, a ModuleDict and a buffer."""
    class Net(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = lib.nn.Linear(4, 5)
            self.blocks = lib.nn.ModuleList([lib.nn.Sequential(lib.nn.Linear(5, 5),
                                                               lib.nn.LayerNorm(5))
                                             for _ in range(2)])
            self.heads = lib.nn.ModuleDict({"a": lib.nn.Linear(5, 2),
                                            "b": lib.nn.Linear(5, 1, bias=False)})
            self.bn = lib.nn.BatchNorm1d(5)
            self.scale = lib.nn.Parameter(lib.ones(1))
            self.register_buffer("steps", lib.zeros(2))
            self.register_buffer("scratch", lib.zeros(1), persistent=False)

        def forward(self, x):
            h = self.bn(self.fc1(x))
            for block in self.blocks:
                h = block(h)
            return self.heads["a"](h) * self.scale
    return Net()


ARCHITECTURES = [mlp, nested]


# -- registration and iteration --------------------------------------------------------------

@pytest.mark.parametrize("build", ARCHITECTURES)
def test_names_and_order_equal_pytorch(build):
    ours, theirs = build(rg), build(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [tuple(p.shape) for p in ours.parameters()] == \
        [tuple(p.shape) for p in theirs.parameters()]
    assert len(list(ours.modules())) == len(list(theirs.modules()))
    assert [n for n, _ in ours.named_parameters(recurse=False)] == \
        [n for n, _ in theirs.named_parameters(recurse=False)]
    assert [n for n, _ in ours.named_parameters(prefix="model")] == \
        [n for n, _ in theirs.named_parameters(prefix="model")]


def test_parameters_are_parameters_and_attributes_resolve():
    net = nested(rg)
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in net.parameters())
    assert net.fc1.weight is dict(net.named_parameters())["fc1.weight"]
    assert net.steps is dict(net.named_buffers())["steps"]
    assert net.blocks[1][0] is dict(net.named_modules())["blocks.1.0"]
    assert "fc1" in dir(net) and "scale" in dir(net)


def test_shared_parameter_is_listed_once():
    shared = nn.Linear(3, 3)
    net = nn.Sequential(shared, nn.Tanh(), shared)
    assert len(list(net.parameters())) == 2
    assert [n for n, _ in net.named_modules()] == ["", "0", "1"]
    assert len(list(net.named_parameters(remove_duplicate=False))) == 4


def test_unknown_attribute_raises_attribute_error_with_its_name():
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'wieght'"):
        nn.Linear(2, 3).wieght
    assert not hasattr(nn.Linear(2, 3), "nothing")


def test_assignments_move_between_registries_and_are_type_checked():
    net = nn.Module()
    net.layer = nn.Linear(2, 2)
    net.w = nn.Parameter(rg.zeros(2))
    assert list(dict(net.named_children())) == ["layer"]
    net.layer = nn.Parameter(rg.zeros(1))  # a module replaced by a parameter
    assert list(dict(net.named_children())) == [] and net.layer.shape == (1,)
    with pytest.raises(TypeError, match="cannot assign 'Tensor' as parameter 'w'"):
        net.w = rg.zeros(2)
    net.w = None
    assert [n for n, _ in net.named_parameters()] == ["layer"]
    net.register_buffer("stat", rg.zeros(3))
    net.stat = rg.ones(3)
    assert net.stat.array.tolist() == [1, 1, 1]
    with pytest.raises(TypeError, match="buffer 'stat'"):
        net.stat = 3
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("layer", rg.zeros(1))
    with pytest.raises(KeyError, match='without "."'):
        net.register_parameter("a.b", None)
    with pytest.raises(TypeError, match="rg.nn.Parameter or None required"):
        net.register_parameter("plain", rg.zeros(1))
    del net.layer
    assert list(net.parameters()) == []


def test_assigning_before_init_is_a_clear_error():
    class Forgot(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call"):
        Forgot()


def test_forward_missing_is_not_implemented():
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        nn.Module()(rg.zeros(1))


# -- modes, gradients, transformations -------------------------------------------------------

def test_train_eval_reach_every_descendant():
    net = nested(rg)
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="boolean"):
        net.train("yes")


def test_zero_grad_sets_none_or_zeros():
    net = mlp(rg)
    net(rg.randn(4, 2)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.array.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_and_apply():
    net = mlp(rg)
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    visited = []
    assert net.apply(lambda m: visited.append(type(m).__name__)) is net
    # children before their parent, as PyTorch
    assert visited == ["Linear", "BatchNorm1d", "ReLU", "Linear", "Sequential"]

    def zero_linears(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)
    net.apply(zero_linears)
    assert not net[0].weight.array.any() and not net[3].weight.array.any()


def test_dtype_conversions_keep_parameter_identity_and_integer_buffers():
    net = mlp(rg)
    weight = net[0].weight
    net(rg.randn(4, 2)).sum().backward()
    assert net.double() is net
    assert net[0].weight is weight and weight.dtype == rg.float64
    assert weight.grad.dtype == rg.float64
    assert net[1].running_mean.dtype == rg.float64
    assert net[1].num_batches_tracked.dtype == rg.int64
    assert net(rg.randn(4, 2, dtype=rg.float64)).dtype == rg.float64
    net.to(rg.float32)
    assert all(p.dtype == rg.float32 for p in net.parameters())
    net.to(rg.zeros(1, dtype=rg.float64))
    assert all(p.dtype == rg.float64 for p in net.parameters())
    net.float().to("cpu")
    assert all(p.dtype == rg.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="floating point"):
        net.to(rg.int64)
    if not rg.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            net.to("cuda")


def test_deepcopy_gives_an_independent_module():
    net = mlp(rg)
    clone = copy.deepcopy(net)
    with rg.no_grad():
        clone[0].weight.add_(1.0)
    assert not np.allclose(clone[0].weight.array, net[0].weight.array)
    assert isinstance(clone[0].weight, nn.Parameter)


# -- state_dict ------------------------------------------------------------------------------

@pytest.mark.parametrize("build", ARCHITECTURES)
def test_state_dict_keys_shapes_dtypes_equal_pytorch(build):
    ours, theirs = build(rg).state_dict(), build(torch).state_dict()
    assert list(ours) == list(theirs)
    for key in theirs:
        assert tuple(ours[key].shape) == tuple(theirs[key].shape), key
        assert ours[key].array.dtype == theirs[key].numpy().dtype, key
        assert not ours[key].requires_grad and type(ours[key]) is rg.Tensor


@pytest.mark.parametrize("build", ARCHITECTURES)
def test_weights_round_trip_through_pytorch(build):
    ours, theirs = build(rg), build(torch)
    ours.train()(rg.randn(6, 2 if build is mlp else 4))  # moves the running statistics
    copy_weights(ours, theirs)
    fresh = build(rg)
    result = fresh.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    for key, value in ours.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[key].array, value.array)
    x = data(5, 2 if build is mlp else 4)
    ours.eval(), fresh.eval(), theirs.eval()
    assert_close(fresh(rg.tensor(x)), theirs(torch.tensor(x)))


def test_state_dict_shares_memory_and_load_copies():
    net = nn.Linear(2, 2)
    state = net.state_dict()
    with rg.no_grad():
        net.weight.add_(1.0)
    np.testing.assert_array_equal(state["weight"].array, net.weight.array)
    other = nn.Linear(2, 2)
    other.load_state_dict(state)
    with rg.no_grad():
        net.weight.add_(1.0)
    assert not np.allclose(other.weight.array, net.weight.array)


def test_load_state_dict_errors_read_like_pytorch_and_change_nothing():
    bad = {"weight": np.ones((3, 3), np.float32), "extra": np.zeros(1, np.float32)}
    with pytest.raises(RuntimeError) as ours:
        net = nn.Linear(2, 3)
        before = net.weight.array.copy()
        net.load_state_dict(bad)
    with pytest.raises(RuntimeError) as theirs:
        torch.nn.Linear(2, 3).load_state_dict({k: torch.from_numpy(v) for k, v in bad.items()})
    expected = str(theirs.value).replace("torch.Size([3, 3])", "(3, 3)") \
        .replace("torch.Size([3, 2])", "(3, 2)")
    assert str(ours.value) == expected
    assert '"bias"' in expected and '"extra"' in expected  # the message names every key
    np.testing.assert_array_equal(net.weight.array, before)


def test_load_state_dict_not_strict_returns_the_keys():
    net = nn.Linear(2, 3)
    weight = np.arange(6, dtype=np.float64).reshape(3, 2)
    result = net.load_state_dict({"weight": weight, "extra": np.zeros(1)}, strict=False)
    theirs = torch.nn.Linear(2, 3).load_state_dict(
        {"weight": torch.from_numpy(weight), "extra": torch.zeros(1)}, strict=False)
    assert result.missing_keys == theirs.missing_keys == ["bias"]
    assert result.unexpected_keys == theirs.unexpected_keys == ["extra"]
    assert net.weight.dtype == rg.float32  # cast to the parameter's dtype
    np.testing.assert_array_equal(net.weight.array, weight)
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        net.load_state_dict({"weight": np.zeros((2, 2))}, strict=False)
    with pytest.raises(RuntimeError, match="expected a Tensor or a NumPy array"):
        net.load_state_dict({"weight": [[0.0] * 2] * 3, "bias": np.zeros(3)})


def test_load_state_dict_assign_takes_the_given_tensors():
    net = nn.Linear(2, 3)
    weight = rg.randn(3, 2)
    net.load_state_dict({"weight": weight, "bias": rg.zeros(3)}, assign=True)
    assert isinstance(net.weight, nn.Parameter) and net.weight.array is weight.array


def test_non_persistent_buffer_stays_out_of_state_dict():
    net = nested(rg)
    assert "scratch" not in net.state_dict()
    assert "scratch" in dict(net.named_buffers())


# -- repr ------------------------------------------------------------------------------------

REPRS = [
    lambda lib: lib.nn.Linear(2, 3),
    lambda lib: lib.nn.Linear(2, 3, bias=False),
    mlp,
    nested,
    lambda lib: lib.nn.Sequential(),
    lambda lib: lib.nn.ModuleList([lib.nn.Linear(2, 2) for _ in range(3)] + [lib.nn.ReLU()]),
    lambda lib: lib.nn.Sequential(OrderedDict(
        [("hidden", lib.nn.Linear(2, 8)), ("act", lib.nn.Tanh()), ("drop", lib.nn.Dropout(0.1)),
         ("out", lib.nn.Sequential(lib.nn.Flatten(), lib.nn.Identity()))])),
    lambda lib: lib.nn.BatchNorm1d(4, momentum=None, affine=False, track_running_stats=False),
    lambda lib: lib.nn.LayerNorm((2, 3), elementwise_affine=False),
    lambda lib: lib.nn.LayerNorm(4, eps=1e-6, bias=False),
    lambda lib: lib.nn.Embedding(10, 3, padding_idx=-1),
    lambda lib: lib.nn.Sequential(lib.nn.ReLU(inplace=True), lib.nn.LeakyReLU(0.2),
                                  lib.nn.ELU(alpha=0.5, inplace=True), lib.nn.Sigmoid(),
                                  lib.nn.Softplus(beta=2.0), lib.nn.GELU("tanh"),
                                  lib.nn.Softmax(dim=1), lib.nn.LogSoftmax(dim=-1)),
]


@pytest.mark.parametrize("build", REPRS)
def test_repr_equals_pytorch(build):
    assert repr(build(rg)) == repr(build(torch))


def test_parameter_repr_and_defaults():
    param = nn.Parameter(rg.ones(2))
    assert repr(param) == repr(torch.nn.Parameter(torch.ones(2)))
    assert param.requires_grad and param.is_leaf
    frozen = nn.Parameter(rg.ones(2), requires_grad=False)
    assert not frozen.requires_grad
    source = rg.zeros(3)
    shared = nn.Parameter(source)
    assert shared.array is source.array  # shares memory, as PyTorch
    assert nn.Parameter().shape == (0,)
    assert type(param * 2) is rg.Tensor  # results of operations are plain tensors


# -- containers ------------------------------------------------------------------------------

def test_sequential_indexing_slicing_and_editing_as_pytorch():
    def build(lib):
        return lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.ReLU(), lib.nn.Linear(3, 4),
                                 lib.nn.Tanh())

    ours, theirs = build(rg), build(torch)
    assert len(ours) == 4 and isinstance(ours[-1], nn.Tanh) and isinstance(ours[0], nn.Linear)
    assert repr(ours[1:3]) == repr(theirs[1:3])
    assert isinstance(ours[::2], nn.Sequential) and ours[::2][0] is ours[0]
    assert [type(m) for m in ours] == [nn.Linear, nn.ReLU, nn.Linear, nn.Tanh]
    with pytest.raises(IndexError, match="out of range"):
        ours[4]
    for net, lib in ((ours, rg), (theirs, torch)):
        del net[1]
        net.append(lib.nn.Sigmoid())
        net.insert(0, lib.nn.Identity())
        net[1] = lib.nn.Linear(2, 3, bias=False)
        net.extend([lib.nn.ReLU()])
    assert repr(ours) == repr(theirs)


def test_sequential_runs_its_layers_in_order_like_pytorch():
    ours, theirs = mlp(rg), mlp(torch)
    copy_weights(ours, theirs)
    x = data(8, 2)
    assert_close(ours(rg.tensor(x)), theirs(torch.tensor(x)))


def test_module_list_and_dict():
    layers = nn.ModuleList([nn.Linear(2, 2)])
    layers += [nn.ReLU()]
    layers.append(nn.Tanh()).extend([nn.Sigmoid()])
    assert len(layers) == 4 and isinstance(layers[1:], nn.ModuleList) and len(layers[1:]) == 3
    assert [n for n, _ in layers.named_parameters()] == ["0.weight", "0.bias"]
    with pytest.raises(TypeError, match="iterable"):
        layers.extend(nn.ReLU())
    with pytest.raises(NotImplementedError):
        layers(rg.zeros(1))
    heads = nn.ModuleDict({"b": nn.Linear(1, 1), "a": nn.Tanh()})
    heads.update([("c", nn.ReLU())])
    assert list(heads) == list(heads.keys()) == ["b", "a", "c"] and "a" in heads
    assert [n for n, _ in heads.named_parameters()] == ["b.weight", "b.bias"]
    assert isinstance(heads.pop("a"), nn.Tanh) and len(heads) == 2
    del heads["c"]
    assert list(heads.items())[0][0] == "b" and len(list(heads.values())) == 1
    heads.clear()
    assert len(heads) == 0
