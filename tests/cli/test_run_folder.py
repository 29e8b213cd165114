"""One run writes a run folder at a time (issue 14): a second writer is refused, default
folders of runs started in the same second differ, a killed run's lock is taken over."""
import os
import subprocess
import sys
import time

from retrograd.cli import run_folder
from retrograd.cli.main import main

TRAIN = [sys.executable, "-m", "retrograd", "train", "--samples", "200"]


def test_a_second_run_into_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "shared"
    first = subprocess.Popen([*TRAIN, "--epochs", "400", "--out", str(out)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (out / run_folder.LOCK).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (out / run_folder.LOCK).exists(), "the first run never claimed its folder"
        assert main(["train", "--samples", "200", "--epochs", "1", "--out", str(out)]) == 1
        error = capsys.readouterr().err
        assert "is being written by another retrograd run" in error
        assert f"pid {first.pid}" in error
    finally:
        first.kill()
        first.wait(timeout=30)


def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    out = tmp_path / "run"
    out.mkdir()
    (out / run_folder.LOCK).write_text(f"{run_folder.HOST} {dead}\n")
    assert main(["train", "--samples", "200", "--epochs", "1", "--out", str(out)]) == 0
    assert not (out / run_folder.LOCK).exists()  # released at the end
    assert (out / "checkpoint.npz").exists()


def test_default_folders_of_runs_started_together_differ(tmp_path):
    prefix = str(tmp_path / "runs" / "circles")
    folders = [run_folder.new_folder(prefix) for _ in range(3)]
    assert len(set(folders)) == 3 and all(os.path.isdir(f) for f in folders)
    code = ("import sys; from retrograd.cli.run_folder import new_folder; "
            f"print(new_folder({prefix + '-together'!r}))")
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
            for _ in range(4)]
    chosen = [run.communicate(timeout=60)[0].strip() for run in runs]
    assert len(set(chosen)) == 4
