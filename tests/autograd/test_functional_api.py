"""rg.autograd.functional: jacobian, hessian, vjp, jvp against torch.autograd.functional."""
import pytest
from ops.oracle import both_raise, check_scenario, data


def tensors(lib, *arrays):
    return tuple(lib.tensor(a) for a in arrays)


def one_in_one_out(x):
    return x.tanh() * x.sum()


def two_in_two_out(x, y):
    return x * y.exp(), (x * x).sum() * y


def scalar_of_two(x, y):
    return (x * x * y.sin()).sum() + (x.sum() * y.sum()) ** 2


@pytest.mark.parametrize("create_graph", [False, True])
def test_jacobian_single_input_and_output(create_graph):
    def scenario(lib):
        (x,) = tensors(lib, data(2, 3))
        jacobian = lib.autograd.functional.jacobian(one_in_one_out, x, create_graph=create_graph)
        return jacobian, jacobian.requires_grad

    check_scenario(scenario)


def test_jacobian_tuples_of_inputs_and_outputs():
    def scenario(lib):
        inputs = tensors(lib, data(3), data(3, seed=1))
        return lib.autograd.functional.jacobian(two_in_two_out, inputs)

    check_scenario(scenario)


def test_jacobian_tuple_of_inputs_single_output_and_unused_input():
    def scenario(lib):
        inputs = tensors(lib, data(2), data(3, seed=1))
        return lib.autograd.functional.jacobian(lambda x, y: x.exp() * 2, inputs)

    check_scenario(scenario)


def test_hessian_single_input():
    def scenario(lib):
        (x,) = tensors(lib, data(2, 2))
        return lib.autograd.functional.hessian(lambda x: (x.sin() * x).sum() * x.sum(), x)

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_hessian_tuple_of_inputs():
    def scenario(lib):
        return lib.autograd.functional.hessian(scalar_of_two, tensors(lib, data(2), data(3, 1)))

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_vjp_single_and_tuple():
    def scenario(lib):
        functional = lib.autograd.functional
        (x,) = tensors(lib, data(2, 3))
        single = functional.vjp(one_in_one_out, x, lib.tensor(data(2, 3, seed=2)))
        pair = functional.vjp(two_in_two_out, tensors(lib, data(3), data(3, seed=1)),
                              tensors(lib, data(3, seed=3), data(3, seed=4)))
        scalar = functional.vjp(scalar_of_two, tensors(lib, data(3), data(3, seed=1)))
        return single, pair, scalar

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_jvp_single_and_tuple():
    def scenario(lib):
        functional = lib.autograd.functional
        (x,) = tensors(lib, data(2, 3))
        single = functional.jvp(one_in_one_out, x, lib.tensor(data(2, 3, seed=2)))
        pair = functional.jvp(two_in_two_out, tensors(lib, data(3), data(3, seed=1)),
                              tensors(lib, data(3, seed=3), data(3, seed=4)))
        return single, pair

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_functional_leaves_the_inputs_untouched():
    def scenario(lib):
        (x,) = tensors(lib, data(3))
        lib.autograd.functional.jacobian(lambda x: x.exp(), x)
        return x.requires_grad, x.grad is None

    check_scenario(scenario)


def test_vjp_without_v_needs_a_single_element_output():
    both_raise(lambda lib: lib.autograd.functional.vjp(one_in_one_out, lib.tensor(data(3))),
               RuntimeError, match="single element")


# With create_graph=True the results stay functions of the caller's inputs (torch's
# _grad_preprocess keeps an input that requires grad in the graph): backward of a result
# reaches x.grad. Without it they are cut from the caller's graph.
CREATE_GRAPH_CALLS = {
    "jacobian": lambda lib, x: lib.autograd.functional.jacobian(one_in_one_out, x,
                                                                create_graph=True),
    "hessian": lambda lib, x: lib.autograd.functional.hessian(
        lambda x: (x.sin() * x).sum() * x.sum(), x, create_graph=True),
    "vjp": lambda lib, x: lib.autograd.functional.vjp(
        one_in_one_out, x, lib.tensor(data(2, 3, seed=2)), create_graph=True)[1],
    "vjp output": lambda lib, x: lib.autograd.functional.vjp(
        one_in_one_out, x, lib.tensor(data(2, 3, seed=2)), create_graph=True)[0],
    "jvp": lambda lib, x: lib.autograd.functional.jvp(
        one_in_one_out, x, lib.tensor(data(2, 3, seed=2)), create_graph=True)[1],
}


@pytest.mark.parametrize("name", list(CREATE_GRAPH_CALLS))
def test_create_graph_results_are_differentiable_wrt_the_callers_inputs(name):
    def scenario(lib):
        x = lib.tensor(data(2, 3), requires_grad=True)
        result = CREATE_GRAPH_CALLS[name](lib, x)
        (result * result).sum().backward()
        return result, result.requires_grad, x.grad

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_create_graph_with_tuple_inputs_reaches_only_those_that_require_grad():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = lib.tensor(data(3, seed=1))  # a constant of the caller's
        jacobians = lib.autograd.functional.jacobian(two_in_two_out, (x, y), create_graph=True)
        hessians = lib.autograd.functional.hessian(scalar_of_two, (x, y), create_graph=True)
        total = sum((block * block).sum() for row in jacobians + hessians for block in row)
        total.backward()
        return jacobians, hessians, x.grad, y.grad is None

    check_scenario(scenario, rtol=1e-10, atol=1e-12)


def test_without_create_graph_the_results_are_cut_from_the_callers_graph():
    def scenario(lib):
        x = lib.tensor(data(2, 3), requires_grad=True)
        jacobian = lib.autograd.functional.jacobian(one_in_one_out, x)
        return jacobian.requires_grad, x.grad is None

    check_scenario(scenario)
