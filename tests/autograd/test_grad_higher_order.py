"""rg.autograd.grad and higher-order gradients (create_graph=True), against PyTorch."""
import numpy as np
import pytest
from ops.oracle import both_raise, check_scenario, data


def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        w = lib.tensor(data(3, seed=1), requires_grad=True)
        gx, gw = lib.autograd.grad((x * w).exp().sum(), [x, w])
        return gx, gw, x.grad is None, w.grad is None, gx.requires_grad

    check_scenario(scenario)


def test_grad_with_a_single_tensor_input_returns_a_one_tuple():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        result = lib.autograd.grad((x * x).sum(), x)
        return isinstance(result, tuple), len(result), result

    check_scenario(scenario)


def test_grad_outputs_for_non_scalar_and_several_outputs():
    def scenario(lib):
        x = lib.tensor(data(2, 3), requires_grad=True)
        outputs = [x.sin(), (x * x).sum(1)]
        seeds = [lib.tensor(data(2, 3, seed=1)), lib.tensor(data(2, seed=2))]
        return lib.autograd.grad(outputs, x, grad_outputs=seeds)

    check_scenario(scenario)


def test_grad_with_respect_to_a_non_leaf():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x.tanh()
        return lib.autograd.grad((h * h * x).sum(), [h, x])

    check_scenario(scenario)


def test_grad_frees_the_graph_unless_retained():
    def twice(lib, retain_graph):
        x = lib.tensor(data(3), requires_grad=True)
        y = (x.exp() * x).sum()
        first = lib.autograd.grad(y, x, retain_graph=retain_graph)
        return first, lib.autograd.grad(y, x)

    check_scenario(lambda lib: twice(lib, retain_graph=True))
    both_raise(lambda lib: twice(lib, retain_graph=None), RuntimeError, match="retain_graph=True")


def test_grad_of_an_unused_input_raises_or_is_none_with_allow_unused():
    def unused(lib):
        x = lib.tensor(data(3), requires_grad=True)
        z = lib.tensor(data(3), requires_grad=True)
        return lib.autograd.grad((x * 2).sum(), [x, z])

    both_raise(unused, RuntimeError, match="allow_unused=True")

    def allowed(lib):
        x = lib.tensor(data(3), requires_grad=True)
        z = lib.tensor(data(3), requires_grad=True)
        gx, gz = lib.autograd.grad((x * 2).sum(), [x, z], allow_unused=True)
        return gx, gz is None

    check_scenario(allowed)


def test_grad_with_respect_to_a_tensor_that_does_not_require_grad_raises():
    both_raise(lambda lib: lib.autograd.grad((lib.tensor(data(3), requires_grad=True) * 2).sum(),
                                             lib.tensor(data(3))),
               RuntimeError, match="does not require grad")


def test_grad_outputs_of_the_wrong_shape_raise():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        lib.autograd.grad(x * 2, x, grad_outputs=lib.ones(4, dtype=lib.float64))

    both_raise(scenario, RuntimeError, match=r"\(4,\).*\(3,\)")


# -- higher order -------------------------------------------------------------------------------

@pytest.mark.parametrize("function", ["sin", "pow4", "exp_tanh"])
def test_first_second_and_third_derivatives(function):
    def f(lib, x):
        if function == "sin":
            return x.sin()
        if function == "pow4":
            return x ** 4
        return (x.tanh() * x).exp()

    def scenario(lib):
        x = lib.tensor(data(5), requires_grad=True)
        derivatives, y = [], f(lib, x).sum()
        for order in range(3):
            (y,) = lib.autograd.grad(y, x, create_graph=order < 2)
            derivatives.append(y)
            y = y.sum()
        return derivatives

    check_scenario(scenario, rtol=1e-10, atol=1e-10)


def test_create_graph_makes_the_gradient_differentiable_and_retains_the_graph():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = (x ** 3).sum()
        (g,) = lib.autograd.grad(y, x, create_graph=True)
        again = lib.autograd.grad(y, x)  # the graph was retained by create_graph
        return g.requires_grad, g.grad_fn is not None, again

    check_scenario(scenario)


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_backward_with_create_graph_then_backward_of_the_gradient():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        (x.sin() * x * x).sum().backward(create_graph=True)
        first = x.grad
        x.grad = None
        first.sum().backward()
        return first, x.grad

    check_scenario(scenario, rtol=1e-10, atol=1e-10)


def test_hessian_vector_product_of_a_small_network():
    def scenario(lib):
        w1 = lib.tensor(data(4, 3), requires_grad=True)
        w2 = lib.tensor(data(2, 4, seed=1), requires_grad=True)
        x = lib.tensor(data(5, 3, seed=2))
        target = lib.tensor(np.array([0, 1, 1, 0, 1]))
        logits = (x @ w1.T).tanh() @ w2.T
        loss = lib.nn.functional.cross_entropy(logits, target)
        grads = lib.autograd.grad(loss, [w1, w2], create_graph=True)
        vectors = [lib.tensor(data(4, 3, seed=3)), lib.tensor(data(2, 4, seed=4))]
        dot = sum((g * v).sum() for g, v in zip(grads, vectors))
        return lib.autograd.grad(dot, [w1, w2])

    check_scenario(scenario, rtol=1e-9, atol=1e-12)


def test_gradient_penalty_trains_through_a_gradient_norm():
    # the "gradient of a gradient" pattern of WGAN-GP: d/dw || d loss / d x ||^2
    def scenario(lib):
        w = lib.tensor(data(3, 3), requires_grad=True)
        x = lib.tensor(data(4, 3, seed=1), requires_grad=True)
        out = (x @ w).sigmoid().sum()
        (gx,) = lib.autograd.grad(out, x, create_graph=True)
        (gx * gx).sum().backward()
        return w.grad, x.grad

    check_scenario(scenario, rtol=1e-9, atol=1e-12)
