"""Tensor.register_hook (leaf and non-leaf) and retain_grad, against PyTorch."""
import pytest
from ops.oracle import both_raise, check_scenario, data


def test_leaf_hook_observes_the_whole_gradient_once():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        seen = []
        x.register_hook(lambda grad: seen.append(grad.clone()))
        (x * x + x.exp()).sum().backward()  # three paths reach x: one call, their sum
        return seen, x.grad

    check_scenario(scenario)


def test_leaf_hook_replaces_the_gradient():
    def scenario(lib):
        x = lib.tensor(data(4) * 3, requires_grad=True)
        x.register_hook(lambda grad: grad.clamp(-1, 1))  # non-linear: needs the summed gradient
        (x * x).sum().backward()
        return x.grad

    check_scenario(scenario)


def test_non_leaf_hook_observes_and_replaces():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x.exp()
        seen = []
        h.register_hook(lambda grad: seen.append(grad.clone()))
        h.register_hook(lambda grad: grad * 10)
        (h * h + h).sum().backward()
        return seen, x.grad

    check_scenario(scenario)


def test_hooks_run_in_registration_order_and_chain():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        x.register_hook(lambda grad: grad + 1)
        x.register_hook(lambda grad: grad * 3)
        (x * 2).sum().backward()
        return x.grad

    check_scenario(scenario)


def test_handle_remove_unregisters_the_hook():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x * 1
        leaf_handle = x.register_hook(lambda grad: grad * 100)
        inner_handle = h.register_hook(lambda grad: grad * 7)
        (h * h).sum().backward(retain_graph=True)
        hooked = x.grad.clone()
        leaf_handle.remove()
        inner_handle.remove()
        x.grad = None
        (h * h).sum().backward()
        return hooked, x.grad

    check_scenario(scenario)


def test_hooks_apply_to_autograd_grad_too():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        x.register_hook(lambda grad: grad * 2)
        return lib.autograd.grad((x * x).sum(), x)

    check_scenario(scenario)


def test_hook_on_a_tensor_that_does_not_require_grad_raises():
    both_raise(lambda lib: lib.tensor(data(3)).register_hook(lambda grad: grad),
               RuntimeError, match="require")


@pytest.mark.parametrize("retain_first", [True, False])
def test_retain_grad_fills_a_non_leaf_grad_after_every_hook(retain_first):
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x * 2
        if retain_first:
            h.retain_grad()
        h.register_hook(lambda grad: grad * 10)
        h.retain_grad()  # a second call changes nothing
        (h * h).sum().backward(retain_graph=True)
        first = h.grad.clone()
        (h * h).sum().backward()  # accumulates, like a leaf's .grad
        return first, h.grad, x.grad, h.retains_grad, x.retains_grad

    check_scenario(scenario)


def test_retained_grad_does_not_alias_a_leafs_grad():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        h = x + 0
        h.retain_grad()
        h.sum().backward()
        x.grad.mul_(5)
        return h.grad, x.grad

    check_scenario(scenario)


def test_retain_grad_on_a_leaf_changes_nothing():
    def scenario(lib):
        x = lib.tensor(data(3), requires_grad=True)
        x.retain_grad()
        (x * 3).sum().backward()
        return x.grad

    check_scenario(scenario)
