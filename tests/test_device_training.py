"""Training on a second device: the CuPy stand-in as "cuda" (fixture fake_cuda, conftest.py).

The stand-in computes with NumPy underneath, so a run there must give the very floats of the
CPU run: through ``rg.train.fit`` (batches moved to the model's device, metrics read once per
epoch) and through a hand-written loop. The host-only features (diagnose, explain, check, the
command line) work on a model and tensors on that device.
"""
import csv
import os

import numpy as np
import pytest

import retrograd as rg
import retrograd.nn.functional as F
from retrograd.cli.main import main
from retrograd.train import NonFiniteLossError, Trainer, fit
from retrograd.utils.data import DataLoader, TensorDataset

import fake_cupy

EPOCHS = 4


def circles():
    X, y = rg.datasets.circles(320, noise=0.1, seed=0)
    return X[:256], y[:256], X[256:], y[256:]


def mlp():
    rg.manual_seed(1)
    return rg.nn.Sequential(rg.nn.Linear(2, 32), rg.nn.ReLU(), rg.nn.Linear(32, 32),
                            rg.nn.Tanh(), rg.nn.Linear(32, 2))


OPTIMIZERS = {
    "sgd_momentum": lambda params: rg.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4),
    "adam": lambda params: rg.optim.Adam(params, lr=1e-2),
}


def fit_run(make_optimizer, device=None, move_first=False, data_on_device=False, **options):
    """An MLP on circles through fit; the data on the host unless ``data_on_device``."""
    X, y, X_val, y_val = circles()
    model = mlp()
    if move_first:
        model.to(device)
    optimizer = make_optimizer(model.parameters())
    if data_on_device:
        X, y, X_val, y_val = (rg.tensor(a).to(device) for a in (X, y, X_val, y_val))
    train_loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
                              generator=rg.Generator().manual_seed(3))
    val_loader = DataLoader(TensorDataset(X_val, y_val), batch_size=50)
    history = fit(model, F.cross_entropy, optimizer, train_loader, EPOCHS,
                  val_loader=val_loader, device=None if move_first else device, **options)
    return history, model


def same_history(first, second):
    for column in ("train_loss", "train_acc", "val_loss", "val_acc", "lr"):
        assert first[column] == second[column], column


def host_weights(model):
    return {name: p.detach().cpu().numpy().copy() for name, p in model.named_parameters()}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_fit_on_the_device_gives_the_cpus_floats(fake_cuda, optimizer):
    cpu, cpu_model = fit_run(OPTIMIZERS[optimizer])
    assert cpu["train_loss"][-1] < cpu["train_loss"][0]  # it learns
    for options in ({"device": "cuda"}, {"device": "cuda", "move_first": True},
                    {"device": "cuda:0", "data_on_device": True, "move_first": True},
                    {"device": "cuda", "log_every": 1}):
        history, model = fit_run(OPTIMIZERS[optimizer], **options)
        same_history(history, cpu)
        assert all(p.device == rg.device("cuda:0") for p in model.parameters())
        for name, value in host_weights(model).items():
            np.testing.assert_array_equal(value, host_weights(cpu_model)[name], strict=True)


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_a_hand_written_loop_on_the_device_gives_the_cpus_losses(fake_cuda, optimizer):
    X, y, _, _ = circles()

    def losses(device):
        model = mlp().to(device)
        make = OPTIMIZERS[optimizer]
        opt = make(model.parameters())
        found = []
        for epoch in range(EPOCHS):
            for start in range(0, len(y), 32):
                xb = rg.tensor(X[start:start + 32]).to(device)
                yb = rg.tensor(y[start:start + 32]).to(device)
                opt.zero_grad()
                loss = F.cross_entropy(model(xb), yb)
                loss.backward()
                opt.step()
                found.append(loss.detach())
        assert all(loss.device.type == device for loss in found)
        return [loss.item() for loss in found], host_weights(model)

    cpu_losses, cpu_weights = losses("cpu")
    cuda_losses, cuda_weights = losses("cuda")
    assert cuda_losses == cpu_losses
    for name, value in cuda_weights.items():
        np.testing.assert_array_equal(value, cpu_weights[name], strict=True)


def counting_reads(monkeypatch):
    """A list that gets an entry at every read of a device value by the host (a sync)."""
    reads = []

    def counted(name, read):
        def method(self, *args, **kwargs):
            reads.append(name)
            return read(self, *args, **kwargs)
        monkeypatch.setattr(fake_cupy.FakeArray, name, method, raising=False)

    for name in ("get", "__float__", "__int__", "__bool__", "__index__"):
        counted(name, getattr(fake_cupy.FakeArray, name))
    for name in ("item", "tolist"):
        counted(name, lambda self, *args, name=name: getattr(self._a, name)(*args))
    return reads


def test_metrics_are_read_once_per_log_interval_not_per_step(fake_cuda, monkeypatch):
    """fit reads nothing per step. (The loss is an MSE on one-hot rows: cross-entropy checks
    the range of its class indices on a GPU, which is a read of its own.)"""
    X, y, _, _ = circles()
    model = mlp().to("cuda")
    optimizer = rg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    one_hot = np.eye(2, dtype=np.float32)[y]
    loader = DataLoader(TensorDataset(X, one_hot), batch_size=8)  # 32 steps per epoch
    reads = counting_reads(monkeypatch)
    fit(model, F.mse_loss, optimizer, loader, 2)
    assert 0 < len(reads) <= 2 * 2, reads  # the losses and the counts, once per epoch each
    reads.clear()
    fit(model, F.mse_loss, optimizer, loader, 2, log_every=10)
    assert len(reads) <= 2 * 2 * 4, reads  # reads at steps 10, 20, 30 and 32 of each epoch


def test_reading_by_intervals_keeps_the_cpus_history_bit_for_bit():
    step_by_step, _ = fit_run(OPTIMIZERS["adam"])
    by_intervals, _ = fit_run(OPTIMIZERS["adam"], log_every=7)
    same_history(by_intervals, step_by_step)


def test_one_hot_and_regression_targets_on_the_device(fake_cuda):
    X, y, _, _ = circles()
    one_hot = np.eye(2, dtype=np.float32)[y]

    def run(device, targets, loss_fn):
        model = mlp()
        history = fit(model, loss_fn, rg.optim.SGD(model.parameters(), lr=0.1),
                      DataLoader(TensorDataset(X, targets), batch_size=32), 2, device=device)
        return history["train_loss"], history["train_acc"]

    for targets, loss_fn in ((one_hot, F.mse_loss), (one_hot * 3, F.mse_loss)):
        cpu = run("cpu", targets, loss_fn)
        assert run("cuda", targets, loss_fn) == cpu
    assert run("cuda", one_hot, F.mse_loss)[1][0] is not None
    assert run("cuda", one_hot * 3, F.mse_loss)[1] == [None, None]  # not probabilities


def test_a_nan_loss_on_the_device_names_its_step(fake_cuda):
    calls = []

    def loss_fn(output, target):
        calls.append(1)
        loss = F.cross_entropy(output, target)
        return loss * float("nan") if len(calls) == 8 + 3 else loss  # 8 steps per epoch

    X, y, _, _ = circles()
    model = mlp()
    trainer = Trainer(model, loss_fn, rg.optim.SGD(model.parameters(), lr=0.1),
                      DataLoader(TensorDataset(X, y), batch_size=32), device="cuda",
                      log_every=5)
    with pytest.raises(NonFiniteLossError, match="nan at epoch 2, step 3"):
        trainer.fit(3)
    assert len(trainer.history) == 1


def test_resume_on_the_device_continues_exactly(fake_cuda, tmp_path):
    def trainer():
        X, y, X_val, y_val = circles()
        model = mlp()
        optimizer = rg.optim.Adam(model.parameters(), lr=1e-2)
        return Trainer(model, F.cross_entropy, optimizer,
                       DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True,
                                  generator=rg.Generator().manual_seed(3)),
                       DataLoader(TensorDataset(X_val, y_val), batch_size=64),
                       rg.optim.lr_scheduler.StepLR(optimizer, 1, gamma=0.7), device="cuda")

    whole = trainer().fit(EPOCHS)
    first = trainer()
    first.fit(2)
    first.save_checkpoint(tmp_path / "c.npz")
    resumed = trainer()
    history = resumed.fit(EPOCHS, resume=tmp_path / "c.npz")
    same_history(history, whole)
    state = resumed.optimizer.state_dict()["state"]
    assert all(value.device.type == "cuda" for entry in state.values()
               for value in entry.values() if isinstance(value, rg.Tensor) and value.ndim)


# -- host-only features on device tensors -----------------------------------------------------

def test_diagnose_a_model_on_the_device(fake_cuda):
    X, y, _, _ = circles()
    cpu_report = rg.diagnose(mlp(), (X[:64], y[:64]), F.cross_entropy, lr=0.1)
    model = mlp().to("cuda")
    before = host_weights(model)
    report = rg.diagnose(model, (X[:64], y[:64]), F.cross_entropy, lr=0.1)  # host batch
    assert str(report) == str(cpu_report)
    batch = (rg.tensor(X[:64]).cuda(), rg.tensor(y[:64]).cuda())
    assert str(rg.diagnose(model, batch, F.cross_entropy, lr=0.1)) == str(cpu_report)
    for name, value in host_weights(model).items():
        np.testing.assert_array_equal(value, before[name])
    assert all(p.grad is None for p in model.parameters())


def test_explain_and_check_on_the_device(fake_cuda):
    def traced(device):
        u = rg.tensor([1.0, 2.0], requires_grad=True, device=device)
        w = rg.tensor(3.0, requires_grad=True, device=device)
        with rg.explain.record():
            f = ((u * w).tanh() + u).sum()
        names = {u: "u", w: "w"}
        return str(rg.explain.trace(f, names=names)), rg.explain.graph(f, names=names).source

    assert traced("cuda") == traced("cpu")

    x = rg.randn(5, 3, device="cuda")
    w = rg.randn(3, 2, device="cuda")

    def loss_fn(params):
        return ((x @ params["w"]) ** 2).sum()

    good = {"w": 2 * x.T @ (x @ w)}
    report = rg.check.gradients(loss_fn, {"w": w}, good)
    assert report.ok, str(report)
    assert not rg.check.gradients(loss_fn, {"w": w}, {"w": -good["w"]}).ok


# -- the command line -------------------------------------------------------------------------

TINY = ["--samples", "200", "--epochs", "3", "--hidden", "16"]


def metrics(folder):
    with open(os.path.join(folder, "metrics.csv")) as file:
        return [{key: row[key] for key in ("epoch", "train_loss", "train_acc", "val_loss",
                                           "val_acc", "lr")} for row in csv.DictReader(file)]


def test_cli_trains_on_the_device(fake_cuda, capsys, tmp_path):
    step = ["--schedule", "step"]  # a schedule that may go on past its epochs (resumed below)
    assert main(["train", *TINY, *step, "--out", str(tmp_path / "cpu")]) == 0
    assert main(["train", *TINY, *step, "--device", "cuda", "--diagnose",
                 "--out", str(tmp_path / "cuda")]) == 0
    assert "on cuda" in capsys.readouterr().out
    assert metrics(tmp_path / "cuda") == metrics(tmp_path / "cpu")
    assert main(["eval", str(tmp_path / "cuda" / "checkpoint.npz"), "--device", "cuda"]) == 0
    assert main(["train", "--resume", str(tmp_path / "cuda" / "checkpoint.npz"), "--epochs",
                 "4", "--device", "cuda"]) == 0
    assert len(metrics(tmp_path / "cuda")) == 4


def test_cli_without_the_device_says_so(capsys):
    assert main(["train", *TINY, "--device", "gpu"]) == 1
    assert "--device gpu" in capsys.readouterr().err
    if not rg.cuda.is_available():
        assert main(["train", *TINY, "--device", "cuda"]) == 1
        err = capsys.readouterr().err
        assert "--device cuda" in err and "CuPy" in err and err.count("\n") == 1
