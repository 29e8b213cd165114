"""OneCycleLR, CyclicLR and CosineAnnealingWarmRestarts against torch.optim.lr_scheduler.

Each schedule drives an optimizer with two parameter groups (SGD with momentum, or Adam, whose
momentum is betas[0]) over many steps in retrograd and torch; after every step the lr and the
momentum of both groups and ``get_last_lr()`` are compared. Both compute with the same Python
float operations, so the values must be equal exactly.
"""
import math
import pickle

import numpy as np
import pytest
import torch

import retrograd as rg

STEPS = 120


def make_optimizer(lib, name="SGD"):
    """Two groups with their own learning rates, each with a gradient so that step() updates."""
    groups = []
    for lr in (0.1, 0.02):
        param = lib.tensor(np.ones(2), requires_grad=True)
        param.grad = lib.tensor(np.full(2, 0.5))
        groups.append({"params": [param], "lr": lr})
    if name == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return getattr(lib.optim, name)(groups, lr=0.1)


def momenta(optimizer):
    return [group["betas"][0] if "betas" in group else group.get("momentum", math.nan)
            for group in optimizer.param_groups]


def record(optimizer, scheduler):
    return ([group["lr"] for group in optimizer.param_groups] + list(scheduler.get_last_lr())
            + momenta(optimizer))


# name -> (optimizer, steps, builder); the builder's `s` is lib.optim.lr_scheduler
SCHEDULES = {
    "OneCycle-default": ("SGD", 100, lambda s, opt: s.OneCycleLR(opt, max_lr=1.0,
                                                                 total_steps=100)),
    "OneCycle-per-group": ("SGD", 60, lambda s, opt: s.OneCycleLR(
        opt, max_lr=[0.5, 0.05], epochs=6, steps_per_epoch=10, pct_start=0.25,
        base_momentum=[0.8, 0.7], max_momentum=[0.95, 0.9], div_factor=10.0,
        final_div_factor=100.0)),
    "OneCycle-linear": ("SGD", 80, lambda s, opt: s.OneCycleLR(
        opt, max_lr=0.3, total_steps=80, anneal_strategy="linear")),
    "OneCycle-three-phase": ("SGD", 90, lambda s, opt: s.OneCycleLR(
        opt, max_lr=0.3, total_steps=90, three_phase=True, pct_start=0.2)),
    "OneCycle-three-phase-linear": ("Adam", 50, lambda s, opt: s.OneCycleLR(
        opt, max_lr=0.3, total_steps=50, three_phase=True, anneal_strategy="linear")),
    "OneCycle-Adam-betas": ("Adam", 100, lambda s, opt: s.OneCycleLR(opt, max_lr=0.01,
                                                                     total_steps=100)),
    "OneCycle-no-momentum": ("Adagrad", 40, lambda s, opt: s.OneCycleLR(
        opt, max_lr=0.1, total_steps=40, cycle_momentum=False)),
    "Cyclic-triangular": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=10)),
    "Cyclic-triangular-asymmetric": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=7, step_size_down=13,
        base_momentum=[0.8, 0.85], max_momentum=[0.9, 0.95])),
    "Cyclic-triangular2": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=6, mode="triangular2")),
    "Cyclic-exp_range": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.98)),
    "Cyclic-scale_fn-cycle": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 1 / x)),
    "Cyclic-scale_fn-iterations": ("SGD", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.01, max_lr=0.1, step_size_up=4, scale_fn=lambda x: 0.99 ** x,
        scale_mode="iterations")),
    "Cyclic-Adam-betas": ("Adam", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.001, max_lr=0.01, step_size_up=8, mode="exp_range", gamma=0.99)),
    "Cyclic-no-momentum": ("Adagrad", STEPS, lambda s, opt: s.CyclicLR(
        opt, base_lr=0.001, max_lr=0.01, step_size_up=8, cycle_momentum=False)),
    "WarmRestarts": ("SGD", STEPS, lambda s, opt: s.CosineAnnealingWarmRestarts(opt, T_0=10)),
    "WarmRestarts-T_mult": ("SGD", STEPS, lambda s, opt: s.CosineAnnealingWarmRestarts(
        opt, T_0=3, T_mult=2, eta_min=0.001)),
}


def sequence(lib, name):
    optimizer_name, steps, build = SCHEDULES[name]
    optimizer = make_optimizer(lib, optimizer_name)
    scheduler = build(lib.optim.lr_scheduler, optimizer)
    values = [record(optimizer, scheduler)]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        values.append(record(optimizer, scheduler))
    return np.array(values), optimizer


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_and_momentum_sequences_match_torch(name):
    ours, our_optimizer = sequence(rg, name)
    theirs, their_optimizer = sequence(torch, name)
    np.testing.assert_array_equal(ours, theirs)
    assert len(np.unique(ours[:, 0])) > 5  # the schedule did change the lr
    for ours_group, theirs_group in zip(our_optimizer.param_groups,
                                        their_optimizer.param_groups):
        for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            assert ours_group.get(key) == theirs_group.get(key), key


def test_one_cycle_steps_past_total_steps_raise_as_torch():
    for lib in (rg, torch):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=5)
        for _ in range(5):  # the 5th step (pct > 1) is still allowed, as in torch
            optimizer.step()
            scheduler.step()
        with pytest.raises(ValueError, match="Tried to step 6 times. The specified number of "
                                             "total steps is 5"):
            scheduler.step()


@pytest.mark.parametrize("epochs", [
    [0.5, 1.25, 2.0, 2.99, 3.0, 7.5, 9.1, 20.0, 21.7, 45.0, 2.5],   # fractional, then back
    [i + j / 4 for i in range(12) for j in range(4)],               # per batch: epoch + i / n
])
@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_explicit_epochs_match_torch(epochs, T_mult):
    results = []
    for lib in (rg, torch):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(
            optimizer, T_0=3, T_mult=T_mult, eta_min=0.005)
        values = []
        for index, epoch in enumerate(epochs):
            optimizer.step()
            scheduler.step(epoch)
            if index % 3 == 2:
                scheduler.step()  # interleaved: continues from floor(epoch) + 1
            values.append(record(optimizer, scheduler)[:4]
                          + [scheduler.T_cur, scheduler.T_i, scheduler.last_epoch])
        results.append(np.array(values, dtype=float))
    np.testing.assert_array_equal(*results)


SCHEDULE_NAMES = list(SCHEDULES)


@pytest.mark.parametrize("name", SCHEDULE_NAMES[::2])
def test_state_dict_round_trip_resumes_the_sequence(name):
    optimizer_name, steps, build = SCHEDULES[name]
    expected, _ = sequence(rg, name)
    optimizer = make_optimizer(rg, optimizer_name)
    scheduler = build(rg.optim.lr_scheduler, optimizer)
    for _ in range(steps // 2):
        optimizer.step()
        scheduler.step()
    saved_optimizer = optimizer.state_dict()
    saved = pickle.loads(pickle.dumps(scheduler.state_dict())) if "scale_fn" not in name \
        else scheduler.state_dict()
    resumed_optimizer = make_optimizer(rg, optimizer_name)
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed = build(rg.optim.lr_scheduler, resumed_optimizer)
    resumed.load_state_dict(saved)
    values = []
    for _ in range(steps - steps // 2):
        resumed_optimizer.step()
        resumed.step()
        values.append(record(resumed_optimizer, resumed))
    np.testing.assert_array_equal(np.array(values), expected[steps // 2 + 1:])


def test_state_dict_keys_are_torchs():
    for name in ("OneCycle-default", "Cyclic-exp_range", "Cyclic-scale_fn-cycle",
                 "WarmRestarts"):
        optimizer_name, _, build = SCHEDULES[name]
        ours = build(rg.optim.lr_scheduler, make_optimizer(rg, optimizer_name)).state_dict()
        theirs = build(torch.optim.lr_scheduler,
                       make_optimizer(torch, optimizer_name)).state_dict()
        assert set(ours) <= set(theirs), name
        for key in ours:
            if key not in ("base_lrs", "_last_lr"):
                assert ours[key] == theirs[key], (name, key)


class Halving:
    """A callable scale function whose state (its __dict__) a state dict keeps."""

    def __init__(self):
        self.base = 0.5

    def __call__(self, x):
        return self.base ** (x - 1)


def test_cyclic_callable_scale_fn_state_is_saved():
    optimizer = make_optimizer(rg)
    scheduler = rg.optim.lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=3,
                                               scale_fn=Halving())
    scheduler._scale_fn_custom.base = 0.25
    saved = scheduler.state_dict()
    assert saved["_scale_fn_custom"] == {"base": 0.25}
    other = rg.optim.lr_scheduler.CyclicLR(make_optimizer(rg), 0.01, 0.1, step_size_up=3,
                                           scale_fn=Halving())
    other.load_state_dict(saved)
    assert other._scale_fn_custom.base == 0.25 and other.scale_mode == "cycle"
    function_saved = rg.optim.lr_scheduler.CyclicLR(
        make_optimizer(rg), 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()
    assert function_saved["_scale_fn_custom"] is None


def test_warm_restarts_does_not_warn_when_stepped_with_an_epoch(recwarn):
    optimizer = make_optimizer(rg)
    scheduler = rg.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2)
    optimizer.step()
    scheduler.step(0.5)
    assert not [w for w in recwarn if issubclass(w.category, UserWarning)]


# -- errors: the same as torch's --------------------------------------------------------------

BAD = [
    ("OneCycleLR", dict(max_lr=0.1), ValueError, "You must define either total_steps OR"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2), ValueError, "You must define either"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=0), ValueError,
     "Expected positive integer total_steps, but got 0"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=2.0), ValueError,
     "Expected positive integer total_steps"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=0, steps_per_epoch=3), ValueError,
     "Expected positive integer epochs, but got 0"),
    ("OneCycleLR", dict(max_lr=0.1, epochs=2, steps_per_epoch=-1), ValueError,
     "Expected positive integer steps_per_epoch, but got -1"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1.5), ValueError,
     "Expected float between 0 and 1 pct_start, but got 1.5"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, pct_start=1), ValueError,
     "Expected float between 0 and 1 pct_start"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, anneal_strategy="exp"), ValueError,
     "anneal_strategy must be one of 'cos' or 'linear', instead got exp"),
    ("OneCycleLR", dict(max_lr=[0.1, 0.2, 0.3], total_steps=10), ValueError,
     "max_lr must have the same length as optimizer.param_groups"),
    ("OneCycleLR", dict(max_lr=0.1, total_steps=10, max_momentum=[0.9]), ValueError,
     "max_momentum must have the same length"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, mode="square"), ValueError,
     "mode is invalid and scale_fn is None"),
    ("CyclicLR", dict(base_lr=[0.01], max_lr=0.1), ValueError,
     "base_lr must have the same length as optimizer.param_groups"),
    ("CyclicLR", dict(base_lr=0.01, max_lr=0.1, base_momentum=(0.8, 0.8, 0.8)), ValueError,
     "base_momentum must have the same length"),
    ("CosineAnnealingWarmRestarts", dict(T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2.0), ValueError, "Expected positive integer T_0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, T_mult=1.5), ValueError,
     "Expected integer T_mult >= 1"),
    ("CosineAnnealingWarmRestarts", dict(T_0=2, eta_min="0"), ValueError,
     "Expected float or int eta_min"),
]


@pytest.mark.parametrize("name, kwargs, error, message", BAD,
                         ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_bad_arguments_raise_as_torch(name, kwargs, error, message):
    for lib in (rg, torch):
        with pytest.raises(error, match=message):
            getattr(lib.optim.lr_scheduler, name)(make_optimizer(lib), **kwargs)


@pytest.mark.parametrize("name, kwargs", [("OneCycleLR", dict(max_lr=0.1, total_steps=10)),
                                          ("CyclicLR", dict(base_lr=0.01, max_lr=0.1))])
def test_cycle_momentum_needs_a_momentum(name, kwargs):
    for lib in (rg, torch):
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            getattr(lib.optim.lr_scheduler, name)(make_optimizer(lib, "Adagrad"), **kwargs)


def test_warm_restarts_negative_epoch_and_non_optimizer():
    for lib in (rg, torch):
        scheduler = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(make_optimizer(lib), 2)
        with pytest.raises(ValueError, match="Expected non-negative epoch, but got -1"):
            scheduler.step(-1)
        for name, kwargs in [("OneCycleLR", dict(max_lr=0.1, total_steps=3)),
                             ("CyclicLR", dict(base_lr=0.01, max_lr=0.1))]:
            with pytest.raises(TypeError, match="is not an Optimizer"):
                getattr(lib.optim.lr_scheduler, name)(object(), **kwargs)
