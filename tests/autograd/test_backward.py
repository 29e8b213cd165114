"""Tensor.backward: accumulation, paths that add up, freed graphs, errors, aliasing, in place."""

import numpy as np
import pytest
from ops.oracle import both_raise, check_scenario, data

import retrograd as rg


def test_gradients_accumulate_across_backward_calls():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        (x * x).sum().backward()
        first = x.grad.clone()
        (x.sin() * 3).sum().backward()
        return first, x.grad

    check_scenario(scenario)


def test_gradients_along_several_paths_add_up():
    def scenario(lib):
        x = lib.tensor(data(2, 3), requires_grad=True)
        w = lib.tensor(data(3, seed=1), requires_grad=True)
        y = x * w + x.exp() * x - w  # x reaches the output along three paths, w along two
        y.sum().backward()
        return x.grad, w.grad

    check_scenario(scenario)


def test_same_tensor_twice_in_one_op():
    def scenario(lib):
        x = lib.tensor(data(4), requires_grad=True)
        (x * x + x).sum().backward()
        return x.grad

    check_scenario(scenario)


def test_gradient_argument_weights_a_non_scalar_output():
    def scenario(lib):
        x = lib.tensor(data(2, 3), requires_grad=True)
        (x.tanh() * 2).backward(lib.tensor(data(2, 3, seed=5)))
        return x.grad

    check_scenario(scenario)


def test_broadcast_inputs_get_gradients_of_their_own_shape():
    def scenario(lib):
        a = lib.tensor(data(4, 1, 3), requires_grad=True)
        b = lib.tensor(data(2, 1, seed=1), requires_grad=True)
        c = lib.tensor(data(3, seed=2), requires_grad=True)
        (a * b + c).sum().backward()
        return a.grad, b.grad, c.grad

    check_scenario(scenario)


def test_retain_graph_allows_a_second_backward():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward(retain_graph=True)
        y.backward()
        return x.grad

    check_scenario(scenario)


def test_second_backward_through_a_freed_graph_raises():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = (x.exp() * x).sum()
        y.backward()
        y.backward()

    both_raise(scenario, RuntimeError, match="retain_graph=True")


def test_backward_of_a_non_scalar_needs_a_gradient():
    both_raise(lambda lib: (lib.tensor(data(3), requires_grad=True) * 2).backward(),
               RuntimeError, match="scalar")


def test_gradient_of_the_wrong_shape_raises():
    both_raise(lambda lib: (lib.tensor(data(3), requires_grad=True) * 2).backward(
        lib.ones(4, dtype=lib.float64)), RuntimeError, match=r"\(4,\).*\(3,\)")


def test_backward_on_a_tensor_that_does_not_require_grad_raises():
    both_raise(lambda lib: (lib.tensor(data(3)) * 2).sum().backward(),
               RuntimeError, match="does not require grad")


def test_backward_of_a_graph_built_under_no_grad_raises():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        with lib.no_grad():
            y = (x * 2).sum()
        y.backward()

    both_raise(scenario, RuntimeError, match="no_grad")


def test_grad_never_aliases_another_leafs_grad():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = lib.tensor(data(3, seed=1), requires_grad=True)
        (x + y).sum().backward()  # Add hands the same gradient to both leaves
        x.grad.add_(5)
        x.grad.mul_(2)
        return x.grad, y.grad

    check_scenario(scenario)


def test_grad_does_not_alias_the_gradient_argument_or_a_view():
    # Deliberately safer than PyTorch, whose .grad may steal the caller's gradient buffer here.
    x = rg.tensor(data(2, 3), requires_grad=True)
    seed = data(6, seed=3)
    gradient = rg.tensor(seed)
    x.reshape(6).backward(gradient)  # reshape's gradient is a view of the argument
    x.grad.zero_()
    np.testing.assert_array_equal(gradient.numpy(), seed)


def test_integer_and_float64_leaves_keep_their_dtypes():
    def scenario(lib):
        x = lib.tensor(data(3, dtype=np.float32), requires_grad=True)
        y = lib.tensor(data(3, seed=1), requires_grad=True)  # float64
        (x.double() * y).sum().backward()
        return x.grad, y.grad

    check_scenario(scenario)


# -- graph structure ----------------------------------------------------------------------------

def test_requires_grad_is_leaf_and_grad_fn_propagate():
    def scenario(lib):
        x = lib.tensor(data(2), requires_grad=True)
        c = lib.tensor(data(2, seed=1))
        y = x * c
        z = c * 2
        return [x.is_leaf, x.requires_grad, x.grad_fn is None,
                y.is_leaf, y.requires_grad, y.grad_fn is None,
                z.is_leaf, z.requires_grad, z.grad_fn is None]

    check_scenario(scenario)


def test_grad_fn_is_shown_and_links_to_the_inputs_nodes():
    x = rg.tensor([1.0, 2.0], requires_grad=True)
    y = x.exp()
    z = y * 2
    assert "grad_fn=<" in repr(z)
    assert z.grad_fn.next_functions[0] is y.grad_fn
    assert y.grad_fn.next_functions[0] is x  # a leaf stands for itself
    assert z.grad_fn.next_functions[1] is None  # a constant needs no gradient


def test_detach_cuts_the_graph_and_shares_the_data():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = x * 2
        d = y.detach()
        (y * d).sum().backward()  # d is a constant: dy*d/dx = 2 d
        flags = [d.requires_grad, d.is_leaf, d.grad_fn is None]
        with lib.no_grad():
            d.zero_()  # shares memory with y
        return flags, x.grad, y

    check_scenario(scenario)


@pytest.mark.filterwarnings("ignore:The .grad attribute of a Tensor that is not a leaf")
def test_non_leaf_grad_stays_none():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = x * 2
        (y * y).sum().backward()
        return y.grad is None, x.grad

    check_scenario(scenario)


def test_a_chain_of_100000_operations_backpropagates_without_recursion_error():
    x = rg.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


# -- in-place changes ---------------------------------------------------------------------------

def test_in_place_change_of_a_saved_output_is_detected():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        y = x.sigmoid()  # sigmoid's backward needs its output y
        y.mul_(2)
        y.sum().backward()

    both_raise(scenario, RuntimeError, match="in-place")


def test_in_place_change_of_a_saved_input_is_detected():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x * 1
        y = h * h  # saves h
        h.add_(1)
        y.sum().backward()

    both_raise(scenario, RuntimeError, match="in-place")


def test_in_place_change_through_a_detached_alias_is_detected():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        w = lib.tensor(data(3, seed=1), requires_grad=True)
        y = x * w  # saves x
        x.detach().mul_(2)
        y.sum().backward()

    both_raise(scenario, RuntimeError, match="in-place")


@pytest.mark.parametrize("update", ["add_", "mul_", "sub_", "div_", "clamp_", "iadd"])
def test_in_place_ops_on_a_non_leaf_are_differentiated(update):
    def scenario(lib):
        x = lib.tensor(data(4), requires_grad=True)
        other = lib.tensor(data(4, seed=1) + 3, requires_grad=True)
        h = x * 2
        if update == "clamp_":
            h.clamp_(-0.5, 1.0)
        elif update == "iadd":
            h += other  # a residual connection
        else:
            getattr(h, update)(other)
        (h * h).sum().backward()
        return h, x.grad, other.grad if update != "clamp_" else None

    check_scenario(scenario)


def test_in_place_op_with_a_graph_operand_on_a_plain_tensor():
    def scenario(lib):
        a = lib.ones(3, dtype=lib.float64)
        z = lib.tensor(data(3), requires_grad=True)
        a.mul_(z)
        (a * a).sum().backward()
        return a, z.grad

    check_scenario(scenario)


def test_in_place_op_on_a_leaf_that_requires_grad_raises_outside_no_grad():
    both_raise(lambda lib: lib.tensor(data(3), requires_grad=True).add_(1),
               RuntimeError, match="no_grad")


def test_in_place_op_on_a_leaf_under_no_grad_changes_it_in_place():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        with lib.no_grad():
            x.mul_(3).sub_(1)
        return x, x.requires_grad, x.is_leaf

    check_scenario(scenario)


@pytest.mark.parametrize("overwrite", ["zero_", "fill_", "copy_", "copy_broadcast", "copy_cast",
                                       "copy_into_plain"])
def test_overwriting_in_place_cuts_the_old_history_and_records_the_new_values(overwrite):
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        w = lib.tensor(data(3, seed=1), requires_grad=True)
        h = x * 2
        if overwrite == "zero_":
            h.zero_()
        elif overwrite == "fill_":
            h.fill_(3)
        elif overwrite == "copy_":
            h.copy_(w * 5)
        elif overwrite == "copy_broadcast":
            h.copy_(w[:1].exp())
        elif overwrite == "copy_cast":
            h = lib.zeros(3, dtype=lib.float32)
            h.copy_(w * 2)  # float64 values into float32
        else:
            h = lib.zeros(3, dtype=lib.float64)
            h.copy_(w)
        (h * w).sum().backward()
        return h, h.requires_grad, x.grad, w.grad

    check_scenario(scenario, rtol=1e-6, atol=1e-6)
