"""`retrograd train --model lenet|cnn` end to end on tiny runs: images reach the network as
(N, 1, H, W), the run folder and its pictures, eval of a CNN checkpoint, one-line errors for flags
that do not go together. (rg.models against PyTorch: tests/test_models.py.)"""
import json
import os

import pytest

import retrograd as rg
from retrograd.cli.main import main

from .test_cli import assert_one_line_error, metrics, run, write_mnist

# 144 training images of digits (90% of the 1438 of its training part kept for validation; its
# 359 test images apart), one epoch: a second or so
TINY_DIGITS = ["--dataset", "digits", "--val-fraction", "0.9", "--epochs", "1"]


def weight_shapes(folder):
    return {key: value.shape for key, value in rg.load(folder / "checkpoint.npz")["model"].items()
            if key.endswith("weight")}


@pytest.fixture(scope="module")
def lenet_run(tmp_path_factory):
    """One tiny LeNet-5 run on digits, shared by the tests that only read it."""
    folder = tmp_path_factory.mktemp("runs") / "lenet"
    status = main(["train", "--model", "lenet", *TINY_DIGITS, "--epochs", "3",
                   "--out", str(folder)])
    assert status == 0
    return folder


def test_lenet_on_digits(lenet_run):
    assert {"config.json", "metrics.csv", "checkpoint.npz", "loss.png",
            "accuracy.png"} <= set(os.listdir(lenet_run))
    assert "decision_boundary.png" not in os.listdir(lenet_run)
    # 8x8 digits: both convolutions padded by 2, 16 maps of 2x2 into the first Linear
    assert weight_shapes(lenet_run) == {"0.weight": (6, 1, 5, 5), "3.weight": (16, 6, 5, 5),
                                        "7.weight": (120, 64), "9.weight": (84, 120),
                                        "11.weight": (10, 84)}
    config = json.loads((lenet_run / "config.json").read_text())
    assert config["model"] == "lenet" and config["pool"] == "max"
    assert config["hidden"] is None and config["channels"] is None  # lenet's layers are fixed
    assert (config["lr"], config["weight_decay"]) == (0.05, 5e-4)  # lenet's own defaults
    losses = [float(row["train_loss"]) for row in metrics(lenet_run)]
    assert losses[2] < losses[1] < losses[0]  # it learns (slowly, on 180 images)


def test_summary_and_description_are_printed(capsys, tmp_path):
    status, out, err = run(capsys, "train", "--model", "lenet", *TINY_DIGITS,
                           "--batch-size", "16", "--out", tmp_path / "run")
    assert status == 0 and err == ""
    assert out.startswith(
        "training a LeNet-5 (relu, max pooling) on digits: 144 training, 1294 validation and 359 "
        "test examples (the test set is evaluated once, after training)\n"
        "sgd lr 0.05, momentum 0.9, weight decay 0.0005, batch 16, 1 epochs; cosine schedule (lr "
        "annealed to 0 over 1 epochs)\n"
        "initial weights: PyTorch's default (uniform within +-1/sqrt(fan_in)), seed 0\n")
    for line in ("[16, 6, 8, 8]", "[16, 16, 2, 2]", "[16, 64]", "[16, 10]"):
        assert line in out, out  # rg.nn.summary's output shapes for a batch
    assert "Total params: 21,386" in out  # 156 + 2,416 + 7,800 + 10,164 + 850


def test_eval_of_a_lenet_checkpoint(capsys, lenet_run):
    status, out, _ = run(capsys, "eval", lenet_run / "checkpoint.npz")
    last = metrics(lenet_run)[-1]
    assert status == 0 and "digits (validation)" in out and "1294" in out
    assert f"{100 * float(last['val_acc']):.2f}%" in out


def test_cnn_with_its_flags_on_digits(capsys, tmp_path):
    status, out, _ = run(capsys, "train", "--model", "cnn", "--channels", "4,8",
                         "--kernel-size", "5", "--pool", "avg", "--hidden", "16",
                         "--activation", "tanh", *TINY_DIGITS, "--out", tmp_path / "run")
    assert status == 0
    assert ("a cnn with channels [4, 8], 5x5 kernels and head [16] (tanh, avg pooling)"
            in out)
    assert "AvgPool2d" in out and "Tanh" in out
    # 8x8 -> 4x4 -> 2x2: 8 maps of 2x2 into the head
    assert weight_shapes(tmp_path / "run") == {"0.weight": (4, 1, 5, 5), "3.weight": (8, 4, 5, 5),
                                                "7.weight": (16, 32), "9.weight": (10, 16)}


def test_mlp_on_digits_still_reads_rows(tmp_path):
    assert main(["train", *TINY_DIGITS, "--hidden", "8",
                             "--out", str(tmp_path / "run")]) == 0
    assert weight_shapes(tmp_path / "run")["0.weight"] == (8, 64)


@pytest.mark.parametrize("dataset, folder, flags", [
    ("mnist", ".", ["--model", "lenet", "--pool", "avg"]),
    ("fashion-mnist", "FashionMNIST/raw", ["--model", "cnn", "--channels", "4"]),  # torchvision's
])
def test_cnns_on_idx_files(capsys, tmp_path, dataset, folder, flags):
    (tmp_path / folder).parent.mkdir(parents=True, exist_ok=True)
    write_mnist(tmp_path / folder)  # 60 training and 20 test images of 28x28
    status, out, _ = run(capsys, "train", "--dataset", dataset, "--data-dir", tmp_path,
                         "--epochs", "1", *flags, "--out", tmp_path / "run")
    assert status == 0 and "48 training, 12 validation and 20 test examples" in out
    shapes = weight_shapes(tmp_path / "run")
    if "lenet" in flags:  # 28x28: the original's unpadded second convolution, 16 x 5 x 5
        assert shapes["3.weight"] == (16, 6, 5, 5) and shapes["7.weight"] == (120, 400)
    else:  # one block: 28 -> 14, 4 maps into the default head of 256 and 128 units
        assert shapes["0.weight"] == (4, 1, 3, 3) and shapes["4.weight"] == (256, 4 * 14 * 14)
    assert {"loss.png", "accuracy.png"} <= set(os.listdir(tmp_path / "run"))


@pytest.mark.parametrize("argv, code, fragment", [
    (["--model", "lenet", "--dataset", "circles"], 2,
     "--model lenet reads images, but circles holds 2-D points: use --dataset digits, mnist or "
     "fashion-mnist, or --model mlp"),
    (["--model", "cnn", "--dataset", "spirals"], 2, "--model cnn reads images, but spirals"),
    (["--model", "lenet", "--hidden", "64"], 2,
     "--hidden does not apply to --model lenet, which takes --activation, --pool; --hidden "
     "shapes --model mlp and cnn"),
    (["--model", "lenet", "--kernel-size", "3"], 2, "--kernel-size does not apply to --model "
     "lenet"),
    (["--channels", "8"], 2, "--channels does not apply to --model mlp"),
    (["--dataset", "digits", "--pool", "avg"], 2, "--pool does not apply to --model mlp"),
    (["--model", "cnn", "--dataset", "digits", "--channels", "8,8,8,8"], 2,
     "8x8 images are down to 1x1 in convolution block 4 of 4, too small for its 2x2 pooling"),
    (["--model", "cnn", "--pool", "min"], 2, "unknown value 'min': choose one of max, avg"),
    (["--model", "resnet"], 2, "choose one of mlp, lenet, cnn"),
    (["--model", "cnn", "--channels", "8,0"], 2, "0 is out of range"),
])
def test_bad_flag_combinations(capsys, tmp_path, argv, code, fragment):
    status, _, err = run(capsys, "train", *argv, "--out", tmp_path / "run")
    assert_one_line_error(status, err, code, fragment)


def test_a_lenet_run_resumes_and_evaluates_only_as_itself(capsys, lenet_run):
    status, _, err = run(capsys, "train", "--resume", lenet_run / "checkpoint.npz",
                         "--channels", "8")
    assert_one_line_error(status, err, 2, "--channels [8] differs from the run saved")
    status, _, err = run(capsys, "eval", lenet_run / "checkpoint.npz", "--model", "mlp")
    assert_one_line_error(status, err, 1, "(trained on digits) does not fit an mlp [128] for "
                                          "digits")
