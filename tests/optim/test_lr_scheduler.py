"""Learning-rate schedules against torch.optim.lr_scheduler: the same lr sequence, step by step.

Each schedule drives an SGD optimizer with two parameter groups (lr 0.1 and 0.02) for 50 epochs
in retrograd and torch; the lrs of both groups and ``get_last_lr()`` are compared after every
step. Both compute with the same Python float operations, so the values must be equal exactly.
"""
import math

import numpy as np
import pytest
import torch

import retrograd as rg

EPOCHS = 50
RTOL = 0


def make_optimizer(lib):
    """SGD over two groups with their own learning rates, and a gradient so step() updates."""
    groups = []
    for lr in (0.1, 0.02):
        param = lib.tensor(np.ones(2), requires_grad=True)
        param.grad = lib.tensor(np.full(2, 0.5))
        groups.append({"params": [param], "lr": lr})
    return lib.optim.SGD(groups, lr=0.1, momentum=0.9)


# Each entry builds the scheduler(s) for a library: `lib.optim.lr_scheduler` is `s` below.
SCHEDULES = {
    "StepLR": lambda s, opt: [s.StepLR(opt, step_size=7, gamma=0.5)],
    "MultiStepLR": lambda s, opt: [s.MultiStepLR(opt, milestones=[10, 25, 25, 40])],
    "MultiStepLR-lecture": lambda s, opt: [s.MultiStepLR(opt, milestones=[15, 30], gamma=0.1)],
    "ExponentialLR": lambda s, opt: [s.ExponentialLR(opt, gamma=0.93)],
    "PolynomialLR-power4": lambda s, opt: [s.PolynomialLR(opt, total_iters=40, power=4)],
    "PolynomialLR-default": lambda s, opt: [s.PolynomialLR(opt)],
    "CosineAnnealingLR": lambda s, opt: [s.CosineAnnealingLR(opt, T_max=12, eta_min=0.001)],
    "CosineAnnealingLR-period": lambda s, opt: [s.CosineAnnealingLR(opt, T_max=5)],
    "LinearLR-warmup": lambda s, opt: [s.LinearLR(opt, start_factor=0.1, total_iters=8)],
    "LinearLR-decay": lambda s, opt: [s.LinearLR(opt, start_factor=1.0, end_factor=0.2,
                                                 total_iters=30)],
    "LambdaLR": lambda s, opt: [s.LambdaLR(opt, lr_lambda=lambda epoch: 1 / (1 + epoch))],
    "LambdaLR-per-group": lambda s, opt: [s.LambdaLR(
        opt, lr_lambda=[lambda epoch: 0.9 ** epoch, lambda epoch: (epoch % 5 + 1) / 5])],
    "SequentialLR-warmup-cosine": lambda s, opt: [s.SequentialLR(
        opt, schedulers=[s.LinearLR(opt, start_factor=0.1, total_iters=5),
                         s.CosineAnnealingLR(opt, T_max=30, eta_min=1e-4)], milestones=[5])],
    "SequentialLR-three": lambda s, opt: [s.SequentialLR(
        opt, schedulers=[s.ExponentialLR(opt, gamma=0.9), s.StepLR(opt, step_size=4),
                         s.PolynomialLR(opt, total_iters=10, power=2)], milestones=[10, 30])],
    "chained-two-schedulers": lambda s, opt: [s.ExponentialLR(opt, gamma=0.97),
                                              s.MultiStepLR(opt, milestones=[20, 35])],
    "chained-cosine-warmup": lambda s, opt: [s.CosineAnnealingLR(opt, T_max=25),
                                             s.LinearLR(opt, start_factor=0.25, total_iters=6)],
    "ChainedScheduler": lambda s, opt: [s.ChainedScheduler(
        [s.StepLR(opt, step_size=9, gamma=0.7), s.ExponentialLR(opt, gamma=0.99)])],
}


def lr_sequence(lib, build, epochs=EPOCHS):
    """The lrs of both groups and get_last_lr() after creation and after each epoch."""
    optimizer = make_optimizer(lib)
    schedulers = build(lib.optim.lr_scheduler, optimizer)
    sequence = []
    for epoch in range(epochs + 1):
        if epoch:
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
        sequence.append([group["lr"] for group in optimizer.param_groups]
                        + list(schedulers[-1].get_last_lr()))
    return np.array(sequence)


@pytest.mark.parametrize("name", SCHEDULES)
def test_lr_sequence_matches_torch(name):
    ours = lr_sequence(rg, SCHEDULES[name])
    theirs = lr_sequence(torch, SCHEDULES[name])
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=0)
    assert len(np.unique(ours[:, 0])) > 1  # the schedule did change the lr


def test_lecture_schedules():
    """'Divide by 10 at epochs 60 and 90' and polynomial decay of power 4, from definitions."""
    step = lr_sequence(rg, lambda s, opt: [s.MultiStepLR(opt, milestones=[60, 90])], 100)
    np.testing.assert_allclose(step[[0, 59, 60, 89, 90, 100], 0],
                               [0.1, 0.1, 0.01, 0.01, 0.001, 0.001], rtol=1e-12)
    poly = lr_sequence(rg, lambda s, opt: [s.PolynomialLR(opt, total_iters=100, power=4)], 100)
    epochs = np.arange(101)
    np.testing.assert_allclose(poly[:, 0], 0.1 * (1 - epochs / 100) ** 4, rtol=1e-9, atol=1e-15)


def test_scheduler_records_initial_lr_and_base_lrs():
    optimizer = make_optimizer(rg)
    scheduler = rg.optim.lr_scheduler.StepLR(optimizer, step_size=2)
    assert [group["initial_lr"] for group in optimizer.param_groups] == [0.1, 0.02]
    assert scheduler.base_lrs == [0.1, 0.02] and scheduler.last_epoch == 0
    assert scheduler.get_last_lr() == [0.1, 0.02]


# -- ReduceLROnPlateau --------------------------------------------------------------------------

def metric_sequence(epochs=60):
    """A loss that falls, then plateaus with noise, then falls again, then plateaus."""
    generator = np.random.default_rng(7)
    trend = np.concatenate([np.linspace(1.0, 0.5, 15), np.full(20, 0.5),
                            np.linspace(0.5, 0.2, 10), np.full(epochs - 45, 0.2)])
    return trend + generator.normal(0, 0.002, epochs)


PLATEAU_OPTIONS = [
    dict(),
    dict(patience=2, factor=0.5),
    dict(patience=3, factor=0.5, cooldown=4, min_lr=0.01),
    dict(patience=1, threshold=0.01, threshold_mode="abs", min_lr=[0.005, 0.001]),
    dict(mode="max", patience=2, factor=0.3),
    dict(mode="max", patience=0, threshold=0.05, threshold_mode="abs", eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=[str(o) for o in PLATEAU_OPTIONS])
def test_reduce_lr_on_plateau_matches_torch(options):
    metrics = metric_sequence()
    if options.get("mode") == "max":
        metrics = -metrics  # an accuracy-like metric that plateaus
    results = []
    for lib in (rg, torch):
        optimizer = make_optimizer(lib)
        scheduler = lib.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
        lrs = []
        for metric in metrics:
            optimizer.step()
            scheduler.step(lib.tensor(metric) if lib is rg else float(metric))
            lrs.append([group["lr"] for group in optimizer.param_groups]
                       + list(scheduler.get_last_lr()) + [scheduler.num_bad_epochs])
        results.append(np.array(lrs))
    np.testing.assert_allclose(results[0], results[1], rtol=RTOL, atol=0)
    assert len(np.unique(results[0][:, 0])) > 1


def test_reduce_lr_on_plateau_state_dict_resumes():
    metrics = metric_sequence()
    full = rg.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(rg), patience=2)
    first = rg.optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(rg), patience=2)
    for metric in metrics[:25]:
        full.step(metric)
        first.step(metric)
    resumed_optimizer = make_optimizer(rg)
    resumed = rg.optim.lr_scheduler.ReduceLROnPlateau(resumed_optimizer, patience=2)
    resumed.load_state_dict(first.state_dict())
    resumed_optimizer.load_state_dict(first.optimizer.state_dict())
    for metric in metrics[25:]:
        full.step(metric)
        resumed.step(metric)
        assert resumed.get_last_lr() == full.get_last_lr()


# -- state_dict round trips ---------------------------------------------------------------------

@pytest.mark.parametrize("name", SCHEDULES)
def test_state_dict_round_trip_resumes_exactly(name):
    build = SCHEDULES[name]
    full_optimizer = make_optimizer(rg)
    full = build(rg.optim.lr_scheduler, full_optimizer)
    first_optimizer = make_optimizer(rg)
    first = build(rg.optim.lr_scheduler, first_optimizer)
    for _ in range(20):
        for optimizer, schedulers in ((full_optimizer, full), (first_optimizer, first)):
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
    saved = [scheduler.state_dict() for scheduler in first], first_optimizer.state_dict()
    # as PyTorch advises: create the scheduler, load its state, then load the optimizer's
    resumed_optimizer = make_optimizer(rg)
    resumed = build(rg.optim.lr_scheduler, resumed_optimizer)
    for scheduler, state in zip(resumed, saved[0]):
        scheduler.load_state_dict(state)
    resumed_optimizer.load_state_dict(saved[1])
    for _ in range(30):
        for optimizer, schedulers in ((full_optimizer, full), (resumed_optimizer, resumed)):
            optimizer.step()
            for scheduler in schedulers:
                scheduler.step()
        assert resumed[-1].get_last_lr() == full[-1].get_last_lr()
        assert getattr(resumed[-1], "last_epoch", None) == getattr(full[-1], "last_epoch", None)


def test_state_dicts_survive_a_checkpoint_file(tmp_path):
    def build(s, opt):
        return [s.SequentialLR(opt, [s.ExponentialLR(opt, gamma=0.9),
                                     s.MultiStepLR(opt, milestones=[3, 8, 8])], milestones=[12])]
    full_optimizer, first_optimizer = make_optimizer(rg), make_optimizer(rg)
    full, first = build(rg.optim.lr_scheduler, full_optimizer)[0], \
        build(rg.optim.lr_scheduler, first_optimizer)[0]
    for _ in range(6):
        for optimizer, scheduler in ((full_optimizer, full), (first_optimizer, first)):
            optimizer.step()
            scheduler.step()
    rg.save({"optimizer": first_optimizer.state_dict(), "scheduler": first.state_dict(),
             "params": [group["params"][0] for group in first_optimizer.param_groups]},
            tmp_path / "checkpoint")
    saved = rg.load(tmp_path / "checkpoint")
    resumed_optimizer = make_optimizer(rg)
    for group, value in zip(resumed_optimizer.param_groups, saved["params"]):
        group["params"][0].array[...] = value.array  # what a model's load_state_dict does
    resumed = build(rg.optim.lr_scheduler, resumed_optimizer)[0]
    resumed.load_state_dict(saved["scheduler"])
    resumed_optimizer.load_state_dict(saved["optimizer"])
    for _ in range(20):
        for optimizer, scheduler in ((full_optimizer, full), (resumed_optimizer, resumed)):
            optimizer.step()
            scheduler.step()
        assert resumed.get_last_lr() == full.get_last_lr()
        for a, b in zip(full_optimizer.param_groups, resumed_optimizer.param_groups):
            np.testing.assert_array_equal(a["params"][0].array, b["params"][0].array)


def test_state_dict_keys_match_torch():
    for name in ["StepLR", "CosineAnnealingLR", "LambdaLR", "SequentialLR-warmup-cosine"]:
        ours = SCHEDULES[name](rg.optim.lr_scheduler, make_optimizer(rg))[0].state_dict()
        theirs = SCHEDULES[name](torch.optim.lr_scheduler, make_optimizer(torch))[0].state_dict()
        # torch also keeps private flags of its warnings; every key we keep, torch keeps
        assert set(ours) <= set(theirs), name
        for key in ("base_lrs", "last_epoch", "_last_lr"):
            assert ours.get(key) == theirs.get(key), (name, key)


def test_lambda_lr_state_dict_keeps_callable_objects_state():
    class Warmup:
        def __init__(self):
            self.length = 3

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.length)

    scheduler = rg.optim.lr_scheduler.LambdaLR(make_optimizer(rg), [Warmup(), lambda e: 1.0])
    scheduler.lr_lambdas[0].length = 10
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [{"length": 10}, None]
    other = rg.optim.lr_scheduler.LambdaLR(make_optimizer(rg), [Warmup(), lambda e: 1.0])
    other.load_state_dict(saved)
    assert other.lr_lambdas[0].length == 10 and "lr_lambdas" in saved


# -- warnings and errors ------------------------------------------------------------------------

def test_stepping_the_scheduler_before_the_optimizer_warns():
    scheduler = rg.optim.lr_scheduler.StepLR(make_optimizer(rg), step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()


def test_resuming_without_initial_lr_is_explained():
    with pytest.raises(KeyError, match="initial_lr"):
        rg.optim.lr_scheduler.StepLR(make_optimizer(rg), step_size=2, last_epoch=5)


@pytest.mark.parametrize("make, error, message", [
    (lambda s, opt: s.StepLR("not an optimizer", step_size=2), TypeError, "is not an Optimizer"),
    (lambda s, opt: s.LinearLR(opt, start_factor=0), ValueError, "Starting multiplicative"),
    (lambda s, opt: s.LinearLR(opt, end_factor=1.5), ValueError, "Ending multiplicative"),
    (lambda s, opt: s.LambdaLR(opt, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas"),
    (lambda s, opt: s.ReduceLROnPlateau(opt, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda s, opt: s.ReduceLROnPlateau(opt, mode="lowest"), ValueError, "is unknown"),
    (lambda s, opt: s.ReduceLROnPlateau(opt, threshold_mode="pct"), ValueError, "is unknown"),
    (lambda s, opt: s.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError, "min_lrs"),
    (lambda s, opt: s.SequentialLR(opt, [s.StepLR(opt, 2), s.StepLR(opt, 3)], milestones=[]),
     ValueError, "one more than the number of milestone"),
    (lambda s, opt: s.SequentialLR(opt, [], milestones=[]), ValueError, "at least one"),
    (lambda s, opt: s.SequentialLR(opt, [s.ReduceLROnPlateau(opt)], milestones=[]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda s, opt: s.SequentialLR(opt, [s.StepLR(make_optimizer(rg), 2)], milestones=[]),
     ValueError, "same optimizer"),
])
def test_bad_arguments_are_explained(make, error, message):
    optimizer = make_optimizer(rg)
    with pytest.raises(error, match=message):
        make(rg.optim.lr_scheduler, optimizer)


@pytest.mark.parametrize("make", [
    lambda s, opt: s.StepLR(opt, step_size=0),
    lambda s, opt: s.CosineAnnealingLR(opt, T_max=0),
    lambda s, opt: s.PolynomialLR(opt, total_iters=0),
    lambda s, opt: s.LinearLR(opt, total_iters=-1),
])
def test_periods_must_be_positive(make):
    # torch fails later, with a ZeroDivisionError inside step(); we say what is wrong at once
    with pytest.raises(ValueError, match="must be a positive integer"):
        make(rg.optim.lr_scheduler, make_optimizer(rg))


def test_cosine_annealing_values_follow_the_closed_form():
    lrs = lr_sequence(rg, SCHEDULES["CosineAnnealingLR"])[:, 0]
    epochs = np.arange(EPOCHS + 1)
    expected = 0.001 + (0.1 - 0.001) * (1 + np.cos(math.pi * epochs / 12)) / 2
    np.testing.assert_allclose(lrs, expected, rtol=1e-9)
