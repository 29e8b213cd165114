"""``rg.playground``: a live training page on this machine, driven by retrograd itself (the
package is ``live``, so that its name never hides the function ``rg.playground``).

    retrograd playground                    # opens http://127.0.0.1:8765/ in the browser
    rg.playground()                         # the same from Python (Ctrl-C stops it)
    rg.playground(model=net, data=(X, y))   # your own network and 2-D data

The page (static/) sets the data set, the hidden layers, the activation, the loss, the
optimizer, the learning rate, the batch size and the L2 penalty, and starts, pauses, steps and
resets a run that a thread of this process trains (session.py). It shows the decision
boundary, the loss and accuracy curves, the gradient norm of each weight matrix and the
warnings of ``rg.diagnose``, and the Python program that trains the same way. The settings
live in the page's URL, so that a link shares an exercise.

The page is plain JavaScript with no build step and no vendored library: the curves and the
bars are a few lines of canvas drawing each (app.js), smaller than a charting library and its
licence, and drawn the same way as the decision boundary.
"""
from __future__ import annotations

import threading
import webbrowser
from typing import Any

import numpy as np

from ..nn.module import Module
from .server import PlaygroundServer
from .session import SAMPLES, Session, Settings, SettingsError, read_csv

__all__ = ["playground", "PlaygroundServer", "Session", "Settings", "SettingsError", "read_csv"]

DEFAULT_PORT = 8765


def playground(model: Module | None = None, data: Any = None, *, port: int = DEFAULT_PORT,
               open_browser: bool = True, block: bool = True,
               **settings: Any) -> PlaygroundServer:
    """Serves the training page on ``http://127.0.0.1:port/`` (``port=0``: a free one).

    Args:
        model: an ``rg.nn.Module`` from 2 inputs to one score per class, trained instead of the
            page's MLP (the page's hidden sizes and activation then do not apply; reset puts
            back its weights as given).
        data: ``(X, y)`` with X of shape (n, 2) and y the classes 0..C-1, or the path of a CSV
            of two feature columns and a label; instead of the named data sets.
        open_browser: open the page with ``webbrowser.open``.
        block: serve until Ctrl-C (then stop cleanly); False serves in a background thread and
            returns at once (call ``.close()`` on the server to stop it).
        **settings: the first settings, as the page names them: ``dataset``, ``hidden``,
            ``activation``, ``loss``, ``optimizer``, ``lr``, ``batch``, ``l2``, ``seed``.

    Returns the server; its ``url`` is the page's address. Raises SettingsError for a bad
    setting, model or data, OSError when the port is taken.
    """
    if model is not None and not isinstance(model, Module):
        raise SettingsError(f"model must be an rg.nn.Module, got {type(model).__name__}")
    if isinstance(data, str):
        data = read_csv(data)
    if data is not None and not (isinstance(data, (tuple, list)) and len(data) == 2):
        raise SettingsError("data must be a pair (X, y) or the path of a CSV file, got "
                            f"{type(data).__name__}")
    if data is not None:
        settings.setdefault("dataset", "custom")
    query = {name: ",".join(map(str, value)) if isinstance(value, (tuple, list)) else str(value)
             for name, value in settings.items()}
    n_samples = SAMPLES if data is None else len(np.asarray(data[1]))
    session = Session(Settings.from_query(query, n_samples=n_samples), model,
                      data)  # type: ignore[arg-type]  # a pair (checked above)
    try:
        server = PlaygroundServer(session, port)
    except OSError:
        session.close()
        raise
    if open_browser:
        webbrowser.open(server.url)
    if not block:
        threading.Thread(target=server.serve_forever, name="playground-server",
                         daemon=True).start()
        return server
    print(f"retrograd playground: {server.url} (Ctrl-C stops it)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.close()
    return server
