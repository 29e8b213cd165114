"""Optimizers against torch.optim: same problem, same start, same trajectory.

The problem is a tiny tanh network fitted to fixed data (non-convex, parameters of three shapes).
Each optimizer and option combination runs 20 steps in retrograd and in torch 2.13 from identical
initial values; every parameter is compared after every step.
"""
import numpy as np
import pytest
import torch

import retrograd as rg

STEPS = 20
TOLERANCES = {np.float64: dict(rtol=1e-10, atol=1e-12), np.float32: dict(rtol=2e-5, atol=2e-6)}

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01, nesterov=True, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, momentum=0.8, centered=True, eps=1e-4, maximize=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.05, amsgrad=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.99), maximize=True)),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}"
              for name, kwargs in CONFIGS]


def problem_data(dtype):
    """Fixed data and initial parameters (W: 3x4, b: 4, v: 4) as NumPy arrays."""
    generator = np.random.default_rng(1234)
    x = generator.standard_normal((16, 3))
    y = generator.standard_normal(16)
    params = [generator.standard_normal((3, 4)), generator.standard_normal(4) * 0.1,
              generator.standard_normal(4)]
    return [a.astype(dtype) for a in (x, y)], [a.astype(dtype) for a in params]


def loss_of(x, y, params, sign=1.0):
    """The same expression in retrograd and in torch: a one-hidden-layer tanh regression."""
    weight, bias, out = params
    prediction = (x @ weight + bias).tanh() @ out
    return sign * ((prediction - y) ** 2).mean()


class Run:
    """One library's side of a comparison: its tensors, its optimizer, one step at a time."""

    def __init__(self, lib, name, kwargs, dtype, groups=None, sign=1.0):
        (x, y), params = problem_data(dtype)
        self.lib, self.sign = lib, sign
        self.x, self.y = lib.tensor(x), lib.tensor(y)
        self.params = [lib.tensor(p, requires_grad=True) for p in params]
        spec = self.params if groups is None else groups(self.params)
        self.optimizer = getattr(lib.optim, name)(spec, **kwargs)

    def step(self):
        self.optimizer.zero_grad()
        loss_of(self.x, self.y, self.params, self.sign).backward()
        self.optimizer.step()

    def values(self):
        return [p.detach().numpy() if self.lib is torch else p.array for p in self.params]


def assert_same_params(ours, theirs, dtype, step):
    for i, (a, b) in enumerate(zip(ours.values(), theirs.values())):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, **TOLERANCES[dtype],
                                   err_msg=f"parameter {i} after step {step}")


def compare(name, kwargs, dtype, steps=STEPS, groups=None):
    # maximize=True climbs -loss, so both directions follow the same descent
    sign = -1.0 if kwargs.get("maximize") else 1.0
    ours = Run(rg, name, kwargs, dtype, groups, sign)
    theirs = Run(torch, name, kwargs, dtype, groups, sign)
    for step in range(1, steps + 1):
        ours.step()
        theirs.step()
        assert_same_params(ours, theirs, dtype, step)
    return ours, theirs


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_torch(name, kwargs, dtype):
    ours, theirs = compare(name, kwargs, dtype)
    # the state matches torch's too, key for key
    our_state, their_state = ours.optimizer.state_dict(), theirs.optimizer.state_dict()
    assert our_state["state"].keys() == their_state["state"].keys()
    for index, state in our_state["state"].items():
        assert state.keys() == their_state["state"][index].keys()
        for key, value in state.items():
            expected = their_state["state"][index][key]
            if key == "step":
                assert value == expected.item()
            else:
                tolerance = TOLERANCES[dtype]
                if dtype is np.float32:  # buffers can cancel: compare to their largest value
                    tolerance = dict(rtol=1e-4, atol=1e-4 * np.abs(expected.numpy()).max())
                np.testing.assert_allclose(value.array, expected.numpy(), **tolerance)


@pytest.mark.parametrize("name, kwargs", CONFIGS[::3], ids=CONFIG_IDS[::3])
def test_param_group_options_are_torchs(name, kwargs):
    ours = Run(rg, name, kwargs, np.float64).optimizer.param_groups[0]
    theirs = Run(torch, name, kwargs, np.float64).optimizer.param_groups[0]
    # torch has more (foreach, fused, ...); every option we have is torch's, with its value
    for key, value in ours.items():
        if key != "params":
            assert key in theirs and theirs[key] == value, key


def test_defaults_are_torchs():
    for name in ["SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]:
        ours = getattr(rg.optim, name)([rg.zeros(2, requires_grad=True)]).defaults
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)]).defaults
        assert {key: theirs[key] for key in ours} == ours, name


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_parameter_groups_with_their_own_options(dtype):
    def groups(params):
        return [{"params": [params[0]], "momentum": 0.9, "nesterov": True},
                {"params": params[1:], "lr": 0.01, "weight_decay": 0.1}]
    ours, _ = compare("SGD", dict(lr=0.1), dtype, groups=groups)
    assert ours.optimizer.param_groups[1]["momentum"] == 0
    assert ours.optimizer.param_groups[0]["lr"] == 0.1


def test_add_param_group_and_params_without_grad():
    ours, theirs = Run(rg, "Adam", dict(lr=0.1), np.float64), \
        Run(torch, "Adam", dict(lr=0.1), np.float64)
    for run in (ours, theirs):
        # a new frozen-then-unfrozen tensor, never used by the loss: its .grad stays None
        run.extra = run.lib.tensor(np.ones(3), requires_grad=True)
        run.optimizer.add_param_group({"params": run.extra, "lr": 0.5})
    for step in range(1, 6):
        ours.step()
        theirs.step()
        assert_same_params(ours, theirs, np.float64, step)
    assert np.array_equal(ours.extra.array, np.ones(3))
    assert ours.extra not in ours.optimizer.state  # no state for a parameter never updated
    assert ours.optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    assert len(ours.optimizer.state_dict()["state"]) == len(theirs.optimizer.state_dict()["state"])


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    uninterrupted = Run(rg, name, kwargs, np.float64)
    first_half = Run(rg, name, kwargs, np.float64)
    for _ in range(10):
        uninterrupted.step()
        first_half.step()
    saved = first_half.optimizer.state_dict()
    params_then = [p.array.copy() for p in first_half.params]
    first_half.step()  # going on must not change what was saved
    resumed = Run(rg, name, kwargs, np.float64)
    resumed.optimizer.param_groups[0]["lr"] = 123.0  # replaced by the loaded options
    for p, value in zip(resumed.params, params_then):
        p.array[...] = value
    resumed.optimizer.load_state_dict(saved)
    for _ in range(10):
        uninterrupted.step()
        resumed.step()
    for a, b in zip(uninterrupted.values(), resumed.values()):
        np.testing.assert_array_equal(a, b)


def test_load_state_dict_casts_state_to_the_param_dtype_and_copies():
    run64 = Run(rg, "Adam", {}, np.float64)
    run64.step()
    saved = run64.optimizer.state_dict()
    run32 = Run(rg, "Adam", {}, np.float32)
    run32.optimizer.load_state_dict(saved)
    buffer = run32.optimizer.state[run32.params[0]]["exp_avg"]
    assert buffer.dtype == rg.float32
    np.testing.assert_allclose(buffer.array, saved["state"][0]["exp_avg"].array, rtol=1e-6)
    run64.optimizer.load_state_dict(saved)
    run64.step()  # the loaded state is a copy: the dict is left as it was
    assert saved["state"][0]["step"] == 1
    assert not np.shares_memory(run64.optimizer.state[run64.params[0]]["exp_avg"].array,
                                saved["state"][0]["exp_avg"].array)


def test_zero_grad():
    w = rg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = rg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert w.grad is not None and np.array_equal(w.grad.array, [0.0, 0.0])
    optimizer.zero_grad()
    assert w.grad is None


def test_step_with_closure_runs_with_grad_and_returns_the_loss():
    ours, theirs = Run(rg, "SGD", dict(lr=0.1), np.float64), \
        Run(torch, "SGD", dict(lr=0.1), np.float64)
    for run in (ours, theirs):
        def closure(run=run):
            run.optimizer.zero_grad()
            loss = loss_of(run.x, run.y, run.params)
            loss.backward()
            return loss
        with run.lib.no_grad():
            loss = run.optimizer.step(closure)
        run.loss = loss.item()
    assert ours.loss == pytest.approx(theirs.loss, rel=1e-12)
    assert_same_params(ours, theirs, np.float64, 1)


def test_step_is_an_in_place_change_that_backward_detects():
    w = rg.tensor([1.0, 2.0], requires_grad=True)
    optimizer = rg.optim.SGD([w], lr=0.1)
    (w * w).sum().backward()
    y = (w * w).sum()  # saves w for its backward
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_repr_lists_each_group():
    w, b = rg.zeros(2, requires_grad=True), rg.zeros(1, requires_grad=True)
    optimizer = rg.optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    text = repr(optimizer)
    assert text.startswith("SGD (\nParameter Group 0\n") and text.endswith(")")
    assert "Parameter Group 1\n" in text and "    lr: 0.5\n" in text
    assert "    momentum: 0.9\n" in text and "params" not in text


def test_named_parameters_are_accepted():
    w, b = rg.zeros(2, requires_grad=True), rg.zeros(1, requires_grad=True)
    optimizer = rg.optim.SGD([("weight", w), ("bias", b)], lr=0.1)
    assert optimizer.param_groups[0]["param_names"] == ["weight", "bias"]
    assert optimizer.state_dict()["param_groups"][0]["param_names"] == ["weight", "bias"]
    with pytest.raises(ValueError, match="with/without names"):
        rg.optim.SGD([("weight", w), b])


def test_nn_parameter_can_be_optimized():
    parameter = pytest.importorskip("retrograd.nn.parameter")
    ours = [parameter.Parameter(rg.tensor(a)) for a in problem_data(np.float64)[1]]
    theirs = [torch.nn.Parameter(torch.tensor(a)) for a in problem_data(np.float64)[1]]
    (x, y), _ = problem_data(np.float64)
    rg_optimizer, torch_optimizer = rg.optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for _ in range(5):
        for lib, params, optimizer in ((rg, ours, rg_optimizer), (torch, theirs, torch_optimizer)):
            optimizer.zero_grad()
            loss_of(lib.tensor(x), lib.tensor(y), params).backward()
            optimizer.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-10)


# -- errors -----------------------------------------------------------------------------------

def w():
    return rg.zeros(2, requires_grad=True)


@pytest.mark.parametrize("make, error, message", [
    (lambda: rg.optim.SGD([w()], lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    (lambda: rg.optim.SGD([w()], momentum=-0.5), ValueError, "Invalid momentum value"),
    (lambda: rg.optim.SGD([w()], weight_decay=-1), ValueError, "Invalid weight_decay value"),
    (lambda: rg.optim.SGD([w()], nesterov=True), ValueError, "Nesterov momentum requires"),
    (lambda: rg.optim.SGD([w()], momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "Nesterov momentum requires"),
    (lambda: rg.optim.Adam([w()], lr=float("nan")), ValueError, "Invalid learning rate"),
    (lambda: rg.optim.Adam([w()], betas=(1.0, 0.999)), ValueError,
     "Invalid beta parameter at index 0"),
    (lambda: rg.optim.AdamW([w()], betas=(0.9, -0.1)), ValueError,
     "Invalid beta parameter at index 1"),
    (lambda: rg.optim.Adam([w()], eps=-1e-8), ValueError, "Invalid epsilon value"),
    (lambda: rg.optim.RMSprop([w()], alpha=-0.1), ValueError, "Invalid alpha value"),
    (lambda: rg.optim.Adagrad([w()], lr_decay=-0.1), ValueError, "Invalid lr_decay value"),
    (lambda: rg.optim.Adagrad([w()], initial_accumulator_value=-1), ValueError,
     "Invalid initial_accumulator_value"),
    (lambda: rg.optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda: rg.optim.SGD(w(), lr=0.1), TypeError, "iterable of Tensors"),
    (lambda: rg.optim.SGD([{"params": {w()}}], lr=0.1), TypeError, "ordered collections"),
    (lambda: rg.optim.SGD([w() * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    (lambda: rg.optim.SGD([np.zeros(2)], lr=0.1), TypeError, "can only optimize Tensors"),
])
def test_bad_arguments_are_explained(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_torch_rejects_the_same_arguments():
    # the cases above that torch shares, checked against torch itself
    t = torch.zeros(2, requires_grad=True)
    for make in [lambda: torch.optim.SGD([t], lr=-0.1), lambda: torch.optim.SGD([t], nesterov=True),
                 lambda: torch.optim.Adam([t], betas=(1.0, 0.999)),
                 lambda: torch.optim.SGD([], lr=0.1), lambda: torch.optim.SGD([t * 2], lr=0.1)]:
        with pytest.raises(ValueError):
            make()


def test_a_parameter_in_two_groups_is_refused():
    shared = w()
    with pytest.raises(ValueError, match="more than one parameter group"):
        rg.optim.SGD([{"params": [shared]}, {"params": [shared, w()]}], lr=0.1)


def test_load_state_dict_with_mismatched_groups():
    a, b, c = w(), w(), rg.zeros(3, requires_grad=True)
    saved = rg.optim.SGD([{"params": [a]}, {"params": [b]}], lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        rg.optim.SGD([a, b], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size"):
        rg.optim.SGD([{"params": [a]}, {"params": [b, c]}], lr=0.1).load_state_dict(saved)
    with pytest.raises(ValueError, match="'state' and 'param_groups'"):
        rg.optim.SGD([a], lr=0.1).load_state_dict({"lr": 0.1})
    optimizer = rg.optim.SGD([a], lr=0.1, momentum=0.9)
    a.grad = rg.ones(2)
    optimizer.step()
    with pytest.raises(ValueError, match="has shape"):
        rg.optim.SGD([c], lr=0.1, momentum=0.9).load_state_dict(optimizer.state_dict())
