"""Adamax, Rprop and ASGD against torch.optim, and the implementation keywords (foreach, fused,
capturable, differentiable) of every optimizer.

The problem is that of test_optimizers.py (a tiny tanh network, parameters of three shapes),
run from identical initial values in retrograd and torch 2.13; every parameter is compared
after every step, then the state, key for key.
"""
import numpy as np
import pytest
import torch

import retrograd as rg

from .test_more_optimizers import as_torch_state_dict, assert_same_state
from .test_more_optimizers import test_bad_options_raise_value_error_as_torch as raises_as_torch
from .test_optimizers import assert_same_params, compare
from .test_optimizers import test_state_dict_round_trip_resumes_exactly as resumes_exactly

CONFIGS = [
    ("Adamax", dict()),
    ("Adamax", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-4)),
    ("Adamax", dict(lr=0.05, weight_decay=0.1, maximize=True)),
    ("Adamax", dict(lr=0.05, foreach=True, capturable=False)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.1))),
    ("Rprop", dict(lr=0.02, maximize=True)),
    ("ASGD", dict()),
    ("ASGD", dict(lr=0.1, lambd=1e-2, alpha=0.5, t0=10)),     # averaging from step 11
    ("ASGD", dict(lr=0.1, weight_decay=0.1, t0=0, maximize=True)),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}"
              for name, kwargs in CONFIGS]
STEPS = 30
NAMES = ["Adamax", "Rprop", "ASGD"]
ALL_NAMES = ["SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam", "RAdam",
             *NAMES]


def w():
    return rg.zeros(2, requires_grad=True)


def options(optimizer):
    return {key: value for key, value in optimizer.param_groups[0].items() if key != "params"}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_and_state_match_torch(name, kwargs, dtype):
    ours, theirs = compare(name, kwargs, dtype, steps=STEPS)
    assert_same_state(ours, theirs, dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_several_parameter_groups_match_torch(name, dtype):
    overrides = {"Adamax": [dict(betas=(0.7, 0.95)), dict(lr=0.01, weight_decay=0.2)],
                 "Rprop": [dict(etas=(0.4, 1.1)), dict(lr=0.001, step_sizes=(1e-4, 1.0))],
                 "ASGD": [dict(t0=5, lambd=1e-3), dict(lr=0.02, weight_decay=0.1)]}[name]

    def groups(params):
        return [{"params": [params[0]], **overrides[0]}, {"params": [params[1]], **overrides[1]},
                {"params": [params[2]]}]
    ours, theirs = compare(name, dict(lr=0.05), dtype, steps=STEPS, groups=groups)
    assert_same_state(ours, theirs, dtype)


def test_asgd_state_follows_the_default_dtype_as_torchs():
    # eta and mu are 0-d tensors of the default dtype, whatever the parameters' dtype
    rg.set_default_dtype(rg.float64)
    torch.set_default_dtype(torch.float64)
    try:
        ours, theirs = compare("ASGD", dict(lr=0.1, t0=3), np.float32, steps=10)
        assert_same_state(ours, theirs, np.float32)
        assert ours.optimizer.state[ours.params[0]]["eta"].dtype == rg.float64
    finally:
        rg.set_default_dtype(rg.float32)
        torch.set_default_dtype(torch.float32)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    resumes_exactly(name, kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_torch_trains_from_our_state_dict(name):
    kwargs = dict(lr=0.05, t0=2) if name == "ASGD" else dict(lr=0.05)
    ours, theirs = compare(name, kwargs, np.float64, steps=5)
    saved = ours.optimizer.state_dict()
    theirs.optimizer.load_state_dict(as_torch_state_dict(saved))
    ours.optimizer.load_state_dict(saved)
    for step in range(6, 12):
        ours.step()
        theirs.step()
        assert_same_params(ours, theirs, np.float64, step)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_defaults_and_group_options_are_torchs(name):
    ours = getattr(rg.optim, name)([w()])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == theirs.defaults
    assert options(ours) == options(theirs)


# every keyword of torch's signature, with a non-default value retrograd accepts
ACCEPTED = {
    "SGD": dict(foreach=True, fused=False),
    "Adagrad": dict(foreach=True, fused=False),
    "RMSprop": dict(foreach=True, capturable=True),
    "Adadelta": dict(foreach=True, capturable=True),
    "Adam": dict(foreach=True, capturable=True, fused=False),
    "AdamW": dict(foreach=True, capturable=True, fused=False),
    "NAdam": dict(foreach=True, capturable=True),
    "RAdam": dict(foreach=True, capturable=True),
    "Adamax": dict(foreach=True, capturable=True),
    "Rprop": dict(foreach=True, capturable=True),
    "ASGD": dict(foreach=True, capturable=True),
}


@pytest.mark.parametrize("name", ALL_NAMES)
def test_implementation_keywords_are_stored_as_torch_stores_them(name):
    kwargs = dict(ACCEPTED[name], maximize=True)
    ours = getattr(rg.optim, name)([w()], **kwargs)
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)
    assert options(ours) == options(theirs)


@pytest.mark.parametrize("name", ALL_NAMES)
def test_differentiable_and_fused_are_refused_with_the_reason(name):
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported.*"
                                                  "outside the autograd graph"):
        getattr(rg.optim, name)([w()], differentiable=True)
    if "fused" in ACCEPTED[name]:
        with pytest.raises(NotImplementedError, match="fused=True is not supported.*no fused "
                                                      "kernels"):
            getattr(rg.optim, name)([w()], fused=True)
    else:  # torch has no fused option here: neither have we
        with pytest.raises(TypeError):
            getattr(rg.optim, name)([w()], fused=True)


def test_positional_orders_are_torchs():
    cases = {"RMSprop": (0.01, 0.9, 1e-6, 0.1, 0.5, True, True, True, True),
             "Adagrad": (0.01, 0.1, 0.1, 0.5, 1e-6, True),
             "Adamax": (0.01, (0.8, 0.9), 1e-6, 0.1, True),
             "ASGD": (0.01, 1e-3, 0.5, 10.0, 0.1, True, True)}
    for name, args in cases.items():
        ours = getattr(rg.optim, name)([w()], *args)
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], *args)
        assert options(ours) == options(theirs), name
    for name, args in {"Rprop": (0.01, (0.5, 1.2), (1e-6, 50), True),
                       "SGD": (0.01, 0.9, 0, 0, False, True),
                       "Adam": (0.01, (0.9, 0.99), 1e-8, 0, False, True)}.items():
        with pytest.raises(TypeError):  # keyword-only in torch too
            getattr(rg.optim, name)([w()], *args)
        with pytest.raises(TypeError):
            getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], *args)


@pytest.mark.parametrize("name, kwargs, message", [
    ("Adamax", dict(lr=-1.0), "Invalid learning rate"),
    ("Adamax", dict(eps=-1.0), "Invalid epsilon value"),
    ("Adamax", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("Adamax", dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1"),
    ("Adamax", dict(weight_decay=-1.0), "Invalid weight_decay value"),
    ("Rprop", dict(lr=-1.0), "Invalid learning rate"),
    ("Rprop", dict(etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
    ("Rprop", dict(etas=(0.5, 1.0)), "Invalid eta values"),
    ("ASGD", dict(lr=-1.0), "Invalid learning rate"),
    ("ASGD", dict(weight_decay=-1.0), "Invalid weight_decay value"),
])
def test_bad_options_raise_value_error_as_torch(name, kwargs, message):
    raises_as_torch(name, kwargs, message)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_without_gradient_are_left_alone(name):
    a, b = rg.ones(3, requires_grad=True), rg.ones(3, requires_grad=True)
    optimizer = getattr(rg.optim, name)([a, b], lr=0.1)
    (a * a).sum().backward()
    optimizer.step()
    assert not np.allclose(a.array, 1.0)
    np.testing.assert_array_equal(b.array, np.ones(3, np.float32))
    assert b not in optimizer.state or not optimizer.state[b]


# -- ConstantLR, MultiplicativeLR and ChainedScheduler(schedulers, optimizer) ------------------

SCHEDULES = {
    "ConstantLR": lambda s, opt: [s.ConstantLR(opt, factor=0.25, total_iters=7)],
    "ConstantLR-default": lambda s, opt: [s.ConstantLR(opt)],
    "MultiplicativeLR": lambda s, opt: [s.MultiplicativeLR(opt, lr_lambda=lambda e: 0.95)],
    "MultiplicativeLR-per-group": lambda s, opt: [s.MultiplicativeLR(
        opt, lr_lambda=[lambda e: 0.9 if e % 3 else 1.1, lambda e: 1 / (1 + 0.01 * e)])],
    "ConstantLR-chained": lambda s, opt: [s.ConstantLR(opt, factor=0.5, total_iters=4),
                                          s.ExponentialLR(opt, gamma=0.95)],
    "ChainedScheduler-optimizer": lambda s, opt: [s.ChainedScheduler(
        [s.ConstantLR(opt, factor=0.1, total_iters=3), s.MultiplicativeLR(
            opt, lr_lambda=lambda e: 0.97)], optimizer=opt)],
    "SequentialLR-constant-then-multiplicative": lambda s, opt: [s.SequentialLR(
        opt, schedulers=[s.ConstantLR(opt, factor=0.2, total_iters=10),
                         s.MultiplicativeLR(opt, lr_lambda=lambda e: 0.9)], milestones=[6])],
}


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_matches_torch(name):
    from .test_lr_scheduler import lr_sequence
    ours = lr_sequence(rg, SCHEDULES[name])
    theirs = lr_sequence(torch, SCHEDULES[name])
    np.testing.assert_array_equal(ours, theirs)
    assert len(np.unique(ours[:, 0])) > 1


def test_constant_lr_closed_form_and_errors_are_torchs():
    from .test_lr_scheduler import make_optimizer
    for lib in (rg, torch):
        with pytest.raises(ValueError, match="Constant multiplicative factor expected to be "
                                             "between 0 and 1"):
            lib.optim.lr_scheduler.ConstantLR(make_optimizer(lib), factor=1.5)
        with pytest.raises(ValueError, match="Expected 2 lr_lambdas"):
            lib.optim.lr_scheduler.MultiplicativeLR(make_optimizer(lib), [lambda e: 1.0])
        with pytest.raises(TypeError, match="lr_lambda should be a function"):
            lib.optim.lr_scheduler.MultiplicativeLR(make_optimizer(lib), 0.5)
    ours = rg.optim.lr_scheduler.ConstantLR(make_optimizer(rg), factor=0.5, total_iters=3)
    assert ours._get_closed_form_lr() == [0.05, 0.01]
    ours.last_epoch = 3
    assert ours._get_closed_form_lr() == [0.1, 0.02]


def test_multiplicative_lr_state_dict_keeps_callable_objects_state():
    from .test_lr_scheduler import make_optimizer

    class Factor:
        def __init__(self):
            self.value = 0.9

        def __call__(self, epoch):
            return self.value

    results = []
    for lib in (rg, torch):
        factor = Factor()
        scheduler = lib.optim.lr_scheduler.MultiplicativeLR(make_optimizer(lib), factor)
        state = scheduler.state_dict()
        factor.value = 0.1
        scheduler.load_state_dict(state)
        results.append((state["lr_lambdas"], state["last_epoch"], factor.value))
    assert results[0] == results[1]
