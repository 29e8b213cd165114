"""The thread policy (retrograd/threads.py): one BLAS thread by default, the user's choice
(environment, ``rg.set_num_threads``, ``--threads``) otherwise."""
import os
import subprocess
import sys

import numpy as np
import pytest

import retrograd as rg
from retrograd.cli.main import main
from retrograd.threads import THREAD_VARIABLES


def threads_in_fresh_process(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items()
             if k not in THREAD_VARIABLES and k != "RETROGRAD_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip() + done.stderr


NUMPY_ALONE = ("import numpy, threadpoolctl; print(max(p['num_threads'] for p in "
               "threadpoolctl.threadpool_info() if p['user_api'] == 'blas'))")
WITH_RETROGRAD = "import retrograd as rg; print(rg.get_num_threads())"


@pytest.fixture
def restore_threads():
    before = rg.get_num_threads()
    yield
    rg.set_num_threads(before)


def test_the_default_is_one_thread():
    assert threads_in_fresh_process(WITH_RETROGRAD) == "1"


def test_retrograd_num_threads_sets_the_count():
    assert threads_in_fresh_process(WITH_RETROGRAD, RETROGRAD_NUM_THREADS="2") == "2"


@pytest.mark.parametrize("variable", THREAD_VARIABLES)
def test_a_blas_variable_the_user_set_is_left_alone(variable):
    alone = threads_in_fresh_process(NUMPY_ALONE, **{variable: "2"})
    assert threads_in_fresh_process(WITH_RETROGRAD, **{variable: "2"}) == alone


def test_a_bad_retrograd_num_threads_warns_and_uses_one_thread():
    out = threads_in_fresh_process(WITH_RETROGRAD, RETROGRAD_NUM_THREADS="many")
    assert out.startswith("1") and "RETROGRAD_NUM_THREADS='many' is not a positive integer" in out


def test_set_num_threads_round_trip(restore_threads):
    rg.set_num_threads(2)
    assert rg.get_num_threads() == 2
    a = np.random.default_rng(0).standard_normal((300, 300)).astype(np.float32)
    two = (rg.tensor(a) @ rg.tensor(a)).numpy()
    rg.set_num_threads(1)
    assert rg.get_num_threads() == 1
    np.testing.assert_allclose((rg.tensor(a) @ rg.tensor(a)).numpy(), two, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "2"])
def test_set_num_threads_refuses_what_is_not_a_positive_integer(bad, restore_threads):
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        rg.set_num_threads(bad)


def test_the_command_line_sets_the_threads(tmp_path, restore_threads):
    rg.set_num_threads(1)
    assert main(["train", "--threads", "2", "--epochs", "1", "--samples", "40",
                 "--out", str(tmp_path / "run")]) == 0
    assert rg.get_num_threads() == 2


def test_the_command_line_refuses_zero_threads(capsys):
    assert main(["train", "--threads", "0"]) == 2
    assert "--threads: 0 is out of range" in capsys.readouterr().err
