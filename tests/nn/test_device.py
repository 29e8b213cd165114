"""Layers on a device (the CuPy stand-in of tests/fake_cupy.py as "cuda"), against the CPU.

Every layer built with ``device="cuda"`` holds its parameters and buffers there and computes
what the same layer built on the CPU and moved computes; ``Module.to`` moves parameters,
buffers and gradients in place; gradient clipping stays on the device.
"""
from __future__ import annotations

import copy
import math

import numpy as np
import pytest

import retrograd as rg
from retrograd import nn

import fake_cupy

CUDA = rg.device("cuda:0")

LAYERS = {
    "Linear": (lambda **kw: nn.Linear(4, 3, **kw), (5, 4)),
    "Linear no bias": (lambda **kw: nn.Linear(4, 3, bias=False, **kw), (2, 5, 4)),
    "Conv1d": (lambda **kw: nn.Conv1d(2, 4, 3, padding=1, **kw), (2, 2, 7)),
    "Conv2d": (lambda **kw: nn.Conv2d(2, 4, 3, stride=2, **kw), (2, 2, 7, 7)),
    "Conv2d groups": (lambda **kw: nn.Conv2d(4, 4, 3, groups=2, padding="same", **kw),
                      (2, 4, 5, 5)),
    "Conv2d reflect": (lambda **kw: nn.Conv2d(2, 3, 3, padding=1, padding_mode="reflect", **kw),
                       (2, 2, 5, 5)),
    "BatchNorm1d": (lambda **kw: nn.BatchNorm1d(3, **kw), (6, 3)),
    "BatchNorm1d cumulative": (lambda **kw: nn.BatchNorm1d(3, momentum=None, **kw), (4, 3, 5)),
    "BatchNorm2d": (lambda **kw: nn.BatchNorm2d(3, **kw), (2, 3, 4, 4)),
    "LayerNorm": (lambda **kw: nn.LayerNorm((3, 4), **kw), (2, 3, 4)),
    "Embedding": (lambda **kw: nn.Embedding(10, 3, padding_idx=0, **kw), None),
}


def layer_input(shape, dtype=np.float32) -> np.ndarray:
    if shape is None:  # Embedding's indices
        return np.array([[1, 0, 4], [9, 4, 2]])
    return np.random.default_rng(1).standard_normal(shape).astype(dtype)


def host(tensor: rg.Tensor) -> np.ndarray:
    return tensor.detach().cpu().numpy()


def assert_same(device_tensor: rg.Tensor, cpu_tensor: rg.Tensor, what: str = "") -> None:
    assert device_tensor.device == CUDA, what
    assert device_tensor.dtype == cpu_tensor.dtype, what
    np.testing.assert_array_equal(host(device_tensor), host(cpu_tensor), err_msg=what)


def run(layer: nn.Module, x: np.ndarray, device: str) -> tuple:
    """Output and input gradient of ``layer`` on ``x``, with a fixed upstream gradient."""
    floating = x.dtype.kind == "f"
    input = rg.tensor(x, device=device, requires_grad=floating)
    output = layer(input)
    upstream = np.random.default_rng(2).standard_normal(output.shape)
    output.backward(rg.tensor(upstream.astype(output.dtype.np_dtype), device=device))
    return output, input.grad


@pytest.mark.parametrize("dtype", [rg.float32, rg.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("name", list(LAYERS))
def test_layer_built_on_device_matches_cpu_and_moved(fake_cuda, name, dtype):
    make, shape = LAYERS[name]
    built = make(device="cuda", dtype=dtype)
    for key, tensor in built.state_dict().items():
        assert tensor.device == CUDA, key
        if tensor.array.dtype.kind == "f":
            assert tensor.dtype == dtype, key
    if "BatchNorm" in name:
        assert built.num_batches_tracked.dtype == rg.int64
    on_cpu = make(dtype=dtype)
    on_cpu.load_state_dict(built.state_dict())  # the same values, copied to the host
    moved = copy.deepcopy(on_cpu).to("cuda")
    x = layer_input(shape, dtype.np_dtype)
    expected, expected_grad = run(on_cpu, x, "cpu")
    for layer in (built, moved):
        output, input_grad = run(layer, x, "cuda")
        assert_same(output, expected, "output")
        if input_grad is not None:
            assert_same(input_grad, expected_grad, "input gradient")
        for (key, param), cpu_param in zip(layer.named_parameters(), on_cpu.parameters()):
            assert_same(param.grad, cpu_param.grad, f"gradient of {key}")
        for (key, buffer), cpu_buffer in zip(layer.named_buffers(), on_cpu.buffers()):
            assert_same(buffer, cpu_buffer, key)  # running statistics, batches tracked


def test_layer_initialisation_draws_on_the_device_generator(fake_cuda):
    rg.manual_seed(3)
    on_cpu = nn.Linear(5, 4)
    rg.manual_seed(3)
    built = nn.Linear(5, 4, device="cuda")
    # the stand-in's generator draws what NumPy draws from the same seed (CuPy's draws others)
    assert_same(built.weight, on_cpu.weight)
    assert_same(built.bias, on_cpu.bias)
    weight = built.weight
    nn.init.normal_(weight, generator=rg.Generator("cuda").manual_seed(3))
    assert weight.device == CUDA
    with pytest.raises(RuntimeError, match="device type for generator"):
        nn.init.normal_(weight, generator=rg.Generator())


def test_layers_follow_the_default_device(fake_cuda):
    with rg.device("cuda"):
        layers = [nn.Linear(2, 2), nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.LayerNorm(2),
                  nn.Embedding(3, 2)]
    for layer in layers:
        assert all(t.device == CUDA for t in layer.state_dict().values())
    assert nn.Linear(2, 2).weight.device == rg.device("cpu")


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.ReLU(), nn.Linear(3, 3))


def trained_mlp() -> nn.Module:
    net = mlp()
    net(rg.tensor(layer_input((4, 2)))).sum().backward()
    return net


def test_module_to_moves_parameters_buffers_and_gradients_in_place(fake_cuda):
    net = trained_mlp()
    reference = copy.deepcopy(net)
    params, buffers = list(net.parameters()), list(net.buffers())
    grads = [p.grad for p in params]
    assert net.to("cuda") is net
    assert all(a is b for a, b in zip(net.parameters(), params))
    assert all(a is b for a, b in zip(net.buffers(), buffers))
    for param, grad, expected in zip(params, grads, reference.parameters()):
        assert param.grad is grad and isinstance(param, nn.Parameter)
        assert_same(param, expected)
        assert_same(grad, expected.grad)
    for buffer, expected in zip(buffers, reference.buffers()):
        assert_same(buffer, expected)
    assert net[1].num_batches_tracked.dtype == rg.int64
    assert net.cpu() is net
    assert all(t.device == rg.device("cpu") for t in (*params, *grads, *buffers))
    for param, expected in zip(params, reference.parameters()):
        np.testing.assert_array_equal(host(param), host(expected))


@pytest.mark.parametrize("convert", [
    lambda net: net.to("cuda", rg.float64),
    lambda net: net.to(device="cuda:0", dtype=rg.float64),
    lambda net: net.to(rg.device("cuda"), rg.float64, non_blocking=True),
    lambda net: net.to(rg.zeros(1, dtype=rg.float64, device="cuda")),
    lambda net: net.cuda().double(),
    lambda net: net.double().cuda(0),
    lambda net: net.to(0).to(rg.float64),
], ids=["device, dtype", "keywords", "non_blocking", "tensor", "cuda double", "double cuda",
        "index then dtype"])
def test_module_to_device_and_dtype(fake_cuda, convert):
    net = trained_mlp()
    weight = net[0].weight
    assert convert(net) is net
    assert net[0].weight is weight
    for tensor in (*net.parameters(), *(p.grad for p in net.parameters())):
        assert tensor.device == CUDA and tensor.dtype == rg.float64
    assert net[1].running_mean.dtype == rg.float64 and net[1].running_mean.device == CUDA
    assert net[1].num_batches_tracked.dtype == rg.int64
    assert net.float() is net and weight.dtype == rg.float32 and weight.device == CUDA
    output = net(rg.tensor(layer_input((4, 2)), device="cuda"))
    assert output.device == CUDA and output.dtype == rg.float32


def test_module_to_refuses_what_pytorch_refuses(fake_cuda):
    net = mlp()
    with pytest.raises(TypeError, match="floating point"):
        net.to("cuda", rg.int64)
    with pytest.raises(TypeError, match="floating point"):
        net.to(rg.zeros(1, dtype=rg.int64, device="cuda"))
    with pytest.raises(RuntimeError, match="must be cuda device"):
        net.cuda("cpu")
    with pytest.raises(RuntimeError, match="does not exist"):
        net.to("cuda:1")
    assert all(t.device == rg.device("cpu") for t in net.state_dict().values())


def test_optimizer_built_before_to_keeps_updating_the_moved_parameters(fake_cuda):
    net = mlp()
    reference = copy.deepcopy(net)
    optimizer = rg.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    expected_optimizer = rg.optim.SGD(reference.parameters(), lr=0.1, momentum=0.9)
    net.to("cuda")
    x = layer_input((4, 2))
    for _ in range(3):
        for model, opt, device in ((net, optimizer, "cuda"),
                                   (reference, expected_optimizer, "cpu")):
            opt.zero_grad()
            (model(rg.tensor(x, device=device)) ** 2).mean().backward()
            opt.step()
    for param, expected in zip(net.parameters(), reference.parameters()):
        assert_same(param, expected)
        assert_same(optimizer.state[param]["momentum_buffer"],
                    expected_optimizer.state[expected]["momentum_buffer"])


def test_state_dict_round_trip_between_devices(fake_cuda):
    on_device = trained_mlp().cuda()
    state = on_device.state_dict()
    assert all(t.device == CUDA for t in state.values())
    on_cpu = mlp()
    on_cpu.load_state_dict(state)
    assert all(t.device == rg.device("cpu") for t in on_cpu.state_dict().values())
    again = mlp().cuda()
    again.load_state_dict(on_cpu.state_dict())
    for (key, value), expected in zip(again.state_dict().items(), state.values()):
        assert value.device == CUDA, key
        np.testing.assert_array_equal(host(value), host(expected), err_msg=key)


@pytest.mark.parametrize("make, shape", [LAYERS["Linear"], LAYERS["Conv2d"],
                                         LAYERS["BatchNorm2d"], LAYERS["LayerNorm"]],
                         ids=["Linear", "Conv2d", "BatchNorm2d", "LayerNorm"])
def test_cpu_input_to_a_device_layer_raises_pytorchs_error(fake_cuda, make, shape):
    layer = make(device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        layer(rg.tensor(layer_input(shape)))


def test_cpu_indices_to_a_device_embedding_raise_pytorchs_error(fake_cuda):
    table = nn.Embedding(10, 3, device="cuda")
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        table(rg.tensor([[1, 2], [3, 4]]))


@pytest.mark.parametrize("activation", [nn.ReLU, nn.LeakyReLU, nn.ELU],
                         ids=["ReLU", "LeakyReLU", "ELU"])
@pytest.mark.parametrize("requires_grad", [False, True], ids=["no grad", "grad"])
def test_in_place_activations_on_device(fake_cuda, activation, requires_grad):
    x = layer_input((3, 4))
    expected = activation()(rg.tensor(x))
    leaf = rg.tensor(x, device="cuda", requires_grad=requires_grad)
    input = leaf * 1 if requires_grad else leaf
    output = activation(inplace=True)(input)
    assert output is input
    assert_same(output, expected)
    if requires_grad:
        output.sum().backward()
        assert leaf.grad.device == CUDA


@pytest.mark.parametrize("make, target", [
    (lambda: nn.CrossEntropyLoss(weight=rg.tensor([0.2, 1.0, 3.0])), np.array([2, 0, 1, 2])),
    (lambda: nn.NLLLoss(weight=rg.tensor([0.2, 1.0, 3.0])), np.array([2, 0, 1, 2])),
    (lambda: nn.BCEWithLogitsLoss(weight=rg.tensor([1.0, 2.0, 0.5]),
                                  pos_weight=rg.tensor([3.0, 1.0, 0.5])),
     np.array([[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1]], dtype=np.float32)),
], ids=["CrossEntropyLoss", "NLLLoss", "BCEWithLogitsLoss"])
def test_loss_weights_move_with_the_loss(fake_cuda, make, target):
    scores = layer_input((4, 3))
    expected = make()(rg.tensor(scores), rg.tensor(target))
    loss = make().cuda()
    assert all(buffer.device == CUDA for buffer in loss.buffers())
    assert_same(loss(rg.tensor(scores, device="cuda"), rg.tensor(target, device="cuda")),
                expected)


def test_summary_runs_on_the_models_device(fake_cuda):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2)).cuda()
    result = nn.summary(model, (2, 1, 4, 4), verbose=0)
    assert result.total_params == 2 * 10 + 8 * 2 + 2
    assert result.layers[-1].output_shape == [2, 2]


def gradients(device: str) -> list:
    """Parameters of three shapes on ``device``, with seeded gradients."""
    rng = np.random.default_rng(4)
    params = []
    for shape in [(3, 4), (4,), (2, 3, 2)]:
        param = nn.Parameter(rg.zeros(*shape, device=device))
        param.grad = rg.tensor(3 * rng.standard_normal(shape).astype(np.float32), device=device)
        params.append(param)
    return params


def no_host_reads(monkeypatch) -> None:
    """Makes every read of a device value on the host fail (each is a device sync)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a device value was read on the host")
    for name in ("__float__", "__bool__", "__int__", "__index__", "item", "tolist", "get"):
        monkeypatch.setattr(fake_cupy.FakeArray, name, refuse, raising=False)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, -math.inf])
@pytest.mark.parametrize("max_norm", [1.0, 1e6], ids=["clipping", "not clipping"])
def test_clip_grad_norm_on_device_without_host_reads(fake_cuda, monkeypatch, norm_type,
                                                     max_norm):
    on_cpu, on_device = gradients("cpu"), gradients("cuda")
    expected = nn.utils.clip_grad_norm_(on_cpu, max_norm, norm_type)
    with monkeypatch.context() as patch:
        no_host_reads(patch)
        total = nn.utils.clip_grad_norm_(on_device, max_norm, norm_type)
    assert_same(total, expected, "total norm")
    for param, cpu_param in zip(on_device, on_cpu):
        assert_same(param.grad, cpu_param.grad)


@pytest.mark.parametrize("first", ["cuda", "cpu"])
def test_clip_grad_norm_of_gradients_on_several_devices(fake_cuda, first):
    on_cpu, mixed = gradients("cpu"), gradients("cpu")
    second = "cpu" if first == "cuda" else "cuda"
    for param, device in zip(mixed, (first, second, first)):
        param.grad = param.grad.to(device)
    expected = nn.utils.clip_grad_norm_(on_cpu, 1.0)
    total = nn.utils.clip_grad_norm_(mixed, 1.0)
    assert total.device == (CUDA if first == "cuda" else rg.device("cpu"))
    np.testing.assert_array_equal(host(total), host(expected))
    for param, cpu_param in zip(mixed, on_cpu):
        np.testing.assert_array_equal(host(param.grad), host(cpu_param.grad))


def test_clip_grad_norm_error_if_nonfinite_on_device(fake_cuda):
    params = gradients("cuda")
    params[1].grad.fill_(math.inf)
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_on_device(fake_cuda, monkeypatch):
    on_cpu, on_device = gradients("cpu"), gradients("cuda")
    nn.utils.clip_grad_value_(on_cpu, 0.5)
    with monkeypatch.context() as patch:
        no_host_reads(patch)
        nn.utils.clip_grad_value_(on_device, 0.5)
    for param, cpu_param in zip(on_device, on_cpu):
        assert_same(param.grad, cpu_param.grad)
