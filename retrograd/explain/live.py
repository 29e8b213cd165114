"""``rg.explain.LiveCurves``: the loss and accuracy curves of a training run, redrawn in a
notebook after every epoch.

    rg.train.fit(model, F.cross_entropy, optimizer, loader, val_loader=val, epochs=20,
                 callbacks=[rg.explain.LiveCurves()])
"""
from __future__ import annotations

import sys
import uuid
from typing import Any, Callable

from ..train import Callback
from .svg import SVG, line_charts

# the history's columns drawn in each chart
PANELS = {"loss": ("train_loss", "val_loss"), "accuracy": ("train_acc", "val_acc")}


class LiveCurves(Callback):
    """Draws the loss and the accuracy (training and validation, as far as they are measured)
    against the epoch, as one SVG figure that is updated in place after each epoch.

    In IPython (Jupyter) the figure is shown with ``IPython.display.display``; anywhere else
    this callback does nothing (the progress lines of ``fit`` already say how training goes).
    ``display`` replaces that function: it is called as ``display(figure, display_id=...)``
    for the first epoch and with ``update=True`` after, as IPython's ``display`` is; the figure
    has ``_repr_svg_``. It runs on rank 0 alone in a distributed run.
    """

    rank_zero_only = True

    def __init__(self, display: Callable[..., Any] | None = None) -> None:
        self.display = display if display is not None else _ipython_display()
        self.display_id: str | None = None  # set once the figure is shown

    def on_train_begin(self, trainer) -> None:
        self.display_id = None  # a new run (or a resumed one): a new figure

    def on_epoch_end(self, trainer, epoch: int, record: dict[str, Any]) -> None:
        if self.display is None:
            return
        figure = curves(trainer.history.records)
        if self.display_id is None:
            self.display_id = f"retrograd-live-curves-{uuid.uuid4().hex}"
            self.display(figure, display_id=self.display_id)
        else:
            self.display(figure, display_id=self.display_id, update=True)


def curves(records: list[dict[str, Any]]) -> SVG:
    """The loss and accuracy charts of a history's ``records`` (``History.records``): one line
    per measured column; a chart with nothing measured is left out."""
    epochs = [record["epoch"] for record in records]
    panels = {title: {column: [record.get(column) for record in records] for column in columns}
              for title, columns in PANELS.items()}
    return SVG(line_charts(panels, epochs))


def _ipython_display() -> Callable[..., Any] | None:
    """IPython's ``display`` when running inside IPython, else None. IPython is not imported
    when the program has not already loaded it: it is no dependency of retrograd."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython
    from IPython.display import display

    return display if get_ipython() is not None else None
