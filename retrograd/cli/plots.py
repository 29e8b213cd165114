"""The pictures of the command line, drawn with matplotlib (Agg: files only, no window).

matplotlib is optional (``pip install 'retrograd[plot]'``): without it, ``pyplot()`` says so
once on stderr and returns None, and the commands skip their pictures.
"""
from __future__ import annotations

import os
import sys
import textwrap
from typing import Any, Sequence

import numpy as np

from ..autograd.grad_mode import no_grad
from ..nn.module import Module
from ..tensor import Tensor
from ..train import model_device

_warned = False
FIGURE_DPI = 100


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend, or None (with a one-time note) if not installed."""
    global _warned
    try:
        import matplotlib
    except ImportError:
        if not _warned:
            print("note: matplotlib is not installed, so no pictures are drawn "
                  "(pip install 'retrograd[plot]')", file=sys.stderr)
            _warned = True
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _save(plt, figure, path: str) -> str:
    figure.tight_layout()
    figure.savefig(path, dpi=FIGURE_DPI)
    plt.close(figure)
    return path


def training_curves(records: Sequence[dict], folder: str) -> list[str]:
    """loss.png and accuracy.png (train and validation, per epoch) in ``folder``; returns the
    paths written."""
    plt = pyplot()
    if plt is None or not records:
        return []
    epochs = [r["epoch"] for r in records]
    written = []
    for metric, name in (("loss", "loss"), ("acc", "accuracy")):
        curves = {split: [r[f"{split}_{metric}"] for r in records] for split in ("train", "val")}
        curves = {split: values for split, values in curves.items() if None not in values}
        if not curves:
            continue
        figure, axes = plt.subplots(figsize=(5, 3.5))
        for split, values in curves.items():
            axes.plot(epochs, values, marker="." if len(epochs) < 30 else None,
                      label="training" if split == "train" else "validation")
        axes.set(xlabel="epoch", ylabel=name, title=f"{name} per epoch")
        if metric == "loss":
            axes.set_yscale("log")
        axes.grid(alpha=0.3)
        axes.legend()
        written.append(_save(plt, figure, os.path.join(folder, f"{name}.png")))
    return written


def decision_boundary(model: Module, X: np.ndarray, y: np.ndarray, path: str, title: str,
                      resolution: int = 300) -> str | None:
    """The class the model predicts over the plane, with the points (X (N, 2), y (N,)) on top."""
    plt = pyplot()
    if plt is None:
        return None
    low, high = X.min(0), X.max(0)
    margin = 0.1 * (high - low)
    xs = np.linspace(low[0] - margin[0], high[0] + margin[0], resolution, dtype=np.float32)
    ys = np.linspace(low[1] - margin[1], high[1] + margin[1], resolution, dtype=np.float32)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    was_training = model.training
    model.eval()
    with no_grad():
        scores = model(Tensor(points).to(model_device(model)))
    predicted = scores.cpu().numpy().argmax(1).reshape(grid_x.shape)
    model.train(was_training)
    n_classes = int(max(y.max(), predicted.max())) + 1
    colors = plt.get_cmap("tab10")
    figure, axes = plt.subplots(figsize=(4.5, 4.5))
    axes.contourf(grid_x, grid_y, predicted, levels=np.arange(n_classes + 1) - 0.5,
                  colors=[colors(i) for i in range(n_classes)], alpha=0.3)
    axes.scatter(X[:, 0], X[:, 1], c=[colors(int(label)) for label in y], s=8,
                 edgecolors="black", linewidths=0.2)
    axes.set(title=title, xlabel="$x_1$", ylabel="$x_2$", aspect="equal")
    return _save(plt, figure, path)


def sweep_curves(runs: Sequence[dict[str, Any]], path: str, title: str) -> str | None:
    """One column per batch size, one curve per learning rate: the training loss (top) and the
    validation accuracy (bottom) of every run of a sweep, on one figure. A run that diverged
    keeps its curve up to its last finished epoch, ends in an x and says "diverged" in its
    column's legend (even with no epoch finished). The title is wrapped to the figure's width.

    ``runs``: dicts with "lr", "batch_size", "records" (the run's history rows) and "diverged"
    (a bool).
    """
    plt = pyplot()
    if plt is None or not runs:
        return None
    batch_sizes = sorted({run["batch_size"] for run in runs})
    lrs = sorted({run["lr"] for run in runs})
    colors = plt.get_cmap("viridis")
    figure, axes = plt.subplots(2, len(batch_sizes), figsize=(3.2 * len(batch_sizes), 5.5),
                                sharex=True, sharey="row", squeeze=False)
    for column, batch_size in enumerate(batch_sizes):
        top, bottom = axes[0, column], axes[1, column]
        for run in runs:
            if run["batch_size"] != batch_size:
                continue
            color = colors(0.85 * lrs.index(run["lr"]) / max(len(lrs) - 1, 1))  # no pale yellow
            records, marker = run["records"], "x" if run["diverged"] else None
            epochs = [r["epoch"] for r in records]
            top.plot(epochs, [r["train_loss"] for r in records], color=color, marker=marker,
                     markevery=[len(records) - 1] if records else None,
                     label=f"lr {run['lr']:g}" + (" (diverged)" if run["diverged"] else ""))
            if records and records[0]["val_acc"] is not None:
                bottom.plot(epochs, [r["val_acc"] for r in records], color=color,
                            marker=marker, markevery=[len(records) - 1])
        top.set(title=f"batch size {batch_size}", yscale="log")
        bottom.set(xlabel="epoch")
        for axis in (top, bottom):
            axis.grid(alpha=0.3)
        top.legend(fontsize="small")
    axes[0, 0].set_ylabel("training loss")
    axes[1, 0].set_ylabel("validation accuracy")
    width = figure.get_figwidth() * FIGURE_DPI  # pixels; a character of the title: 8 to 10
    figure.suptitle(textwrap.fill(title, max(30, int(width / 10))))
    return _save(plt, figure, path)


def gradient_norm_curves(epochs: Sequence[int], norms: dict[str, list], path: str,
                         title: str) -> str | None:
    """One curve per parameter (one per layer when given its weights): the mean gradient norm
    over each epoch's steps, on a log scale, so that layers whose gradients vanish or explode
    stand out. ``norms``: {parameter name: one value (or None) per epoch of ``epochs``}."""
    plt = pyplot()
    if plt is None or not norms or not epochs:
        return None
    figure, axes = plt.subplots(figsize=(5.5, 3.8))
    for name, values in norms.items():
        axes.plot(epochs, [np.nan if v is None else v for v in values], label=name,
                  marker="." if len(epochs) < 30 else None)
    axes.set(xlabel="epoch", ylabel="mean |grad| per step", yscale="log", title=title)
    axes.grid(alpha=0.3)
    axes.legend(fontsize="small")
    return _save(plt, figure, path)
