"""``summary``: every layer's output shape and parameter count for an input size, as the
``torchinfo`` package prints them.

The lectures' exercise, done by the library: a convolution's output size is
``floor((i + 2p - k) / s) + 1`` per spatial axis, and its parameters number
``out_channels * (in_channels / groups * kh * kw + 1)``.

    >>> model = rg.nn.Sequential(rg.nn.Conv2d(1, 6, 5, padding=2), rg.nn.ReLU(),
    ...                          rg.nn.MaxPool2d(2), rg.nn.Flatten(), rg.nn.Linear(1176, 10))
    >>> print(rg.nn.summary(model, (64, 1, 28, 28), verbose=0))
"""
from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..autograd.grad_mode import no_grad
from ..creation import zeros
from ..device import DeviceLike
from ..tensor import Tensor
from .module import Module
from .recording import recording_outputs


@dataclass
class LayerInfo:
    """One row of the summary: a module, where it sits, what it output and its parameters."""
    name: str            # its name in the model ("features.0"), "" for the model itself
    kind: str            # its class name
    depth: int           # 0 for the model, 1 for its children...
    output_shape: list | None = None  # of the last call; None when the forward never called it
    num_params: int = 0  # its own parameters (not its children's), each counted once
    trainable_params: int = 0


@dataclass
class ModelSummary:
    """What ``summary`` returns; ``str()`` of it is the table."""
    layers: list[LayerInfo]
    input_shapes: list[list[int]]
    total_params: int = 0
    trainable_params: int = 0
    depth: int = 3
    input_bytes: int = 0
    param_bytes: int = 0
    non_trainable_params: int = field(init=False)

    def __post_init__(self) -> None:
        self.non_trainable_params = self.total_params - self.trainable_params

    def __str__(self) -> str:
        rows = [("Layer (type)", "Output Shape", "Param #")]
        for layer in self.layers:
            if layer.depth > self.depth:
                continue
            label = layer.kind if layer.depth == 0 else \
                f"{'  ' * (layer.depth - 1)}{layer.name.rsplit('.', 1)[-1]} ({layer.kind})"
            shape = "--" if layer.output_shape is None else str(layer.output_shape)
            params = f"{layer.num_params:,}" if layer.num_params else "--"
            rows.append((label, shape, params))
        widths = [max(len(row[i]) for row in rows) + 2 for i in range(3)]
        width = sum(widths)
        line = "=" * width
        header, *layers = ["".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip()
                           for row in rows]
        table = [line, header, line, *layers]
        megabytes = 1024 ** 2
        table += [line,
                  f"Total params: {self.total_params:,}",
                  f"Trainable params: {self.trainable_params:,}",
                  f"Non-trainable params: {self.non_trainable_params:,}",
                  line,
                  f"Input size (MB): {self.input_bytes / megabytes:.2f}",
                  f"Params size (MB): {self.param_bytes / megabytes:.2f}",
                  line]
        return "\n".join(table)

    __repr__ = __str__


def _shapes(output: Any) -> list | None:
    """[N, C, H, W] of a tensor output; a list of those for several tensors."""
    if isinstance(output, Tensor):
        return list(output.shape)
    if isinstance(output, (tuple, list)):
        shapes = [_shapes(item) for item in output]
        shapes = [s for s in shapes if s is not None]
        return (shapes[0] if len(shapes) == 1 else shapes) if shapes else None
    return None


def _model_device(model: Module) -> DeviceLike:
    """The device of the model's first parameter or buffer (None, the default, for none)."""
    first = next(itertools.chain(model.parameters(), model.buffers()), None)
    return None if first is None else first.device


def _input_tensors(input_size: Any, input_data: Any, dtypes: Sequence | None,
                   device: DeviceLike) -> list:
    if input_data is not None:
        data = input_data if isinstance(input_data, (list, tuple)) else [input_data]
        if not all(isinstance(item, Tensor) for item in data):
            raise TypeError("summary: input_data must be a Tensor or a list of Tensors")
        return list(data)
    if input_size is None:
        raise ValueError("summary: give input_size (with the batch dimension, e.g. "
                         "(64, 1, 28, 28)) or input_data")
    sizes = list(input_size) if input_size and isinstance(input_size[0], (list, tuple)) else \
        [input_size]
    for size in sizes:
        if not all(isinstance(n, int) and n > 0 for n in size):
            raise ValueError(f"summary: an input size is a tuple of positive ints including the "
                             f"batch dimension, e.g. (64, 1, 28, 28); got {tuple(size)}")
    dtypes = list(dtypes) if dtypes is not None else [None] * len(sizes)
    # zeros, not random values: a summary must not move the user's random number generator
    return [zeros(*size, dtype=dtype, device=device) for size, dtype in zip(sizes, dtypes)]


def summary(model: Module, input_size: Sequence | None = None, input_data: Any = None,
            dtypes: Sequence | None = None, depth: int = 3,
            verbose: int | None = None) -> ModelSummary:
    """Runs ``model`` once on zeros of ``input_size`` and tabulates, for every module, the shape
    of its output and the number of its parameters, with the totals.

    ``input_size`` includes the batch dimension, e.g. ``(64, 1, 28, 28)``; a list of such
    tuples for a model with several inputs (or give ``input_data``, tensors); the zeros are
    made on the model's device. ``dtypes``: one dtype per input (float32 by default).
    ``depth``: how many levels of nested modules to show (totals always count every
    parameter). ``verbose``: 1 prints the table, 0 does not; by default it prints except in an
    interactive session, where the returned summary displays itself. The model runs in
    evaluation mode under ``no_grad`` (no running statistics change) and is left as it was.
    """
    if not isinstance(model, Module):
        raise TypeError(f"summary: model must be an rg.nn.Module, got {type(model).__name__}")
    inputs = _input_tensors(input_size, input_data, dtypes, _model_device(model))
    modules = list(model.named_modules())
    layers = {id(module): LayerInfo(name, type(module).__name__, 0 if not name
                                    else name.count(".") + 1) for name, module in modules}
    counted: set[int] = set()
    for name, module in modules:
        for param in module.parameters(recurse=False):
            if id(param) not in counted:  # a shared parameter counts once, where first seen
                counted.add(id(param))
                layers[id(module)].num_params += param.numel()
                layers[id(module)].trainable_params += param.numel() if param.requires_grad \
                    else 0

    modes = [(module, module.training) for _, module in modules]
    try:
        model.eval()
        with no_grad(), recording_outputs(modules) as calls:
            model(*inputs)
    finally:
        for module, training in modes:
            object.__setattr__(module, "training", training)
    for _, module, output in calls:  # the shapes of each module's last call
        layers[id(module)].output_shape = _shapes(output)
    parameters = list(model.parameters())
    result = ModelSummary(
        layers=[layers[id(module)] for _, module in modules],
        input_shapes=[list(t.shape) for t in inputs],
        total_params=sum(p.numel() for p in parameters),
        trainable_params=sum(p.numel() for p in parameters if p.requires_grad),
        depth=depth,
        input_bytes=sum(t.array.nbytes for t in inputs),
        param_bytes=sum(p.array.nbytes for p in parameters))
    if verbose is None:
        verbose = 0 if hasattr(sys, "ps1") else 1
    if verbose:
        print(result)
    return result
