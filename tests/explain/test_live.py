"""rg.explain.LiveCurves: one figure shown, then updated after each epoch, through an injected
display function (no IPython needed); outside IPython it does nothing."""
import sys
import types
import xml.etree.ElementTree as ET

import retrograd as rg
import retrograd.nn.functional as F
from retrograd.explain import LiveCurves, curves
from retrograd.utils.data import DataLoader, TensorDataset

SVG = "{http://www.w3.org/2000/svg}"


def train(callback, epochs=3, validate=True):
    rg.manual_seed(0)
    x = rg.randn(48, 2)
    y = (x.sum(1) > 0).long()
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    model = rg.nn.Sequential(rg.nn.Linear(2, 8), rg.nn.Tanh(), rg.nn.Linear(8, 2))
    return rg.train.fit(model, F.cross_entropy, rg.optim.SGD(model.parameters(), lr=0.5),
                        loader, epochs, val_loader=loader if validate else None,
                        callbacks=[callback])


class FakeDisplay:
    """Records the calls as IPython.display.display would get them."""

    def __init__(self):
        self.calls = []

    def __call__(self, figure, display_id=None, update=False):
        self.calls.append((figure._repr_svg_(), display_id, update))


def polylines(svg):
    return [path for path in ET.fromstring(svg).iter(SVG + "path")]


def test_one_figure_shown_then_updated_each_epoch():
    display = FakeDisplay()
    history = train(LiveCurves(display=display), epochs=3)
    assert [update for _, _, update in display.calls] == [False, True, True]
    ids = {display_id for _, display_id, _ in display.calls}
    assert len(ids) == 1 and None not in ids
    first, last = display.calls[0][0], display.calls[-1][0]
    assert len(polylines(first)) == 0  # one epoch: a dot per curve, no line yet
    assert len(polylines(last)) == 4  # train and validation loss and accuracy
    texts = [text.text for text in ET.fromstring(last).iter(SVG + "text")]
    assert "loss" in texts and "accuracy" in texts
    assert f"{max(history['train_loss'] + history['val_loss']):.3g}" in texts  # the y range
    display.calls.clear()
    # a second run with the same callback gets a figure of its own
    train(LiveCurves(display=display), epochs=2)
    assert display.calls[0][1] not in ids and display.calls[0][2] is False


def test_curves_without_validation_draw_the_training_columns_only():
    display = FakeDisplay()
    history = train(LiveCurves(display=display), epochs=2, validate=False)
    svg = display.calls[-1][0]
    assert len(polylines(svg)) == 2 and "val_loss" not in svg and "train_acc" in svg
    assert str(curves(history.records)) == svg


def test_outside_ipython_it_does_nothing(capsys, monkeypatch):
    monkeypatch.delitem(sys.modules, "IPython", raising=False)
    callback = LiveCurves()
    assert callback.display is None
    train(callback, epochs=1)
    assert "<svg" not in capsys.readouterr().out


def test_inside_ipython_it_uses_its_display(monkeypatch):
    shown = FakeDisplay()
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()  # a running shell
    ipython.display = types.ModuleType("IPython.display")
    ipython.display.display = shown
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", ipython.display)
    assert LiveCurves().display is shown
    ipython.get_ipython = lambda: None  # IPython imported, but not running: a plain script
    assert LiveCurves().display is None
