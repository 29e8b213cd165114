"""The same layer in retrograd and in PyTorch 2.13.0, with the same weights and inputs.

``check_layer`` copies retrograd's weights into the PyTorch layer (through ``state_dict``, so
the keys must match too), runs both on the same seeded input, backpropagates the same seeded
upstream gradient, and compares the output, the input's gradient and every parameter's gradient.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import torch

import retrograd as rg

torch.set_num_threads(1)  # small tensors: threads cost more than they give on a shared machine

# float32 allows for a different order of summation (a few ulps of each term)
FLOAT32 = dict(rtol=1e-5, atol=1e-5)
FLOAT64 = dict(rtol=1e-10, atol=1e-12)


def data(*shape: int, seed: int = 0, dtype=np.float32) -> np.ndarray:
    """Seeded standard-normal values, the same for both libraries."""
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def copy_weights(ours: rg.nn.Module, theirs: torch.nn.Module) -> None:
    """Loads our module's state (parameters and buffers) into the PyTorch module."""
    theirs.load_state_dict({key: torch.from_numpy(value.array.copy())
                            for key, value in ours.state_dict().items()})


def assert_close(ours: Any, theirs: Any, what: str = "", **tolerance: float) -> None:
    """Same shape, same dtype, and values within ``tolerance`` (float32's by default)."""
    actual = ours.array if isinstance(ours, rg.Tensor) else np.asarray(ours)
    expected = theirs.detach().numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    np.testing.assert_allclose(actual, expected, err_msg=what, **(tolerance or FLOAT32))


def check_layer(ours: rg.nn.Module, theirs: torch.nn.Module, input: np.ndarray,
                **tolerance: float) -> tuple[rg.Tensor, torch.Tensor]:
    """Compares forward and backward of the two layers on ``input``; returns both outputs."""
    copy_weights(ours, theirs)
    differentiable = input.dtype.kind == "f"
    x = rg.tensor(input, requires_grad=differentiable)
    x_torch = torch.tensor(input, requires_grad=differentiable)
    out, out_torch = ours(x), theirs(x_torch)
    assert_close(out, out_torch, "output", **tolerance)
    upstream = data(*out_torch.shape, seed=1, dtype=out.array.dtype)
    out.backward(rg.tensor(upstream))
    out_torch.backward(torch.from_numpy(upstream))
    if differentiable:
        assert_close(x.grad, x_torch.grad, "input gradient", **tolerance)
    torch_parameters = dict(theirs.named_parameters())
    names = [name for name, _ in ours.named_parameters()]
    assert names == list(torch_parameters), (names, list(torch_parameters))
    for name, param in ours.named_parameters():
        assert_close(param.grad, torch_parameters[name].grad, f"gradient of {name}", **tolerance)
    return out, out_torch
