"""Adadelta, NAdam and RAdam against torch.optim: the trajectory, the state, the options.

They run on the problem of test_optimizers.py (a tiny tanh network, parameters of three shapes)
from identical initial values in retrograd and torch 2.13; every parameter is compared after
every step, with one group or with several groups of their own options.
"""
import numpy as np
import pytest
import torch

import retrograd as rg

from .test_device import CUDA, assert_same_run
from .test_device import Run as DeviceRun
from .test_optimizers import TOLERANCES, assert_same_params, compare
from .test_optimizers import test_state_dict_round_trip_resumes_exactly as resumes_exactly

CONFIGS = [
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4)),
    ("Adadelta", dict(lr=0.5, weight_decay=0.1, maximize=True)),
    ("Adadelta", dict(lr=0.5, rho=1.0, foreach=False)),
    ("NAdam", dict()),
    ("NAdam", dict(lr=0.02, betas=(0.8, 0.9), momentum_decay=0.01)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1)),
    ("NAdam", dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("NAdam", dict(lr=0.02, eps=1e-4, foreach=True, capturable=False)),
    ("RAdam", dict()),
    ("RAdam", dict(lr=0.05, betas=(0.5, 0.9))),   # rho_t > 5 from step 3: the rectified branch
    ("RAdam", dict(lr=0.05, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05, betas=(0.9, 0.5))),   # rho_inf < 5: never rectified
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kwargs.items())}"
              for name, kwargs in CONFIGS]
STEPS = 30
NAMES = ["Adadelta", "NAdam", "RAdam"]


def assert_same_state(ours, theirs, dtype):
    our_state, their_state = ours.optimizer.state_dict(), theirs.optimizer.state_dict()
    assert our_state["state"].keys() == their_state["state"].keys()
    for index, state in our_state["state"].items():
        assert list(state) == list(their_state["state"][index])  # same keys, same order
        for key, value in state.items():
            expected = their_state["state"][index][key]
            if key == "step":
                assert value == expected.item()
                continue
            assert value.dtype == rg.Tensor(expected.numpy()).dtype, key
            tolerance = TOLERANCES[dtype]
            if dtype is np.float32:  # buffers can cancel: compare to their largest value
                tolerance = dict(rtol=1e-4, atol=1e-4 * np.abs(expected.numpy()).max())
            np.testing.assert_allclose(value.array, expected.numpy(), **tolerance)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_and_state_match_torch(name, kwargs, dtype):
    ours, theirs = compare(name, kwargs, dtype, steps=STEPS)
    assert_same_state(ours, theirs, dtype)


def several_groups(name):
    # each group overrides options of its own; the third takes the defaults
    overrides = {"Adadelta": [dict(rho=0.5, weight_decay=0.1), dict(lr=0.3, eps=1e-3)],
                 "NAdam": [dict(betas=(0.7, 0.95), momentum_decay=0.02),
                           dict(lr=0.005, weight_decay=0.2, decoupled_weight_decay=True)],
                 "RAdam": [dict(betas=(0.6, 0.95), weight_decay=0.1),
                           dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.3)]}[name]

    def groups(params):
        return [{"params": [params[0]], **overrides[0]}, {"params": [params[1]], **overrides[1]},
                {"params": [params[2]]}]
    return groups


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name", NAMES)
def test_several_parameter_groups_match_torch(name, dtype):
    lr = {"Adadelta": 1.0, "NAdam": 0.02, "RAdam": 0.05}[name]
    ours, theirs = compare(name, dict(lr=lr), dtype, steps=STEPS, groups=several_groups(name))
    assert_same_state(ours, theirs, dtype)
    for group, their_group in zip(ours.optimizer.param_groups, theirs.optimizer.param_groups):
        assert {key: their_group[key] for key in group if key != "params"} \
            == {key: value for key, value in group.items() if key != "params"}


@pytest.mark.parametrize("name", NAMES)
def test_defaults_and_group_options_are_torchs(name):
    ours = getattr(rg.optim, name)([rg.zeros(2, requires_grad=True)])
    theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)])
    assert ours.defaults == {key: theirs.defaults[key] for key in ours.defaults}
    assert set(theirs.defaults) - set(ours.defaults) <= {"fused"}
    group = {key: value for key, value in ours.param_groups[0].items() if key != "params"}
    assert group == {key: theirs.param_groups[0][key] for key in group}


@pytest.mark.parametrize("name, kwargs", [c for c in CONFIGS if c[0] != "NAdam"],
                         ids=[i for i, c in zip(CONFIG_IDS, CONFIGS) if c[0] != "NAdam"])
def test_state_dict_round_trip_resumes_exactly(name, kwargs):
    # NAdam's resumed run differs in the last bits, as torch's: see the test below
    resumes_exactly(name, kwargs)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_nadam_state_dict_round_trip_against_torch(dtype):
    # torch casts the loaded mu_product (a float32 scalar) to the parameter's dtype, so that a
    # resumed run differs in the last bits from an uninterrupted one: so does ours
    kwargs = dict(lr=0.02)
    ours, theirs = compare("NAdam", kwargs, dtype, steps=5)
    for run in (ours, theirs):
        saved = run.optimizer.state_dict()
        run.optimizer.load_state_dict(saved)
    for step in range(6, 16):
        ours.step()
        theirs.step()
        assert_same_params(ours, theirs, dtype, step)
    assert_same_state(ours, theirs, dtype)


def as_torch_state_dict(saved: dict) -> dict:
    """A retrograd optimizer's state dict with torch tensors, for torch's load_state_dict."""
    return {"param_groups": saved["param_groups"],
            "state": {index: {key: torch.tensor(float(value)) if key == "step"
                              else torch.from_numpy(value.array.copy())
                              for key, value in state.items()}
                      for index, state in saved["state"].items()}}


@pytest.mark.parametrize("name", NAMES)
def test_torch_trains_from_our_state_dict(name):
    # a state dict saved by retrograd, converted to torch tensors, resumes torch's run
    ours, theirs = compare(name, dict(lr=0.01), np.float64, steps=5)
    saved = ours.optimizer.state_dict()
    theirs.optimizer.load_state_dict(as_torch_state_dict(saved))
    ours.optimizer.load_state_dict(saved)  # both cast NAdam's mu_product to float64
    for step in range(6, 12):
        ours.step()
        theirs.step()
        assert_same_params(ours, theirs, np.float64, step)


def w():
    return rg.zeros(2, requires_grad=True)


@pytest.mark.parametrize("name, kwargs, message", [
    ("Adadelta", dict(lr=-1.0), "Invalid learning rate"),
    ("Adadelta", dict(rho=1.5), "Invalid rho value: 1.5"),
    ("Adadelta", dict(rho=-0.1), "Invalid rho value"),
    ("Adadelta", dict(eps=-1.0), "Invalid epsilon value"),
    ("Adadelta", dict(weight_decay=-1.0), "Invalid weight_decay value"),
    ("NAdam", dict(lr=-1.0), "Invalid learning rate"),
    ("NAdam", dict(betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    ("NAdam", dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1"),
    ("NAdam", dict(momentum_decay=-1e-3), "Invalid momentum_decay value"),
    ("NAdam", dict(weight_decay=-1.0), "Invalid weight_decay value"),
    ("RAdam", dict(eps=-1.0), "Invalid epsilon value"),
    ("RAdam", dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
    ("RAdam", dict(weight_decay=-1.0), "Invalid weight_decay value"),
])
def test_bad_options_raise_value_error_as_torch(name, kwargs, message):
    with pytest.raises(ValueError, match=message):
        getattr(rg.optim, name)([w()], **kwargs)
    with pytest.raises(ValueError, match=message):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kwargs)


@pytest.mark.parametrize("name", NAMES)
def test_keywords_torch_accepts(name):
    optimizer = getattr(rg.optim, name)([w()], foreach=True, capturable=True, maximize=True)
    group = optimizer.param_groups[0]
    assert group["foreach"] is True and group["capturable"] is True
    assert group["differentiable"] is False and group["maximize"] is True
    with pytest.raises(NotImplementedError, match="differentiable=True is not supported"):
        getattr(rg.optim, name)([w()], differentiable=True)
    with pytest.raises(TypeError):  # keyword-only in torch too
        getattr(rg.optim, name)([w()], 0.1, 0.9, 1e-6, 0, None, None, None, True)


def test_radam_and_nadam_positional_order_is_torchs():
    for name in ("NAdam", "RAdam"):
        args = (0.01, (0.8, 0.9), 1e-6, 0.1) + ((0.01, True) if name == "NAdam" else (True,))
        ours = getattr(rg.optim, name)([w()], *args).param_groups[0]
        theirs = getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)],
                                            *args).param_groups[0]
        assert {key: theirs[key] for key in ours if key != "params"} \
            == {key: value for key, value in ours.items() if key != "params"}


# -- on the fake cuda device ------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", CONFIGS[::2], ids=CONFIG_IDS[::2])
def test_trajectory_on_device_equals_the_cpus(fake_cuda, name, kwargs, dtype):
    on_device, on_cpu = DeviceRun("cuda", name, kwargs, dtype), DeviceRun("cpu", name, kwargs,
                                                                           dtype)
    for step in range(1, 6):
        on_device.step()
        on_cpu.step()
        if name != "NAdam":
            assert_same_run(on_device, on_cpu, step)
    for param, expected in zip(on_device.params, on_cpu.params):
        assert param.device == CUDA
        np.testing.assert_array_equal(param.detach().cpu().numpy(),
                                      expected.detach().cpu().numpy())
        if name == "NAdam":  # mu_product stays on the host, as PyTorch keeps it
            state = on_device.optimizer.state[param]
            assert state["exp_avg"].device == CUDA
            assert state["mu_product"].device == rg.device("cpu")
            assert state["mu_product"].dtype == rg.float32
