"""Optimizers on a device (the CuPy stand-in of tests/fake_cupy.py as "cuda"): the trajectory of
every optimizer equals the CPU's bit for bit, its state lives on the parameters' device, and a
step reads nothing back to the host."""
import numpy as np
import pytest

import retrograd as rg

import fake_cupy
from .test_optimizers import CONFIG_IDS, CONFIGS, loss_of, problem_data

CUDA = rg.device("cuda:0")
STEPS = 5


class Run:
    """One device's side of a comparison: its tensors, its optimizer, one step at a time."""

    def __init__(self, device, name, kwargs, dtype):
        (x, y), params = problem_data(dtype)
        self.sign = -1.0 if kwargs.get("maximize") else 1.0
        self.x, self.y = rg.tensor(x, device=device), rg.tensor(y, device=device)
        self.params = [rg.tensor(p, device=device, requires_grad=True) for p in params]
        self.optimizer = getattr(rg.optim, name)(self.params, **kwargs)

    def step(self):
        self.optimizer.zero_grad()
        loss_of(self.x, self.y, self.params, self.sign).backward()
        self.optimizer.step()


def host(tensor):
    return tensor.detach().cpu().numpy()


def assert_same_run(on_device, on_cpu, step):
    for i, (param, expected) in enumerate(zip(on_device.params, on_cpu.params)):
        assert param.device == CUDA
        np.testing.assert_array_equal(host(param), host(expected),
                                      err_msg=f"parameter {i} after step {step}")
    for param, expected in zip(on_device.params, on_cpu.params):
        state, expected_state = on_device.optimizer.state[param], on_cpu.optimizer.state[expected]
        assert state.keys() == expected_state.keys()
        for key, value in state.items():
            if isinstance(value, rg.Tensor):
                assert value.device == CUDA, key
                assert value.dtype == expected_state[key].dtype, key
                np.testing.assert_array_equal(host(value), host(expected_state[key]),
                                              err_msg=f"{key} after step {step}")
            else:
                assert value == expected_state[key], key


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_on_device_equals_the_cpus(fake_cuda, name, kwargs, dtype):
    on_device, on_cpu = Run("cuda", name, kwargs, dtype), Run("cpu", name, kwargs, dtype)
    for step in range(1, STEPS + 1):
        on_device.step()
        on_cpu.step()
        assert_same_run(on_device, on_cpu, step)


def refuse_host_reads(monkeypatch):
    """Makes every read of a device value on the host fail (each is a device sync)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a device value was read on the host")
    for name in ("__float__", "__bool__", "__int__", "__index__", "item", "tolist", "get"):
        monkeypatch.setattr(fake_cupy.FakeArray, name, refuse, raising=False)


@pytest.mark.parametrize("name, kwargs", CONFIGS, ids=CONFIG_IDS)
def test_step_reads_nothing_back_to_the_host(fake_cuda, monkeypatch, name, kwargs):
    run = Run("cuda", name, kwargs, np.float32)
    for _ in range(2):  # the first step creates the state, the second uses it
        run.optimizer.zero_grad()
        loss_of(run.x, run.y, run.params, run.sign).backward()
        with monkeypatch.context() as patch:
            refuse_host_reads(patch)
            run.optimizer.step()


@pytest.mark.parametrize("name, kwargs", CONFIGS[::3], ids=CONFIG_IDS[::3])
def test_state_dict_moves_to_the_parameters_device(fake_cuda, name, kwargs):
    on_cpu, on_device = Run("cpu", name, kwargs, np.float32), Run("cuda", name, kwargs,
                                                                   np.float32)
    for _ in range(2):
        on_cpu.step()
    saved = on_cpu.optimizer.state_dict()
    for param, expected in zip(on_device.params, on_cpu.params):
        with rg.no_grad():
            param.copy_(expected)
    on_device.optimizer.load_state_dict(saved)
    assert_same_run(on_device, on_cpu, "loading")
    for step in range(3):
        on_device.step()
        on_cpu.step()
        assert_same_run(on_device, on_cpu, step)
    state = on_device.optimizer.state_dict()["state"]
    assert all(value.device == CUDA for entry in state.values()
               for value in entry.values() if isinstance(value, rg.Tensor))
    back = Run("cpu", name, kwargs, np.float32)
    back.optimizer.load_state_dict(on_device.optimizer.state_dict())
    assert all(value.device == rg.device("cpu") for entry in back.optimizer.state.values()
               for value in entry.values() if isinstance(value, rg.Tensor))


def test_adagrad_creates_its_state_on_the_device_at_once(fake_cuda):
    param = rg.zeros(3, device="cuda", requires_grad=True)
    optimizer = rg.optim.Adagrad([param], initial_accumulator_value=0.5)
    assert optimizer.state[param]["sum"].device == CUDA


def test_lr_scheduler_drives_a_device_optimizer(fake_cuda):
    on_device, on_cpu = (Run(device, "SGD", dict(lr=0.1, momentum=0.9), np.float32)
                         for device in ("cuda", "cpu"))
    schedulers = [rg.optim.lr_scheduler.StepLR(run.optimizer, step_size=2, gamma=0.5)
                  for run in (on_device, on_cpu)]
    for step in range(5):
        for run, scheduler in zip((on_device, on_cpu), schedulers):
            run.step()
            scheduler.step()
        assert_same_run(on_device, on_cpu, step)
    assert on_device.optimizer.param_groups[0]["lr"] == 0.025
