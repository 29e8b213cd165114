"""examples/ddp.py, the PyTorch-style DistributedDataParallel script, on 2 ranks and alone."""
import re
import sys

import retrograd as rg

from mpi_jobs import ROOT, launch, needs_mpi

EXAMPLE = ROOT / "examples" / "ddp.py"


def losses(output: str) -> list[float]:
    return [float(value) for value in re.findall(r"loss (\d+\.\d+)", output)]


@needs_mpi
def test_the_ddp_example_trains_on_two_processes(tmp_path):
    done = launch(sys.executable, "-m", "retrograd", "run", "-n", "2", EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("(2 processes)") == 5  # rank 0 alone reports
    curve = losses(done.stdout)
    assert curve[-1] < curve[0] / 3
    state = rg.load(tmp_path / "ddp_digits.pt")
    assert sorted(state) == ["0.bias", "0.weight", "2.bias", "2.weight"]  # no "module." prefix


def test_the_ddp_example_runs_alone_as_a_world_of_one(tmp_path):
    done = launch(sys.executable, EXAMPLE, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("(1 process)") == 5
