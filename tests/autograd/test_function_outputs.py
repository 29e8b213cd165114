"""User Functions with several outputs, mark_dirty, mark_non_differentiable,
set_materialize_grads; post-accumulate-grad hooks; the warning on a non-leaf's .grad. Each
scenario runs against torch as the oracle."""
import warnings

import pytest
from ops.oracle import both_raise, check_scenario, data

import retrograd as rg


def exp_and_scale(lib, materialize=True):
    """A Function with three outputs: exp(x), the mask x > 0 (not differentiable), x * scale."""

    class ExpScale(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x, scale):
            ctx.set_materialize_grads(materialize)
            exp = x.exp()
            positive = x > 0
            ctx.save_for_backward(exp)
            ctx.scale = scale
            ctx.mark_non_differentiable(positive)
            return exp, positive, x * scale

        @staticmethod
        def backward(ctx, grad_exp, grad_positive, grad_scaled):
            (exp,) = ctx.saved_tensors
            ctx.seen = [None if g is None else tuple(g.shape) for g in
                        (grad_exp, grad_positive, grad_scaled)]
            grad = 0
            if grad_exp is not None:
                grad = grad + grad_exp * exp
            if grad_scaled is not None:
                grad = grad + grad_scaled * ctx.scale
            return grad, None

    return ExpScale


def test_several_outputs_each_with_its_gradient():
    def scenario(lib):
        x = lib.tensor(data(5), requires_grad=True)
        values, positive, scaled = exp_and_scale(lib).apply(x, 3.0)
        ((values * lib.arange(5.0)).sum() + (scaled ** 2).sum()).backward()
        return x.grad, values, positive, positive.requires_grad, scaled.requires_grad, \
            values.grad_fn is scaled.grad_fn, values.grad_fn.name()
    check_scenario(scenario)


@pytest.mark.parametrize("materialize", [True, False])
def test_an_unused_output_gets_zeros_or_none(materialize):
    def scenario(lib):
        x = lib.tensor(data(4), requires_grad=True)
        values, _, scaled = exp_and_scale(lib, materialize).apply(x, 2.0)
        scaled.sum().backward()
        return x.grad, scaled.grad_fn.seen
    check_scenario(scenario)


def test_several_outputs_under_create_graph_and_autograd_grad():
    def scenario(lib):
        x = lib.tensor(data(4), requires_grad=True)
        values, _, scaled = exp_and_scale(lib).apply(x * 1, 2.0)
        (g,) = lib.autograd.grad((values ** 3).sum() + scaled.sum(), x, create_graph=True)
        (gg,) = lib.autograd.grad(g.sum(), x)
        (d_values,) = lib.autograd.grad((values ** 2).sum(), values)
        return g, gg, d_values
    check_scenario(scenario)


def test_hooks_on_each_output():
    def scenario(lib):
        x = lib.tensor(data(4), requires_grad=True)
        values, _, scaled = exp_and_scale(lib).apply(x, 2.0)
        seen = []
        values.register_hook(lambda g: seen.append(("values", g.clone())))
        scaled.register_hook(lambda g: g * 10)
        scaled.retain_grad()
        (values.sum() + (scaled * 2).sum()).backward()
        return x.grad, scaled.grad, seen[0][1]
    check_scenario(scenario)


def add_one_in_place(lib):
    class AddOne(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x

        @staticmethod
        def backward(ctx, grad):
            return grad

    return AddOne


def test_mark_dirty_continues_the_history_of_the_input():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = x * 2
        version = y._version
        z = add_one_in_place(lib).apply(y)
        (z * z).sum().backward()
        return z is y, y._version > version, x.grad, z
    check_scenario(scenario)


def test_mark_dirty_on_a_leaf_that_requires_grad_raises():
    both_raise(lambda lib: add_one_in_place(lib).apply(lib.ones(2, requires_grad=True)),
               RuntimeError, "leaf Variable that requires grad")


def test_a_wrong_number_of_gradients_raises_and_trailing_nones_pass():
    def make(lib, grads):
        class F(lib.autograd.Function):
            @staticmethod
            def forward(ctx, a, b):
                return a * b

            @staticmethod
            def backward(ctx, grad):
                return grads(grad)
        return F

    def too_few(lib):
        a = lib.ones(2, requires_grad=True)
        make(lib, lambda g: (g,)).apply(a, lib.ones(2)).sum().backward()
    both_raise(too_few, RuntimeError, "incorrect number of gradients")

    def trailing_none(lib):
        a = lib.ones(2, requires_grad=True)
        make(lib, lambda g: (g * 2, None, None)).apply(a, lib.ones(2)).sum().backward()
        return a.grad
    check_scenario(trailing_none)


def test_post_accumulate_grad_hook_sees_the_accumulated_gradient():
    def scenario(lib):
        w = lib.tensor(data(3), requires_grad=True)
        seen = []
        handle = w.register_post_accumulate_grad_hook(lambda p: seen.append(p.grad.clone()))
        (w * w).sum().backward()
        (w * 3).sum().backward()
        handle.remove()
        (w * 5).sum().backward()
        lib.autograd.grad((w * w).sum(), w)  # accumulates nothing: no hook
        return len(seen), seen[0], seen[1], w.grad
    check_scenario(scenario)


def test_leaf_hooks_run_as_soon_as_the_leaf_gradient_is_complete():
    # PyTorch runs a leaf's hooks in its AccumulateGrad node, in the middle of backward: what
    # DistributedDataParallel needs to start each all-reduce while backward goes on
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        w1 = lib.tensor(data(3) + 1, requires_grad=True)
        w2 = lib.tensor(data(3) + 2, requires_grad=True)
        events = []
        for name, leaf in (("w1", w1), ("w2", w2)):
            leaf.register_post_accumulate_grad_hook(lambda p, name=name: events.append(name))
        x.register_hook(lambda g: events.append("x") or None)
        h = x * w1  # w1 is used twice: its hook runs once, after both uses
        h = h * w1
        y = h * w2
        y.register_hook(lambda g: events.append("y") or None)
        h.register_hook(lambda g: events.append("h") or None)
        (y * y).sum().backward()
        return events, x.grad, w1.grad, w2.grad
    check_scenario(scenario)


def test_post_accumulate_grad_hook_on_a_non_leaf_raises():
    both_raise(lambda lib: (lib.ones(2, requires_grad=True) * 2)
               .register_post_accumulate_grad_hook(lambda p: None), RuntimeError, "non-leaf")


def test_reading_the_grad_of_a_non_leaf_warns_as_torch_does():
    for lib in (rg, __import__("torch")):
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            assert y.grad is None
        y.retain_grad()
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert y.grad is None and x.grad is None
            y.sum().backward()
            assert y.grad is not None
