"""Running real MPI jobs from the tests: the mpiexec the mpich wheel installs beside this
Python, an environment in which the ranks import this checkout with one BLAS thread each, and
a timeout so that a hung job fails instead of hanging the suite."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

import retrograd as rg
import retrograd.distributed as dist

MPIEXEC = Path(sys.executable).parent / "mpiexec"
ROOT = Path(rg.__file__).resolve().parents[1]  # so that the ranks import this retrograd
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
       "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

needs_mpi = pytest.mark.skipif(
    not (dist.is_available() and MPIEXEC.is_file()),
    reason="mpi4py or mpiexec not installed (pip install 'retrograd[distributed]')")


def launch(*command, timeout: float = 120, cwd=None) -> subprocess.CompletedProcess:
    """Runs a command with the test environment; the timeout guards against a hung job."""
    return subprocess.run([str(part) for part in command], env=ENV, capture_output=True,
                          text=True, timeout=timeout, cwd=cwd)


def on_ranks(ranks: int, script, *args, timeout: float = 120) -> subprocess.CompletedProcess:
    """``script`` in ``ranks`` processes under mpiexec."""
    return launch(MPIEXEC, "-n", ranks, sys.executable, script, *args, timeout=timeout)
