"""rg.diagnose: per-layer statistics recomputed with NumPy, gradient norms against torch 2.13.0,
each warning triggered by the network the lectures warn about, none for a healthy one, and the
model left untouched."""
import csv
import functools
import io
import json
import math
import os

import numpy as np
import pytest
import torch

import retrograd as rg
from retrograd.check.diagnose import SIGMOID_SATURATION, TANH_SATURATION, DiagnosisCallback
from retrograd.cli import plots
from retrograd.cli.main import main

nn, F = rg.nn, rg.nn.functional
torch.set_num_threads(1)


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def classes(n, count=3, seed=1):
    return rg.tensor(np.random.default_rng(seed).integers(0, count, n))


def one_hot(labels, count=3):
    return np.eye(count, dtype=np.float32)[labels.numpy()]


def _saved(state):
    """``state`` written by rg.save into memory, ready for rg.load."""
    buffer = io.BytesIO()
    rg.save(state, buffer)
    buffer.seek(0)
    return buffer


def codes(report):
    return [w.code for w in report.warnings]


def mlp(*sizes, activation=nn.Tanh, last=None):
    """Linear layers of ``sizes`` with ``activation`` between them (and ``last`` at the end)."""
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers, *([last] if last is not None else []))


def torch_twin(model):
    """The same Sequential in torch, with the same weights."""
    twin = torch.nn.Sequential(*[
        torch.nn.Linear(*layer.weight.shape[::-1]) if isinstance(layer, nn.Linear)
        else getattr(torch.nn, type(layer).__name__)() for layer in model])
    twin.load_state_dict({k: torch.from_numpy(v.array.copy())
                          for k, v in model.state_dict().items()})
    return twin


# -- the statistics ------------------------------------------------------------------------------

def test_layer_statistics_equal_numpy_and_gradients_equal_torch():
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 8), nn.ReLU(),
                          nn.Linear(8, 6), nn.Sigmoid(), nn.Linear(6, 3))
    with rg.no_grad():  # spread the weights so that some units saturate and some die
        for layer in model[0], model[4]:
            layer.weight.mul_(4)
        model[2].bias.sub_(0.5)
    x, y, lr = data(32, 4), classes(32), 0.05
    report = rg.diagnose(model, (rg.tensor(x), y), F.cross_entropy, lr=lr)

    # the forward, by hand in NumPy (float64)
    w = [layer.weight.array.astype(np.float64) for layer in model[::2]]
    b = [layer.bias.array.astype(np.float64) for layer in model[::2]]
    h1 = x @ w[0].T + b[0]
    a1 = np.tanh(h1)
    h2 = a1 @ w[1].T + b[1]
    a2 = np.maximum(h2, 0)
    h3 = a2 @ w[2].T + b[2]
    a3 = 1 / (1 + np.exp(-h3))
    out = a3 @ w[3].T + b[3]
    expected = [h1, a1, h2, a2, h3, a3, out]
    assert [layer.name for layer in report.layers] == [str(i) for i in range(7)]
    assert [layer.type for layer in report.layers] == [type(m).__name__ for m in model]
    for stats, values in zip(report.layers, expected):
        assert stats.shape == values.shape
        np.testing.assert_allclose([stats.mean, stats.std], [values.mean(), values.std()],
                                   rtol=1e-4, atol=1e-6)
    saturated_tanh = np.mean(np.abs(a1) > TANH_SATURATION)
    saturated_sigmoid = np.mean((a3 < SIGMOID_SATURATION) | (a3 > 1 - SIGMOID_SATURATION))
    dead = np.mean((a2 <= 0).all(axis=0))
    assert 0 < saturated_tanh and 0 < dead  # the test exercises something
    assert report.layers[1].saturated == pytest.approx(saturated_tanh)
    assert report.layers[5].saturated == pytest.approx(saturated_sigmoid)
    assert report.layers[3].dead == pytest.approx(dead)
    assert all(layer.saturated is None and layer.dead is None for layer in report.layers[::2])

    # the gradients, by torch
    twin = torch_twin(model)
    loss = torch.nn.functional.cross_entropy(twin(torch.from_numpy(x)),
                                             torch.from_numpy(y.numpy()))
    loss.backward()
    assert report.loss == pytest.approx(loss.item(), rel=1e-5)
    names = [name for name, _ in twin.named_parameters()]
    assert [p.name for p in report.parameters] == names
    for stats, (name, param) in zip(report.parameters, twin.named_parameters()):
        weight = param.detach().double().norm().item()
        grad = param.grad.double().norm().item()
        assert stats.shape == tuple(param.shape)
        np.testing.assert_allclose([stats.norm, stats.grad_norm, stats.update_ratio],
                                   [weight, grad, lr * grad / weight], rtol=1e-4, err_msg=name)


def test_activations_in_a_custom_forward_are_recognised_by_their_operation():
    class Squashed(nn.Module):  # a layer of its own, ending with a functional sigmoid
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(rg.tensor(data(5, 2) * 10))

        def forward(self, x):
            return (x @ self.weight.T).sigmoid()

    model = nn.Sequential(Squashed(), nn.Linear(5, 2))
    x = data(16, 2)
    report = rg.diagnose(model, (x, classes(16, 2)), F.cross_entropy)
    a = 1 / (1 + np.exp(-(x @ model[0].weight.array.T.astype(np.float64))))
    saturated = np.mean((a < SIGMOID_SATURATION) | (a > 1 - SIGMOID_SATURATION))
    assert report.layers[0].type == "Squashed"
    assert report.layers[0].saturated == pytest.approx(saturated)
    assert "saturated" in codes(report)


def test_layers_and_gradient_flow_follow_the_order_the_layers_ran():
    class Backwards(nn.Module):  # registers its last layer first
        def __init__(self):
            super().__init__()
            self.out = nn.Linear(16, 3)
            self.hidden = nn.ModuleList([nn.Linear(2, 16)] + [nn.Linear(16, 16)
                                                              for _ in range(5)])

        def forward(self, x):
            for layer in self.hidden:
                x = layer(x).sigmoid()
            return self.out(x)

    report = rg.diagnose(Backwards(), (data(64, 2), classes(64)), F.cross_entropy)
    assert [layer.name for layer in report.layers] == [f"hidden.{i}" for i in range(6)] + ["out"]
    vanishing = [w for w in report.warnings if w.code == "vanishing_gradients"]
    assert vanishing and vanishing[0].layer == "hidden.0.weight"
    assert "(out.weight)" in vanishing[0].message


# -- each warning, from the network the lectures warn about ---------------------------------------

def test_healthy_networks_get_no_warning():
    x, y = data(128, 2), classes(128)
    for activation in (nn.Tanh, nn.ReLU):
        model = mlp(2, 32, 32, 3, activation=activation)
        report = rg.diagnose(model, (x, y), F.cross_entropy, lr=0.1)
        assert report.warnings == [], str(report)
    regression = rg.diagnose(mlp(2, 16, 1), (x, data(128, 1, seed=3)), F.mse_loss, lr=0.01)
    assert regression.warnings == [], str(regression)


def test_large_initial_weights_saturate_sigmoid_layers():
    model = mlp(2, 16, 16, 3, activation=nn.Sigmoid)
    with rg.no_grad():
        for layer in model[0], model[2]:
            layer.weight.mul_(20)
    report = rg.diagnose(model, (data(64, 2), classes(64)), F.cross_entropy)
    saturated = [w for w in report.warnings if w.code == "saturated"]
    assert [w.layer for w in saturated] == ["1", "3"]
    assert "Sigmoid" in saturated[0].message and "%" in saturated[0].message


def test_a_large_negative_bias_kills_relu_units():
    model = mlp(2, 16, 3, activation=nn.ReLU)
    with rg.no_grad():
        model[0].bias[:12] = -10.0  # 12 of the 16 units can never switch on
    report = rg.diagnose(model, (data(64, 2), classes(64)), F.cross_entropy)
    assert report.layers[1].dead == pytest.approx(12 / 16)
    (dead,) = [w for w in report.warnings if w.code == "dead_relu"]
    assert dead.layer == "1" and "75%" in dead.message


def test_all_positive_and_off_center_inputs():
    model, y = mlp(2, 8, 3), classes(64)
    positive = rg.diagnose(model, (np.abs(data(64, 2)), y), F.cross_entropy)
    assert "inputs_all_positive" in codes(positive)
    shifted = rg.diagnose(model, (data(64, 2) + 1.5, y), F.cross_entropy)
    assert "inputs_not_zero_mean" in codes(shifted)
    assert "inputs_all_positive" not in codes(shifted)  # 1.5 + N(0, 1) dips below 0


@pytest.mark.parametrize("loss_fn", [nn.MSELoss(), F.mse_loss, functools.partial(F.mse_loss)],
                         ids=["module", "function", "partial"])
@pytest.mark.parametrize("last", ["softmax", "sigmoid"])
def test_mse_under_a_softmax_or_sigmoid_output(loss_fn, last):
    ending = nn.Softmax(dim=1) if last == "softmax" else nn.Sigmoid()
    targets = one_hot(classes(32))
    report = rg.diagnose(mlp(2, 8, 3, last=ending), (data(32, 2), targets), loss_fn)
    (warning,) = [w for w in report.warnings if w.code == "mse_after_softmax_or_sigmoid"]
    assert last in warning.message and "cross_entropy" in warning.message
    linear = rg.diagnose(mlp(2, 8, 3), (data(32, 2), targets), loss_fn)
    assert "mse_after_softmax_or_sigmoid" not in codes(linear)


def test_a_deep_sigmoid_stack_makes_gradients_vanish():
    deep = mlp(2, *[16] * 6, 3, activation=nn.Sigmoid)
    report = rg.diagnose(deep, (data(64, 2), classes(64)), F.cross_entropy)
    (warning,) = [w for w in report.warnings if w.code == "vanishing_gradients"]
    assert warning.layer == "0.weight" and "(12.weight)" in warning.message
    grads = {p.name: p.grad_norm / math.sqrt(math.prod(p.shape)) for p in report.parameters}
    assert grads["0.weight"] / grads["12.weight"] < 1e-2  # what the message reports


def test_a_deep_tanh_stack_with_large_weights_makes_gradients_explode():
    # the "chaotic" regime: weights of standard deviation 8 / sqrt(fan_in) make each layer's
    # Jacobian stretch the gradient on its way back, while tanh keeps the forward bounded
    model = mlp(16, *[32] * 16, 3)
    with rg.no_grad():
        for layer in model[:-1:2]:
            layer.weight.copy_(rg.randn(*layer.weight.shape) * 8 / math.sqrt(layer.in_features))
    report = rg.diagnose(model, (data(64, 16), classes(64)), F.cross_entropy)
    (warning,) = [w for w in report.warnings if w.code == "exploding_gradients"]
    assert warning.layer == "0.weight"


def test_initial_outputs_far_from_the_targets():
    large_logits = rg.diagnose(mlp(2, 16, 3, activation=nn.ReLU),
                               (data(64, 2) * 100, classes(64)), F.cross_entropy)
    assert "outputs_far_from_targets" in codes(large_logits)
    assert "log(3) = 1.1" in str(large_logits)
    x = data(64, 3)
    for sign, expected in ((1, []), (-1, ["outputs_far_from_targets"])):
        scorer = nn.Linear(3, 3, bias=False)  # logits 10 x: confidently right, then wrong
        with rg.no_grad():
            scorer.weight.copy_(rg.eye(3) * 10 * sign)
        labels = rg.tensor(x.argmax(axis=1))
        assert codes(rg.diagnose(scorer, (x, labels), F.cross_entropy)) == expected
    far_targets = rg.diagnose(mlp(2, 16, 1), (data(64, 2), data(64, 1) + 1000), F.mse_loss)
    assert "outputs_far_from_targets" in codes(far_targets)
    unreachable = rg.diagnose(mlp(2, 16, 1, last=nn.Sigmoid()),
                              (data(64, 2), np.abs(data(64, 1)) * 10), F.l1_loss)
    assert "targets_outside_output_range" in codes(unreachable)


def test_update_to_weight_ratio_far_from_1e_3():
    model, batch = mlp(2, 16, 3), (data(64, 2), classes(64))
    assert "update_ratio_too_large" in codes(rg.diagnose(model, batch, F.cross_entropy, lr=100))
    assert "update_ratio_too_small" in codes(rg.diagnose(model, batch, F.cross_entropy, lr=1e-7))
    assert not {"update_ratio_too_large", "update_ratio_too_small"} & set(
        codes(rg.diagnose(model, batch, F.cross_entropy)))  # no lr, no ratio


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # log of negatives
def test_nan_loss():
    report = rg.diagnose(mlp(2, 8, 1), (data(16, 2), data(16, 1)),
                         lambda out, target: (out - target).log().mean())
    assert "not_finite" in codes(report) and "detect_anomaly" in str(report)
    json.loads(report.to_json())  # NaN written as null: strict JSON still


# -- the report, and the model left as it was -----------------------------------------------------

def test_the_model_its_grads_buffers_and_the_random_stream_are_unchanged():
    model = nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(8, 2))
    model[0].weight.grad = rg.tensor(data(8, 3, seed=5))
    earlier_grad = model[0].weight.grad
    before = {k: v.array.copy() for k, v in model.state_dict().items()}
    rg.manual_seed(7)
    rg.diagnose(model, (data(16, 3), classes(16, 2)), F.cross_entropy, lr=0.1)
    after_diagnosis = rg.rand(3).numpy()
    rg.manual_seed(7)
    assert np.array_equal(after_diagnosis, rg.rand(3).numpy())  # Dropout drew, then put back
    for key, value in model.state_dict().items():
        assert np.array_equal(value.array, before[key]), key  # parameters and running stats
    assert model[0].weight.grad is earlier_grad
    np.testing.assert_array_equal(earlier_grad.numpy(), data(8, 3, seed=5))
    assert all(p.grad is None for name, p in model.named_parameters() if name != "0.weight")
    assert all("forward" not in m.__dict__ for m in model.modules())  # recorders removed


def test_the_model_is_restored_when_the_loss_fails():
    model = mlp(2, 4, 3)
    patched = model[1].forward = lambda x: x.tanh()  # a forward of its own survives too

    def broken(out, target):
        raise ValueError("bad loss")

    with pytest.raises(ValueError, match="bad loss"):
        rg.diagnose(model, (data(4, 2), classes(4)), broken)
    assert model[1].forward is patched
    assert all("forward" not in m.__dict__ for i, m in enumerate(model) if i != 1)


def test_printing_and_serialising_the_report(tmp_path):
    model = mlp(2, 16, 3, activation=nn.Sigmoid)
    report = rg.diagnose(model, (np.abs(data(32, 2)), classes(32)), F.cross_entropy, lr=0.1)
    text = str(report)
    for header in ("layer", "mean", "std", "saturated", "dead", "|grad|", "lr*|grad|/|w|"):
        assert header in text
    assert "[inputs_all_positive]" in text and "0.weight" in text
    path = tmp_path / "diagnosis.json"
    report.to_json(str(path))
    saved = json.loads(path.read_text())
    assert saved == json.loads(json.dumps(report.to_dict()))
    assert saved["layers"][1]["saturated"] == report.layers[1].saturated
    assert [w["code"] for w in saved["warnings"]] == codes(report)
    assert report.grad_norms == {p.name: p.grad_norm for p in report.parameters}
    assert repr(report) == f"<DiagnosisReport: 3 layers, 4 parameters, {len(codes(report))} " \
                           "warnings>"
    assert rg.check.diagnose is rg.diagnose


def test_the_report_in_a_notebook_is_html():
    model = mlp(2, 16, 3, activation=nn.Sigmoid)
    report = rg.diagnose(model, (np.abs(data(32, 2)), classes(32)), F.cross_entropy, lr=0.1)
    page = report._repr_html_()
    assert page.startswith("<div>") and page.endswith("</div>")
    assert page.count("<table>") == 2 and "<caption>Activations (layer outputs)</caption>" in page
    assert "<th>lr*|grad|/|w|</th>" in page and "<td>0.weight</td>" in page
    assert f"<td>{report.layers[1].std:.3g}</td>" in page
    assert page.count("<li>") == len(report.warnings) > 0
    assert "<code>inputs_all_positive</code>" in page
    healthy = rg.diagnose(mlp(2, 4, 3), (data(32, 2), classes(32)), F.cross_entropy)
    assert "No warnings" in healthy._repr_html_() and "<li>" not in healthy._repr_html_()


def test_bad_arguments_get_clear_errors():
    model, x, y = mlp(2, 4, 3), data(4, 2), classes(4)
    with pytest.raises(TypeError, match=r"pair \(input, target\)"):
        rg.diagnose(model, x, F.cross_entropy)
    with pytest.raises(TypeError, match="must be an rg.nn.Module"):
        rg.diagnose(lambda t: t, (x, y), F.cross_entropy)
    with pytest.raises(TypeError, match="scalar Tensor"):
        rg.diagnose(model, (x, y), lambda out, target: out)
    with pytest.raises(ValueError, match="lr must be a positive"):
        rg.diagnose(model, (x, y), F.cross_entropy, lr=0)
    with pytest.raises(TypeError, match="Tensor or a NumPy array"):
        rg.diagnose(model, ([[1.0, 2.0]], y), F.cross_entropy)
    model.requires_grad_(False)
    with pytest.raises(ValueError, match="no parameter that requires grad"):
        rg.diagnose(model, (x, y), F.cross_entropy)


# -- during training: the callback and `retrograd train --diagnose` -------------------------------

def test_the_callback_averages_each_epochs_gradient_norms_like_torch():
    x, y = data(48, 2), np.random.default_rng(1).integers(0, 3, 48)
    model = mlp(2, 8, 3)
    twin = torch_twin(model)
    diagnosis = DiagnosisCallback((x[:32], y[:32]), epochs=[2])
    loader = rg.utils.data.DataLoader(rg.utils.data.TensorDataset(rg.tensor(x), rg.tensor(y)),
                                      batch_size=16)
    rg.train.fit(model, F.cross_entropy, rg.optim.SGD(model.parameters(), lr=0.5), loader,
                 epochs=3, callbacks=[diagnosis])

    optimizer = torch.optim.SGD(twin.parameters(), lr=0.5)
    expected = {name: [] for name, _ in twin.named_parameters()}
    for _ in range(3):
        sums = dict.fromkeys(expected, 0.0)
        for start in range(0, 48, 16):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(twin(torch.from_numpy(x[start:start + 16])),
                                              torch.from_numpy(y[start:start + 16])).backward()
            optimizer.step()
            for name, param in twin.named_parameters():
                sums[name] += param.grad.double().norm().item()
        for name in expected:
            expected[name].append(sums[name] / 3)
    assert diagnosis.epochs_seen == [1, 2, 3] and list(diagnosis.reports) == [2]
    assert list(diagnosis.grad_norms) == list(expected)
    for name, values in expected.items():
        np.testing.assert_allclose(diagnosis.grad_norms[name], values, rtol=1e-4, err_msg=name)

    restored = DiagnosisCallback((x, y), epochs=[1])
    restored.load_state_dict(rg.load(_saved(diagnosis.state_dict())))  # as in a checkpoint
    assert restored.grad_norms == diagnosis.grad_norms


def test_train_diagnose_writes_reports_and_curves_without_changing_the_run(capsys, tmp_path):
    tiny = ["train", "--samples", "200", "--epochs", "3", "--hidden", "16"]
    assert main([*tiny, "--out", str(tmp_path / "plain")]) == 0
    assert main([*tiny, "--diagnose", "--out", str(tmp_path / "diagnosed")]) == 0
    out = capsys.readouterr().out
    assert "diagnosis before epoch 1:" in out and "diagnosis before epoch 3:" in out
    plain, diagnosed = tmp_path / "plain", tmp_path / "diagnosed"
    metrics = [(folder / "metrics.csv").read_text().splitlines() for folder in (plain, diagnosed)]
    strip_time = [[line.rsplit(",", 1)[0] for line in lines] for lines in metrics]
    assert strip_time[0] == strip_time[1]  # the same numbers: diagnosing changed nothing

    folder = diagnosed / "diagnosis"
    assert sorted(os.listdir(folder)) == ["epoch-1.json", "epoch-1.txt", "epoch-2.json",
                                          "epoch-2.txt", "epoch-3.json", "epoch-3.txt",
                                          "grad_norms.csv"]
    report = json.loads((folder / "epoch-1.json").read_text())
    assert [p["name"] for p in report["parameters"]] == ["0.weight", "0.bias", "2.weight",
                                                         "2.bias"]
    assert "Activations" in (folder / "epoch-1.txt").read_text()
    with open(folder / "grad_norms.csv") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["epoch", "0.weight", "0.bias", "2.weight", "2.bias"]
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert (diagnosed / "grad_norms.png").exists()


def test_train_diagnose_epochs_and_errors(capsys, tmp_path, monkeypatch):
    tiny = ["train", "--samples", "100", "--epochs", "2", "--hidden", "8"]
    monkeypatch.setattr(plots, "pyplot", lambda: None)  # as without matplotlib
    assert main([*tiny, "--diagnose-epochs", "2", "--out", str(tmp_path / "run")]) == 0
    assert sorted(os.listdir(tmp_path / "run" / "diagnosis")) == [
        "epoch-2.json", "epoch-2.txt", "grad_norms.csv"]
    assert not (tmp_path / "run" / "grad_norms.png").exists()
    capsys.readouterr()
    status = main([*tiny, "--diagnose-epochs", "1,5", "--out", str(tmp_path / "bad")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1  # a bad command line
    assert "--diagnose-epochs 5: the run has 2 epochs" in err
    assert main([*tiny, "--diagnose-epochs", "0", "--out", str(tmp_path / "zero")]) == 2
