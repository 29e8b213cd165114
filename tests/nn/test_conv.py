"""conv1d, conv2d and F.pad against PyTorch 2.13.0 (values and the gradients of input, weight
and bias) over strides, paddings, dilations and groups; finite differences in float64; second
order through conv2d; Conv1d/Conv2d modules, their initialisation, repr and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import retrograd as rg
from retrograd import nn
from retrograd.nn import functional as F

from .helpers import FLOAT64, assert_close, check_layer, data

TF = torch.nn.functional

# PyTorch warns that 'same' with an even kernel copies its input; we do as it says
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")

# float32 sums of up to C*kh*kw products in another order than PyTorch's
FLOAT32 = dict(rtol=1e-4, atol=1e-5)


def check_function(name: str, input_shape: tuple, weight_shape: tuple, bias: bool,
                   dtype=np.float32, **options) -> rg.Tensor:
    """F.<name> in both libraries on the same seeded data: output and every gradient."""
    arrays = [data(*input_shape, seed=0, dtype=dtype), data(*weight_shape, seed=1, dtype=dtype)]
    if bias:
        arrays.append(data(weight_shape[0], seed=2, dtype=dtype))
    ours = [rg.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(F, name)(*ours, **options)
    out_torch = getattr(TF, name)(*theirs, **options)
    tolerance = FLOAT32 if dtype == np.float32 else FLOAT64
    assert_close(out, out_torch, "output", **tolerance)
    upstream = data(*out_torch.shape, seed=3, dtype=dtype)
    out.backward(rg.tensor(upstream))
    out_torch.backward(torch.from_numpy(upstream))
    for label, mine, reference in zip(("input", "weight", "bias"), ours, theirs):
        assert_close(mine.grad, reference.grad, f"gradient of {label}", **tolerance)
    return out


# (input shape, weight shape, options): strides, paddings, dilations and groups
CONV2D_CASES = {
    "plain": ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    "stride": ((2, 3, 9, 8), (4, 3, 3, 3), dict(stride=2)),
    "stride-pair": ((2, 3, 9, 8), (4, 3, 3, 2), dict(stride=(2, 3), padding=(1, 2))),
    "padding": ((2, 2, 5, 6), (3, 2, 3, 3), dict(padding=1)),
    "same-odd": ((2, 2, 6, 5), (3, 2, 3, 3), dict(padding="same")),
    "same-even": ((2, 2, 6, 5), (3, 2, 4, 2), dict(padding="same")),
    "same-dilated": ((1, 2, 9, 8), (3, 2, 3, 2), dict(padding="same", dilation=(2, 3))),
    "valid": ((2, 2, 6, 5), (3, 2, 3, 3), dict(padding="valid")),
    "dilation": ((2, 2, 9, 9), (3, 2, 3, 3), dict(dilation=2, padding=1)),
    "groups": ((2, 6, 7, 7), (4, 3, 3, 3), dict(groups=2, stride=2, padding=1)),
    "depthwise": ((2, 4, 6, 6), (8, 1, 3, 3), dict(groups=4, padding=1)),
    "1x1": ((3, 5, 4, 4), (2, 5, 1, 1), {}),
    "kernel-is-input": ((2, 3, 4, 4), (5, 3, 4, 4), {}),
    "everything": ((2, 4, 11, 10), (6, 2, 3, 2), dict(stride=(2, 1), padding=(2, 1),
                                                     dilation=(1, 2), groups=2)),
}


@pytest.mark.parametrize("name", list(CONV2D_CASES))
def test_conv2d_matches_pytorch(name):
    input_shape, weight_shape, options = CONV2D_CASES[name]
    check_function("conv2d", input_shape, weight_shape, True, **options)


@st.composite
def conv2d_geometries(draw):
    """Any valid conv2d: shapes, stride, padding (ints or 'same'), dilation and groups."""
    groups = draw(st.integers(1, 3))
    channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    if draw(st.booleans()):
        stride, padding = (1, 1), "same"
    else:
        stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
        padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    # large enough for the dilated kernel
    size = [d * (k - 1) + 1 + draw(st.integers(0, 4)) for k, d in zip(kernel, dilation)]
    return ((draw(st.integers(1, 3)), channels, *size),
            (out_channels, channels // groups, *kernel),
            dict(stride=stride, padding=padding, dilation=dilation, groups=groups))


@given(conv2d_geometries(), st.booleans())
def test_conv2d_matches_pytorch_on_drawn_geometries(geometry, bias):
    input_shape, weight_shape, options = geometry
    check_function("conv2d", input_shape, weight_shape, bias, **options)


@pytest.mark.parametrize("name", ["plain", "same-even", "everything"])
def test_conv2d_float64_and_without_bias(name):
    input_shape, weight_shape, options = CONV2D_CASES[name]
    out = check_function("conv2d", input_shape, weight_shape, False, np.float64, **options)
    assert out.dtype == rg.float64


CONV1D_CASES = {
    "valid": ((2, 3, 10), (4, 3, 3), dict(padding="valid")),
    "same-odd": ((2, 3, 10), (4, 3, 5), dict(padding="same")),
    "same-even": ((2, 3, 10), (4, 3, 4), dict(padding="same")),
    "full": ((2, 3, 10), (4, 3, 3), dict(padding=2)),  # k - 1: every overlap
    "stride-dilation": ((2, 3, 17), (4, 3, 3), dict(stride=3, dilation=2, padding=1)),
    "groups": ((2, 6, 9), (3, 2, 3), dict(groups=3, stride=(2,), padding=(1,))),
}


@pytest.mark.parametrize("name", list(CONV1D_CASES))
def test_conv1d_matches_pytorch(name):
    input_shape, weight_shape, options = CONV1D_CASES[name]
    check_function("conv1d", input_shape, weight_shape, True, **options)


def test_full_same_and_valid_1d_convolution_sizes_and_smoothing():
    signal = np.array([[[0.0, 0.0, 3.0, 0.0, 0.0, 3.0, 3.0, 3.0]]], dtype=np.float32)
    box = np.full((1, 1, 3), 1 / 3, dtype=np.float32)
    for padding, length in (("valid", 6), ("same", 8), (2, 10)):
        out = F.conv1d(rg.tensor(signal), rg.tensor(box), padding=padding)
        assert_close(out, TF.conv1d(torch.tensor(signal), torch.tensor(box), padding=padding))
        assert out.shape == (1, 1, length)
    smooth = F.conv1d(rg.tensor(signal), rg.tensor(box), padding="same").array
    assert np.abs(np.diff(smooth)).max() < np.abs(np.diff(signal)).max()  # a moving average
    # torch's convolution is a cross-correlation: flipping the kernel gives numpy's convolve
    kernel = np.array([1.0, 2.0, -1.0], dtype=np.float32)
    full = F.conv1d(rg.tensor(signal), rg.tensor(kernel[::-1].reshape(1, 1, 3).copy()),
                    padding=2)
    np.testing.assert_allclose(full.array[0, 0], np.convolve(signal[0, 0], kernel), atol=1e-6)


def test_unbatched_inputs():
    check_function("conv2d", (3, 6, 5), (4, 3, 3, 3), True, padding=1)
    check_function("conv1d", (3, 7), (2, 3, 3), True, stride=2)


def test_conv_chain_of_layouts_matches_pytorch():
    """Outputs are batch-last views: a second convolution, a transposed input and gradients of
    such views must all still agree with PyTorch."""
    x_np, w1, w2 = data(3, 2, 9, 8), data(4, 2, 3, 3, seed=1), data(5, 4, 2, 2, seed=2)
    results = []
    for lib in (rg, torch):
        x = lib.tensor(x_np, requires_grad=True)
        weights = [lib.tensor(w, requires_grad=True) for w in (w1, w2)]
        functional = F if lib is rg else TF
        hidden = functional.relu(functional.conv2d(x.transpose(2, 3), weights[0], padding=1))
        out = functional.conv2d(hidden, weights[1], stride=2)
        (out * out).sum().backward()
        results.append([out, x.grad] + [w.grad for w in weights])
    for mine, reference in zip(*results):
        assert_close(mine, reference, **FLOAT32)


@pytest.mark.parametrize("options", [dict(stride=2, padding=1), dict(dilation=2),
                                     dict(padding="same")])
def test_conv2d_gradcheck_float64(options):
    options = dict(options, groups=2)
    x = rg.tensor(data(2, 4, 6, 5, dtype=np.float64), requires_grad=True)
    weight = rg.tensor(data(2, 2, 3, 2, seed=1, dtype=np.float64), requires_grad=True)
    bias = rg.tensor(data(2, seed=2, dtype=np.float64), requires_grad=True)
    assert rg.autograd.gradcheck(lambda *a: F.conv2d(*a, **options), (x, weight, bias))


def test_conv1d_gradcheck_float64():
    x = rg.tensor(data(2, 2, 9, dtype=np.float64), requires_grad=True)
    weight = rg.tensor(data(3, 2, 4, seed=1, dtype=np.float64), requires_grad=True)
    bias = rg.tensor(data(3, seed=2, dtype=np.float64), requires_grad=True)
    assert rg.autograd.gradcheck(lambda *a: F.conv1d(*a, stride=2, padding="valid"),
                                 (x, weight, bias))


@pytest.mark.parametrize("options", [dict(padding=1, groups=2),
                                     dict(stride=2, dilation=(1, 2), groups=2)])
def test_conv2d_second_order_gradgradcheck(options):
    x = rg.tensor(data(1, 4, 5, 6, dtype=np.float64), requires_grad=True)
    weight = rg.tensor(data(2, 2, 2, 3, seed=1, dtype=np.float64), requires_grad=True)
    bias = rg.tensor(data(2, seed=2, dtype=np.float64), requires_grad=True)
    assert rg.autograd.gradgradcheck(lambda *a: F.conv2d(*a, **options), (x, weight, bias))


def test_conv2d_second_order_matches_pytorch():
    """The gradient of a gradient norm (as in a gradient penalty) through two convolutions."""
    x_np, w1, w2 = data(2, 2, 6, 6), data(3, 2, 3, 3, seed=1), data(2, 3, 3, 3, seed=2)
    results = []
    for lib in (rg, torch):
        functional = F if lib is rg else TF
        x = lib.tensor(x_np, requires_grad=True)
        weights = [lib.tensor(w, requires_grad=True) for w in (w1, w2)]
        out = functional.conv2d(functional.softplus(functional.conv2d(x, weights[0])),
                                weights[1], padding=1)
        (grad_x,) = lib.autograd.grad(out.sum(), x, create_graph=True)
        (grad_x * grad_x).sum().backward()
        results.append([grad_x] + [w.grad for w in weights])
    for mine, reference in zip(*results):
        assert_close(mine, reference, **FLOAT32)


# -- F.pad ------------------------------------------------------------------------------------

PAD_CASES = [((2, 3, 4), (1, 2), "constant", None),
             ((2, 3, 4, 5), (1, 2, 0, 3), "constant", 2.5),
             ((2, 3, 4, 5), (-1, 2, 1, -2), "constant", None),
             ((2, 3, 4, 5), (1, 2, 3, 1), "reflect", None),
             ((2, 3, 4, 5), (3, 2, 0, 4), "replicate", None),
             ((2, 3, 4, 5), (4, 2, 3, 1), "circular", None),
             ((2, 3, 5), (3, 4), "replicate", None)]


@pytest.mark.parametrize("shape, amounts, mode, value", PAD_CASES)
def test_pad_matches_pytorch(shape, amounts, mode, value):
    x_np = data(*shape)
    x, x_torch = rg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    options = {} if value is None else dict(value=value)
    out, out_torch = F.pad(x, amounts, mode, **options), TF.pad(x_torch, amounts, mode, **options)
    assert_close(out, out_torch)
    upstream = data(*out_torch.shape, seed=1)
    out.backward(rg.tensor(upstream))
    out_torch.backward(torch.from_numpy(upstream))
    assert_close(x.grad, x_torch.grad)


def test_pad_gradgradcheck_and_errors():
    x = rg.tensor(data(1, 2, 4, dtype=np.float64), requires_grad=True)
    assert rg.autograd.gradgradcheck(lambda t: F.pad(t, (2, 1)) ** 2, (x,))
    assert rg.autograd.gradgradcheck(lambda t: F.pad(t, (2, 1), "reflect") ** 2, (x,))
    with pytest.raises(ValueError, match="between 0 and 3"):
        F.pad(x, (4, 0), mode="reflect")
    with pytest.raises(ValueError, match="even number"):
        F.pad(x, (1, 2, 3))
    with pytest.raises(NotImplementedError, match="unknown padding mode"):
        F.pad(x, (1, 1), mode="mirror")
    with pytest.raises(ValueError, match="doesn't take in value"):
        F.pad(x, (1, 1), mode="replicate", value=1.0)


# -- modules ----------------------------------------------------------------------------------

MODULES = {
    "conv2d": (lambda lib: lib.nn.Conv2d(3, 4, 3), (2, 3, 6, 7)),
    "conv2d-options": (lambda lib: lib.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 2),
                                                 dilation=(1, 2), groups=2, bias=False),
                       (2, 4, 8, 7)),
    "conv2d-same": (lambda lib: lib.nn.Conv2d(2, 3, 4, padding="same"), (2, 2, 5, 6)),
    "conv2d-reflect": (lambda lib: lib.nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect"),
                       (2, 2, 5, 6)),
    "conv2d-circular-same": (lambda lib: lib.nn.Conv2d(2, 3, (3, 4), padding="same",
                                                       padding_mode="circular"), (2, 2, 5, 6)),
    "conv1d": (lambda lib: lib.nn.Conv1d(3, 4, 3, stride=2, padding=1), (2, 3, 9)),
    "conv1d-replicate": (lambda lib: lib.nn.Conv1d(2, 4, 5, padding="same",
                                                   padding_mode="replicate"), (2, 2, 9)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_conv_module_matches_pytorch(name):
    build, shape = MODULES[name]
    ours, theirs = build(rg), build(torch)
    check_layer(ours, theirs, data(*shape), **FLOAT32)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]


def test_conv_module_float64():
    build, shape = MODULES["conv2d-options"]
    ours, theirs = build(rg).double(), build(torch).double()
    out, _ = check_layer(ours, theirs, data(*shape, dtype=np.float64), **FLOAT64)
    assert out.dtype == rg.float64


def test_conv_default_init_follows_pytorch_bounds():
    layer = nn.Conv2d(32, 64, 3, groups=2)
    fan_in = 16 * 3 * 3
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) and the bias bound
    for param in (layer.weight, layer.bias):
        assert param.array.min() >= -bound and param.array.max() <= bound
    assert abs(layer.weight.array.std() - bound / math.sqrt(3)) < 0.05 * bound
    torch_weight = torch.nn.Conv2d(32, 64, 3, groups=2).weight.detach().numpy()
    assert abs(layer.weight.array.std() - torch_weight.std()) < 0.05 * bound
    assert layer.weight.dtype == rg.float32 and layer.weight.shape == (64, 16, 3, 3)


def test_conv_module_errors_name_the_layer_and_shapes():
    with pytest.raises(RuntimeError, match=r"Conv2d\(3, 8, kernel_size=\(3, 3\).*expected input "
                                           r"with 3 channels.*\(64, 1, 28, 28\)"):
        nn.Conv2d(3, 8, 3)(rg.zeros(64, 1, 28, 28))
    with pytest.raises(RuntimeError, match=r"kernel \(5 x 5.*larger than the padded input "
                                           r"\(4 x 4"):
        nn.Conv2d(1, 2, 5)(rg.zeros(2, 1, 4, 4))
    with pytest.raises(RuntimeError, match=r"Conv1d\(2, 2.*3D \(batched\) input"):
        nn.Conv1d(2, 2, 3)(rg.zeros(2, 2, 4, 4))
    with pytest.raises(ValueError, match="not supported for strided"):
        nn.Conv2d(1, 2, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="Invalid padding string"):
        nn.Conv2d(1, 2, 3, padding="full")
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="padding_mode"):
        nn.Conv2d(1, 2, 3, padding_mode="mirror")


def test_conv_function_errors():
    x, weight = rg.zeros(2, 4, 6, 6), rg.zeros(6, 2, 3, 3)
    with pytest.raises(RuntimeError, match="divisible by groups=4"):
        F.conv2d(x, weight, groups=4)
    with pytest.raises(RuntimeError, match=r"bias must have shape \(6,\)"):
        F.conv2d(x, weight, rg.zeros(5), groups=2)
    with pytest.raises(RuntimeError, match="same dtype"):
        F.conv2d(x.double(), weight, groups=2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        F.conv2d(x, weight, stride=0, groups=2)
    with pytest.raises(TypeError, match="tuple of 2 ints"):
        F.conv2d(x, weight, padding=(1, 2, 3), groups=2)
    with pytest.raises(RuntimeError, match="weight must have 4 dimensions"):
        F.conv2d(x, rg.zeros(6, 2, 3))


def test_graphs_alive_together_keep_their_own_scratch_arrays():
    """im2col matrices are reused between steps only once their graph is freed: two forwards
    before one backward, and a retained graph run twice, must not mix them up."""
    inputs, weight_np = [data(2, 3, 8, 8, seed=s) for s in (0, 1)], data(4, 3, 3, 3, seed=2)
    results = []
    for lib in (rg, torch):
        functional = F if lib is rg else TF
        weight = lib.tensor(weight_np, requires_grad=True)
        first, second = (functional.conv2d(lib.tensor(x), weight) for x in inputs)
        loss = (first * first).sum() + (second ** 3).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        results.append(weight.grad)
    assert_close(results[0], results[1], **FLOAT32)
