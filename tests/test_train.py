"""rg.train: the loop against a hand-written PyTorch loop, callbacks, exact reproducibility and
resume, NaN handling."""
import csv
import io

import numpy as np
import pytest
import torch

import retrograd as rg
import retrograd.nn.functional as F
from retrograd.train import (
    Callback,
    EarlyStopping,
    History,
    ModelCheckpoint,
    NonFiniteLossError,
    ProgressBar,
    Trainer,
    evaluate,
    fit,
)
from retrograd.utils.data import DataLoader, TensorDataset

EPOCHS = 3


def toy_data(n=240, seed=0):
    """Two Gaussian classes in 2-D, learnable in a few epochs."""
    X, y = rg.datasets.blobs(n, centers=2, seed=seed)
    return X[: n * 3 // 4], y[: n * 3 // 4], X[n * 3 // 4:], y[n * 3 // 4:]


def toy_model(dropout=0.0):
    rg.manual_seed(1)
    return rg.nn.Sequential(rg.nn.Linear(2, 16), rg.nn.Tanh(), rg.nn.Dropout(dropout),
                            rg.nn.Linear(16, 2))


def toy_run(dropout=0.2, callbacks=(), shuffle_seed=3):
    """Everything random: init, shuffling (own generator), dropout (global generator)."""
    X, y, X_val, y_val = toy_data()
    model = toy_model(dropout)
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = rg.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    train_loader = DataLoader(TensorDataset(X, y), batch_size=16, shuffle=True,
                              generator=rg.Generator().manual_seed(shuffle_seed))
    val_loader = DataLoader(TensorDataset(X_val, y_val), batch_size=50)
    return Trainer(model, F.cross_entropy, optimizer, train_loader, val_loader, scheduler,
                   callbacks)


def weights(model):
    return {name: p.array.copy() for name, p in model.named_parameters()}


def test_fit_matches_a_pytorch_loop():
    """Same weights, same batches, same SGD + StepLR: the same per-epoch metrics as torch."""
    X, y, X_val, y_val = toy_data()
    model = toy_model()
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    scheduler = rg.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    history = fit(model, F.cross_entropy, optimizer, DataLoader(TensorDataset(X, y), 16),
                  EPOCHS, val_loader=DataLoader(TensorDataset(X_val, y_val), 50),
                  scheduler=scheduler)

    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                      torch.nn.Dropout(0.0), torch.nn.Linear(16, 2))
    reference = toy_model()
    with torch.no_grad():
        for p, q in zip(torch_model.parameters(), reference.parameters()):
            p.copy_(torch.from_numpy(q.array))
    torch_optimizer = torch.optim.SGD(torch_model.parameters(), lr=0.1, momentum=0.9,
                                      weight_decay=1e-3)
    torch_scheduler = torch.optim.lr_scheduler.StepLR(torch_optimizer, step_size=1, gamma=0.5)
    Xt, yt, Xv, yv = map(torch.from_numpy, (X, y, X_val, y_val))
    for epoch in range(EPOCHS):
        record = history.records[epoch]
        assert record["lr"] == torch_optimizer.param_groups[0]["lr"]
        losses, correct = [], 0
        for start in range(0, len(yt), 16):
            xb, yb = Xt[start:start + 16], yt[start:start + 16]
            torch_optimizer.zero_grad()
            output = torch_model(xb)
            loss = torch.nn.functional.cross_entropy(output, yb)
            loss.backward()
            torch_optimizer.step()
            losses.append(loss.item() * len(yb))
            correct += (output.argmax(1) == yb).sum().item()
        torch_scheduler.step()
        with torch.no_grad():
            val_output = torch_model(Xv)
        np.testing.assert_allclose(record["train_loss"], sum(losses) / len(yt), rtol=1e-4)
        assert record["train_acc"] == correct / len(yt)
        np.testing.assert_allclose(record["val_loss"],
                                   torch.nn.functional.cross_entropy(val_output, yv).item(),
                                   rtol=1e-4)
        assert record["val_acc"] == (val_output.argmax(1) == yv).float().mean().item()
    assert history["epoch"] == [1, 2, 3]
    assert history["lr"] == [0.1, 0.05, 0.025]
    assert history["train_loss"][-1] < history["train_loss"][0]  # it learns
    assert all(t > 0 for t in history["time"])


def test_evaluate_matches_torch_and_restores_the_mode():
    X, y, _, _ = toy_data()
    model = toy_model(dropout=0.5)
    loss, accuracy = evaluate(model, F.cross_entropy, DataLoader(TensorDataset(X, y), 64))
    assert model.training
    torch_model = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(),
                                      torch.nn.Linear(16, 2))
    with torch.no_grad():
        for p, q in zip(torch_model.parameters(), model.parameters()):
            p.copy_(torch.from_numpy(q.array))
        output = torch_model(torch.from_numpy(X))  # eval mode: dropout off
    np.testing.assert_allclose(loss, torch.nn.functional.cross_entropy(
        output, torch.from_numpy(y)).item(), rtol=1e-5)
    assert accuracy == (output.argmax(1).numpy() == y).mean()


def test_accuracy_is_none_for_regression_and_uses_argmax_for_one_hot_targets():
    X = np.random.default_rng(0).normal(size=(20, 3)).astype(np.float32)
    model = rg.nn.Linear(3, 2)
    loss, accuracy = evaluate(model, F.mse_loss, [(rg.tensor(X), rg.tensor(X[:, :2]))])
    assert accuracy is None and loss > 0
    one_hot = np.eye(2, dtype=np.float32)[np.arange(20) % 2]
    _, accuracy = evaluate(model, F.mse_loss, [(rg.tensor(X), rg.tensor(one_hot))])
    with rg.no_grad():
        expected = (model(rg.tensor(X)).array.argmax(1) == np.arange(20) % 2).mean()
    assert accuracy == expected


def test_same_seed_same_curve_bit_for_bit():
    first = toy_run().fit(EPOCHS)
    second = toy_run().fit(EPOCHS)
    for column in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert first[column] == second[column]
    assert toy_run(shuffle_seed=4).fit(EPOCHS)["train_loss"] != first["train_loss"]


def test_resume_continues_exactly(tmp_path):
    """Interrupted after epoch 2 and resumed: the same numbers, bit for bit, as one run."""
    path = tmp_path / "checkpoint.npz"
    whole = toy_run(callbacks=[EarlyStopping("val_loss", patience=5)])
    whole.fit(4)

    class Crash(Callback):
        def on_epoch_begin(self, trainer, epoch):
            if epoch == 3:
                raise KeyboardInterrupt

    interrupted = toy_run(callbacks=[EarlyStopping("val_loss", patience=5),
                                     ModelCheckpoint(path), Crash()])
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(4)
    rg.manual_seed(12345)  # a fresh process would have another global state: it is restored
    resumed = toy_run(callbacks=[EarlyStopping("val_loss", patience=5), ModelCheckpoint(path)])
    history = resumed.fit(4, resume=path)

    assert history["epoch"] == [1, 2, 3, 4]
    for column in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert history[column] == whole.history[column], column
    for name, value in weights(whole.model).items():
        np.testing.assert_array_equal(weights(resumed.model)[name], value)
    assert resumed.callbacks[0].state_dict() == whole.callbacks[0].state_dict()
    assert rg.load(path)["epoch"] == 4


def test_checkpoint_holds_the_whole_training_state(tmp_path):
    trainer = toy_run(callbacks=[ModelCheckpoint(tmp_path / "c.npz")])
    trainer.fit(2)
    saved = rg.load(tmp_path / "c.npz")
    assert saved["epoch"] == 2
    assert set(saved) >= {"model", "optimizer", "scheduler", "history", "callbacks", "rng"}
    assert saved["scheduler"]["last_epoch"] == 2
    assert len(saved["rng"]["loaders"]) == 1  # the shuffling generator
    for name, value in weights(trainer.model).items():
        np.testing.assert_array_equal(saved["model"][name].array, value)
    with pytest.raises(ValueError, match="not a training checkpoint"):
        toy_run().load_state_dict(saved["model"])


def test_early_stopping_stops_after_patience_epochs():
    X, y, _, _ = toy_data()
    model = toy_model()
    optimizer = rg.optim.SGD(model.parameters(), lr=0.0)  # nothing improves
    stopper = EarlyStopping(monitor="train_loss", patience=2)
    history = fit(model, F.cross_entropy, optimizer, DataLoader(TensorDataset(X, y), 32), 10,
                  callbacks=[stopper])
    assert len(history) == 3 and stopper.stopped_epoch == 3  # best at 1, then 2 without gain
    assert history["val_loss"] == [None] * 3


def test_early_stopping_on_accuracy_and_bad_monitors():
    assert EarlyStopping("val_acc", mode="max").improved({"val_acc": 0.5})
    stopper = EarlyStopping("val_acc", mode="max", min_delta=0.1)
    stopper.improved({"val_acc": 0.5})
    assert not stopper.improved({"val_acc": 0.55}) and stopper.improved({"val_acc": 0.7})
    with pytest.raises(ValueError, match="cannot monitor 'accuracy'"):
        EarlyStopping("accuracy")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=0)
    X, y, _, _ = toy_data()
    model = toy_model()
    with pytest.raises(ValueError, match="monitors 'val_loss'.*no val_loader"):
        fit(model, F.cross_entropy, rg.optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(X, y), 32), 2, callbacks=[EarlyStopping()])


def test_model_checkpoint_with_monitor_keeps_the_best(tmp_path):
    saver = ModelCheckpoint(tmp_path / "best.npz", monitor="val_acc", mode="max")
    trainer = toy_run(callbacks=[saver])
    trainer.fit(EPOCHS)
    best = max(range(EPOCHS), key=lambda i: (trainer.history["val_acc"][i], -i))
    assert saver.last_saved_epoch == best + 1
    assert rg.load(tmp_path / "best.npz")["epoch"] == best + 1


def test_a_nan_loss_stops_with_epoch_and_step_and_keeps_the_last_good_checkpoint(tmp_path):
    calls = []

    def loss_fn(output, target):
        calls.append(1)
        loss = F.cross_entropy(output, target)
        return loss * float("nan") if len(calls) == 15 + 4 else loss  # 15 steps per epoch

    X, y, _, _ = toy_data()
    model = toy_model()
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1)
    saver = ModelCheckpoint(tmp_path / "c.npz")
    trainer = Trainer(model, loss_fn, optimizer, DataLoader(TensorDataset(X, y), 12),
                      callbacks=[saver])
    before = {}

    class Snapshot(Callback):
        def on_batch_end(self, trainer, step, loss, accuracy):
            before.update(weights(trainer.model))

    trainer.callbacks.append(Snapshot())
    with pytest.raises(NonFiniteLossError, match="nan at epoch 2, step 4") as error:
        trainer.fit(5)
    assert (error.value.epoch, error.value.step) == (2, 4)
    for name, value in weights(model).items():  # the NaN step changed nothing
        np.testing.assert_array_equal(value, before[name])
    assert saver.last_saved_epoch == 1 and rg.load(tmp_path / "c.npz")["epoch"] == 1
    assert len(trainer.history) == 1


def test_history_columns_and_csv(tmp_path):
    history = toy_run().fit(2)
    history.to_csv(tmp_path / "metrics.csv")
    with open(tmp_path / "metrics.csv") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == list(History.columns)
    assert [float(row["train_loss"]) for row in rows] == history["train_loss"]
    with pytest.raises(KeyError, match="columns"):
        history["accuracy"]
    assert "2 epochs" in repr(history)


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_lines_or_bar():
    plain = io.StringIO()
    toy_run(callbacks=[ProgressBar(plain)]).fit(2)
    lines = plain.getvalue().splitlines()
    assert len(lines) == 2 and lines[1].startswith("epoch 2/2  train_loss")
    assert "val_acc" in lines[1]
    pytest.importorskip("tqdm")
    terminal = FakeTerminal()
    toy_run(callbacks=[ProgressBar(terminal)]).fit(1)
    assert "epoch 1/1" in terminal.getvalue() and "12/12" in terminal.getvalue()


def test_bad_arguments():
    X, y, _, _ = toy_data()
    model = toy_model()
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs"):
        fit(model, F.cross_entropy, optimizer, [(rg.tensor(X), rg.tensor(y))], -1)
    with pytest.raises(TypeError, match=r"batches \(inputs, targets\)"):
        fit(model, F.cross_entropy, optimizer, [rg.tensor(X)], 1)


class ClipAfterBackward(Callback):
    """Clips the gradients between backward and step, and counts the seam's calls."""

    def __init__(self):
        self.calls = []

    def on_after_backward(self, trainer):
        self.calls.append("after_backward")

    def on_before_step(self, trainer):
        self.calls.append("before_step")
        rg.nn.utils.clip_grad_norm_(trainer.model.parameters(), 0.05)


@pytest.mark.parametrize("compile", [False, True])
def test_the_seam_between_backward_and_step_clips_as_a_hand_written_loop(compile):
    X, y, _, _ = toy_data()
    model, reference = toy_model(), toy_model()
    clip = ClipAfterBackward()
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    optimizer = rg.optim.SGD(model.parameters(), lr=0.5)
    fit(model, F.cross_entropy, optimizer, loader, 2, callbacks=[clip], compile=compile)
    reference_optimizer = rg.optim.SGD(reference.parameters(), lr=0.5)
    for _ in range(2):
        for xb, yb in loader:
            reference_optimizer.zero_grad()
            F.cross_entropy(reference(xb), yb).backward()
            rg.nn.utils.clip_grad_norm_(reference.parameters(), 0.05)
            reference_optimizer.step()
    for (name, ours), theirs in zip(weights(model).items(), weights(reference).values()):
        np.testing.assert_array_equal(ours, theirs, err_msg=name)
    if not compile:  # replays run the callbacks' tensor work, not their Python counting
        assert clip.calls == ["after_backward", "before_step"] * 2 * len(loader)


def test_an_infinite_gradient_under_a_finite_loss_stops_before_the_update():
    model = rg.nn.Linear(2, 1)
    with rg.no_grad():
        model.weight.zero_()
        model.bias.zero_()

    def root_loss(output, target):  # sqrt(0) = 0: a finite loss, an infinite slope
        return output.sqrt().mean()

    X = rg.ones(8, 2)
    with pytest.raises(NonFiniteLossError, match="the gradient of (weight|bias) became "
                       "(inf|nan) at epoch 1, step 1: clip the gradients"):
        fit(model, root_loss, rg.optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(X, rg.zeros(8)), batch_size=4), 1)
    assert model.weight.abs().sum().item() == 0  # the weights never saw it


def test_a_nan_validation_loss_stops_training_instead_of_being_recorded():
    X, y, X_val, y_val = toy_data()
    X_val[3, 0] = float("nan")
    model = toy_model()
    with pytest.raises(NonFiniteLossError, match="the validation loss became nan after epoch 1"):
        fit(model, F.cross_entropy, rg.optim.SGD(model.parameters(), lr=0.1),
            DataLoader(TensorDataset(X, y), 16), 3,
            val_loader=DataLoader(TensorDataset(X_val, y_val), 50))


@pytest.mark.parametrize("n, drop_last", [(0, False), (10, True)])
def test_an_empty_training_set_is_refused(n, drop_last):
    model = toy_model()
    loader = DataLoader(TensorDataset(rg.zeros(n, 2), rg.zeros(n, dtype=rg.int64)),
                        batch_size=16, drop_last=drop_last)
    with pytest.raises(ValueError, match="gave no batch this epoch"):
        fit(model, F.cross_entropy, rg.optim.SGD(model.parameters(), lr=0.1), loader, 1)
