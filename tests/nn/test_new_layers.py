"""The layers and functions of issue 10 (activations, distances, GroupNorm, transposed
convolutions, Upsample, Unflatten, ParameterList/ParameterDict), compared with PyTorch 2.13.0:
outputs and gradients with the same weights, reprs, and errors."""
import numpy as np
import pytest
import torch
from ops.oracle import both_raise

import retrograd as rg
from nn.helpers import FLOAT64, assert_close, check_layer, data


def in_our_names(text: str) -> str:
    return text.replace("torch.", "retrograd.")


def layers(lib):
    """The same layers, built with either library's nn."""
    nn = lib.nn
    return [nn.LogSigmoid(), nn.Hardtanh(), nn.Hardtanh(-2, 3, True), nn.ReLU6(),
            nn.ReLU6(inplace=True), nn.SiLU(), nn.SiLU(inplace=True), nn.Mish(),
            nn.Mish(inplace=True), nn.CosineSimilarity(), nn.PairwiseDistance(p=1, keepdim=True),
            nn.GroupNorm(2, 6), nn.GroupNorm(3, 6, eps=1e-3, affine=False),
            nn.GroupNorm(1, 4, bias=False),
            nn.ConvTranspose1d(4, 6, 3, bias=False),
            nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2,
                               dilation=2),
            nn.ConvTranspose2d(2, 3, (2, 3), stride=(1, 2)),
            nn.Upsample(scale_factor=2), nn.Upsample(size=(3, 4), mode="bilinear"),
            nn.Upsample(scale_factor=(2, 3), mode="bilinear", align_corners=True),
            nn.Unflatten(1, (2, 3)), nn.Unflatten(-1, [2, -1]),
            nn.ParameterList([nn.Parameter(lib.zeros(2, 3)), lib.zeros(4, dtype=lib.float64)]),
            nn.ParameterDict({"b": lib.zeros(2), "a": nn.Parameter(lib.zeros(1, 5))})]


@pytest.mark.parametrize("index", range(len(layers(torch))))
def test_repr_is_torchs(index):
    assert repr(layers(rg)[index]) == in_our_names(repr(layers(torch)[index]))


@pytest.mark.parametrize("name, args, shape", [
    ("LogSigmoid", (), (3, 5)), ("Hardtanh", (-0.5, 0.7), (3, 5)), ("ReLU6", (), (3, 5)),
    ("SiLU", (), (3, 5)), ("Mish", (), (3, 5)),
    ("GroupNorm", (2, 6), (4, 6, 3)), ("GroupNorm", (3, 6), (2, 6, 2, 3)),
    ("ConvTranspose1d", (3, 4, 3, 2, 1, 1), (2, 3, 5)),
    ("ConvTranspose2d", (4, 6, 3, 2, 1, 1, 2), (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 3, (2, 3), 1, (0, 1), 0, 1, False, 2), (2, 5, 4)),
    ("Upsample", (None, 2.0, "bilinear"), (1, 2, 3, 4)),
    ("Upsample", ((5, 7), None, "bilinear", True), (1, 2, 3, 4)),
    ("Upsample", (None, 3), (2, 1, 4)),
    ("Upsample", (6, None, "linear"), (2, 1, 4)),
    ("Unflatten", (1, (2, -1)), (3, 6)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layer_matches_torch(name, args, shape, dtype):
    ours = getattr(rg.nn, name)(*args)
    theirs = getattr(torch.nn, name)(*args)
    if dtype == np.float64:
        ours, theirs = ours.double(), theirs.double()
    data_in = data(*shape, dtype=dtype) * 3
    check_layer(ours, theirs, data_in, **({} if dtype == np.float32 else FLOAT64))


@pytest.mark.parametrize("name", ["CosineSimilarity", "PairwiseDistance"])
def test_distance_layers_match_torch(name):
    a, b = data(4, 3, seed=2, dtype=np.float64), data(4, 3, seed=3, dtype=np.float64)
    ours = [rg.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    out, out_torch = getattr(rg.nn, name)()(*ours), getattr(torch.nn, name)()(*theirs)
    assert_close(out, out_torch, **FLOAT64)
    out.sum().backward()
    out_torch.sum().backward()
    for mine, its in zip(ours, theirs):
        assert_close(mine.grad, its.grad, **FLOAT64)


@pytest.mark.parametrize("name", ["ReLU6", "SiLU", "Mish", "Hardtanh"])
def test_inplace_activation_writes_its_input(name):
    values = data(3, 4) * 4
    ours, theirs = rg.tensor(values), torch.tensor(values)
    out, out_torch = getattr(rg.nn, name)(inplace=True)(ours), \
        getattr(torch.nn, name)(inplace=True)(theirs)
    assert out is ours
    assert_close(ours, theirs)
    assert_close(out, out_torch)


def test_inplace_silu_in_a_graph():
    values = data(3, 4, dtype=np.float64)
    grads = []
    for lib in (rg, torch):
        x = lib.tensor(values, requires_grad=True)
        y = x * 2
        lib.nn.functional.silu(y, inplace=True)
        y.sum().backward()
        grads.append(x.grad)
    assert_close(grads[0], grads[1], **FLOAT64)


def test_logsigmoid_silu_mish_are_stable_far_out():
    values = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=np.float32)
    for name in ("logsigmoid", "silu", "mish"):
        x, x_torch = rg.tensor(values, requires_grad=True), torch.tensor(values,
                                                                          requires_grad=True)
        out, out_torch = getattr(rg.nn.functional, name)(x), \
            getattr(torch.nn.functional, name)(x_torch)
        out.sum().backward()
        out_torch.sum().backward()
        assert np.isfinite(out.array).all() and np.isfinite(x.grad.array).all()
        assert_close(out, out_torch)
        assert_close(x.grad, x_torch.grad)


@pytest.mark.parametrize("values, num_classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5),
                                                 (2, -1), ([], 3)])
def test_one_hot_matches_torch(values, num_classes):
    ours = rg.nn.functional.one_hot(rg.tensor(values, dtype=rg.int64), num_classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values, dtype=torch.int64), num_classes)
    assert_close(ours, theirs)


@pytest.mark.parametrize("scenario, match", [
    (lambda lib: lib.nn.functional.one_hot(lib.tensor([-1, 2])), "non-negative"),
    (lambda lib: lib.nn.functional.one_hot(lib.tensor([1, 2]), 2), "smaller than num_classes"),
    (lambda lib: lib.nn.functional.one_hot(lib.tensor([1.0, 2.0])), "LongTensor"),
    (lambda lib: lib.nn.functional.one_hot(lib.tensor([], dtype=lib.int64)), "empty"),
    (lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 4), "divisible"),
    (lambda lib: lib.nn.functional.group_norm(lib.zeros(2, 6, 3), 3, lib.ones(5)), "weight"),
    (lambda lib: lib.nn.GroupNorm(3, 6)(lib.zeros(2, 5, 3)), "divisible"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 3, 3, 3),
                                                    lib.zeros(4, 2, 3, 3)), "4 channels"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 4, 3, 3),
                                                    lib.zeros(4, 2, 3, 3), groups=3),
     "divisible by 3"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 4, 3, 3),
                                                    lib.zeros(4, 2, 3, 3), lib.zeros(3)),
     "bias"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 4, 3, 3),
                                                    lib.zeros(4, 2, 3, 3), stride=2,
                                                    output_padding=2), "output padding"),
    (lambda lib: lib.nn.functional.conv_transpose2d(lib.zeros(1, 4, 1, 1),
                                                    lib.zeros(4, 2, 1, 1), padding=1),
     "too small"),
    (lambda lib: lib.nn.functional.cosine_similarity(lib.zeros(2, 3), lib.zeros(2, 4)),
     "must match"),
    (lambda lib: lib.nn.functional.pairwise_distance(lib.zeros(2, 3), lib.zeros(2, 4)),
     "must match"),
    (lambda lib: lib.nn.Unflatten(1, (2, 3))(lib.zeros(2, 5)), "multiply up"),
])
def test_runtime_errors_like_torch(scenario, match):
    both_raise(scenario, RuntimeError, match)


@pytest.mark.parametrize("scenario, error, match", [
    (lambda lib: lib.nn.GroupNorm(4, 6), ValueError, "divisible"),
    (lambda lib: lib.nn.functional.hardtanh(lib.zeros(3), 1.0, 0.0), ValueError, "min_val"),
    (lambda lib: lib.nn.Hardtanh(1, 0), AssertionError, "greater than min_val"),
    (lambda lib: lib.nn.ConvTranspose2d(4, 2, 3, padding_mode="reflect"), ValueError, "zeros"),
    (lambda lib: lib.nn.ConvTranspose2d(4, 6, 3, stride=2)(lib.zeros(1, 4, 3, 3),
                                                           output_size=(9, 9)), ValueError,
     "valid sizes"),
    (lambda lib: lib.nn.Unflatten(1, 5), TypeError, "tuple of ints"),
    (lambda lib: lib.nn.Unflatten(1, (2, 2.0)), TypeError, "pos 1"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3), size=4, mode="bilinear"),
     NotImplementedError, "needs 4D"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3), size=4, mode="linear"),
     NotImplementedError, "needs 3D"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3), size=4,
                                               align_corners=True), ValueError, "align_corners"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3)), ValueError,
     "either size or scale_factor"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3), size=4, scale_factor=2),
     ValueError, "only one"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3), size=(4, 4, 4)),
     ValueError, "same number of spatial dimensions"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(3, 3), size=2), NotImplementedError,
     "Only 3D, 4D and 5D"),
    (lambda lib: lib.nn.functional.interpolate(lib.zeros(1, 1, 3, 3), size=2, mode="bicubic2"),
     NotImplementedError, "got bicubic2"),
    (lambda lib: lib.nn.ParameterList()(1), RuntimeError, "should not be called"),
    (lambda lib: lib.nn.ParameterList().extend(lib.zeros(3)), TypeError, "iterable"),
    (lambda lib: lib.nn.ParameterList([lib.zeros(1)])[1], IndexError, "out of range"),
    (lambda lib: lib.nn.ParameterDict()[0], TypeError, "not a string"),
    (lambda lib: lib.nn.ParameterDict([("a", lib.zeros(1), 1)]), ValueError, "length 3"),
])
def test_other_errors_like_torch(scenario, error, match):
    both_raise(scenario, error, match)


@pytest.mark.parametrize("shape, kwargs", [
    ((1, 2, 5, 7), dict(scale_factor=1.7)), ((1, 2, 5, 7), dict(size=(11, 3))),
    ((2, 1, 6), dict(scale_factor=0.5)), ((1, 1, 3, 4, 5), dict(scale_factor=2)),
    ((1, 2, 5, 7), dict(size=4, mode="nearest-exact")),
    ((1, 2, 5, 7), dict(scale_factor=2.3, mode="bilinear", recompute_scale_factor=True)),
    ((1, 2, 5, 7), dict(size=1, mode="bilinear", align_corners=True)),
    ((1, 1, 3, 4, 5), dict(size=(2, 5, 7), mode="trilinear")),
])
def test_interpolate_matches_torch(shape, kwargs):
    values = data(*shape)
    x, x_torch = rg.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
    out = rg.nn.functional.interpolate(x, **kwargs)
    out_torch = torch.nn.functional.interpolate(x_torch, **kwargs)
    assert_close(out, out_torch)
    upstream = data(*out_torch.shape, seed=1)
    out.backward(rg.tensor(upstream))
    out_torch.backward(torch.from_numpy(upstream))
    assert_close(x.grad, x_torch.grad)


def test_conv_transpose_output_size_and_init():
    ours, theirs = rg.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1), \
        torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    assert ours.weight.shape == tuple(theirs.weight.shape) == (4, 6, 3, 3)
    bound = 1 / np.sqrt(6 * 9)  # fan_in = out_channels / groups * kernel size, as PyTorch
    assert np.abs(ours.weight.array).max() <= bound and np.abs(ours.bias.array).max() <= bound
    check = rg.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1)
    values = data(1, 4, 5, 5)
    for size in [(9, 9), (10, 10), (1, 6, 10, 9)]:
        out = ours(rg.tensor(values), output_size=size)
        assert out.shape == tuple(theirs(torch.tensor(values), output_size=size).shape)
    assert check.transposed and not rg.nn.Conv2d(1, 1, 1).transposed


def test_conv_transpose_is_the_input_gradient_of_conv():
    x = rg.tensor(data(2, 3, 8, 6, dtype=np.float64), requires_grad=True)
    weight = rg.tensor(data(4, 3, 3, 2, seed=2, dtype=np.float64))
    out = rg.nn.functional.conv2d(x, weight, stride=2, padding=1)
    upstream = rg.tensor(data(*out.shape, seed=3, dtype=np.float64))
    out.backward(upstream)
    transposed = rg.nn.functional.conv_transpose2d(upstream, weight, stride=2, padding=1,
                                                   output_padding=(1, 0))
    assert_close(transposed, torch.from_numpy(x.grad.array), **FLOAT64)


def _parameters_list(lib):
    nn = lib.nn
    params = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.ones(3)])
    params.append(lib.ones(1))
    params += [nn.Parameter(lib.ones(2))]
    params[1] = lib.full((3,), 2.0)
    return params


def test_parameter_list_behaves_like_torchs():
    ours, theirs = _parameters_list(rg), _parameters_list(torch)
    assert len(ours) == len(theirs) == 4
    assert [name for name, _ in ours.named_parameters()] == \
        [name for name, _ in theirs.named_parameters()] == ["0", "1", "2", "3"]
    assert all(isinstance(p, rg.nn.Parameter) for p in ours)
    assert_close(ours[-3], theirs[-3])
    assert len(ours[1:3]) == 2 and isinstance(ours[::2], rg.nn.ParameterList)
    assert repr(ours) == in_our_names(repr(theirs))
    assert "0" not in dir(ours)


def _parameters_dict(lib):
    nn = lib.nn
    params = nn.ParameterDict({"z": lib.ones(2), "a": nn.Parameter(lib.ones(3))})
    params["m"] = lib.zeros(1, 2)
    params.update([("b", lib.ones(4))])
    return params


def test_parameter_dict_behaves_like_torchs():
    ours, theirs = _parameters_dict(rg), _parameters_dict(torch)
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "z", "m", "b"]
    assert [name for name, _ in ours.named_parameters()] == list(theirs.keys())
    assert repr(ours) == in_our_names(repr(theirs))
    assert "m" in ours and len(ours) == 4 and ours.get("q") is None
    assert [k for k, _ in ours.items()] == list(ours) == list(reversed(list(reversed(ours))))
    assert ours.pop("z").shape == (2,) and ours.popitem()[0] == theirs.popitem()[0] == "b"
    theirs.pop("z")
    assert list(ours.keys()) == list(theirs.keys()) == ["a", "m"]
    assert list((ours | rg.nn.ParameterDict({"c": rg.ones(1)})).keys()) == ["a", "m", "c"]
    ours.clear()
    assert len(ours) == 0 and list(ours.parameters()) == []


def test_parameter_containers_in_state_dict_and_optimizer():
    class Model(rg.nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = rg.nn.ParameterList([rg.ones(3), rg.ones(3)])
            self.shifts = rg.nn.ParameterDict({"first": rg.zeros(3)})

        def forward(self, x):
            return (x * self.scales[0] * self.scales[1] + self.shifts["first"]).sum()

    model = Model()
    assert list(model.state_dict()) == ["scales.0", "scales.1", "shifts.first"]
    optimizer = rg.optim.SGD(model.parameters(), lr=0.5)
    model(rg.tensor([1.0, 2.0, 3.0])).backward()
    optimizer.step()
    assert_close(model.scales[0], torch.tensor([0.5, 0.0, -0.5]))
    assert_close(model.shifts["first"], torch.full((3,), -0.5))
    copy = Model()
    copy.load_state_dict(model.state_dict())
    assert_close(copy.scales[1], torch.tensor([0.5, 0.0, -0.5]))


def test_top_level_names_exist_as_in_torch():
    for name in ("cosine_similarity", "pairwise_distance", "group_norm", "conv_transpose1d",
                 "conv_transpose2d"):
        assert hasattr(torch, name) and hasattr(rg, name)
    for name in ("logsigmoid", "hardtanh", "relu6", "silu", "mish", "one_hot", "normalize",
                 "interpolate"):
        assert hasattr(rg.nn.functional, name) and not hasattr(rg, name)
    assert isinstance(rg.nn.Identity(), rg.nn.Module)


def test_normalize_out_and_tuple_dim():
    values = data(2, 3, 4, dtype=np.float64)
    ours = rg.nn.functional.normalize(rg.tensor(values), p=3.0, dim=(1, 2))
    theirs = torch.nn.functional.normalize(torch.tensor(values), p=3.0, dim=(1, 2))
    assert_close(ours, theirs, **FLOAT64)
    out = rg.empty(2, 3, 4, dtype=rg.float64)
    assert rg.nn.functional.normalize(rg.tensor(values), out=out) is out
    assert_close(out, torch.nn.functional.normalize(torch.tensor(values)), **FLOAT64)
