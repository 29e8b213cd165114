"""``rg.check``: checking what you wrote by hand.

    report = rg.check.gradients(loss_fn, params, grads)   # your backward against autograd
    print(report)                                         # and finite differences

On the command line, ``retrograd check FILE.py`` checks the ``backward`` of a file written as
the practical work asks (``init_params``, ``forward``, ``loss_accuracy``, ``backward``).

    report = rg.diagnose(model, (x, y), loss_fn, lr=0.1)   # also rg.check.diagnose: the
    print(report)                 # health of a network's activations and gradients on a batch
"""
from .diagnose import DiagnosisReport, diagnose
from .gradients import GradientReport, ParameterResult, gradients

__all__ = ["gradients", "GradientReport", "ParameterResult", "diagnose", "DiagnosisReport"]
