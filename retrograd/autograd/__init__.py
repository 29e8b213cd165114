"""The autograd engine: graph nodes, the backward walk, grad mode, anomaly detection, gradient
checking, ``functional`` (jacobian, hessian, vjp, jvp) and the legacy ``Variable``."""
from . import functional
from .anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "GradcheckError",
           "functional", "detect_anomaly", "set_detect_anomaly", "no_grad", "enable_grad",
           "set_grad_enabled", "is_grad_enabled", "is_anomaly_enabled", "Variable",
           "inference_mode"]
