"""User-defined rg.autograd.Function: forward/backward on Tensors, ctx, apply, second order."""
import numpy as np
import pytest
from ops.oracle import check_scenario, data

import retrograd as rg


def make_functions(lib):
    """The same two user Functions written against either library."""

    class Cube(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale  # non-tensor state goes on ctx directly
            ctx.forward_saw = (type(x).__name__, lib.is_grad_enabled())
            return x ** 3 * scale

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            ctx.backward_saw = ctx.needs_input_grad
            return grad * 3 * x ** 2 * ctx.scale, None

    class MulAdd(lib.autograd.Function):
        @staticmethod
        def forward(ctx, a, b, c):
            ctx.save_for_backward(a, b)
            return a * b + c

        @staticmethod
        def backward(ctx, grad):
            a, b = ctx.saved_tensors
            ctx.backward_saw = ctx.needs_input_grad
            return (grad * b if ctx.needs_input_grad[0] else None,
                    grad * a if ctx.needs_input_grad[1] else None,
                    grad)

    return Cube, MulAdd


def test_forward_receives_tensors_without_recording_and_backward_is_used():
    def scenario(lib):
        Cube, _ = make_functions(lib)
        x = lib.tensor(data(4), requires_grad=True)
        y = Cube.apply(x, 2.5)
        y.sum().backward()
        return (y, x.grad, y.grad_fn.forward_saw, y.grad_fn.backward_saw,
                y.requires_grad, y.is_leaf, type(y.grad_fn).__name__.startswith("Cube"))

    check_scenario(scenario)


def test_needs_input_grad_and_several_inputs():
    def scenario(lib):
        _, MulAdd = make_functions(lib)
        a = lib.tensor(data(3), requires_grad=True)
        b = lib.tensor(data(3, seed=1))  # a constant: no gradient computed for it
        c = lib.tensor(data(3, seed=2), requires_grad=True)
        y = MulAdd.apply(a, b, c)
        (y * y).sum().backward()
        return a.grad, c.grad, y.grad_fn.backward_saw

    check_scenario(scenario)


def test_function_output_broadcasts_back_to_input_shapes():
    def scenario(lib):
        _, MulAdd = make_functions(lib)
        a = lib.tensor(data(2, 3), requires_grad=True)
        b = lib.tensor(data(3, seed=1), requires_grad=True)
        c = lib.tensor(data(1, seed=2), requires_grad=True)
        MulAdd.apply(a, b, c).sum().backward()
        return a.grad, b.grad, c.grad

    check_scenario(scenario)


def test_no_graph_when_nothing_requires_grad_or_under_no_grad():
    def scenario(lib):
        Cube, _ = make_functions(lib)
        plain = Cube.apply(lib.tensor(data(2)), 1.0)
        x = lib.tensor(data(2), requires_grad=True)
        with lib.no_grad():
            quiet = Cube.apply(x, 1.0)
        return plain.requires_grad, quiet.requires_grad, quiet.grad_fn is None

    check_scenario(scenario)


def test_second_order_through_a_function_with_create_graph():
    def scenario(lib):
        Cube, _ = make_functions(lib)
        x = lib.tensor(data(4), requires_grad=True)
        (first,) = lib.autograd.grad(Cube.apply(x, 2.0).sum(), x, create_graph=True)
        (second,) = lib.autograd.grad(first.sum(), x)
        return first, second

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_function_inside_a_larger_graph_and_retain_graph():
    def scenario(lib):
        Cube, _ = make_functions(lib)
        x = lib.tensor(data(3), requires_grad=True)
        y = Cube.apply(x.sin(), 0.5).exp().sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    check_scenario(scenario)


def test_saved_tensors_after_backward_raise():
    Cube, _ = make_functions(rg)
    x = rg.tensor(data(3), requires_grad=True)
    y = Cube.apply(x, 1.0).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_forward_must_return_a_tensor():
    class Bad(rg.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.numpy()

        @staticmethod
        def backward(ctx, grad):
            return grad

    with pytest.raises(TypeError, match="must return a Tensor"):
        Bad.apply(rg.tensor(np.ones(2)))
