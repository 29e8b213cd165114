"""Pooling against PyTorch 2.13.0 (values, gradients, indices) over kernels, strides,
paddings, dilations and ceil mode; finite differences and second order; the pooling modules;
BatchNorm2d and Dropout2d; a LeNet-5 trained a few steps alongside PyTorch's."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

import retrograd as rg
from retrograd import nn
from retrograd.nn import functional as F

from .helpers import FLOAT64, assert_close, check_layer, copy_weights, data

TF = torch.nn.functional


def distinct(*shape: int, seed: int = 0, dtype=np.float64) -> np.ndarray:
    """Values at least 0.1 apart: no tie, and finite differences never swap a maximum."""
    count = int(np.prod(shape))
    values = np.random.default_rng(seed).permutation(count) * 0.1 - count * 0.05
    return values.reshape(shape).astype(dtype)


def check_pool(name: str, x_np: np.ndarray, **options) -> None:
    """F.<name> in both libraries: output (and indices), input gradient."""
    x, x_torch = rg.tensor(x_np, requires_grad=True), torch.tensor(x_np, requires_grad=True)
    out, out_torch = getattr(F, name)(x, **options), getattr(TF, name)(x_torch, **options)
    if options.get("return_indices"):
        np.testing.assert_array_equal(out[1].array, out_torch[1].numpy())
        assert out[1].dtype == rg.int64
        out, out_torch = out[0], out_torch[0]
    tolerance = FLOAT64 if x_np.dtype == np.float64 else dict(rtol=1e-6, atol=1e-6)
    assert_close(out, out_torch, "output", **tolerance)
    upstream = data(*out_torch.shape, seed=1, dtype=x_np.dtype)
    out.backward(rg.tensor(upstream))
    out_torch.backward(torch.from_numpy(upstream))
    assert_close(x.grad, x_torch.grad, "input gradient", **tolerance)


MAX_POOL_2D = [dict(kernel_size=2), dict(kernel_size=3, stride=1),
               dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1), dilation=(2, 1)),
               dict(kernel_size=3, stride=2, ceil_mode=True),
               dict(kernel_size=2, stride=2, padding=1, ceil_mode=True, return_indices=True),
               dict(kernel_size=3, stride=2, padding=1, dilation=2, return_indices=True)]


@pytest.mark.parametrize("options", MAX_POOL_2D)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool2d_matches_pytorch(options, dtype):
    check_pool("max_pool2d", data(2, 3, 9, 8, dtype=dtype), **options)


@st.composite
def pool2d_settings(draw, dilated: bool = True):
    """A valid pooling: kernel, stride, padding (at most half the kernel), dilation, ceil mode;
    and an input shape large enough for it."""
    kernel = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if dilated else (1, 1)
    extent = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    options = dict(kernel_size=kernel, stride=(draw(st.integers(1, 3)), draw(st.integers(1, 3))),
                   padding=tuple(draw(st.integers(0, k // 2)) for k in kernel),
                   ceil_mode=draw(st.booleans()))
    if dilated:
        options["dilation"] = dilation
    shape = (draw(st.integers(1, 2)), draw(st.integers(1, 3)),
             *(e + draw(st.integers(0, 4)) for e in extent))
    return shape, options


@given(pool2d_settings())
def test_max_pool2d_matches_pytorch_on_drawn_settings(settings):
    shape, options = settings
    check_pool("max_pool2d", data(*shape), return_indices=True, **options)


@given(pool2d_settings(dilated=False), st.booleans())
def test_avg_pool2d_matches_pytorch_on_drawn_settings(settings, count_include_pad):
    shape, options = settings
    check_pool("avg_pool2d", data(*shape), count_include_pad=count_include_pad, **options)


@pytest.mark.parametrize("options", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
                                     dict(kernel_size=3, dilation=2, ceil_mode=True,
                                          return_indices=True)])
def test_max_pool1d_matches_pytorch(options):
    check_pool("max_pool1d", data(2, 3, 11), **options)


def test_max_pool_ties_send_the_gradient_to_the_first_maximum():
    """After a ReLU whole windows are 0: the gradient goes to one element, as in PyTorch."""
    x = np.maximum(data(2, 2, 6, 6), 0)
    x[0, 0, :2, :2] = 1.5
    check_pool("max_pool2d", x, kernel_size=2)
    check_pool("max_pool2d", x, kernel_size=3, stride=1, return_indices=True)


def test_max_pool_of_a_convolution_output_and_unbatched_input():
    conv = F.conv2d(rg.tensor(data(2, 1, 8, 8)), rg.tensor(data(3, 1, 3, 3, seed=1)))
    check_pool("max_pool2d", conv.array, kernel_size=2)  # a batch-last (strided) array
    check_pool("max_pool2d", data(3, 6, 7), kernel_size=2, padding=1)
    check_pool("max_pool1d", data(3, 7), kernel_size=2)


AVG_POOL_2D = [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1),
               dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
               dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
               dict(kernel_size=3, stride=2, padding=1, ceil_mode=True, count_include_pad=False),
               dict(kernel_size=2, padding=1, divisor_override=3)]


@pytest.mark.parametrize("options", AVG_POOL_2D)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_avg_pool2d_matches_pytorch(options, dtype):
    check_pool("avg_pool2d", data(2, 3, 9, 8, dtype=dtype), **options)


@pytest.mark.parametrize("options", [dict(kernel_size=3), dict(kernel_size=4, stride=3, padding=2,
                                                               ceil_mode=True,
                                                               count_include_pad=False)])
def test_avg_pool1d_matches_pytorch(options):
    check_pool("avg_pool1d", data(2, 3, 11), **options)


@pytest.mark.parametrize("shape, output_size", [((2, 3, 8, 8), 4), ((2, 3, 7, 9), (3, 5)),
                                                ((2, 3, 7, 9), (None, 2)), ((3, 5, 5), 1),
                                                ((2, 3, 4, 4), 6)])
def test_adaptive_avg_pool2d_matches_pytorch(shape, output_size):
    check_pool("adaptive_avg_pool2d", data(*shape), output_size=output_size)


def test_adaptive_avg_pool1d_matches_pytorch():
    check_pool("adaptive_avg_pool1d", data(2, 3, 11), output_size=4)


@pytest.mark.parametrize("function, options", [
    (F.max_pool2d, dict(kernel_size=3, stride=2, padding=1)),
    (F.max_pool2d, dict(kernel_size=2, dilation=2)),
    (F.avg_pool2d, dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    (F.adaptive_avg_pool2d, dict(output_size=(2, 3)))])
def test_pool_gradcheck_and_second_order(function, options):
    x = rg.tensor(distinct(1, 2, 5, 6), requires_grad=True)
    assert rg.autograd.gradcheck(lambda t: function(t, **options), (x,))
    # squared, so that the second derivative is not zero
    assert rg.autograd.gradgradcheck(lambda t: function(t, **options) ** 2, (x,))


def test_pool_errors():
    x = rg.zeros(1, 2, 4, 4)
    with pytest.raises(RuntimeError, match=r"MaxPool2d\(kernel_size=5.*larger than the padded "
                                           r"input.*\(1, 2, 4, 4\)"):
        nn.MaxPool2d(5)(x)
    with pytest.raises(ValueError, match="pad should be at most half"):
        F.max_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match="pad should be at most half"):  # dilation or not
        F.max_pool2d(rg.zeros(1, 1, 9, 9), 3, padding=2, dilation=2)
    with pytest.raises(ValueError, match="pad should be at most half"):
        nn.AvgPool2d(3, padding=2)(x)
    with pytest.raises(RuntimeError, match=r"3D \(unbatched\) or 4D \(batched\)"):
        F.max_pool2d(rg.zeros(4, 4), 2)
    with pytest.raises(ValueError, match="kernel_size must be at least 1"):
        F.avg_pool2d(x, 0)
    with pytest.raises(ValueError, match="output_size must be positive"):
        F.adaptive_avg_pool2d(x, (0, 2))


MODULES = {
    "max-pool2d": (lambda lib: lib.nn.MaxPool2d(3, stride=2, padding=1), (2, 3, 8, 7)),
    "max-pool2d-ceil": (lambda lib: lib.nn.MaxPool2d((2, 3), dilation=(1, 2), ceil_mode=True),
                        (2, 3, 9, 9)),
    "max-pool1d": (lambda lib: lib.nn.MaxPool1d(2), (2, 3, 9)),
    "avg-pool2d": (lambda lib: lib.nn.AvgPool2d(2), (2, 3, 8, 7)),
    "avg-pool2d-options": (lambda lib: lib.nn.AvgPool2d(3, 2, 1, ceil_mode=True,
                                                        count_include_pad=False,
                                                        divisor_override=None), (2, 3, 8, 7)),
    "avg-pool1d": (lambda lib: lib.nn.AvgPool1d(3, stride=2, padding=1), (2, 3, 9)),
    "adaptive-avg-pool2d": (lambda lib: lib.nn.AdaptiveAvgPool2d((3, None)), (2, 3, 8, 7)),
    "adaptive-avg-pool1d": (lambda lib: lib.nn.AdaptiveAvgPool1d(4), (2, 3, 9)),
}


@pytest.mark.parametrize("name", list(MODULES))
def test_pool_module_matches_pytorch(name):
    build, shape = MODULES[name]
    ours, theirs = build(rg), build(torch)
    check_layer(ours, theirs, data(*shape))
    assert repr(ours) == repr(theirs)


def test_max_pool_module_returns_indices():
    x_np = data(2, 3, 8, 8)
    out, indices = nn.MaxPool2d(2, return_indices=True)(rg.tensor(x_np))
    out_torch, indices_torch = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x_np))
    assert_close(out, out_torch)
    np.testing.assert_array_equal(indices.array, indices_torch.numpy())


# -- BatchNorm2d and Dropout2d ----------------------------------------------------------------

@pytest.mark.parametrize("options", [{}, dict(momentum=0.3, eps=1e-3), dict(momentum=None),
                                     dict(affine=False), dict(track_running_stats=False)])
def test_batch_norm2d_running_statistics_follow_pytorch(options):
    ours, theirs = nn.BatchNorm2d(3, **options), torch.nn.BatchNorm2d(3, **options)
    for step in range(4):  # several training steps: the running averages must agree
        check_layer(ours, theirs, data(4, 3, 5, 6, seed=step) * (step + 1) + step)
        for name, buffer in theirs.named_buffers():
            assert_close(getattr(ours, name), buffer, name)
    ours.eval(), theirs.eval()
    check_layer(ours, theirs, data(2, 3, 5, 6, seed=9))


def test_batch_norm2d_float64_and_errors():
    ours, theirs = nn.BatchNorm2d(2).double(), torch.nn.BatchNorm2d(2).double()
    check_layer(ours, theirs, data(3, 2, 4, 4, dtype=np.float64), **FLOAT64)
    with pytest.raises(ValueError, match=r"expected 4D input \(got 3D input\)"):
        nn.BatchNorm2d(2)(rg.zeros(3, 2, 4))
    with pytest.raises(ValueError, match=r"BatchNorm2d\(2\) expects 2 channels.*\(3, 5, 4, 4\)"):
        nn.BatchNorm2d(2)(rg.zeros(3, 5, 4, 4))
    assert repr(nn.BatchNorm2d(4)) == repr(torch.nn.BatchNorm2d(4))


def test_dropout2d_zeroes_whole_channels():
    layer = nn.Dropout2d(0.5)
    x = rg.ones(64, 8, 3, 4, requires_grad=True)
    out = layer(x)
    per_channel = out.array.reshape(64, 8, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # a map is kept or not
    assert set(np.unique(per_channel)) == {0.0, 2.0}  # kept maps scaled by 1 / (1 - p)
    assert 0.4 < (per_channel[:, :, 0] == 0).mean() < 0.6
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.array, out.array)  # the gradient is the mask
    layer.eval()
    assert layer(x) is x
    assert repr(layer) == repr(torch.nn.Dropout2d(0.5))
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout2d(1.5)


# -- a whole network --------------------------------------------------------------------------

def lenet(lib):
    """LeNet-5 for 1x28x28 images, as in bench/bench_conv.py."""
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(1, 6, 5, padding=2), nn_.ReLU(), nn_.MaxPool2d(2),
                          nn_.Conv2d(6, 16, 5), nn_.BatchNorm2d(16), nn_.ReLU(),
                          nn_.MaxPool2d(2), nn_.Flatten(), nn_.Linear(400, 120), nn_.ReLU(),
                          nn_.Linear(120, 84), nn_.ReLU(), nn_.Linear(84, 10))


def test_lenet_training_steps_follow_pytorch():
    ours, theirs = lenet(rg), lenet(torch)
    copy_weights(ours, theirs)
    optimizers = [rg.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9),
                  torch.optim.SGD(theirs.parameters(), lr=0.05, momentum=0.9)]
    images = data(16, 1, 28, 28)
    labels = np.random.default_rng(0).integers(0, 10, 16)
    for step in range(3):
        losses = []
        for lib, model, optimizer in zip((rg, torch), (ours, theirs), optimizers):
            optimizer.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(lib.tensor(images)),
                                                   lib.tensor(labels))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4, err_msg=f"step {step}")
    for (name, mine), reference in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert_close(mine, reference, name, rtol=1e-3, atol=1e-5)
