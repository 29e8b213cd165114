"""Module forward, forward-pre and full backward hooks, against torch as the oracle."""
import pytest
from ops.oracle import both_raise, check_scenario, data


def two_layers(lib):
    """Linear(3, 4) -> Tanh -> Linear(4, 2), with the same weights in both libraries."""
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 2))
    with lib.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(lib.tensor(data(*p.shape, seed=i)))
    return model.double()


def test_forward_hooks_see_inputs_and_outputs_and_can_replace_them():
    def scenario(lib):
        model = two_layers(lib)
        log = []
        model[0].register_forward_pre_hook(lambda m, args: log.append(("pre", args[0].sum())))
        model[1].register_forward_hook(lambda m, args, out: out * 2)  # replaces the output
        model[2].register_forward_pre_hook(lambda m, args: args[0] + 1)  # one value, not a tuple
        model[2].register_forward_hook(lambda m, args, out: log.append(("out", out.sum())))
        x = lib.tensor(data(5, 3, seed=9), requires_grad=True)
        y = model(x)
        y.sum().backward()
        return y, x.grad, log
    check_scenario(scenario)


def test_hooks_with_kwargs_prepend_always_call_and_removal():
    def scenario(lib):
        class Scale(lib.nn.Module):
            def forward(self, x, factor=1.0):
                if factor < 0:
                    raise ValueError("negative")
                return x * factor

        module, log = Scale(), []
        module.register_forward_hook(lambda m, a, out: log.append("second"))
        first = module.register_forward_hook(lambda m, a, out: log.append("first"), prepend=True)
        module.register_forward_pre_hook(
            lambda m, args, kwargs: (args, {"factor": kwargs["factor"] * 10}), with_kwargs=True)
        module.register_forward_hook(lambda m, args, kwargs, out: log.append(kwargs["factor"]),
                                     with_kwargs=True, always_call=True)
        y = module(lib.ones(2), factor=0.5)
        first.remove()
        first.remove()  # a second removal does nothing
        try:
            module(lib.ones(2), factor=-1.0)
        except ValueError:
            log.append("raised")
        with module.register_forward_hook(lambda m, a, out: log.append("scoped")):
            module(lib.ones(2), factor=1.0)
        module(lib.ones(2), factor=1.0)
        return y, log
    check_scenario(scenario)


def test_full_backward_hooks_give_torch_grad_input_and_grad_output():
    def scenario(lib):
        model = two_layers(lib)
        log = []

        def record(name):
            def hook(module, grad_input, grad_output):
                log.append((name, [None if g is None else g.clone() for g in grad_input],
                            [g.clone() for g in grad_output]))
            return hook

        for i, layer in enumerate(model):
            layer.register_full_backward_hook(record(str(i)))
        model[2].register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] * 3,))
        model[1].register_full_backward_hook(lambda m, gi, go: (gi[0] * 0.5,))
        x = lib.tensor(data(5, 3, seed=9), requires_grad=True)
        model(x).pow(2).sum().backward()
        return x.grad, [p.grad for p in model.parameters()], log
    check_scenario(scenario)


def test_full_backward_hook_of_a_module_with_several_inputs_and_outputs():
    def scenario(lib):
        class Pair(lib.nn.Module):
            def forward(self, a, scale, b):
                return a * b * scale, a - b

        module, log = Pair(), []
        module.register_full_backward_hook(
            lambda m, gi, go: log.append(([None if g is None else g.clone() for g in gi],
                                          [None if g is None else g.clone() for g in go])))
        a = lib.tensor(data(3, seed=1), requires_grad=True)
        b = lib.tensor(data(3, seed=2))  # needs no gradient: None in grad_input
        product, difference = module(a, 2.0, b)
        product.sum().backward()  # the difference gets no gradient: None in grad_output
        return a.grad, log
    check_scenario(scenario)


def test_full_backward_hook_when_no_input_requires_grad_fires_on_the_outputs():
    def scenario(lib):
        model = two_layers(lib)
        log = []
        model[0].register_full_backward_hook(
            lambda m, gi, go: log.append((gi, [g.clone() for g in go])))
        with pytest.warns(UserWarning, match="no inputs require gradients"):
            model(lib.tensor(data(2, 3))).sum().backward()
        return log
    check_scenario(scenario)


def test_a_backward_hook_returning_the_wrong_number_of_gradients_raises():
    def scenario(lib):
        layer = lib.nn.Tanh()
        layer.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        layer(lib.ones(2, requires_grad=True)).sum().backward()
    both_raise(scenario, RuntimeError, "invalid number of grad_input")


def test_no_hooks_no_wrapping_and_hooks_stay_out_of_the_state_dict():
    def scenario(lib):
        model = two_layers(lib)
        handle = model.register_forward_hook(lambda m, a, out: None)
        keys = list(model.state_dict())
        handle.remove()
        x = lib.ones(1, 3, dtype=lib.float64, requires_grad=True)
        return keys, model[0](x).grad_fn.name()
    check_scenario(scenario)
