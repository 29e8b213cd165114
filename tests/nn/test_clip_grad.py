"""clip_grad_norm_ and clip_grad_value_ against PyTorch 2.13.0 on the same gradients."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd.nn.utils import clip_grad_norm_, clip_grad_value_

from .helpers import assert_close, data

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def parameters_with_grads(scale: float, dtype=np.float32):
    """The same three parameters with the same gradients, in each library."""
    ours, theirs = [], []
    for seed, shape in enumerate(SHAPES):
        value, grad = data(*shape, seed=seed, dtype=dtype), data(*shape, seed=10 + seed) * scale
        ours.append(rg.nn.Parameter(rg.tensor(value)))
        ours[-1].grad = rg.tensor(grad.astype(dtype))
        theirs.append(torch.nn.Parameter(torch.tensor(value)))
        theirs[-1].grad = torch.tensor(grad.astype(dtype))
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf, "inf"])
@pytest.mark.parametrize("scale, max_norm", [(1.0, 0.5), (0.01, 10.0)])  # clipped, untouched
def test_clip_grad_norm_equals_pytorch(norm_type, scale, max_norm):
    ours, theirs = parameters_with_grads(scale)
    total = clip_grad_norm_(ours, max_norm, norm_type)
    total_torch = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert_close(total, total_torch, "total norm")
    for param, param_torch in zip(ours, theirs):
        assert_close(param.grad, param_torch.grad, "clipped gradient")


def test_clip_grad_norm_float64_and_single_tensor():
    ours, theirs = parameters_with_grads(1.0, np.float64)
    for param, param_torch in zip(ours, theirs):
        param.grad, param_torch.grad = param.grad.double(), param_torch.grad.double()
    total = clip_grad_norm_(ours[0], 0.1)
    assert_close(total, torch.nn.utils.clip_grad_norm_(theirs[0], 0.1), rtol=1e-12, atol=0)
    assert_close(ours[0].grad, theirs[0].grad, rtol=1e-12, atol=0)
    np.testing.assert_allclose(np.linalg.norm(ours[0].grad.array), 0.1, rtol=1e-5)


def test_clip_grad_norm_skips_missing_grads_and_handles_none():
    ours, _ = parameters_with_grads(1.0)
    ours[1].grad = None
    clip_grad_norm_(ours, 1.0)
    assert ours[1].grad is None
    empty = clip_grad_norm_([rg.nn.Parameter(rg.zeros(2))], 1.0)
    assert empty.item() == 0.0 and empty.dtype == rg.float32


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # inf * 0, as in PyTorch
def test_clip_grad_norm_non_finite():
    ours, theirs = parameters_with_grads(1.0)
    ours[0].grad.array[0, 0] = theirs[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(ours, 1.0)
    total_torch = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert math.isinf(total.item()) and math.isinf(total_torch.item())
    for param, param_torch in zip(ours, theirs):
        np.testing.assert_array_equal(param.grad.array, param_torch.grad.numpy())


def test_clip_grad_norm_does_not_record_a_graph():
    ours, _ = parameters_with_grads(1.0)
    for param in ours:
        param.grad.requires_grad_(True)
    clip_grad_norm_(ours, 0.1)
    assert all(param.grad.grad_fn is None for param in ours)


@pytest.mark.parametrize("clip_value", [0.3, 2])
def test_clip_grad_value_equals_pytorch(clip_value):
    ours, theirs = parameters_with_grads(1.0)
    assert clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for param, param_torch in zip(ours, theirs):
        assert_close(param.grad, param_torch.grad)
