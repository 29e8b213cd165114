"""rg.nn.init: gains and fans equal PyTorch's; each distribution has the right bounds and
statistics; in place, without recording a graph, reproducible with a generator."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd.nn import init

GAINS = [("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
         ("leaky_relu", None), ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)]


@pytest.mark.parametrize("nonlinearity, param", GAINS)
def test_calculate_gain_equals_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == \
        torch.nn.init.calculate_gain(nonlinearity, param)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="Unsupported nonlinearity swish"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 5), (8, 4, 3), (6, 2, 3, 3)])
def test_fans_equal_pytorch(shape):
    assert init._calculate_fan_in_and_fan_out(rg.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init.xavier_uniform_(rg.empty(5))
    with pytest.raises(ValueError, match="Mode fan_middle not supported"):
        init.kaiming_uniform_(rg.empty(3, 3), mode="fan_middle")


SHAPE = (300, 200)  # fan_in 200, fan_out 300; 60,000 draws: statistics within about 1%
FAN_IN, FAN_OUT = 200, 300

# (fill, expected bound of a uniform or None, expected standard deviation)
UNIFORMS = [
    (lambda t: init.uniform_(t, -2.0, 3.0), None, 5 / math.sqrt(12)),
    (lambda t: init.xavier_uniform_(t, gain=2.0), 2 * math.sqrt(6 / (FAN_IN + FAN_OUT)), None),
    (lambda t: init.kaiming_uniform_(t), math.sqrt(2) * math.sqrt(3 / FAN_IN), None),  # a=0
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(FAN_IN), None),
    (lambda t: init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
     math.sqrt(2) * math.sqrt(3 / FAN_OUT), None),
]
NORMALS = [
    (lambda t: init.normal_(t, 1.5, 0.5), 1.5, 0.5),
    (lambda t: init.xavier_normal_(t), 0.0, math.sqrt(2 / (FAN_IN + FAN_OUT))),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), 0.0, math.sqrt(2 / FAN_IN)),
    (lambda t: init.kaiming_normal_(t, a=0.2, mode="fan_out"), 0.0,
     math.sqrt(2 / (1 + 0.04)) / math.sqrt(FAN_OUT)),
]


@pytest.mark.parametrize("fill, bound, std", UNIFORMS)
def test_uniform_fills_have_their_bounds_and_spread(fill, bound, std):
    values = fill(rg.empty(SHAPE)).array
    if bound is not None:
        assert values.min() >= -bound and values.max() <= bound
        assert values.min() < -0.99 * bound and values.max() > 0.99 * bound
        std = bound / math.sqrt(3)  # U(-b, b)
    assert abs(values.std() - std) < 0.01 * std
    assert values.dtype == np.float32


@pytest.mark.parametrize("fill, mean, std", NORMALS)
def test_normal_fills_have_their_mean_and_std(fill, mean, std):
    values = fill(rg.empty(SHAPE)).array
    assert abs(values.mean() - mean) < 0.01 * std + 1e-3
    assert abs(values.std() - std) < 0.01 * std


def test_pytorch_fills_have_the_same_statistics():
    # the same spread as PyTorch's own fills, as a check on the formulas above
    for ours, theirs in [(init.kaiming_uniform_, torch.nn.init.kaiming_uniform_),
                         (init.xavier_normal_, torch.nn.init.xavier_normal_)]:
        ours_std = ours(rg.empty(SHAPE)).array.std()
        theirs_std = theirs(torch.empty(SHAPE)).numpy().std()
        assert abs(ours_std - theirs_std) < 0.02 * theirs_std


def test_constant_fills():
    assert (init.constant_(rg.empty(2, 3), 0.25).array == 0.25).all()
    assert (init.ones_(rg.empty(2, 3)).array == 1).all()
    assert (init.zeros_(rg.empty(2, 3)).array == 0).all()


def test_in_place_on_parameters_without_recording():
    weight = rg.nn.Parameter(rg.empty(4, 3))
    data = weight.array
    assert init.kaiming_normal_(weight) is weight
    assert weight.array is data and weight.grad_fn is None and weight.requires_grad
    assert weight._version > 0  # in-place changes are counted, as in PyTorch


def test_generator_makes_fills_reproducible():
    first = init.xavier_uniform_(rg.empty(5, 4), generator=rg.Generator().manual_seed(1)).array
    rg.randn(10)  # the global generator moving does not matter
    again = init.xavier_uniform_(rg.empty(5, 4), generator=rg.Generator().manual_seed(1)).array
    np.testing.assert_array_equal(first, again)


def test_zero_element_tensor_is_left_alone_with_a_warning():
    with pytest.warns(UserWarning, match="zero-element"):
        assert init.kaiming_uniform_(rg.empty(0, 3)).shape == (0, 3)
