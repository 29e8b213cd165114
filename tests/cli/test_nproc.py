"""`retrograd train --nproc N`: the CLI's models trained data-parallel over MPI, one run
folder, resumable exactly with as many processes."""
import csv
import os
import subprocess
import sys
from pathlib import Path

from mpi_jobs import launch, needs_mpi

pytestmark = needs_mpi


def train(*flags: str, cwd: Path) -> subprocess.CompletedProcess:
    return launch(sys.executable, "-m", "retrograd", "train", "--samples", "200", *flags,
                  cwd=cwd, timeout=180)


def metrics(folder: Path) -> list[dict]:
    with open(folder / "metrics.csv") as file:
        return [{k: v for k, v in row.items() if k != "time"} for row in csv.DictReader(file)]


def test_two_processes_write_one_run_folder(tmp_path):
    done = train("--nproc", "2", "--epochs", "2", "--out", "run", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "batch 32 per process, 2 processes (batch 64 in all)" in done.stdout
    assert done.stdout.count("epoch 2/2") == 1  # only rank 0 prints
    assert {"config.json", "checkpoint.npz", "metrics.csv"} <= set(os.listdir(tmp_path / "run"))
    assert len(metrics(tmp_path / "run")) == 2


def test_a_distributed_run_resumes_exactly_with_as_many_processes(tmp_path):
    straight = train("--nproc", "2", "--epochs", "4", "--schedule", "none", "--out", "a",
                     cwd=tmp_path)
    first = train("--nproc", "2", "--epochs", "2", "--schedule", "none", "--out", "b",
                  cwd=tmp_path)
    resumed = train("--nproc", "2", "--epochs", "4", "--resume", "b/checkpoint.npz",
                    cwd=tmp_path)
    for done in (straight, first, resumed):
        assert done.returncode == 0, done.stderr[-3000:]
    assert metrics(tmp_path / "b") == metrics(tmp_path / "a")
    alone = train("--epochs", "5", "--resume", "b/checkpoint.npz", cwd=tmp_path)
    assert alone.returncode == 1
    assert "saved by a run of 2 process(es), this one has 1" in alone.stderr


def test_a_process_that_fails_ends_the_job_with_its_error(tmp_path):
    done = train("--nproc", "2", "--device", "cuda", cwd=tmp_path)
    assert done.returncode != 0
    assert "--nproc trains on the CPU" in done.stderr
