"""Shared test set-up: hypothesis profiles by environment, and a guard against leaked grad mode.

HYPOTHESIS_PROFILE=ci (the default under CI=true) runs fewer, derandomized examples;
HYPOTHESIS_PROFILE=dev explores more.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import retrograd as rg
from retrograd.autograd.grad_mode import state
from retrograd.backend import backend_for, unregister_backend

import fake_cupy

settings.register_profile("ci", max_examples=25, derandomize=True, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))


@pytest.fixture(autouse=True)
def no_leaked_grad_mode():
    """Fails a test that leaves grad mode (or create_graph/anomaly mode) switched."""
    yield
    leaked = (state.grad_enabled, state.create_graph, state.anomaly_mode) != (True, False, False)
    state.grad_enabled, state.create_graph, state.anomaly_mode = True, False, False
    assert not leaked, "the test left grad mode changed"


@pytest.fixture(autouse=True)
def seeded():
    """Every test starts from the same seeds, so failures reproduce."""
    rg.manual_seed(0)
    np.random.seed(0)
    yield


# RETROGRAD_TEST_DEVICE=cupy runs the device tests on the real CuPy backend (a machine with an
# NVIDIA GPU and CuPy: bench/gpu_check.sh) instead of the stand-in; tests that rely on the
# stand-in's exact NumPy results or its FakeArray can check REAL_CUPY.
REAL_CUPY = os.environ.get("RETROGRAD_TEST_DEVICE") == "cupy"


@pytest.fixture
def fake_cuda():
    """Makes retrograd's "cuda" device the CuPy stand-in of ``fake_cupy`` (real CuPy under
    RETROGRAD_TEST_DEVICE=cupy) for one test, with freshly seeded generators; returns its
    backend."""
    backend = backend_for("cuda") if REAL_CUPY else fake_cupy.install()
    rg.manual_seed(0)
    yield backend
    rg.set_default_device("cpu")
    unregister_backend("cuda")
    rg.random.forget_device_generators("cuda")
