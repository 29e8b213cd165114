"""The `retrograd` command end to end on tiny runs: files written, exact resume, exit codes and
one-line error messages for every kind of bad input."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import retrograd as rg
from retrograd.cli import commands, plots
from retrograd.cli.experiment import DEFAULTS, complete
from retrograd.cli.main import main
from retrograd.train import ProgressBar

TINY = ["--samples", "200", "--epochs", "3", "--hidden", "16"]


def run(capsys, *argv):
    """main(argv) -> (exit status, stdout, stderr)."""
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def metrics(folder):
    with open(os.path.join(folder, "metrics.csv")) as file:
        return [{key: row[key] for key in ("epoch", "train_loss", "train_acc", "val_loss",
                                           "val_acc", "lr")} for row in csv.DictReader(file)]


def assert_one_line_error(status, err, code, fragment):
    assert status == code
    assert err.count("\n") == 1 and "error:" in err and "Traceback" not in err, err
    assert fragment in err, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One tiny circles run shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("runs") / "circles"
    assert main(["train", *TINY, "--out", str(folder)]) == 0
    return folder


def test_train_writes_the_run_folder(trained):
    names = set(os.listdir(trained))
    assert {"config.json", "metrics.csv", "checkpoint.npz", "loss.png", "accuracy.png",
            "decision_boundary.png"} <= names
    rows = metrics(trained)
    assert [row["epoch"] for row in rows] == ["1", "2", "3"]
    config = json.loads((trained / "config.json").read_text())
    assert config == complete({"samples": 200, "epochs": 3, "hidden": [16]})
    checkpoint = rg.load(trained / "checkpoint.npz")
    assert checkpoint["config"] == config and checkpoint["epoch"] == 3
    assert list(checkpoint["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_defaults_and_the_printed_summary(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(capsys, "train", "--samples", "200", "--epochs", "2")
    assert status == 0 and err == ""
    folder, = os.listdir(tmp_path / "runs")
    assert folder.startswith("circles-")
    assert "epoch 2/2  train_loss" in out  # a plain line per epoch: stdout is not a terminal
    assert "best validation accuracy" in out and f"runs/{folder}" in out
    config = json.loads((tmp_path / "runs" / folder / "config.json").read_text())
    assert {key: config[key] for key in ("activation", "optimizer", "lr", "schedule")} == {
        key: DEFAULTS[key] for key in ("activation", "optimizer", "lr", "schedule")}


def test_same_seed_same_curve_and_another_seed_another(capsys, tmp_path, trained):
    assert run(capsys, "train", *TINY, "--out", tmp_path / "again")[0] == 0
    assert metrics(tmp_path / "again") == metrics(trained)
    assert run(capsys, "train", *TINY, "--seed", "1", "--out", tmp_path / "other")[0] == 0
    assert metrics(tmp_path / "other") != metrics(trained)


def test_interrupted_run_resumes_exactly(capsys, tmp_path, monkeypatch):
    flags = ["--samples", "200", "--epochs", "4", "--hidden", "16", "--patience", "3",
             "--schedule", "step", "--step-size", "2"]
    assert run(capsys, "train", *flags, "--out", tmp_path / "whole")[0] == 0

    def interrupt_at_epoch_3(self, trainer, epoch):
        if epoch == 3:
            raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(ProgressBar, "on_epoch_begin", interrupt_at_epoch_3)
        status, _, err = run(capsys, "train", *flags, "--out", tmp_path / "cut")
    assert status == 130 and "stopped after epoch 2" in err and "--resume" in err
    assert len(metrics(tmp_path / "cut")) == 2
    rg.manual_seed(999)  # as in a new process: the checkpoint restores every generator
    status, out, _ = run(capsys, "train", "--resume", tmp_path / "cut" / "checkpoint.npz")
    assert status == 0 and "epoch 4/4" in out and "epoch 2/4" not in out
    assert metrics(tmp_path / "cut") == metrics(tmp_path / "whole")


def test_resume_refuses_another_configuration(capsys, trained):
    status, _, err = run(capsys, "train", "--resume", trained / "checkpoint.npz", "--lr", "0.5")
    assert_one_line_error(status, err, 2, "--lr 0.5 differs from the run saved")


def test_a_folder_holding_a_run_is_not_overwritten(capsys, trained):
    status, _, err = run(capsys, "train", *TINY, "--out", trained)
    assert_one_line_error(status, err, 2, "--out")
    assert "already holds a run" in err


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(capsys, tmp_path, monkeypatch):
    real_build_loss = commands.build_loss

    def build_loss(config, n_classes):
        loss_fn, steps = real_build_loss(config, n_classes), []

        def poisoned(output, target):
            steps.append(1)
            return loss_fn(output, target) * (float("nan") if len(steps) == 8 else 1.0)
        return poisoned

    monkeypatch.setattr(commands, "build_loss", build_loss)
    # 160 training examples in batches of 32 (5 steps) then one validation batch per epoch:
    # the 8th call of the loss is epoch 2, step 2
    status, _, err = run(capsys, "train", *TINY, "--out", tmp_path / "nan")
    assert_one_line_error(status, err, 1, "became nan at epoch 2, step 2")
    assert "the last good checkpoint, from epoch 1, is" in err
    assert rg.load(tmp_path / "nan" / "checkpoint.npz")["epoch"] == 1
    assert len(metrics(tmp_path / "nan")) == 1


def test_eval_agrees_with_the_last_validation_metrics(capsys, trained):
    status, out, err = run(capsys, "eval", trained / "checkpoint.npz")
    assert status == 0 and err == ""
    last = metrics(trained)[-1]
    assert f"{100 * float(last['val_acc']):.2f}%" in out
    assert f"{float(last['val_loss']):.4g}" in out and "circles (validation)" in out


def test_eval_of_a_bare_state_dict(capsys, tmp_path):
    model = rg.nn.Sequential(rg.nn.Linear(2, 8), rg.nn.ReLU(), rg.nn.Linear(8, 2))
    rg.save(model.state_dict(), tmp_path / "weights.npz")
    status, out, _ = run(capsys, "eval", tmp_path / "weights.npz", "--hidden", "8",
                         "--samples", "100")
    assert status == 0 and "circles (validation)" in out
    status, _, err = run(capsys, "eval", tmp_path / "weights.npz")
    assert_one_line_error(status, err, 1, "size mismatch for 0.weight")


def write_idx(path, array):
    header = bytes([0, 0, 8, array.ndim]) + np.array(array.shape, ">u4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def write_mnist(folder, n_train=60, n_test=20, label_max=9):
    rng = np.random.default_rng(0)
    folder.mkdir(exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte", rng.integers(0, 256, (n, 28, 28)))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte",
                  rng.integers(0, label_max + 1, n))


def test_mnist_from_idx_files(capsys, tmp_path):
    write_mnist(tmp_path / "mnist")
    status, out, _ = run(capsys, "train", "--dataset", "mnist", "--data-dir", tmp_path / "mnist",
                         "--epochs", "1", "--hidden", "8", "--out", tmp_path / "run")
    assert status == 0 and "48 training, 12 validation and 20 test examples" in out
    assert "decision_boundary.png" not in os.listdir(tmp_path / "run")  # 784-D: no such map


def test_sweep_table_csv_and_figure(capsys, tmp_path):
    status, out, err = run(capsys, "sweep", "--lrs", "0.05,5", "--batch-sizes", "32,64",
                           "--samples", "200", "--epochs", "2", "--hidden", "8",
                           "--out", tmp_path / "sweep")
    assert status == 0 and err == ""
    with open(tmp_path / "sweep" / "sweep.csv") as file:
        rows = list(csv.DictReader(file))
    assert [(row["lr"], row["batch_size"]) for row in rows] == [
        ("0.05", "32"), ("0.05", "64"), ("5.0", "32"), ("5.0", "64")]
    assert "sweep.png" in os.listdir(tmp_path / "sweep")
    assert "val_acc (rows: lr)" in out and "batch 64" in out


def test_datasets_lists_the_registry(capsys):
    status, out, _ = run(capsys, "datasets")
    assert status == 0
    for name, info in rg.datasets.available().items():
        line = next(line for line in out.splitlines() if line.startswith(name.replace("_", "-")))
        assert str(info.n_samples) in line and str(info.n_features) in line


def test_without_matplotlib_pictures_are_skipped_with_one_note(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setattr(plots, "_warned", False)
    status, out, err = run(capsys, "train", *TINY, "--out", tmp_path / "run")
    assert status == 0 and err.count("matplotlib is not installed") == 1
    assert not [name for name in os.listdir(tmp_path / "run") if name.endswith(".png")]


@pytest.mark.parametrize("argv, code, fragment", [
    (["train", "--dataset", "imagenet"], 2, "argument --dataset: unknown data set 'imagenet'"),
    (["train", "--activation", "swish"], 2, "argument --activation: unknown value 'swish'"),
    (["train", "--optimizer", "lbfgs"], 2, "argument --optimizer"),
    (["train", "--loss", "hinge"], 2, "argument --loss"),
    (["train", "--schedule", "cyclic"], 2, "argument --schedule"),
    (["train", "--lr", "-0.1"], 2, "--lr: -0.1 is out of range"),
    (["train", "--lr", "nan"], 2, "--lr: nan is out of range"),
    (["train", "--batch-size", "0"], 2, "--batch-size: 0 is out of range"),
    (["train", "--epochs", "1.5"], 2, "'1.5' is not an integer"),
    (["train", "--hidden", "64,x"], 2, "'x' is not an integer"),
    (["train", "--momentum", "1"], 2, "--momentum"),
    (["train", "--val-fraction", "1"], 2, "--val-fraction"),
    (["train", "--frobnicate"], 2, "unrecognized arguments: --frobnicate"),
    (["sweep", "--lrs", "0.1,-1"], 2, "--lrs: -1 is out of range"),
    (["teach"], 2, "invalid choice: 'teach'"),
    (["eval", "missing.npz"], 1, "missing.npz: No such file or directory"),
])
def test_bad_command_lines(capsys, tmp_path, monkeypatch, argv, code, fragment):
    monkeypatch.chdir(tmp_path)
    assert_one_line_error(*run(capsys, *argv)[::2], code, fragment)
    assert not os.path.exists(tmp_path / "runs")


@pytest.mark.parametrize("problem, fragment", [
    ("missing", "MNIST files not found"),
    ("corrupt", "is not an IDX file"),
    ("labels", "holds a label 12"),
])
def test_bad_data_files(capsys, tmp_path, problem, fragment):
    folder = tmp_path / "mnist"
    folder.mkdir()
    if problem == "corrupt":
        write_mnist(folder)
        (folder / "train-images-idx3-ubyte").write_bytes(b"<html>404 not found</html>")
    elif problem == "labels":
        write_mnist(folder, label_max=12)
    status, _, err = run(capsys, "train", "--dataset", "mnist", "--data-dir", folder,
                         "--out", tmp_path / "run")
    assert_one_line_error(status, err, 1, fragment)


def test_bad_checkpoints(capsys, tmp_path, trained):
    (tmp_path / "notes.npz").write_text("not a checkpoint")
    truncated = (trained / "checkpoint.npz").read_bytes()
    (tmp_path / "cut.npz").write_bytes(truncated[: len(truncated) // 2])
    rg.save({"a": 1}, tmp_path / "other.npz")
    for argv, fragment in [
        (["eval", tmp_path / "notes.npz"], "not a retrograd file"),
        (["eval", tmp_path / "cut.npz"], "damaged"),
        (["train", "--resume", tmp_path / "other.npz"], "holds no configuration"),
        (["eval", trained / "checkpoint.npz", "--dataset", "spirals"],
         "(trained on circles) does not fit an mlp [16] for spirals"),
        (["eval", trained / "checkpoint.npz", "--hidden", "32"],
         "size mismatch for 0.weight: copying a param with shape (16, 2)"),
    ]:
        assert_one_line_error(*run(capsys, *argv)[::2], 1, fragment)


def test_a_real_process(tmp_path):
    """`python -m retrograd` as a user runs it: exit status, files, stderr."""
    command = [sys.executable, "-m", "retrograd"]
    done = subprocess.run(command + ["train", "--samples", "100", "--epochs", "1",
                                     "--out", str(tmp_path / "run")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "checkpoint.npz" in os.listdir(tmp_path / "run")
    done = subprocess.run(command + ["train", "--batch-size", "0"], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "retrograd train: error: argument --batch-size: 0 is out of range: expected an integer "
        ">= 1 (see retrograd train --help)"]
