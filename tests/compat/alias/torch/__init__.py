"""A test-only ``torch`` that is retrograd: PyTorch scripts run unchanged on retrograd.

With this folder first on ``PYTHONPATH``, ``import torch`` gives the ``retrograd`` module itself
and ``import torch.nn.functional as F`` gives ``retrograd.nn.functional``: the same module
objects, nothing reimplemented or copied. A ``torch.X`` that retrograd lacks fails as a missing
module, ``No module named 'torch.X'``.
"""
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys

import retrograd


class _RetrogradModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``torch.X.Y`` as ``retrograd.X.Y``; loading puts that module in its place."""

    def find_spec(self, name, path=None, target=None):
        if not name.startswith("torch.") or importlib.util.find_spec(_counterpart(name)) is None:
            return None
        return importlib.machinery.ModuleSpec(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        # The import system returns whatever sys.modules holds once loading ends.
        sys.modules[module.__name__] = importlib.import_module(_counterpart(module.__name__))


def _counterpart(name):
    return "retrograd" + name[len("torch"):]


sys.meta_path.insert(0, _RetrogradModules())
sys.modules["torch"] = retrograd
