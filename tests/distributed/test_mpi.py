"""retrograd.distributed on real MPI jobs (mpiexec -n 2), and in a world of one process."""
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import retrograd as rg
import retrograd.distributed as dist
from retrograd.cli.main import main
from retrograd.distributed import process_group

from mpi_jobs import MPIEXEC, launch, needs_mpi

SCRIPTS = Path(__file__).parent / "scripts"


@pytest.fixture
def group():
    """A process group in this process (a world of one), destroyed afterwards."""
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


@needs_mpi
def test_every_collective_on_two_ranks():
    job = launch(MPIEXEC, "-n", "2", sys.executable, SCRIPTS / "collectives.py")
    assert job.returncode == 0, job.stderr
    assert "OK rank 0 of 2" in job.stdout and "OK rank 1 of 2" in job.stdout


def test_the_same_script_alone_is_a_world_of_one():
    job = launch(sys.executable, SCRIPTS / "collectives.py")
    assert job.returncode == 0, job.stderr
    assert "OK rank 0 of 1" in job.stdout


@needs_mpi
def test_a_rank_that_raises_ends_the_job():
    start = time.monotonic()
    job = launch(MPIEXEC, "-n", "2", sys.executable, SCRIPTS / "raises.py", timeout=60)
    assert job.returncode != 0
    assert time.monotonic() - start < 30
    assert "rank 1" in job.stderr and "ValueError: boom on purpose" in job.stderr
    assert "should not get here" not in job.stdout


@needs_mpi
def test_retrograd_run_end_to_end():
    job = launch(sys.executable, "-m", "retrograd", "run", "-n", "2",
                 SCRIPTS / "collectives.py")
    assert job.returncode == 0, job.stderr
    assert "OK rank 0 of 2" in job.stdout and "OK rank 1 of 2" in job.stdout
    failed = launch(sys.executable, "-m", "retrograd", "run", "-n", "2", SCRIPTS / "raises.py",
                    timeout=60)
    assert failed.returncode != 0 and "boom on purpose" in failed.stderr


def test_retrograd_run_errors(tmp_path, monkeypatch, capsys):
    assert main(["run", "-n", "2", str(tmp_path / "missing.py")]) == 1
    err = capsys.readouterr().err
    if MPIEXEC.is_file():  # else it stops at the missing mpiexec, below
        assert "missing.py: no such script" in err and err.count("\n") == 1
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no mpiexec beside it
    assert main(["run", "-n", "2", str(SCRIPTS / "raises.py")]) == 1
    err = capsys.readouterr().err
    assert "pip install 'retrograd[distributed]'" in err and err.count("\n") == 1


def test_world_of_one(group):
    assert dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
    t = rg.tensor([1.0, 2.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX):
        assert dist.all_reduce(t, op=op) is None
    work = dist.all_reduce(t, op=dist.ReduceOp.AVG, async_op=True)
    assert work.is_completed() and work.wait() is True
    assert t.tolist() == [1.0, 2.0]
    out = [rg.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0]
    assert sys.excepthook is not process_group._abort_on_exception  # only a world of several


def test_world_of_one_without_mpi(monkeypatch):
    monkeypatch.setattr(process_group, "_mpi_module", None)  # as if mpi4py were missing
    assert not dist.is_available()
    dist.init_process_group()
    try:
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
        t = rg.tensor(np.arange(3.0))
        dist.all_reduce(t, op=dist.ReduceOp.PRODUCT)
        dist.broadcast(t, src=0)
        dist.reduce(t, dst=0)
        dist.barrier()
        assert t.tolist() == [0.0, 1.0, 2.0]
        with pytest.raises(TypeError, match="ReduceOp"):
            dist.all_reduce(t, op="sum")
    finally:
        dist.destroy_process_group()


def test_init_twice(group):
    with pytest.raises(RuntimeError, match="initialize the default process group twice"):
        dist.init_process_group("mpi")
    with pytest.raises(ValueError):  # PyTorch raises a ValueError: both catch it
        dist.init_process_group("mpi")


@pytest.mark.parametrize("backend", ["gloo", "nccl"])
def test_other_backends_are_refused(backend):
    with pytest.raises(ValueError, match="runs on MPI"):
        dist.init_process_group(backend)
    assert not dist.is_initialized()


def test_world_size_and_rank_must_agree_with_mpi():
    with pytest.raises(ValueError, match="world_size=4"):
        dist.init_process_group("mpi", world_size=4)
    with pytest.raises(ValueError, match="rank=1"):
        dist.init_process_group("mpi", rank=1)
    assert not dist.is_initialized()


def test_not_initialized():
    assert not dist.is_initialized()
    for call in (dist.get_rank, dist.get_world_size, dist.barrier,
                 lambda: dist.all_reduce(rg.ones(2))):
        with pytest.raises(ValueError, match="call init_process_group"):
            call()


def test_refusals(group):
    with pytest.raises(RuntimeError, match="contiguous"):
        dist.all_reduce(rg.zeros(2, 3).T)
    with pytest.raises(TypeError, match="ReduceOp"):
        dist.all_reduce(rg.ones(2), op="sum")
    with pytest.raises(ValueError, match="src=1"):
        dist.broadcast(rg.ones(2), src=1)
    with pytest.raises(ValueError, match="world size"):
        dist.all_gather([rg.ones(2), rg.ones(2)], rg.ones(2))


def test_collectives_bump_the_version(group):
    t = rg.ones(3)
    version = t._version
    dist.all_reduce(t)
    dist.broadcast(t, src=0)  # rank 0 is the source: its tensor is only read
    assert t._version == version + 1
