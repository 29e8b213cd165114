"""The findings of issue 13 about `retrograd`: a validation set apart from the test set, exit
status 2 for every bad command line, the run header, resuming past a planned schedule, no
half-run folder left behind, the progress bar at 80 columns and in `sweep`, the sweep figure."""
import io
import json
import os
import re
import sys

import numpy as np
import pytest

import retrograd as rg
from retrograd.cli import commands, plots
from retrograd.cli.experiment import complete, load_data
from retrograd.cli.main import main

from .test_cli import TINY, assert_one_line_error, metrics, run
from .test_cnn import TINY_DIGITS


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A tiny mlp run on digits, with what it printed."""
    folder = tmp_path_factory.mktemp("runs") / "digits"
    stdout, sys.stdout = sys.stdout, io.StringIO()
    try:
        status = main(["train", *TINY_DIGITS, "--epochs", "2", "--hidden", "16",
                       "--out", str(folder)])
        out = sys.stdout.getvalue()
    finally:
        sys.stdout = stdout
    assert status == 0
    return folder, out


# -- 1. the validation set is part of the training data; the test set is evaluated once --------

def test_digits_validates_on_its_training_part_and_never_on_its_test_set():
    data = load_data(complete({"dataset": "digits"}))
    X_train, _ = rg.datasets.digits(train=True)
    X_test, _ = rg.datasets.digits(train=False)
    assert np.array_equal(data.X_test, X_test)
    assert len(data.y_train) + len(data.y_val) == len(X_train)
    rows = {row.tobytes() for row in X_train}
    assert all(row.tobytes() in rows for row in data.X_val)  # drawn from the training part
    assert not {row.tobytes() for row in data.X_val} & {row.tobytes() for row in X_test}


def test_the_test_set_is_evaluated_once_after_training(capsys, digits_run):
    folder, out = digits_run
    test = json.loads((folder / "test.json").read_text())
    assert test["split"] == "test (evaluated once, after training)"
    assert test["examples"] == 359 and test["epoch"] == 2
    assert "144 training, 1294 validation and 359 test examples" in out
    row = next(line for line in out.splitlines()
               if line.startswith("test (evaluated once, after training)"))
    assert f"{100 * test['accuracy']:.2f}%" in row
    assert "best validation accuracy" in out and "test.json" in out
    # metrics.csv's val columns are the validation set's, eval --split test the test set's
    status, out, _ = run(capsys, "eval", folder / "checkpoint.npz")
    assert "digits (validation)" in out and "1294" in out
    assert f"{100 * float(metrics(folder)[-1]['val_acc']):.2f}%" in out
    status, out, _ = run(capsys, "eval", folder / "checkpoint.npz", "--split", "test")
    assert status == 0 and "digits (test)" in out and f"{100 * test['accuracy']:.2f}%" in out


def test_generated_sets_have_no_test_set(capsys, tmp_path):
    assert run(capsys, "train", *TINY, "--out", tmp_path / "run")[0] == 0
    assert "test.json" not in os.listdir(tmp_path / "run")
    status, _, err = run(capsys, "eval", tmp_path / "run" / "checkpoint.npz", "--split", "test")
    assert_one_line_error(status, err, 2, "--split test: circles has no test set")


def test_a_checkpoint_from_before_the_split_is_not_resumed(capsys, tmp_path, digits_run):
    checkpoint = rg.load(digits_run[0] / "checkpoint.npz")
    del checkpoint["data_split"]
    rg.save(checkpoint, tmp_path / "old.npz")
    status, _, err = run(capsys, "train", "--resume", tmp_path / "old.npz")
    assert_one_line_error(status, err, 1, "saved by an older retrograd, which validated on the "
                                          "test set of digits")


# -- 2, 3. bad command lines: exit status 2, the flag named --------------------------------------

@pytest.mark.parametrize("argv, fragment", [
    (["--samples", "10", "--val-fraction", "0.01"], "--val-fraction 0.01 of 10 training examples"),
    (["--epochs", "3", "--diagnose-epochs", "5"], "--diagnose-epochs 5: the run has 3 epochs"),
    (["--nproc", "2", "--device", "cuda"], "--nproc trains on the CPU"),
    (["--hidden", "32,,32"], "argument --hidden: '32,,32' has an empty value"),
    (["--hidden", "32,"], "argument --hidden: '32,' has an empty value"),
    (["--lr", "inf"], "argument --lr: inf is out of range: expected a finite number > 0"),
    (["--lr=-inf"], "argument --lr: -inf is out of range"),
    (["--lr", "nan"], "argument --lr: nan is out of range"),
    (["--gamma", "inf"], "argument --gamma: inf is out of range"),
    (["--min-lr", "inf"], "argument --min-lr: inf is out of range"),
    (["--dataset", "cifar"], "argument --dataset: unknown data set 'cifar'"),
])
def test_bad_command_lines_exit_2_and_leave_no_folder(capsys, tmp_path, monkeypatch, argv,
                                                      fragment):
    monkeypatch.chdir(tmp_path)
    status, _, err = run(capsys, "train", *argv)
    assert_one_line_error(status, err, 2, fragment)
    assert "(see retrograd train --help)" in err
    assert not os.path.exists(tmp_path / "runs")


def test_a_batch_larger_than_the_data_is_accepted_and_said(capsys, tmp_path):
    status, out, _ = run(capsys, "train", *TINY, "--batch-size", "5000", "--out", tmp_path / "r")
    assert status == 0
    assert ("batch 5000 (at least the 160 training examples: each step takes the whole training "
            "set, one step per epoch)") in out


# -- 4. the header --------------------------------------------------------------------------------

def test_the_header_states_momentum_schedule_and_initialisation(capsys, tmp_path):
    status, out, _ = run(capsys, "train", *TINY, "--momentum", "0.5", "--schedule", "step",
                         "--step-size", "2", "--weight-decay", "0.01", "--out", tmp_path / "a")
    assert status == 0
    assert ("sgd lr 0.1, momentum 0.5, weight decay 0.01, batch 32, 3 epochs; step schedule "
            "(lr x0.1 every 2 epochs)\n") in out
    assert "initial weights: PyTorch's default (uniform within +-1/sqrt(fan_in)), seed 0\n" in out
    status, out, _ = run(capsys, "train", *TINY, "--optimizer", "adam", "--lr", "0.01",
                         "--out", tmp_path / "b")
    assert ("adam lr 0.01, betas (0.9, 0.999), its own momentum, batch 32, 3 epochs; cosine "
            "schedule (lr annealed to 0 over 3 epochs)") in out


# -- 5. --resume with more epochs -----------------------------------------------------------------

def test_resume_refuses_to_run_a_cosine_schedule_past_its_end(capsys, tmp_path):
    assert run(capsys, "train", *TINY, "--out", tmp_path / "run")[0] == 0
    status, _, err = run(capsys, "train", "--resume", tmp_path / "run" / "checkpoint.npz",
                         "--epochs", "5")
    assert_one_line_error(status, err, 2, "--epochs 5: the cosine schedule of the run saved in")
    assert "planned for 3 epochs and ends there; past its end the lr would rise again" in err
    assert len(metrics(tmp_path / "run")) == 3


def test_resume_goes_on_with_a_step_schedule_and_says_so(capsys, tmp_path):
    flags = [*TINY, "--schedule", "step", "--step-size", "2"]
    assert run(capsys, "train", *flags, "--out", tmp_path / "run")[0] == 0
    status, out, _ = run(capsys, "train", "--resume", tmp_path / "run" / "checkpoint.npz",
                         "--epochs", "5")
    assert status == 0
    assert ("note: the step schedule (lr x0.1 every 2 epochs), built for 3 epochs, goes on as "
            "built up to epoch 5") in out
    lrs = [float(row["lr"]) for row in metrics(tmp_path / "run")]
    assert lrs == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])


# -- 6. no half-run folder ------------------------------------------------------------------------

def poison_first_step(monkeypatch):
    real_build_loss = commands.build_loss

    def build_loss(config, n_classes):
        loss_fn = real_build_loss(config, n_classes)
        return lambda output, target: loss_fn(output, target) * float("nan")

    monkeypatch.setattr(commands, "build_loss", build_loss)


def test_a_run_that_fails_at_its_first_step_leaves_no_folder(capsys, tmp_path, monkeypatch):
    poison_first_step(monkeypatch)
    status, _, err = run(capsys, "train", *TINY, "--out", tmp_path / "run")
    assert_one_line_error(status, err, 1, "became nan at epoch 1, step 1")
    assert not os.path.exists(tmp_path / "run")


def test_a_folder_that_was_there_before_is_kept(capsys, tmp_path, monkeypatch):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "notes.txt").write_text("mine")
    poison_first_step(monkeypatch)
    assert run(capsys, "train", *TINY, "--out", tmp_path / "run")[0] == 1
    assert (tmp_path / "run" / "notes.txt").read_text() == "mine"


# -- 7. the progress bar, the sweep ---------------------------------------------------------------

class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def bar_and_lines(text):
    """The states of the progress bars (redrawn after \\r) and the printed lines."""
    pieces = [piece for line in text.split("\n") for piece in line.split("\r")]
    return ([piece for piece in pieces if "|" in piece and "/" in piece],
            [piece for piece in pieces if piece.startswith("epoch ") and "train_loss" in piece])


def test_the_progress_bar_fits_80_columns(monkeypatch, tmp_path):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert main(["train", *TINY, "--out", str(tmp_path / "run")]) == 0
    bars, lines = bar_and_lines(sys.stdout.getvalue())
    assert bars and all(len(bar.rstrip()) <= 80 for bar in bars), bars
    assert any("5/5" in bar for bar in bars)  # 160 examples in batches of 32
    assert [line[:10] for line in lines] == ["epoch 1/3 ", "epoch 2/3 ", "epoch 3/3 "]


def test_sweep_shows_the_progress_bar_and_keeps_diverged_runs(monkeypatch, tmp_path):
    pytest.importorskip("tqdm")
    pytest.importorskip("matplotlib")
    figures = []
    real_save = plots._save

    def save(plt, figure, path):
        figure.canvas.draw()
        renderer = figure.canvas.get_renderer()
        legends = [[text.get_text() for text in axis.get_legend().get_texts()]
                   for axis in figure.axes if axis.get_legend()]
        title = figure.texts[0].get_window_extent(renderer)
        figures.append((legends, title, figure.bbox))
        return real_save(plt, figure, path)

    monkeypatch.setattr(plots, "_save", save)
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert main(["sweep", "--lrs", "0.05,1e30", "--batch-sizes", "32,64", *TINY,
                 "--out", str(tmp_path / "sweep")]) == 0
    out = sys.stdout.getvalue()
    bars, _ = bar_and_lines(out)
    assert bars and all(len(bar.rstrip()) <= 80 for bar in bars)
    assert re.search(r"1e\+30\s+diverged\s+diverged", out)  # the table
    (legends, title, page), = figures
    assert legends == [["lr 0.05", "lr 1e+30 (diverged)"]] * 2  # one legend per batch size
    assert page.x0 <= title.x0 and title.x1 <= page.x1  # the title is inside the figure
