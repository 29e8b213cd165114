"""rg.nn.summary: output shapes and parameter counts checked against PyTorch's modules; the
model is left as it was."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd import nn


def cnn(lib):
    nn_ = lib.nn
    return nn_.Sequential(nn_.Conv2d(3, 8, 3, stride=2, padding=1), nn_.BatchNorm2d(8),
                          nn_.ReLU(), nn_.MaxPool2d(3, 2, ceil_mode=True),
                          nn_.Conv2d(8, 12, (3, 2), groups=4, dilation=2), nn_.Dropout2d(0.3),
                          nn_.AdaptiveAvgPool2d(2), nn_.Flatten(), nn_.Linear(48, 5))


def torch_output_shapes(model: torch.nn.Module, x: torch.Tensor) -> dict:
    shapes = {}
    hooks = [module.register_forward_hook(
        lambda module, args, output, name=name: shapes.__setitem__(name, list(output.shape)))
        for name, module in model.named_modules()]
    with torch.no_grad():
        model.eval()(x)
    for hook in hooks:
        hook.remove()
    return shapes


def test_summary_shapes_and_counts_match_pytorch():
    model = cnn(rg)
    result = nn.summary(model, (4, 3, 33, 31), verbose=0)
    theirs = cnn(torch)
    shapes = torch_output_shapes(theirs, torch.zeros(4, 3, 33, 31))
    torch_modules = dict(theirs.named_modules())
    assert [layer.name for layer in result.layers] == list(torch_modules)
    for layer in result.layers:
        assert layer.output_shape == shapes[layer.name], layer.name
        own = sum(p.numel() for p in torch_modules[layer.name].parameters(recurse=False))
        assert layer.num_params == own, layer.name
    assert result.total_params == sum(p.numel() for p in theirs.parameters())
    assert result.trainable_params == result.total_params and result.non_trainable_params == 0
    # the lectures' formulas: floor((i + 2p - k) / s) + 1, and out * (in * k * k + 1)
    first = result.layers[1]
    assert first.output_shape == [4, 8, (33 + 2 - 3) // 2 + 1, (31 + 2 - 3) // 2 + 1]
    assert first.num_params == 8 * (3 * 3 * 3 + 1)


def test_summary_table_depth_frozen_parameters_and_state():
    model = nn.Sequential(nn.Sequential(nn.Linear(4, 3), nn.ReLU()), nn.BatchNorm1d(3))
    model[0][0].weight.requires_grad_(False)
    model.train()
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    rg.manual_seed(5)
    result = nn.summary(model, (2, 4), depth=1, verbose=0)
    text = str(result)
    assert "Total params: 21" in text and "Trainable params: 9" in text
    assert "Non-trainable params: 12" in text
    assert "0 (Sequential)" in text and "(Linear)" not in text  # deeper than depth 1
    assert [layer.output_shape for layer in result.layers] == [[2, 3], [2, 3], [2, 3], [2, 3],
                                                                [2, 3]]
    assert model.training and all(m.training for m in model.modules())
    for key, value in model.state_dict().items():  # eval mode: running statistics unchanged
        np.testing.assert_array_equal(value.array, before[key])
    assert "forward" not in vars(model[0][0])
    after_summary = rg.rand(3).array  # the random number generator did not move
    rg.manual_seed(5)
    np.testing.assert_array_equal(after_summary, rg.rand(3).array)


def test_summary_prints_and_checks_its_arguments(capsys):
    model = nn.Sequential(nn.Conv1d(2, 4, 3), nn.Flatten())
    nn.summary(model, (1, 2, 10), verbose=1)
    assert "[1, 4, 8]" in capsys.readouterr().out
    nn.summary(model, input_data=rg.zeros(3, 2, 5), verbose=0)
    with pytest.raises(ValueError, match="input_size"):
        nn.summary(model, verbose=0)
    with pytest.raises(ValueError, match=r"positive ints including the batch"):
        nn.summary(model, (2, 0, 10), verbose=0)
    with pytest.raises(TypeError, match="rg.nn.Module"):
        nn.summary(torch.nn.Linear(2, 2), (1, 2), verbose=0)
    with pytest.raises(RuntimeError, match=r"Conv1d\(2, 4.*expected input with 2 channels"):
        nn.summary(model, (1, 3, 10), verbose=0)
    assert "forward" not in vars(model[0])  # restored after a failing forward too
