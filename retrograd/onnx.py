"""``rg.onnx.export``: a model built from ``nn`` layers as an ONNX file, for onnxruntime and
every other ONNX engine.

The model is traced: it runs once on the example input, in eval mode, with a forward hook on
each of its layers (the modules without children), which notes the layer, the tensor it read
and the tensor it made. Each layer becomes its ONNX operators (``Linear`` a ``Gemm``, ``Conv2d``
a ``Conv``...), its parameters and buffers the graph's initializers, and the tensors flow by
identity: the output of one layer is the input of the next. Work done between layers outside
any ``nn`` layer (``x + y``, ``x.view(...)``) is not seen by the hooks, so it is refused with a
message rather than exported wrong. The first dimension (the batch) is left free.

Needs the ``onnx`` package (``pip install 'retrograd[onnx]'``).
"""
from __future__ import annotations

import math
import os
from typing import Any, Callable

import numpy as np

from .autograd.grad_mode import no_grad
from .nn.module import Module
from .serialization import write_atomically
from .tensor import Tensor

__all__ = ["export"]

OPSET = 17


class _Graph:
    """The ONNX nodes and initializers built so far, with fresh names."""

    def __init__(self, helper: Any, numpy_helper: Any) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self.constants: set[str] = set()  # a layer called twice has its parameters once
        self.count = 0

    def constant(self, name: str, array: np.ndarray) -> str:
        if name not in self.constants:
            self.constants.add(name)
            self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array),
                                                                  name))
        return name

    def node(self, op: str, inputs: list[str], output: str | None = None, **attributes) -> str:
        self.count += 1
        output = output or f"t{self.count}"
        self.nodes.append(self.helper.make_node(op, inputs, [output], name=f"{op}_{self.count}",
                                                **attributes))
        return output


def _pair(value: Any) -> list[int]:
    return list(value) if isinstance(value, (tuple, list)) else [value, value]


def _linear(layer: Any, x: str, name: str, graph: _Graph) -> str:
    inputs = [x, graph.constant(f"{name}.weight", layer.weight.detach().numpy())]
    if layer.bias is not None:
        inputs.append(graph.constant(f"{name}.bias", layer.bias.detach().numpy()))
    return graph.node("Gemm", inputs, transB=1)


def _conv(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if layer.padding_mode != "zeros" or isinstance(layer.padding, str):
        raise ValueError(f"{name}: only numeric zero padding is exported (got padding="
                         f"{layer.padding!r}, padding_mode={layer.padding_mode!r})")
    inputs = [x, graph.constant(f"{name}.weight", layer.weight.detach().numpy())]
    if layer.bias is not None:
        inputs.append(graph.constant(f"{name}.bias", layer.bias.detach().numpy()))
    pads = list(layer.padding)
    return graph.node("Conv", inputs, strides=list(layer.stride), pads=pads + pads,
                      dilations=list(layer.dilation), group=layer.groups,
                      kernel_shape=list(layer.weight.shape[2:]))


def _max_pool(layer: Any, x: str, name: str, graph: _Graph) -> str:
    pads = _pair(layer.padding)
    return graph.node("MaxPool", [x], kernel_shape=_pair(layer.kernel_size),
                      strides=_pair(layer.stride), pads=pads + pads,
                      dilations=_pair(layer.dilation), ceil_mode=int(layer.ceil_mode))


def _avg_pool(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if layer.divisor_override is not None:
        raise ValueError(f"{name}: divisor_override has no ONNX equivalent")
    pads = _pair(layer.padding)
    return graph.node("AveragePool", [x], kernel_shape=_pair(layer.kernel_size),
                      strides=_pair(layer.stride), pads=pads + pads,
                      ceil_mode=int(layer.ceil_mode),
                      count_include_pad=int(layer.count_include_pad))


def _adaptive_avg_pool(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if _pair(layer.output_size) != [1, 1]:
        raise ValueError(f"{name}: only AdaptiveAvgPool2d(1) (a global average) is exported")
    return graph.node("GlobalAveragePool", [x])


def _batch_norm(layer: Any, x: str, name: str, graph: _Graph) -> str:
    channels = layer.num_features
    scale = layer.weight.detach().numpy() if layer.weight is not None else \
        np.ones(channels, np.float32)
    shift = layer.bias.detach().numpy() if layer.bias is not None else \
        np.zeros(channels, np.float32)
    if layer.running_mean is None:
        raise ValueError(f"{name}: a BatchNorm without running statistics "
                         f"(track_running_stats=False) normalises by the batch: not exported")
    inputs = [x, graph.constant(f"{name}.weight", scale), graph.constant(f"{name}.bias", shift),
              graph.constant(f"{name}.running_mean", layer.running_mean.numpy()),
              graph.constant(f"{name}.running_var", layer.running_var.numpy())]
    return graph.node("BatchNormalization", inputs, epsilon=float(layer.eps))


def _flatten(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if layer.start_dim != 1 or layer.end_dim != -1:
        raise ValueError(f"{name}: only Flatten(1, -1) (the default) is exported")
    return graph.node("Flatten", [x], axis=1)


def _gelu(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if layer.approximate != "none":
        raise ValueError(f"{name}: only GELU(approximate='none') is exported")
    # 0.5 x (1 + erf(x / sqrt 2)): opset 17 has no Gelu operator
    root = graph.constant(f"{name}.sqrt2", np.array(math.sqrt(2), np.float32))
    one = graph.constant(f"{name}.one", np.array(1, np.float32))
    half = graph.constant(f"{name}.half", np.array(0.5, np.float32))
    erf = graph.node("Erf", [graph.node("Div", [x, root])])
    return graph.node("Mul", [graph.node("Mul", [x, half]), graph.node("Add", [erf, one])])


def _softplus(layer: Any, x: str, name: str, graph: _Graph) -> str:
    if layer.beta != 1:
        raise ValueError(f"{name}: only Softplus(beta=1) is exported")
    return graph.node("Softplus", [x])


def _pointwise(op: str, **attributes: Callable[[Any], Any]) -> Callable:
    def convert(layer: Any, x: str, name: str, graph: _Graph) -> str:
        return graph.node(op, [x], **{key: read(layer) for key, read in attributes.items()})
    return convert


def _identity(layer: Any, x: str, name: str, graph: _Graph) -> str:
    return graph.node("Identity", [x])


CONVERTERS: dict[str, Callable[[Any, str, str, _Graph], str]] = {
    "Linear": _linear, "Conv1d": _conv, "Conv2d": _conv, "MaxPool2d": _max_pool,
    "AvgPool2d": _avg_pool, "AdaptiveAvgPool2d": _adaptive_avg_pool,
    "BatchNorm1d": _batch_norm, "BatchNorm2d": _batch_norm, "Flatten": _flatten,
    "ReLU": _pointwise("Relu"), "Sigmoid": _pointwise("Sigmoid"), "Tanh": _pointwise("Tanh"),
    "LeakyReLU": _pointwise("LeakyRelu", alpha=lambda m: float(m.negative_slope)),
    "ELU": _pointwise("Elu", alpha=lambda m: float(m.alpha)),
    "Softmax": _pointwise("Softmax", axis=lambda m: m.dim),
    "LogSoftmax": _pointwise("LogSoftmax", axis=lambda m: m.dim),
    "GELU": _gelu, "Softplus": _softplus, "Dropout": _identity, "Identity": _identity,
}


def export(model: Module, example_input: Tensor, path: str | os.PathLike,
           input_names: tuple[str, ...] = ("input",), output_names: tuple[str, ...] = ("output",),
           opset_version: int = OPSET) -> None:
    """Writes ``model`` (built from ``nn`` layers) to the ONNX file ``path``, as traced on
    ``example_input`` (its shape, with the first dimension free: any batch size).

    Layers: Linear, Conv1d/Conv2d (zero padding), MaxPool2d, AvgPool2d, AdaptiveAvgPool2d(1),
    BatchNorm1d/2d (with their running statistics: the model is exported in eval mode),
    Flatten, Dropout (an identity in eval), ReLU, Sigmoid, Tanh, LeakyReLU, ELU, GELU,
    Softplus, Softmax, LogSoftmax, Identity. Anything else raises ValueError saying which
    layer or computation is not supported. The file is written atomically.
    """
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("rg.onnx.export needs the onnx package: pip install "
                          "'retrograd[onnx]'") from None
    if not isinstance(example_input, Tensor):
        raise TypeError(f"example_input must be a Tensor, got {type(example_input).__name__}")
    calls = _trace(model, example_input)
    graph = _Graph(helper, numpy_helper)
    names = {id(example_input): input_names[0]}
    for layer_name, layer, inputs, output in calls:
        if len(inputs) != 1 or id(inputs[0]) not in names:
            raise ValueError(f"rg.onnx.export: layer {layer_name!r} reads a tensor that no "
                             f"exported layer made (computed between layers, outside any nn "
                             f"layer?): only models built from nn layers are exported")
        names[id(output)] = CONVERTERS[type(layer).__name__](layer, names[id(inputs[0])],
                                                             layer_name, graph)
    result = calls[-1][3] if calls else example_input
    if id(result) not in names:
        raise ValueError("rg.onnx.export: the model's output is not the output of its last "
                         "layer (computed after it?)")
    graph.nodes.append(helper.make_node("Identity", [names[id(result)]], [output_names[0]]))
    batch = ["batch", *example_input.shape[1:]]
    model_proto = helper.make_model(
        helper.make_graph(graph.nodes, type(model).__name__,
                          [helper.make_tensor_value_info(input_names[0], onnx.TensorProto.FLOAT,
                                                         batch)],
                          [helper.make_tensor_value_info(output_names[0], onnx.TensorProto.FLOAT,
                                                         ["batch", *result.shape[1:]])],
                          graph.initializers),
        opset_imports=[helper.make_opsetid("", opset_version)], producer_name="retrograd")
    onnx.checker.check_model(model_proto)
    content = model_proto.SerializeToString()
    write_atomically(os.fspath(path), lambda file: file.write(content))


def _trace(model: Module, example_input: Tensor) -> list[tuple[str, Module, tuple, Any]]:
    """(name, layer, inputs, output) of every layer call, in order, in eval mode."""
    calls: list[tuple[str, Module, tuple, Any]] = []
    handles = []
    for name, layer in model.named_modules():
        if next(iter(layer.children()), None) is not None:
            continue  # containers: their layers are traced
        if type(layer).__name__ not in CONVERTERS:
            raise ValueError(f"rg.onnx.export: layer {name or type(layer).__name__!r} "
                             f"({type(layer).__name__}) is not supported; supported: "
                             f"{', '.join(CONVERTERS)}")
        handles.append(layer.register_forward_hook(
            lambda layer, inputs, output, name=name: calls.append(
                (name or type(layer).__name__, layer, inputs, output))))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(example_input)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return calls
