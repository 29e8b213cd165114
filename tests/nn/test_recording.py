"""recording_outputs: the forward hooks nn.summary, rg.diagnose and explain's layer table read
layers through."""
import pytest

import retrograd as rg
from retrograd.explain import layer_summary
from retrograd.nn.recording import layers_of, recording_outputs


def model():
    rg.manual_seed(0)
    return rg.nn.Sequential(rg.nn.Linear(3, 4), rg.nn.ReLU(), rg.nn.Sequential(rg.nn.Linear(4, 2)))


def test_records_each_call_in_running_order_and_removes_its_hooks():
    net = model()
    with recording_outputs(net.named_modules()) as calls:
        out = net(rg.ones(5, 3))
    assert [name for name, _, _ in calls] == ["0", "1", "2.0", "2", ""]
    assert calls[-1][2] is out and tuple(calls[0][2].shape) == (5, 4)
    net(rg.ones(5, 3))
    assert len(calls) == 5  # no hook left behind


def test_hooks_are_removed_after_an_error():
    net = model()
    with pytest.raises(RuntimeError):
        with recording_outputs(net.named_modules()) as calls:
            net(rg.ones(5, 7))
    net(rg.ones(5, 3))
    assert calls == []


def test_a_module_used_twice_records_every_call_under_its_first_name():
    shared = rg.nn.Linear(2, 2)
    net = rg.nn.Sequential(shared, rg.nn.Tanh(), shared)
    with recording_outputs(net.named_modules(remove_duplicate=False)) as calls:
        net(rg.ones(1, 2))
    assert [name for name, _, _ in calls if name != ""] == ["0", "1", "0"]


def test_layers_of_lists_the_modules_that_compute():
    assert [name for name, _ in layers_of(model())] == ["0", "1", "2.0"]


def test_the_tools_see_what_user_hooks_change():
    net = model()
    net[1].register_forward_hook(lambda module, args, out: out[:, :2])  # replaces the output
    net[2][0] = rg.nn.Linear(2, 2)
    table = rg.nn.summary(net, (5, 3), verbose=0)
    assert [layer.output_shape for layer in table.layers] == [[5, 2], [5, 4], [5, 2], [5, 2],
                                                                 [5, 2]]
    assert [row["shape"] for row in layer_summary(net, rg.ones(1, 3))] == [(1, 4), (1, 2),
                                                                           (1, 2)]
    report = rg.diagnose(net, (rg.ones(5, 3), rg.zeros(5, 2)), rg.nn.functional.mse_loss)
    assert [layer.name for layer in report.layers] == ["0", "1", "2.0"]
